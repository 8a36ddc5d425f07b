/**
 * Festivals (جشنواره), the pure part: definitions, windows in the club's calendar, who is in
 * the audience, how an event turns into festival score, how chances and ranks are computed.
 * No I/O, no clock: `now` and randomness come in as arguments.
 */
import { z } from 'zod';
import { parseDateInput, zonedDateStart, formatJalali } from '../../platform/jalali.js';
import { formatNumber, normalizeDigits } from '../../platform/persian.js';
import { MAX_CHANCES } from './draw.js';

// ───────────────────────────── definitions ─────────────────────────────

const Localized = z.object({ fa: z.string().trim().min(1).max(200), en: z.string().trim().max(200).default('') }).strict();
const OptionalLocalized = z.object({ fa: z.string().trim().max(2000).default(''), en: z.string().trim().max(2000).default('') }).strict();
const EventType = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lowercase snake_case event type');
const Tag = z.string().trim().toLowerCase().regex(/^[\p{L}\p{N}_-]{1,50}$/u);

/** Who may take part: members in any of the groups or tiers; both empty = everyone. */
export const AudienceSchema = z
  .object({ groups: z.array(Tag).max(50).default([]), tiers: z.array(Tag).max(50).default([]) })
  .strict()
  .default({ groups: [], tiers: [] });
export type Audience = z.infer<typeof AudienceSchema>;

/**
 * A festival indicator (شاخص): which events earn festival score and how much.
 * `per: "event"` gives `score` per event; `per: { rials: N }` gives `score` per whole N rials
 * of the event's amount (floored). Events below `minAmountRials` give nothing; `maxPerEvent`
 * caps one event's score.
 */
export const IndicatorSchema = z
  .object({
    eventType: EventType,
    score: z.number().int().min(1).max(1e9),
    per: z.union([z.literal('event'), z.object({ rials: z.number().int().min(1).max(1e15) }).strict()]).default('event'),
    minAmountRials: z.number().int().min(0).max(1e15).default(0),
    maxPerEvent: z.number().int().min(1).max(1e12).optional(),
  })
  .strict();
export type Indicator = z.infer<typeof IndicatorSchema>;

/** The festival score category always exists; these add performance categories (most purchases…). */
export const SCORE_CATEGORY = 'score';
export const CategorySchema = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/).refine((k) => k !== SCORE_CATEGORY, 'the score category is built in'),
    name: Localized.optional(),
    eventType: EventType,
    measure: z.enum(['count', 'amount']).default('count'),
    /** For `amount`: counted in whole units of this many rials (default 10,000 = 1,000 toman), floored per event. */
    perRials: z.number().int().min(1).max(1e12).default(10_000),
  })
  .strict();
export type Category = z.infer<typeof CategorySchema>;

export const StakingSchema = z.object({ pointsPerChance: z.number().int().min(1).max(1e9) }).strict();
export type Staking = z.infer<typeof StakingSchema>;

export const TopPerformerRuleSchema = z
  .object({ category: z.string().max(40).default(SCORE_CATEGORY), count: z.number().int().min(1).max(1000), prize: Localized.optional() })
  .strict();
export type TopPerformerRule = z.infer<typeof TopPerformerRuleSchema>;

/** A date people type: Jalali `1404/01/15` (or ISO `2025-04-04`), Persian digits welcome. */
const DateInput = z.string().trim().min(8).max(20);

export const FestivalCreateSchema = z
  .object({
    name: Localized,
    description: OptionalLocalized.optional(),
    /** Local dates in the club's zone, both inclusive. */
    window: z.object({ from: DateInput, to: DateInput }).strict(),
    audience: AudienceSchema,
    enrolment: z.enum(['opt_in', 'automatic']).default('opt_in'),
    indicators: z.array(IndicatorSchema).min(1).max(20),
    categories: z.array(CategorySchema).max(10).default([]),
    /** Points-to-chances conversion ("5 points = 1 chance"); absent = members cannot stake. */
    staking: StakingSchema.nullable().default(null),
    topPerformers: z.array(TopPerformerRuleSchema).max(10).default([]),
  })
  .strict()
  .superRefine((f, ctx) => {
    const keys = new Set([SCORE_CATEGORY, ...f.categories.map((c) => c.key)]);
    if (keys.size !== f.categories.length + 1) ctx.addIssue({ code: 'custom', path: ['categories'], message: 'category keys must be unique' });
    f.topPerformers.forEach((t, i) => {
      if (!keys.has(t.category)) ctx.addIssue({ code: 'custom', path: ['topPerformers', i, 'category'], message: `unknown category "${t.category}"` });
    });
  });
export type FestivalCreate = z.infer<typeof FestivalCreateSchema>;

/**
 * An edit of a festival (PATCH): any subset of name, description, window, audience and
 * enrolment. What may change depends on the phase (`checkPatch`).
 */
export const FestivalPatchSchema = z
  .object({
    name: Localized.optional(),
    description: OptionalLocalized.nullable().optional(),
    window: z.object({ from: DateInput.optional(), to: DateInput.optional() }).strict().optional(),
    audience: z.object({ groups: z.array(Tag).max(50).default([]), tiers: z.array(Tag).max(50).default([]) }).strict().optional(),
    enrolment: z.enum(['opt_in', 'automatic']).optional(),
  })
  .strict()
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'nothing to change');
export type FestivalPatch = z.infer<typeof FestivalPatchSchema>;

export const CancelSchema = z.object({ reason: z.string().trim().max(500).default('') }).strict().default({ reason: '' });

/** Is `next` at least as wide as `prev`? (Everyone is the widest; otherwise every group and tier is kept.) */
export function audienceWidens(prev: Audience, next: Audience): boolean {
  const everyone = (a: Audience) => a.groups.length === 0 && a.tiers.length === 0;
  if (everyone(next)) return true;
  if (everyone(prev)) return false;
  return prev.groups.every((g) => next.groups.includes(g)) && prev.tiers.every((t) => next.tiers.includes(t));
}

export type PatchCheck = { ok: true } | { ok: false; code: 'festival_change_not_allowed' | 'festival_window_conflict'; detail: string };

/**
 * The rules of an edit, by phase (pure):
 * - upcoming: anything; the new window may not start before `today` (the club's local date);
 * - open: the start date and enrolment are fixed, the audience may only widen (members who
 *   joined under it stay eligible), the end may move but not into the past;
 * - closed (the window is over): only name and description.
 */
export function checkPatch(
  phase: FestivalPhase,
  before: { window: { fromIso: string; toIso: string }; audience: Audience; enrolment: string },
  after: { fromIso: string; toIso: string; endsAt: Date; audience: Audience; enrolment: string },
  now: Date,
  today: string,
): PatchCheck {
  const windowChanged = after.fromIso !== before.window.fromIso || after.toIso !== before.window.toIso;
  const audienceChanged = JSON.stringify(after.audience) !== JSON.stringify(before.audience);
  if (phase === 'closed') {
    if (windowChanged || audienceChanged || after.enrolment !== before.enrolment) return { ok: false, code: 'festival_change_not_allowed', detail: 'the festival is over: only its name and description can change' };
    return { ok: true };
  }
  if (phase === 'open') {
    if (after.fromIso !== before.window.fromIso) return { ok: false, code: 'festival_change_not_allowed', detail: 'the festival has started: its start date is fixed' };
    if (after.enrolment !== before.enrolment) return { ok: false, code: 'festival_change_not_allowed', detail: 'the festival has started: its enrolment is fixed' };
    if (!audienceWidens(before.audience, after.audience)) return { ok: false, code: 'festival_change_not_allowed', detail: 'the festival has started: its audience may only widen' };
  } else if (after.fromIso !== before.window.fromIso && after.fromIso < today) {
    return { ok: false, code: 'festival_window_conflict', detail: `window.from: not before today (${formatJalali(today)})` };
  }
  if (windowChanged && after.endsAt <= now) return { ok: false, code: 'festival_window_conflict', detail: 'window.to: the window would already be over' };
  return { ok: true };
}

export interface Festival {
  id: string;
  clubId: string;
  name: { fa: string; en: string };
  description: { fa: string; en: string } | null;
  window: { from: string; to: string; fromIso: string; toIso: string; startsAt: string; endsAt: string };
  audience: Audience;
  enrolment: 'opt_in' | 'automatic';
  indicators: Indicator[];
  categories: Category[];
  staking: Staking | null;
  topPerformers: TopPerformerRule[];
  status: 'active' | 'cancelled';
  unit: `festival:${string}`;
  createdAt: string;
}

export type FestivalPhase = 'upcoming' | 'open' | 'closed';

export const unitOf = (festivalId: string): `festival:${string}` => `festival:${festivalId}`;
export const festivalIdOfUnit = (unit: string): string | null => (unit.startsWith('festival:') ? unit.slice('festival:'.length) : null);

// ───────────────────────────── windows and phases ─────────────────────────────

export type Window = { fromIso: string; toIso: string; startsAt: Date; endsAt: Date };

/** The window's local dates → instants in the zone: [start of `from`, start of the day after `to`). */
export function festivalWindow(input: { from: string; to: string }, tz: string): { ok: true; value: Window } | { ok: false; detail: string } {
  const fromIso = parseDateInput(input.from);
  const toIso = parseDateInput(input.to);
  if (!fromIso) return { ok: false, detail: `window.from: not a date: ${input.from}` };
  if (!toIso) return { ok: false, detail: `window.to: not a date: ${input.to}` };
  if (toIso < fromIso) return { ok: false, detail: 'window.to is before window.from' };
  if (fromIso < '1900-01-01' || toIso > '2999-12-31') return { ok: false, detail: 'window: dates between 1279 and 2378 (Jalali) only' };
  const dayAfter = new Date(Date.parse(`${toIso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return { ok: true, value: { fromIso, toIso, startsAt: zonedDateStart(fromIso, tz), endsAt: zonedDateStart(dayAfter, tz) } };
}

export function phaseOf(f: { startsAt: Date; endsAt: Date; status: string }, now: Date): FestivalPhase {
  if (f.status === 'cancelled' || now >= f.endsAt) return 'closed';
  return now < f.startsAt ? 'upcoming' : 'open';
}

export const inWindow = (f: { startsAt: Date; endsAt: Date }, t: Date): boolean => t >= f.startsAt && t < f.endsAt;

export const jalaliOf = (iso: string): string => formatJalali(iso);

// ───────────────────────────── audience and scoring ─────────────────────────────

export function inAudience(a: Audience, m: { groups: readonly string[]; tier: string | null }): boolean {
  if (a.groups.length === 0 && a.tiers.length === 0) return true;
  if (m.groups.some((g) => a.groups.includes(g.toLowerCase()))) return true;
  return m.tier !== null && a.tiers.includes(m.tier.toLowerCase());
}

export interface ScoredEvent {
  type: string;
  amountRials?: number | null;
}

/** Festival score one event earns from the festival's own indicators (summed, floored, capped). */
export function indicatorScore(indicators: readonly Indicator[], e: ScoredEvent): number {
  let total = 0;
  const amount = e.amountRials ?? 0;
  for (const ind of indicators) {
    if (ind.eventType !== e.type || amount < ind.minAmountRials) continue;
    let s = ind.per === 'event' ? ind.score : Math.floor(amount / ind.per.rials) * ind.score;
    if (ind.maxPerEvent !== undefined) s = Math.min(s, ind.maxPerEvent);
    if (s > 0) total += s;
  }
  return Number.isSafeInteger(total) ? total : 0;
}

/**
 * What one event adds to a performance category (0 when it does not count). Amounts count
 * in whole units (of `perRials`), which also keeps values in the range the rank structure's
 * blocks are sized for.
 */
export function categoryDelta(c: Category, e: ScoredEvent): number {
  if (c.eventType !== e.type) return 0;
  // Capped per event so a standing cannot overflow BIGINT however many events it sums.
  return c.measure === 'count' ? 1 : Math.min(1e12, Math.max(0, Math.floor((e.amountRials ?? 0) / c.perRials)));
}

// ───────────────────────────── ranks ─────────────────────────────

/** Width of a block of values in the rank structure (also in migrations/0301), and how many shards spread the counts. */
export const RANK_BLOCK = 128;
export const RANK_SHARDS = 8;
export const blockOf = (value: number): number => Math.floor(value / RANK_BLOCK);
/** Member ids end in random hex (UUIDv7), so the last digit spreads members evenly. */
export const shardOf = (memberId: string): number => (parseInt(memberId.slice(-1), 16) || 0) % RANK_SHARDS;

/**
 * Standard competition ranking ("1224"): equal values share a rank, which is 1 + the number
 * of members strictly above. The listing order among equals (who reached the value first,
 * then member id) is deterministic but does not change the rank.
 */
export function competitionRanks<T extends { value: number }>(sorted: readonly T[]): (T & { rank: number })[] {
  let rank = 0;
  return sorted.map((row, i) => {
    if (i === 0 || row.value !== sorted[i - 1]!.value) rank = i + 1;
    return { ...row, rank };
  });
}

/**
 * The tie-break for top performers (documented in docs/festivals.md): higher value first;
 * equal values → who reached that value first (the lower standing sequence number, taken
 * when the value last changed); then the lower member id. Total and deterministic.
 */
export function compareStanding(a: { value: number; seq: number; memberId: string }, b: { value: number; seq: number; memberId: string }): number {
  if (a.value !== b.value) return b.value - a.value;
  if (a.seq !== b.seq) return a.seq - b.seq;
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

// ───────────────────────────── draws ─────────────────────────────

const InstantInput = z.string().trim().min(8).max(40);

export const PrizeSchema = z
  .object({
    fromRank: z.number().int().min(1),
    toRank: z.number().int().min(1),
    title: Localized,
    /** A reward of the rewards module to fulfil the prize with, when it exists. */
    rewardId: z.string().max(64).optional(),
  })
  .strict()
  .refine((p) => p.toRank >= p.fromRank, 'toRank must not be below fromRank');
export type Prize = z.infer<typeof PrizeSchema>;

export const DrawCreateSchema = z
  .object({
    kind: z.enum(['stage', 'final']).default('stage'),
    title: Localized,
    /** When eligibility freezes: ISO with offset, or Jalali `1404/01/20 18:00` in the club's zone. */
    cutoffAt: InstantInput,
    /** When the winners are drawn; defaults to the cut-off. */
    drawAt: InstantInput.optional(),
    winners: z.number().int().min(1).max(10_000),
    /** Festival score a member needs at the cut-off (e.g. 70 for a stage draw, 1000 for the final). */
    minScore: z.number().int().min(0).max(1e15).default(1),
    /** `score`: one chance per `pointsPerChance` festival score; `staked`: the chances members bought with points. */
    chances: z
      .object({ basis: z.enum(['score', 'staked']).default('score'), pointsPerChance: z.number().int().min(1).max(1e12).default(1) })
      .strict()
      .default({ basis: 'score', pointsPerChance: 1 }),
    excludePastWinners: z.boolean().default(true),
    prizes: z.array(PrizeSchema).max(100).default([]),
  })
  .strict();
export type DrawCreate = z.infer<typeof DrawCreateSchema>;

/**
 * An instant people type: ISO 8601 with an offset, or a local Jalali/ISO date with an
 * optional `HH:mm` in the club's zone (a bare date means its first instant).
 */
export function parseInstant(input: string, tz: string): Date | null {
  const s = normalizeDigits(input).trim();
  if (/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) && s.includes('T')) {
    const t = Date.parse(s);
    return Number.isNaN(t) ? null : new Date(t);
  }
  const m = /^(\d{4}[/-]\d{1,2}[/-]\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?$/.exec(s);
  if (!m) return null;
  const iso = parseDateInput(m[1]!);
  if (!iso || iso < '1900-01-01' || iso > '2999-12-31') return null;
  const h = m[2] === undefined ? 0 : Number(m[2]);
  const min = m[3] === undefined ? 0 : Number(m[3]);
  if (h > 23 || min > 59) return null;
  // Iran has no daylight saving since 2022; elsewhere an hour inside a DST jump is approximate.
  return new Date(zonedDateStart(iso, tz).getTime() + (h * 60 + min) * 60_000);
}

/** Chances of one entry under the draw's rule; 0 means the member does not enter. */
export function chancesFor(rule: { basis: 'score' | 'staked'; pointsPerChance: number }, score: number, staked: number): number {
  const n = rule.basis === 'score' ? Math.floor(score / rule.pointsPerChance) : staked;
  return Math.min(Math.max(0, n), MAX_CHANCES);
}

/** Prize for a rank, from the draw's prize table (first matching range). */
export const prizeFor = (prizes: readonly Prize[], rank: number): Prize | null => prizes.find((p) => rank >= p.fromRank && rank <= p.toRank) ?? null;

const CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no i, l, o, 0, 1: read aloud without mistakes
export const ENTRY_CODE_LENGTH = 8;

/** A short random entry id (8 of 31 letters/digits ≈ 2^39): random, so it reveals nothing of the mobile. */
export function entryCode(randomBytes: (n: number) => Buffer): string {
  const bytes = randomBytes(ENTRY_CODE_LENGTH);
  let s = '';
  for (let i = 0; i < ENTRY_CODE_LENGTH; i++) s += CODE_ALPHABET[bytes[i]! % CODE_ALPHABET.length];
  return s;
}

/** The published entry reference: masked mobile + `#` + entry code, e.g. `0912***4567#k3f9x2ab`. */
export const entryRef = (mobileMasked: string, code: string): string => `${mobileMasked}#${code}`;

/** Winner notice, for a transactional (template) line: operators filter «برنده» on promotional lines. */
export function winnerSms(p: { clubName: string; drawTitle: string; rank: number; prize: string | null; ref: string }): string {
  const prize = p.prize ? ` جایزه: ${p.prize}.` : '';
  return `${p.clubName}: تبریک! شما در «${p.drawTitle}» رتبهٔ ${formatNumber(p.rank, 'fa')} را به دست آوردید.${prize} کد ورود: ${p.ref}`;
}

export function topPerformerSms(p: { clubName: string; festivalName: string; rank: number; prize: string | null }): string {
  const prize = p.prize ? ` جایزه: ${p.prize}.` : '';
  return `${p.clubName}: تبریک! شما نفر ${formatNumber(p.rank, 'fa')} جشنوارهٔ «${p.festivalName}» شدید.${prize}`;
}
