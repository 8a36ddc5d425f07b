/**
 * Occasions, pure: the club's settings and the Persian texts members receive. Birthdays
 * are Jalali (someone born on 1403/12/30 celebrates on Esfand 29 in common years);
 * anniversaries count Jalali years since joining.
 */
import { z } from 'zod';
import { isoToJalali, jalaliMonthLength } from '../../platform/jalali.js';
import { formatNumber } from '../../platform/persian.js';
import { PROFILE_FIELDS } from '../members/index.js';

const Text = z.string().trim().min(1).max(300).describe('Persian template: {name}, {club}, {points}, {years}, {date}');

export const OccasionSettingsSchema = z
  .object({
    birthday: z.object({ points: z.int().min(0).max(1e9), sms: z.boolean().default(true), text: Text.optional() }).strict().optional(),
    anniversary: z.object({ points: z.int().min(0).max(1e9), sms: z.boolean().default(true), text: Text.optional() }).strict().optional(),
    /** Points per optional profile field, once per field; only members who consented (IRAN.md: privacy). */
    profileFields: z
      .object({
        pointsPerField: z.int().min(1).max(1e6),
        fields: z.array(z.enum(PROFILE_FIELDS)).min(1).optional(),
        requireConsent: z.boolean().default(true),
      })
      .strict()
      .optional(),
    expiryReminder: z.object({ daysBefore: z.int().min(1).max(90), text: Text.optional() }).strict().optional(),
    /** Local hour the day's messages go out (never at midnight, when the job runs). */
    sendHour: z.int().min(8).max(21).default(10),
  })
  .strict();
export type OccasionSettings = z.infer<typeof OccasionSettingsSchema>;

const fill = (template: string, v: Record<string, string>) => template.replace(/\{(\w+)\}/g, (m, k: string) => v[k] ?? m);
const fa = (n: number) => formatNumber(n, 'fa');
const faDigits = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x06f0 + Number(d)));

export function birthdayText(s: { text?: string }, v: { name: string | null; club: string; points: number }): string {
  if (s.text) return fill(s.text, { name: v.name ?? '', club: v.club, points: fa(v.points) });
  const who = v.name ? `${v.name} عزیز، ` : '';
  const gift = v.points > 0 ? ` ${fa(v.points)} امتیاز هدیهٔ تولد به حساب شما افزوده شد.` : '';
  return `${who}زادروزتان خجسته باد! ${v.club}${gift}`;
}

export function anniversaryText(s: { text?: string }, v: { name: string | null; club: string; points: number; years: number }): string {
  if (s.text) return fill(s.text, { name: v.name ?? '', club: v.club, points: fa(v.points), years: fa(v.years) });
  const who = v.name ? `${v.name} عزیز، ` : '';
  const gift = v.points > 0 ? ` ${fa(v.points)} امتیاز هدیه به حساب شما افزوده شد.` : '';
  return `${who}${fa(v.years)} سال همراهی شما با ${v.club} مبارک!${gift}`;
}

export function expiryText(s: { text?: string }, v: { club: string; points: number; date: string }): string {
  if (s.text) return fill(s.text, { club: v.club, points: fa(v.points), date: v.date });
  return `${v.club}: ${fa(v.points)} امتیاز شما در ${faDigits(v.date)} منقضی می‌شود. پیش از آن استفاده کنید.`;
}

/** Whole Jalali years from joining to today when today is the anniversary day, else 0. */
export function anniversaryYears(joinedIso: string, todayIso: string): number {
  const j = isoToJalali(joinedIso);
  const t = isoToJalali(todayIso);
  const years = t.jy - j.jy;
  if (years < 1) return 0;
  const day = Math.min(j.jd, jalaliMonthLength(t.jy, j.jm)); // joined on Esfand 30 → Esfand 29
  return t.jm === j.jm && t.jd === day ? years : 0;
}

/** Gregorian (month, day) pairs around a date: candidates for a Jalali month/day match. */
export function monthDayPairsAround(iso: string, spread = 2): { month: number; day: number }[] {
  const t = Date.parse(`${iso}T00:00:00Z`);
  const out: { month: number; day: number }[] = [];
  for (let d = -spread; d <= spread; d++) {
    const x = new Date(t + d * 86_400_000);
    out.push({ month: x.getUTCMonth() + 1, day: x.getUTCDate() });
  }
  return out;
}

