/**
 * Rewards, the pure part: what a reward is, who may redeem it and when, the per-member
 * order of the catalogue (freshness), the fatigue curve, coupon patterns and the till's
 * arithmetic. No I/O, no clock: `now` and random bytes come in as arguments.
 */
import { z } from 'zod';
import { dayRange, jalaliMonthRange, jalaliWeekRange, jalaliYearRange, parseDateInput, zonedDateStart, zonedParts, formatJalali } from '../../platform/jalali.js';
import type { ResultCode } from '../../platform/result-codes.js';

export const REWARD_TYPES = ['coupon', 'product', 'digital', 'partner_voucher', 'wallet_credit', 'donation', 'draw_ticket', 'bundle'] as const;
export type RewardType = (typeof REWARD_TYPES)[number];
export const LIMIT_PERIODS = ['day', 'week', 'month', 'year', 'ever'] as const;
export type LimitPeriod = (typeof LIMIT_PERIODS)[number];

/** Types whose redemption hands the member a code (from a pool or a pattern). */
export const usesCodes = (t: RewardType) => t === 'coupon' || t === 'partner_voucher';
/** Types fulfilled later (points stay held until then); the rest capture at once. */
export const isDeferred = (t: RewardType) => t === 'product' || t === 'digital';

const Text = (max: number) => z.string().trim().max(max);
const Group = z.string().trim().toLowerCase().regex(/^[\p{L}\p{N}_-]{1,50}$/u);
/** A tier's code as the tiers module defines it (gold, vip-2…); any of a list may redeem. */
const TierCode = z.string().trim().toLowerCase().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a tier code, e.g. gold');
const DateInput = z.string().trim().max(20).refine((s) => parseDateInput(s) !== null, 'a Jalali (1404/01/01) or ISO (2025-03-21) date');

/**
 * `#` a digit, `?` a letter (no I/O/0/1 look-alikes), anything else literal: NOWRUZ-####-????.
 * At least 6 random positions so codes are not guessable.
 */
export const CodePatternSchema = z
  .string()
  .trim()
  .max(64)
  .regex(/^[A-Za-z0-9#?_-]+$/, 'letters, digits, dashes, # (digit) and ? (letter)')
  .refine((p) => (p.match(/[#?]/g) ?? []).length >= 6, 'at least 6 random positions (# or ?)');

export const RewardConfigSchema = z
  .object({
    /** coupon / partner_voucher: where codes come from, and how long an issued code is valid. */
    codes: z.object({ source: z.enum(['pool', 'pattern']), pattern: CodePatternSchema.optional(), validDays: z.number().int().min(1).max(3650).optional() }).strict().optional(),
    /** partner_voucher: who funds it, and what the club owes the partner per redemption. */
    partnerId: z.string().min(1).max(64).optional(),
    settlementRials: z.number().int().min(0).max(1e13).optional(),
    /** digital: what the club's fulfilment webhook is asked to deliver (2 GB, 100 minutes…). */
    fulfilment: z.record(z.string().max(50), z.union([z.string().max(200), z.number(), z.boolean()])).optional(),
    /** wallet_credit: rials per point; by tier when given, else the club's point value. */
    rateRials: z.number().int().positive().max(1e9).optional(),
    tierRates: z.record(z.string().max(50), z.number().int().positive().max(1e9)).optional(),
    /** donation: the cause. */
    cause: z.object({ fa: Text(200).min(1), en: Text(200).default('') }).strict().optional(),
    /** draw_ticket: the festival whose draw it enters (used once festivals exist). */
    festivalId: z.string().max(64).optional(),
    /** bundle: "choose one of" these rewards. */
    options: z.array(z.string().min(1).max(64)).min(2).max(10).optional(),
  })
  .strict();
export type RewardConfig = z.infer<typeof RewardConfigSchema>;

const RewardFields = {
  title: z.object({ fa: Text(200).min(1), en: Text(200).default('') }).strict(),
  description: z.object({ fa: Text(4000).default(''), en: Text(4000).default('') }).strict().default({ fa: '', en: '' }),
  imageUrl: z.url().max(1000).nullable().default(null),
  costPoints: z.number().int().min(0).max(1e12),
  copayRials: z.number().int().min(0).max(1e13).default(0),
  stock: z.number().int().min(0).max(1e12).nullable().default(null).describe('null = unlimited'),
  limit: z.object({ count: z.number().int().min(1).max(1e6), period: z.enum(LIMIT_PERIODS) }).strict().nullable().default(null),
  audience: z
    .object({
      tiers: z.array(TierCode).max(20).default([]).describe('members of ANY of these tiers (codes); empty = every tier, and members without one'),
      groups: z.array(Group).max(20).default([]).describe('members in ANY of these groups; empty = everyone'),
    })
    .strict()
    .default({ tiers: [], groups: [] }),
  availableFrom: DateInput.nullable().default(null).describe('first day, Jalali or ISO, in the club zone'),
  availableUntil: DateInput.nullable().default(null).describe('last day (inclusive), Jalali or ISO, in the club zone'),
  config: RewardConfigSchema.default({}),
};

function checkType(r: { type: RewardType; config: RewardConfig; costPoints: number }, ctx: z.RefinementCtx) {
  const c = r.config;
  const need = (cond: boolean, path: string, message: string) => cond || ctx.addIssue({ code: 'custom', path: ['config', path], message });
  if (usesCodes(r.type)) {
    need(!!c.codes, 'codes', `a ${r.type} needs codes: { source: "pool" | "pattern" }`);
    if (c.codes?.source === 'pattern') need(!!c.codes.pattern, 'codes', 'a pattern source needs codes.pattern, e.g. "NOWRUZ-####-????"');
  }
  if (r.type === 'partner_voucher') need(!!c.partnerId, 'partnerId', 'a partner_voucher names its partner');
  if (r.type === 'donation') need(!!c.cause, 'cause', 'a donation names its cause');
  if (r.type === 'bundle') need(!!c.options, 'options', 'a bundle lists 2–10 reward ids to choose from');
  if (r.type === 'wallet_credit') need(r.costPoints > 0, 'rateRials', 'a wallet_credit converts a positive number of points');
}

export const RewardCreateSchema = z.object({ type: z.enum(REWARD_TYPES), ...RewardFields }).strict().superRefine(checkType);
export type RewardCreate = z.infer<typeof RewardCreateSchema>;

/** What an operator may change; the type is fixed once created. */
export const RewardPatchSchema = z
  .object({
    title: RewardFields.title,
    description: RewardFields.description,
    imageUrl: z.url().max(1000).nullable(),
    costPoints: RewardFields.costPoints,
    copayRials: z.number().int().min(0).max(1e13),
    stock: z.number().int().min(0).max(1e12).nullable(),
    limit: RewardFields.limit,
    audience: RewardFields.audience,
    availableFrom: DateInput.nullable(),
    availableUntil: DateInput.nullable(),
    config: RewardConfigSchema,
  })
  .partial()
  .strict();
export type RewardPatch = z.infer<typeof RewardPatchSchema>;

export interface Reward {
  id: string;
  type: RewardType;
  title: { fa: string; en: string };
  description: { fa: string; en: string };
  imageUrl: string | null;
  costPoints: number;
  copayRials: number;
  stock: number | null;
  limit: { count: number; period: LimitPeriod } | null;
  audience: { tiers: string[]; groups: string[] };
  availableFrom: string | null;
  availableUntil: string | null;
  /** The same window as Jalali dates for people (last day inclusive). */
  window: { from: string | null; until: string | null };
  config: RewardConfig;
  status: 'active' | 'archived';
  createdAt: string;
  updatedAt: string;
}

/** Jalali/ISO day inputs → [from, until) instants in the club's zone (until = the day after the last). */
export function windowInstants(from: string | null | undefined, until: string | null | undefined, tz: string): { from: Date | null; until: Date | null } {
  const day = (s: string) => parseDateInput(s)!;
  const next = (iso: string) => new Date(Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) + 86_400_000).toISOString().slice(0, 10);
  return {
    from: from ? zonedDateStart(day(from), tz) : null,
    until: until ? zonedDateStart(next(day(until)), tz) : null,
  };
}

/** The window back as Jalali days for people: `until` is shown as the last day. */
export function windowJalali(from: Date | null, until: Date | null, tz: string): { from: string | null; until: string | null } {
  return {
    from: from ? formatJalali(zonedParts(from, tz).isoDate) : null,
    until: until ? formatJalali(zonedParts(new Date(until.getTime() - 1), tz).isoDate) : null,
  };
}

/** [start, end) of the limit's Jalali period containing `now`; 'ever' has no start. */
export function periodRange(period: LimitPeriod, now: Date, tz: string): { start: Date | null; end: Date | null } {
  switch (period) {
    case 'day':
      return dayRange(now, tz);
    case 'week':
      return jalaliWeekRange(now, tz);
    case 'month': {
      const j = zonedParts(now, tz).jalali;
      return jalaliMonthRange(j, tz);
    }
    case 'year':
      return jalaliYearRange(zonedParts(now, tz).jalali.jy, tz);
    case 'ever':
      return { start: null, end: null };
  }
}

export interface MemberFacts {
  status: string;
  tier: string | null;
  groups: string[];
}

export interface RewardFacts {
  type: RewardType;
  status: 'active' | 'archived';
  stock: number | null;
  availableFrom: Date | null;
  availableUntil: Date | null;
  audience: { tiers: string[]; groups: string[] };
}

/**
 * Why this member may not redeem this reward now, or null. Checked in this order so each
 * bad input gets its own code: archived, window, audience (tier, then groups), stock.
 * Limits and points need the database and are checked under the member's lock.
 */
export function ineligibility(r: RewardFacts, m: MemberFacts, now: Date): ResultCode | null {
  if (r.status === 'archived') return 'reward_archived';
  if (m.status !== 'active') return 'member_inactive';
  if (r.availableUntil && now >= r.availableUntil) return 'reward_expired';
  if (r.availableFrom && now < r.availableFrom) return 'reward_not_available';
  if (r.audience.tiers.length && !(m.tier && r.audience.tiers.includes(m.tier))) return 'below_tier';
  if (r.audience.groups.length && !r.audience.groups.some((g) => m.groups.includes(g))) return 'not_in_audience';
  if (r.stock !== null && r.stock <= 0) return 'reward_out_of_stock';
  return null;
}

// ------------------------------------------------------------------------- freshness (R4)

/** Days a reward counts as "newly rotated" after it comes into its window. */
export const FRESH_DAYS = 14;

export interface CatalogueEntry {
  id: string;
  /** when it came (back) into rotation: its window's start, else its creation */
  rotatedAt: Date;
  /** how many times this member has taken it, and when last */
  timesTaken: number;
  lastTakenAt: Date | null;
}

export type Freshness = 'new' | 'rotated' | 'repeat';

/**
 * New to the member, or rotated back in since they last took it → fresh; else a repeat.
 * A reward the member never took that came into rotation within FRESH_DAYS is 'rotated'
 * (newly rotated ones lead).
 */
export function freshnessOf(e: CatalogueEntry, now: Date): Freshness {
  const recent = now.getTime() - e.rotatedAt.getTime() <= FRESH_DAYS * 86_400_000;
  if (e.timesTaken === 0) return recent ? 'rotated' : 'new';
  if (e.lastTakenAt && e.rotatedAt > e.lastTakenAt) return 'rotated';
  return 'repeat';
}

/**
 * The member's catalogue order: newly rotated first (newest rotation first), then rewards
 * new to them (newest first), then repeats — fewest times taken first, longest ago first.
 */
export function orderCatalogue<T extends CatalogueEntry>(entries: T[], now: Date): (T & { freshness: Freshness })[] {
  const rank: Record<Freshness, number> = { rotated: 0, new: 1, repeat: 2 };
  return entries
    .map((e) => ({ ...e, freshness: freshnessOf(e, now) }))
    .sort((a, b) =>
      rank[a.freshness] - rank[b.freshness] ||
      (a.freshness === 'repeat'
        ? a.timesTaken - b.timesTaken || (a.lastTakenAt?.getTime() ?? 0) - (b.lastTakenAt?.getTime() ?? 0)
        : b.rotatedAt.getTime() - a.rotatedAt.getTime()) ||
      (a.id < b.id ? -1 : 1),
    );
}

export interface FatiguePoint {
  /** times the member had already taken the reward */
  timesTakenBefore: number;
  /** members who had taken it that many times (for 0: members who redeemed anything) */
  members: number;
  /** of those, how many took it once more */
  tookAgain: number;
  /** tookAgain / members, 0..1 (4 decimals) */
  rate: number;
}

/**
 * The fatigue curve from per-member counts of one reward: how the chance of taking it once
 * more falls with the times already taken. `catalogueUsers` is the base for the first point.
 */
export function fatigueCurve(countsPerMember: number[], catalogueUsers: number, maxPoints = 10): FatiguePoint[] {
  const atLeast = (k: number) => countsPerMember.filter((c) => c >= k).length;
  const top = Math.min(maxPoints, Math.max(0, ...countsPerMember));
  const out: FatiguePoint[] = [];
  for (let k = 0; k <= top; k++) {
    const members = k === 0 ? Math.max(catalogueUsers, atLeast(1)) : atLeast(k);
    const tookAgain = atLeast(k + 1);
    out.push({ timesTakenBefore: k, members, tookAgain, rate: members ? Math.round((tookAgain / members) * 10_000) / 10_000 : 0 });
  }
  return out;
}

// ------------------------------------------------------------------------- codes

const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ'; // no I, O
const DIGITS = '23456789'; // no 0, 1

/** A code from a pattern and random bytes (one byte per random position). */
export function codeFromPattern(pattern: string, bytes: Uint8Array): string {
  let i = 0;
  return [...pattern.toUpperCase()]
    .map((ch) => {
      if (ch === '#') return DIGITS[bytes[i++ % bytes.length]! % DIGITS.length];
      if (ch === '?') return LETTERS[bytes[i++ % bytes.length]! % LETTERS.length];
      return ch;
    })
    .join('');
}

/** Codes as people type them: trimmed, upper-case, Persian/Arabic digits to ASCII. */
export function normaliseCode(code: string): string {
  return code
    .replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .trim()
    .toUpperCase();
}

// ------------------------------------------------------------------------- at the till

export interface PosLimits {
  maxPercent: number;
  minPoints: number;
  pointValueRials: number;
}

/**
 * How much of the basket the member's points can pay: whole points only, at most
 * maxPercent of the basket, at most what is available (and at most `wantPoints`).
 */
export function posQuote(basketRials: number, availablePoints: number, limits: PosLimits, wantPoints?: number): { points: number; discountRials: number; capRials: number; reason: 'ok' | 'below_minimum' | 'nothing' } {
  const capRials = Math.floor((basketRials * limits.maxPercent) / 100);
  const byCap = Math.floor(capRials / limits.pointValueRials);
  let points = Math.max(0, Math.min(availablePoints, byCap, wantPoints ?? Number.MAX_SAFE_INTEGER));
  if (points > 0 && points < limits.minPoints) return { points: 0, discountRials: 0, capRials, reason: 'below_minimum' };
  if (points <= 0) points = 0;
  return { points, discountRials: points * limits.pointValueRials, capRials, reason: points > 0 ? 'ok' : 'nothing' };
}

/**
 * Points of a burn to give back for a refund: proportional to the rials refunded so far,
 * never more than the burn, minus what earlier refunds already gave back.
 */
export function burnReversal(input: { burnPoints: number; purchaseRials: number; refundedRials: number; reversedBefore: number }): number {
  const { burnPoints, purchaseRials, refundedRials, reversedBefore } = input;
  if (purchaseRials <= 0) return Math.max(0, burnPoints - reversedBefore);
  const refunded = Math.min(purchaseRials, refundedRials);
  const target = refunded >= purchaseRials ? burnPoints : Math.floor((burnPoints * refunded) / purchaseRials);
  return Math.max(0, target - reversedBefore);
}

/** Rials per point for a wallet_credit reward: the tier's rate, the reward's, or the club's. */
export function walletRate(config: RewardConfig, tier: string | null, clubPointValueRials: number): number {
  return (tier && config.tierRates?.[tier]) || config.rateRials || clubPointValueRials;
}
