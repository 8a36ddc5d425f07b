/**
 * Game mechanics (R12), the pure part: badge, streak and challenge definitions, the period
 * keys counters are kept under, and how a streak moves. No I/O, no clock.
 */
import { z } from 'zod';
import { dayRange, jalaliWeekRange, periodKey } from '../../platform/jalali.js';
import { formatNumber } from '../../platform/persian.js';

const Localized = z.object({ fa: z.string().trim().min(1).max(200), en: z.string().trim().max(200).default('') }).strict();
const Code = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'lowercase snake_case');
const EventType = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lowercase snake_case event type');

export const PERIODS = ['day', 'week', 'month', 'year', 'lifetime'] as const;
export type Period = (typeof PERIODS)[number];

export const BadgeCreateSchema = z
  .object({
    code: Code,
    name: Localized,
    description: z.object({ fa: z.string().max(1000).default(''), en: z.string().max(1000).default('') }).strict().optional(),
    /** CEL over counts/amounts (of `period`) and streaks, e.g. `counts.purchase >= 5`. */
    criteria: z.string().trim().min(1).max(1000),
    period: z.enum(PERIODS).default('lifetime'),
    /** Earned again in each new period (a monthly badge), or only once. */
    repeatable: z.boolean().default(false),
    rewardPoints: z.number().int().min(0).max(1e9).default(0),
  })
  .strict();
export type BadgeCreate = z.infer<typeof BadgeCreateSchema>;

export const StreakCreateSchema = z
  .object({ code: Code, name: Localized, eventType: EventType, unit: z.enum(['day', 'week']).default('day') })
  .strict();
export type StreakCreate = z.infer<typeof StreakCreateSchema>;

const DateInput = z.string().trim().min(8).max(20);
export const ChallengeCreateSchema = z
  .object({
    code: Code,
    name: Localized,
    eventType: EventType,
    /** `count`: number of events; `amount`: rials spent. */
    measure: z.enum(['count', 'amount']).default('count'),
    target: z.number().int().min(1).max(1e15),
    /** Jalali dates in the club's zone, inclusive: the deadline is the end of `to`. */
    window: z.object({ from: DateInput, to: DateInput }).strict(),
    rewardPoints: z.number().int().min(0).max(1e9).default(0),
  })
  .strict();
export type ChallengeCreate = z.infer<typeof ChallengeCreateSchema>;

/** The key a counter of that period is kept under: `L`, `1404`, `1404-07`, `1404-W12`, `1404-07-15`. */
export const counterKey = (instant: Date, period: Period, tz: string): string => (period === 'lifetime' ? 'L' : periodKey(instant, period, tz));

/** The streak key of the instant and of the day/week before it. */
export function streakKeys(instant: Date, unit: 'day' | 'week', tz: string): { key: string; prev: string } {
  const start = unit === 'day' ? dayRange(instant, tz).start : jalaliWeekRange(instant, tz).start;
  return { key: periodKey(instant, unit, tz), prev: periodKey(new Date(start.getTime() - 1), unit, tz) };
}

/**
 * A streak after an action in period `key` (prev = the period before it): the same period
 * changes nothing, the next one extends it, a gap restarts it at 1, an older action is
 * ignored. Keys of one unit sort in time order (zero-padded), so `>` compares them.
 */
export function nextStreak(s: { lastKey: string; current: number; best: number } | null, key: string, prev: string): { lastKey: string; current: number; best: number } {
  if (!s) return { lastKey: key, current: 1, best: 1 };
  if (key === s.lastKey || key < s.lastKey) return s;
  const current = s.lastKey === prev ? s.current + 1 : 1;
  return { lastKey: key, current, best: Math.max(s.best, current) };
}

/** The length a member sees: a streak whose last action is older than the previous period is broken. */
export const liveStreak = (s: { lastKey: string; current: number }, now: { key: string; prev: string }): number =>
  s.lastKey === now.key || s.lastKey === now.prev ? s.current : 0;

export const badgeSms = (clubName: string, badgeName: string, rewardPoints: number): string =>
  `${clubName}: نشان «${badgeName}» را به دست آوردید!${rewardPoints > 0 ? ` ${formatNumber(rewardPoints, 'fa')} امتیاز هدیه گرفتید.` : ''}`;

export const challengeSms = (clubName: string, challengeName: string, rewardPoints: number): string =>
  `${clubName}: چالش «${challengeName}» را کامل کردید!${rewardPoints > 0 ? ` ${formatNumber(rewardPoints, 'fa')} امتیاز هدیه گرفتید.` : ''}`;
