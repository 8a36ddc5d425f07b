/** Jalali (Persian) calendar helpers for input and date-only values. Display of instants uses Intl. */
import { isValidJalaaliDate, jalaaliMonthLength, toGregorian, toJalaali } from 'jalaali-js';
import { normalizeDigits } from './digits.js';

export type JalaliDate = { jy: number; jm: number; jd: number };

const pad = (n: number) => String(n).padStart(2, '0');

export function formatJalali(d: JalaliDate): string {
  return `${d.jy}/${pad(d.jm)}/${pad(d.jd)}`;
}

/** Parses 1403/12/30, ۱۴۰۳/۱۲/۳۰, 1403-12-30 or 1403.12.30; null when not a real Jalali day. */
export function parseJalali(input: string): JalaliDate | null {
  const m = /^\s*(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})\s*$/.exec(normalizeDigits(input));
  if (!m) return null;
  const jy = Number(m[1]);
  const jm = Number(m[2]);
  const jd = Number(m[3]);
  if (jy < 1200 || jy > 1500) return null;
  return isValidJalaaliDate(jy, jm, jd) ? { jy, jm, jd } : null;
}

/** 'YYYY-MM-DD' (or a longer ISO string; the date part is used) → Jalali, no time-zone shift. */
export function isoDateToJalali(iso: string): JalaliDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return null;
  return toJalaali(Number(m[1]), Number(m[2]), Number(m[3]));
}

export function jalaliToIsoDate(d: JalaliDate): string {
  const g = toGregorian(d.jy, d.jm, d.jd);
  return `${g.gy}-${pad(g.gm)}-${pad(g.gd)}`;
}

export function monthLength(jy: number, jm: number): number {
  return jalaaliMonthLength(jy, jm);
}

/** Day of week of a Jalali date with Saturday = 0 … Friday = 6 (the Iranian week). */
export function weekdaySaturdayFirst(d: JalaliDate): number {
  const g = toGregorian(d.jy, d.jm, d.jd);
  const js = new Date(Date.UTC(g.gy, g.gm - 1, g.gd)).getUTCDay(); // Sunday = 0
  return (js + 1) % 7;
}

/** Today's Jalali date in a time zone (the club's, e.g. Asia/Tehran). */
export function todayJalali(timeZone: string, now: Date = new Date()): JalaliDate {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return toJalaali(get('year'), get('month'), get('day'));
}
