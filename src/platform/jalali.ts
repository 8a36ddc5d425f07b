/**
 * Jalali calendar and time-zone arithmetic. Pure: the current time always comes in
 * as an argument. Offsets come from the tz database through Intl — never a fixed
 * +03:30, because Iran observed daylight saving time until 2022.
 */
import { isLeapJalaaliYear, isValidJalaaliDate, jalaaliMonthLength, toGregorian, toJalaali } from 'jalaali-js';
import { normalizeDigits } from './persian.js';

export type JalaliDate = { jy: number; jm: number; jd: number };

export type ZonedParts = {
  isoDate: string;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Saturday … 6 = Friday: the Iranian week. */
  weekday: number;
  jalali: JalaliDate;
};

export type InstantRange = { start: Date; end: Date };

const DAY_MS = 86_400_000;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function isoFromParts(y: number, m: number, d: number): string {
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
}

function isValidGregorian(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

function parseIso(iso: string): { y: number; m: number; d: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  const [y, m, d] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [NaN, NaN, NaN];
  if (!match || !isValidGregorian(y, m, d)) throw new RangeError(`not an ISO date: ${JSON.stringify(iso)}`);
  return { y, m, d };
}

function addDaysIso(iso: string, days: number): string {
  const { y, m, d } = parseIso(iso);
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * User-typed date → Gregorian `YYYY-MM-DD`, or null. A year below 1700 is Jalali
 * (Jalali years are ~621 behind, so the ranges cannot be confused).
 */
export function parseDateInput(s: string): string | null {
  const match = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(normalizeDigits(s).trim());
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (y < 1700) return isValidJalaaliDate(y, m, d) ? jalaliToIso({ jy: y, jm: m, jd: d }) : null;
  return isValidGregorian(y, m, d) ? isoFromParts(y, m, d) : null;
}

export function isoToJalali(iso: string): JalaliDate {
  const { y, m, d } = parseIso(iso);
  return toJalaali(y, m, d);
}

export function jalaliToIso(j: JalaliDate): string {
  if (!isValidJalaaliDate(j.jy, j.jm, j.jd)) throw new RangeError(`not a Jalali date: ${JSON.stringify(j)}`);
  const g = toGregorian(j.jy, j.jm, j.jd);
  return isoFromParts(g.gy, g.gm, g.gd);
}

/** `1403/12/30`, ASCII digits: what people type back into forms. */
export function formatJalali(iso: string): string {
  const j = isoToJalali(iso);
  return `${j.jy}/${pad(j.jm)}/${pad(j.jd)}`;
}

export function jalaliMonthLength(jy: number, jm: number): number {
  return jalaaliMonthLength(jy, jm);
}

/** Month arithmetic; the day is clamped (1403/12/30 + 12 months → 1404/12/29). */
export function addJalaliMonths(j: JalaliDate, n: number): JalaliDate {
  const total = j.jy * 12 + (j.jm - 1) + n;
  const jy = Math.floor(total / 12);
  const jm = total - jy * 12 + 1;
  return { jy, jm, jd: Math.min(j.jd, jalaaliMonthLength(jy, jm)) };
}

// Building a DateTimeFormat is slow; one per zone is enough.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23', // avoids the "24:00" some engines print with hour12: false
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Wall-clock fields through Intl: exact, but ~10 µs a call. */
function wallClock(t: number, tz: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const p: Record<string, number> = {};
  for (const part of formatterFor(tz).formatToParts(new Date(t))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return p as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

// Zone offsets change only at transitions, which fall on quarter hours in the tz database
// since 1970, so the offset is cached per (zone, UTC quarter hour). This makes zonedParts
// cheap on the earn path, where every rule evaluation needs the club's local date.
const QUARTER_MS = 15 * 60_000;
const offsetCache = new Map<string, number>();

/** The zone's offset from UTC at that instant, in ms (whole seconds; tz data has no finer). */
function offsetMs(t: number, tz: string): number {
  const key = `${tz}|${Math.floor(t / QUARTER_MS)}`;
  let off = offsetCache.get(key);
  if (off === undefined) {
    const bucket = Math.floor(t / QUARTER_MS) * QUARTER_MS;
    const p = wallClock(bucket, tz);
    off = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - bucket;
    if (offsetCache.size > 50_000) offsetCache.clear();
    offsetCache.set(key, off);
  }
  return off;
}

export function zonedParts(instant: Date, tz: string): ZonedParts {
  const t = instant.getTime();
  formatterFor(tz); // throws RangeError for an unknown zone, as before
  const w = new Date(t + offsetMs(t, tz));
  const year = w.getUTCFullYear();
  const month = w.getUTCMonth() + 1;
  const day = w.getUTCDate();
  // getUTCDay: 0 = Sunday; shifting by one puts Saturday at 0.
  const weekday = (w.getUTCDay() + 1) % 7;
  return {
    isoDate: isoFromParts(year, month, day),
    year,
    month,
    day,
    hour: w.getUTCHours(),
    minute: w.getUTCMinutes(),
    second: w.getUTCSeconds(),
    weekday,
    jalali: toJalaali(year, month, day),
  };
}

/** The instant the local calendar date begins in the zone. */
export function zonedDateStart(isoDate: string, tz: string): Date {
  const { y, m, d } = parseIso(isoDate);
  const wall = Date.UTC(y, m - 1, d); // local midnight, read as if it were UTC
  // The offset at the first guess may be on the other side of a DST change, so take
  // the offset again at the corrected instant.
  let t = wall - offsetMs(wall, tz);
  t = wall - offsetMs(t, tz);
  if (t + offsetMs(t, tz) === wall) return new Date(t);

  // Local midnight did not exist (Tehran 2021-03-22: 00:00 jumped to 01:00), so the day
  // begins at the transition: binary-search the first instant whose local date is isoDate.
  let lo = t - DAY_MS; // safely on the previous local date
  let hi = t + DAY_MS; // safely on or after isoDate
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (zonedParts(new Date(mid), tz).isoDate < isoDate) lo = mid;
    else hi = mid;
  }
  return new Date(hi);
}

function dateRange(startIso: string, endIso: string, tz: string): InstantRange {
  return { start: zonedDateStart(startIso, tz), end: zonedDateStart(endIso, tz) };
}

/** [start, end) of a Jalali month in the zone. */
export function jalaliMonthRange(j: { jy: number; jm: number }, tz: string): InstantRange {
  const first = { jy: j.jy, jm: j.jm, jd: 1 };
  return dateRange(jalaliToIso(first), jalaliToIso(addJalaliMonths(first, 1)), tz);
}

/** [start, end) of a Jalali year (1 Farvardin to 1 Farvardin) in the zone. */
export function jalaliYearRange(jy: number, tz: string): InstantRange {
  return dateRange(jalaliToIso({ jy, jm: 1, jd: 1 }), jalaliToIso({ jy: jy + 1, jm: 1, jd: 1 }), tz);
}

/** [start, end) of the Saturday-to-Friday week containing the instant. */
export function jalaliWeekRange(instant: Date, tz: string): InstantRange {
  const saturday = saturdayOf(instant, tz);
  return dateRange(saturday, addDaysIso(saturday, 7), tz);
}

/** [start, end) of the local day containing the instant. */
export function dayRange(instant: Date, tz: string): InstantRange {
  const { isoDate } = zonedParts(instant, tz);
  return dateRange(isoDate, addDaysIso(isoDate, 1), tz);
}

function saturdayOf(instant: Date, tz: string): string {
  const p = zonedParts(instant, tz);
  return addDaysIso(p.isoDate, -p.weekday);
}

/**
 * Points earned at `earnedAt` last through the local Jalali date `months` months later
 * (day clamped to the month's length) and expire when the next local day begins.
 */
export function expiryInstant(earnedAt: Date, months: number, tz: string): Date {
  const lastDay = addJalaliMonths(zonedParts(earnedAt, tz).jalali, months);
  return zonedDateStart(addDaysIso(jalaliToIso(lastDay), 1), tz);
}

/**
 * Key of the Jalali period containing the instant, for per-period limits:
 * `1404`, `1404-07`, `1404-07-15`, `1404-W12`.
 * A week is named after the Jalali year its Saturday falls in, and W01 is the first week
 * that starts in that year — so all seven days of a week share one key, even a week
 * that straddles Nowruz.
 */
export function periodKey(instant: Date, period: 'day' | 'week' | 'month' | 'year', tz: string): string {
  const { jy, jm, jd } = zonedParts(instant, tz).jalali;
  switch (period) {
    case 'day':
      return `${jy}-${pad(jm)}-${pad(jd)}`;
    case 'month':
      return `${jy}-${pad(jm)}`;
    case 'year':
      return String(jy);
    case 'week': {
      const sat = isoToJalali(saturdayOf(instant, tz));
      // Months 1–6 have 31 days and 7–11 have 30, so the day of year is closed-form.
      const dayOfYear = sat.jm <= 7 ? (sat.jm - 1) * 31 + sat.jd : 186 + (sat.jm - 7) * 30 + sat.jd;
      return `${sat.jy}-W${pad(Math.floor((dayOfYear - 1) / 7) + 1)}`;
    }
  }
}

/**
 * Is the instant, locally, the member's Jalali birthday? Someone born on Esfand 30
 * celebrates on Esfand 29 in years that have no Esfand 30.
 */
export function isSameJalaliMonthDay(isoBirthDate: string, instant: Date, tz: string): boolean {
  const birth = isoToJalali(isoBirthDate);
  const today = zonedParts(instant, tz).jalali;
  const day = birth.jm === 12 && birth.jd === 30 && !isLeapJalaaliYear(today.jy) ? 29 : birth.jd;
  return today.jm === birth.jm && today.jd === day;
}
