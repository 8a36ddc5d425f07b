/**
 * Tiers, pure: a programme of levels over a qualifying measure (points earned or rials
 * spent) in a window (rolling days, the Jalali year or month, in the club's zone).
 * Upgrades happen the moment a threshold is crossed; downgrades only at a review — at the
 * start of a new period (the Jalali month for rolling and monthly windows, the year for a
 * yearly window) — never more than `maxLevelsDown` at once, and after `inactiveMonths`
 * without activity the member goes down `inactiveLevelsDown`.
 */
import { z } from 'zod';
import { addJalaliMonths, isoToJalali, jalaliToIso } from '../../platform/jalali.js';

const Code = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'lowercase code, e.g. gold');
const Threshold = z.int().min(0).max(1e15);

export const TierLevelSchema = z
  .object({
    code: Code,
    name: z.object({ fa: z.string().trim().min(1).max(100), en: z.string().max(100).optional() }),
    threshold: Threshold,
    /** Earning multiplier on rule points (1.25 = +25%), applied by the rules engine. */
    multiplier: z.number().min(1).max(10).default(1),
    /** Reward ids or tags this tier may redeem (read by the rewards module). */
    rewards: z.array(z.string().max(100)).max(100).default([]),
    /** A different threshold for members in these cities (e.g. تهران) … */
    thresholdsByCity: z.record(z.string().max(100), Threshold).optional(),
    /** … or in these groups (the lowest of the member's groups counts). */
    thresholdsByGroup: z.record(z.string().max(50), Threshold).optional(),
  })
  .strict();
export type TierLevel = z.infer<typeof TierLevelSchema>;

export const TierWindowSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rolling'), days: z.int().min(1).max(1100) }).strict(),
  z.object({ kind: z.literal('jalali_year') }).strict(),
  z.object({ kind: z.literal('jalali_month') }).strict(),
]);
export type TierWindow = z.infer<typeof TierWindowSchema>;

export const TierProgramSchema = z
  .object({
    measure: z.enum(['points', 'rials']),
    window: TierWindowSchema,
    /** Lowest first. */
    levels: z.array(TierLevelSchema).min(1).max(20),
    retention: z
      .object({
        maxLevelsDown: z.int().min(1).max(20).default(1),
        inactiveMonths: z.int().min(1).max(60).optional(),
        inactiveLevelsDown: z.int().min(1).max(20).default(1),
      })
      .strict()
      .default({ maxLevelsDown: 1, inactiveLevelsDown: 1 }),
  })
  .strict()
  .superRefine((p, ctx) => {
    const codes = new Set<string>();
    p.levels.forEach((l, i) => {
      if (codes.has(l.code)) ctx.addIssue({ code: 'custom', path: ['levels', i, 'code'], message: `duplicate code ${l.code}` });
      codes.add(l.code);
      if (i > 0 && l.threshold <= p.levels[i - 1]!.threshold) ctx.addIssue({ code: 'custom', path: ['levels', i, 'threshold'], message: 'thresholds must rise level by level' });
    });
  });
export type TierProgram = z.infer<typeof TierProgramSchema>;
export type TierProgramInput = z.input<typeof TierProgramSchema>;

export interface TierMember {
  tier: string | null;
  city: string | null;
  groups: readonly string[];
}

export function thresholdFor(level: TierLevel, m: Pick<TierMember, 'city' | 'groups'>): number {
  if (m.city && level.thresholdsByCity && level.thresholdsByCity[m.city] !== undefined) return level.thresholdsByCity[m.city]!;
  if (level.thresholdsByGroup) {
    const own = m.groups.map((g) => level.thresholdsByGroup![g]).filter((t): t is number => t !== undefined);
    if (own.length) return Math.min(...own);
  }
  return level.threshold;
}

/** Index of the member's current tier in the programme; -1 for none (or a retired code). */
export const rankOf = (p: TierProgram, code: string | null): number => (code === null ? -1 : p.levels.findIndex((l) => l.code === code));

/** The highest level whose (city/group) threshold the measure reaches, or -1. */
export function qualifiedRank(p: TierProgram, m: Pick<TierMember, 'city' | 'groups'>, measure: number): number {
  for (let i = p.levels.length - 1; i >= 0; i--) if (measure >= thresholdFor(p.levels[i]!, m)) return i;
  return -1;
}

export const multiplierOf = (p: TierProgram | null, code: string | null): number => {
  if (!p || code === null) return 1;
  return p.levels.find((l) => l.code === code)?.multiplier ?? 1;
};

export const codeAt = (p: TierProgram, rank: number): string | null => (rank < 0 ? null : p.levels[rank]!.code);

const addDays = (iso: string, n: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** First local day of the window that ends on `today` (inclusive). */
export function windowStart(w: TierWindow, today: string): string {
  if (w.kind === 'rolling') return addDays(today, -(w.days - 1));
  const j = isoToJalali(today);
  return jalaliToIso({ jy: j.jy, jm: w.kind === 'jalali_year' ? 1 : j.jm, jd: 1 });
}

/**
 * Is `today` a review day, and which period just ended? Yearly windows are reviewed on
 * 1 Farvardin, monthly and rolling ones on the 1st of each Jalali month. The measure for
 * the review is taken over the window that ended yesterday.
 */
export function reviewOn(w: TierWindow, today: string): { key: string; measureFrom: string; measureTo: string } | null {
  const j = isoToJalali(today);
  if (j.jd !== 1 || (w.kind === 'jalali_year' && j.jm !== 1)) return null;
  const yesterday = addDays(today, -1);
  const key = w.kind === 'jalali_year' ? `${j.jy - 1}` : `${j.jm === 1 ? j.jy - 1 : j.jy}-${String(j.jm === 1 ? 12 : j.jm - 1).padStart(2, '0')}`;
  return { key, measureFrom: windowStart(w, yesterday), measureTo: yesterday };
}

/** A review's new rank: never up (upgrades happen at once), at most maxLevelsDown down. */
export function reviewRank(p: TierProgram, current: number, qualified: number): number {
  if (current < 0 || qualified >= current) return current;
  return Math.max(qualified, current - p.retention.maxLevelsDown);
}

/** The day before which a member counts as inactive, or null when the programme has no rule. */
export function inactiveBefore(p: TierProgram, today: string): string | null {
  if (!p.retention.inactiveMonths) return null;
  return jalaliToIso(addJalaliMonths(isoToJalali(today), -p.retention.inactiveMonths));
}
