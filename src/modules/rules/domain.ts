/**
 * The earning-rules engine, pure: rules, event, member, club zone and past usage all come
 * in as arguments; nothing here reads a clock, a database or the environment.
 *
 * How one event is evaluated (`evaluate`):
 *
 * 1. Rules run in priority order (higher first; ties by id, then version).
 * 2. Each rule is checked in this order, and the first failing check is its trace reason:
 *    stopped_by_higher_priority → trigger_mismatch → outside_window (from inclusive, to
 *    exclusive) → audience → below_minimum → condition_false / expression_error.
 * 3. Amounts, per award effect: CEL amount → rounding (floor | round | ceil) → summed per
 *    unit → tier multiplier (points only, floored) → the rule's own limits. An amount of 0
 *    (or below: clamped to 0) for every unit is `zero_amount`.
 * 4. Exclusive stacking: if any exclusive rule fires, the highest-priority one wins; every
 *    other exclusive rule and every cumulative rule that awards or multiplies points is
 *    dropped (`exclusive_rule_won`). Cumulative rules that award only other units
 *    (festival scores) still apply.
 * 5. Multiply effects (cumulative rules only) add a bonus line of their own:
 *    floor(base × factor) − base, where base is the points the *other* surviving rules
 *    award after their limits. So a capped rule is not re-inflated by "double points"
 *    (its cap is a promise to the club's budget), and the bonus is recorded with the
 *    multiplying rule's id and version — its own limits and budget cap the bonus, and a
 *    refund reverses exactly what each rule gave. Two multipliers add up (×2 and ×3 give
 *    base + 1×base + 2×base), they do not compound.
 * 6. Limits count per rule id across versions (an edit does not reset a member's cap):
 *    `usage(ruleId, key)` returns what the rule already gave this member in that period
 *    (key = periodKey(…) of the event in the club's zone, or 'lifetime'), or to everyone
 *    ('budget'). Points limits count the rule's capped unit: `points` when the rule awards
 *    or multiplies points, else the unit of its first award. A partial cap fires with
 *    detail `capped`; nothing left → `limit_reached` / `budget_exhausted`.
 * 7. `stop`: once a rule fires (for a multiplier: passes its checks and limits), rules of
 *    lower priority are not evaluated.
 *
 * Double results are snapped to the nearest integer when within 1e-9 of it before
 * rounding, so binary fractions (100 × 1.1 = 110.00000000000001) do not ceil to 111.
 */
import { z } from 'zod';
import { isoToJalali, jalaliMonthLength, periodKey, zonedParts, type ZonedParts } from '../../platform/jalali.js';
import {
  CelContext,
  CelEvent,
  CelItem,
  CelMember,
  compileExpression,
  runExpression,
  toCelInt,
  toCelValue,
  type CelVariables,
  type CompiledExpression,
  type Guard,
} from './cel.js';

// ───────────────────────────── definitions ─────────────────────────────

export const BUILT_IN_TRIGGERS = [
  'purchase',
  'refund',
  'signup',
  'profile_completed',
  'profile_field_filled',
  'birthday',
  'referral_qualified',
  'bill_paid',
  'app_login',
  'review_written',
  'survey_answered',
] as const;

export const PERIODS = ['day', 'week', 'month', 'year', 'lifetime'] as const;
export type Period = (typeof PERIODS)[number];

const IsoInstantSchema = z.iso.datetime({ offset: true });
const nonNegativeInt = () => z.int().min(0);

export const AwardEffectSchema = z.object({
  type: z.literal('award'),
  /** `points`, or another unit such as `festival:fst_…`. */
  unit: z.string().regex(/^(points|[a-z][a-z_]*:[A-Za-z0-9_-]+)$/, 'points or kind:id, e.g. festival:fst_01'),
  /** CEL → number. */
  amount: z.string().min(1),
  rounding: z.enum(['floor', 'round', 'ceil']).default('floor'),
});
export type AwardEffect = z.infer<typeof AwardEffectSchema>;

export const MultiplyEffectSchema = z.object({
  type: z.literal('multiply'),
  /** ≥ 1: 2 doubles what the other cumulative rules award for this event. */
  factor: z.number().min(1).max(100),
  unit: z.literal('points').optional(),
});
export type MultiplyEffect = z.infer<typeof MultiplyEffectSchema>;

export const EffectSchema = z.discriminatedUnion('type', [AwardEffectSchema, MultiplyEffectSchema]);
export type Effect = z.infer<typeof EffectSchema>;

export const PerMemberLimitSchema = z
  .object({
    period: z.enum(PERIODS),
    maxPoints: nonNegativeInt().optional(),
    maxTimes: nonNegativeInt().optional(),
  })
  .refine((l) => l.maxPoints !== undefined || l.maxTimes !== undefined, 'give maxPoints or maxTimes');
export type PerMemberLimit = z.infer<typeof PerMemberLimitSchema>;

export const RuleLimitsSchema = z.object({
  minAmountRials: nonNegativeInt().optional(),
  perMember: z.array(PerMemberLimitSchema).optional(),
  /** The rule's total over all members, in its capped unit. */
  budgetPoints: nonNegativeInt().optional(),
});
export type RuleLimits = z.infer<typeof RuleLimitsSchema>;

/** Empty or absent list = no restriction on that dimension; groups match if any is shared. */
export const AudienceSchema = z.object({
  tiers: z.array(z.string()).optional(),
  groups: z.array(z.string()).optional(),
  stores: z.array(z.string()).optional(),
  channels: z.array(z.string()).optional(),
});
export type Audience = z.infer<typeof AudienceSchema>;

/** Instants; the API converts Jalali dates in the club's zone. `from` inclusive, `to` exclusive. */
export const RuleWindowSchema = z.object({
  from: IsoInstantSchema.optional(),
  to: IsoInstantSchema.optional(),
});
export type RuleWindow = z.infer<typeof RuleWindowSchema>;

export const RuleDefinitionSchema = z
  .object({
    name: z.object({ fa: z.string().min(1), en: z.string().optional() }),
    /** Event type: one of BUILT_IN_TRIGGERS or a custom type declared by the club. */
    trigger: z.string().min(1).max(100),
    /** CEL → bool; absent means true. */
    condition: z.string().optional(),
    effects: z.array(EffectSchema).min(1),
    limits: RuleLimitsSchema.optional(),
    audience: AudienceSchema.optional(),
    window: RuleWindowSchema.optional(),
    priority: z.int().default(0),
    stacking: z.enum(['cumulative', 'exclusive']).default('cumulative'),
    stop: z.boolean().optional(),
  })
  .superRefine((def, ctx) => {
    // A multiplying rule does only that: mixing its own awards into the base it multiplies
    // would make the order of multipliers matter.
    const multiplies = def.effects.filter((e) => e.type === 'multiply').length;
    if (multiplies > 0 && def.effects.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['effects'], message: 'a multiply effect must be the rule’s only effect' });
    }
    if (multiplies > 0 && def.stacking === 'exclusive') {
      ctx.addIssue({ code: 'custom', path: ['stacking'], message: 'a multiply rule multiplies other rules, so it must be cumulative' });
    }
  });
export type RuleDefinition = z.infer<typeof RuleDefinitionSchema>;
export type RuleDefinitionInput = z.input<typeof RuleDefinitionSchema>;

// ───────────────────────────── compiling ─────────────────────────────

export type RuleRef = { id: string; version: number };

type CompiledAward = {
  readonly field: string;
  readonly unit: string;
  readonly rounding: AwardEffect['rounding'];
  readonly amount: CompiledExpression;
};

export type CompiledRule = {
  readonly id: string;
  readonly version: number;
  readonly definition: RuleDefinition;
  readonly trigger: string;
  readonly priority: number;
  readonly exclusive: boolean;
  readonly stop: boolean;
  readonly fromMs: number | null;
  readonly toMs: number | null;
  readonly condition: CompiledExpression | null;
  readonly awards: readonly CompiledAward[];
  /** Set on multiply rules (whose only effect is the multiply). */
  readonly multiplyFactor: number | null;
  /** Whether the rule takes part in points stacking (awards or multiplies points). */
  readonly touchesPoints: boolean;
  /** The unit its points limits and budget count. */
  readonly cappedUnit: string;
  readonly audience: {
    readonly tiers: ReadonlySet<string> | null;
    readonly groups: ReadonlySet<string> | null;
    readonly stores: ReadonlySet<string> | null;
    readonly channels: ReadonlySet<string> | null;
  };
  readonly limits: RuleLimits;
};

export type CompileErrorCode =
  | 'invalid_definition'
  | 'invalid_expression'
  | 'expression_too_expensive'
  | 'invalid_window';

export type CompileResult =
  | { ok: true; rule: CompiledRule }
  | {
      ok: false;
      code: CompileErrorCode;
      detail: string;
      /** Which part failed: `condition`, `effects[1].amount`, `window`, or a schema path. */
      field?: string;
      /** Character offset inside that expression, when the CEL library reports one. */
      position?: number;
    };

const toSet = (list: readonly string[] | undefined): ReadonlySet<string> | null =>
  list && list.length > 0 ? new Set(list) : null;

/**
 * Validates, parses and type-checks a rule version once. `invalid_definition` covers input
 * that skipped RuleDefinitionSchema (the API validates first and reports validation_failed).
 */
export function compileRule(input: RuleDefinitionInput, ref: RuleRef): CompileResult {
  const parsed = RuleDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, code: 'invalid_definition', detail: issue?.message ?? 'invalid rule', field: issue?.path.join('.') };
  }
  const def = parsed.data;

  const fromMs = def.window?.from !== undefined ? Date.parse(def.window.from) : null;
  const toMs = def.window?.to !== undefined ? Date.parse(def.window.to) : null;
  if (fromMs !== null && toMs !== null && toMs <= fromMs) {
    return { ok: false, code: 'invalid_window', detail: 'the window must end after it starts', field: 'window' };
  }

  let condition: CompiledExpression | null = null;
  if (def.condition !== undefined) {
    const c = compileExpression(def.condition, 'condition');
    if (!c.ok) return { ...c, field: 'condition' };
    condition = c.expression;
  }

  const awards: CompiledAward[] = [];
  let multiplyFactor: number | null = null;
  for (const [i, effect] of def.effects.entries()) {
    if (effect.type === 'multiply') {
      multiplyFactor = effect.factor;
      continue;
    }
    const field = `effects[${i}].amount`;
    const c = compileExpression(effect.amount, 'amount');
    if (!c.ok) return { ...c, field };
    awards.push({ field, unit: effect.unit, rounding: effect.rounding, amount: c.expression });
  }

  const touchesPoints = multiplyFactor !== null || awards.some((a) => a.unit === 'points');
  const rule: CompiledRule = {
    id: ref.id,
    version: ref.version,
    definition: def,
    trigger: def.trigger,
    priority: def.priority,
    exclusive: def.stacking === 'exclusive',
    stop: def.stop === true,
    fromMs,
    toMs,
    condition,
    awards,
    multiplyFactor,
    touchesPoints,
    cappedUnit: touchesPoints ? 'points' : (awards[0]?.unit ?? 'points'),
    audience: {
      tiers: toSet(def.audience?.tiers),
      groups: toSet(def.audience?.groups),
      stores: toSet(def.audience?.stores),
      channels: toSet(def.audience?.channels),
    },
    limits: def.limits ?? {},
  };
  return { ok: true, rule };
}

/**
 * Compiled rules by (rule id, version). A version is immutable (an edit makes a new one),
 * so an entry never goes stale; the bound evicts the least recently used.
 */
export class CompiledRuleCache {
  private readonly entries = new Map<string, CompileResult>();

  constructor(private readonly maxEntries = 10_000) {}

  compile(def: RuleDefinitionInput, ref: RuleRef): CompileResult {
    const key = `${ref.id}\u0000${ref.version}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const result = compileRule(def, ref);
    this.entries.set(key, result);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return result;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

// ───────────────────────────── evaluating ─────────────────────────────

export const LineItemSchema = z.object({
  sku: z.string(),
  category: z.string().default(''),
  quantity: z.int().min(0).default(1),
  amountRials: nonNegativeInt(),
});
export type LineItem = z.infer<typeof LineItemSchema>;

/** An event as the engine sees it (for simulation input and the spec files). */
export const EarningEventSchema = z.object({
  type: z.string().min(1),
  amountRials: nonNegativeInt().default(0),
  occurredAt: z.coerce.date(),
  attributes: z.record(z.string(), z.unknown()).default({}),
  items: z.array(LineItemSchema).optional(),
  channel: z.string().optional(),
  store: z.string().optional(),
});
export type EarningEvent = z.infer<typeof EarningEventSchema>;

export const MemberContextSchema = z.object({
  id: z.string().min(1),
  tier: z.string().nullable().default(null),
  tierMultiplier: z.number().min(0).default(1),
  groups: z.array(z.string()).default([]),
  city: z.string().optional(),
  /** ISO date, YYYY-MM-DD. */
  birthDate: z.iso.date().optional(),
  joinedAt: z.coerce.date(),
  counters: z.record(z.string(), z.number()).default({}),
});
export type MemberContext = z.infer<typeof MemberContextSchema>;

export type Usage = { points: number; times: number };
/** key: a Jalali period key (periodKey(occurredAt, period, zone)), 'lifetime' or 'budget'. */
export type UsageLookup = (ruleId: string, key: string) => Usage;

export type EvaluationInput = {
  rules: readonly CompiledRule[];
  event: EarningEvent;
  member: MemberContext;
  club: { timeZone: string };
  usage: UsageLookup;
  /** zonedParts(event.occurredAt, club.timeZone), when the caller has them already. */
  parts?: ZonedParts;
  /**
   * Leave out of the trace the rules settled on their own before any amount or usage —
   * trigger_mismatch, outside_window, audience, below_minimum, condition_false — and do not
   * allocate for them. For the earn path, which reads only fired and still-live lines;
   * simulation keeps the full trace.
   */
  compact?: boolean;
};

export type TraceReason =
  | 'fired'
  | 'trigger_mismatch'
  | 'outside_window'
  | 'audience'
  | 'below_minimum'
  | 'condition_false'
  | 'limit_reached'
  | 'budget_exhausted'
  | 'stopped_by_higher_priority'
  | 'exclusive_rule_won'
  | 'zero_amount'
  | 'expression_error';

export type Award = { ruleId: string; ruleVersion: number; unit: string; points: number };
export type TraceLine = { ruleId: string; ruleVersion: number; fired: boolean; reason: TraceReason; detail?: string };
export type Evaluation = { awards: Award[]; trace: TraceLine[] };

type Line = { unit: string; points: number };
type RuleState = {
  rule: CompiledRule;
  /** `pending`: a multiply rule that passed its checks and waits for its base. */
  reason: TraceReason | 'pending';
  detail?: string;
  lines: Line[];
};

const SNAP = 1e-9;

function snap(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) <= SNAP * Math.max(1, Math.abs(x)) ? r : x;
}

function floorMul(n: number, factor: number): number {
  return Math.max(0, Math.floor(snap(n * factor)));
}

/** A CEL amount → a non-negative integer, or an error detail. */
function toPoints(value: unknown, rounding: AwardEffect['rounding']): number | string {
  if (value !== null && typeof value === 'object' && typeof value.valueOf() === 'bigint') value = value.valueOf(); // uint
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) return 'amount is too large';
    return value <= 0n ? 0 : Number(value);
  }
  if (typeof value !== 'number') return `amount must be a number, got ${value === null ? 'null' : typeof value}`;
  if (!Number.isFinite(value)) return 'amount is not a finite number';
  const n = snap(value);
  const rounded = rounding === 'ceil' ? Math.ceil(n) : rounding === 'round' ? Math.round(n) : Math.floor(n);
  if (rounded > Number.MAX_SAFE_INTEGER) return 'amount is too large';
  return Math.max(0, rounded);
}

function byPriority(rules: readonly CompiledRule[]): readonly CompiledRule[] {
  const before = (a: CompiledRule, b: CompiledRule): number =>
    b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : a.version - b.version);
  for (let i = 1; i < rules.length; i++) {
    if (before(rules[i - 1], rules[i]) > 0) return [...rules].sort(before);
  }
  return rules; // already in order: the usual case for a club's cached rule list
}

/*
 * zonedParts costs ~12 µs (Intl.DateTimeFormat#formatToParts): more than all the CEL of ten
 * rules. So it runs once per event, and day/month/year keys and the birthday are read off
 * its result rather than through periodKey / isSameJalaliMonthDay, which would each run it
 * again. Both helpers are checked against those functions in calendar.test.ts.
 */
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** periodKey(instant, period, zone) for the instant whose parts these are ('week' excepted). */
export function periodKeyFromParts(parts: ZonedParts, period: 'day' | 'month' | 'year'): string {
  const { jy, jm, jd } = parts.jalali;
  if (period === 'year') return String(jy);
  if (period === 'month') return `${jy}-${pad2(jm)}`;
  return `${jy}-${pad2(jm)}-${pad2(jd)}`;
}

/** isSameJalaliMonthDay(birthDate, instant, zone); false for an unreadable birth date. */
export function isBirthdayOn(isoBirthDate: string, parts: ZonedParts): boolean {
  let birth: { jm: number; jd: number };
  try {
    birth = isoToJalali(isoBirthDate);
  } catch {
    return false; // an unreadable birth date is no birthday, not a failed event
  }
  const today = parts.jalali;
  // Born on Esfand 30: celebrated on Esfand 29 in years without an Esfand 30.
  const day = birth.jm === 12 && birth.jd === 30 && jalaliMonthLength(today.jy, 12) < 30 ? 29 : birth.jd;
  return today.jm === birth.jm && today.jd === day;
}

function buildVariables(event: EarningEvent, member: MemberContext, parts: ZonedParts): CelVariables {
  const counters: Record<string, bigint> = {};
  for (const [k, v] of Object.entries(member.counters)) counters[k] = toCelInt(v);
  const days = Math.floor((event.occurredAt.getTime() - member.joinedAt.getTime()) / 86_400_000);
  return {
    event: new CelEvent(
      event.type,
      BigInt(event.amountRials),
      toCelValue(event.attributes) as Record<string, unknown>,
      (event.items ?? []).map((i) => new CelItem(i.sku, i.category, toCelInt(i.quantity), BigInt(i.amountRials))),
      event.channel ?? '',
      event.store ?? '',
    ),
    member: new CelMember(
      member.id,
      member.tier ?? '',
      member.groups,
      member.city ?? '',
      counters,
      member.tierMultiplier,
      BigInt(days),
    ),
    context: new CelContext(
      BigInt(parts.jalali.jy),
      BigInt(parts.jalali.jm),
      BigInt(parts.jalali.jd),
      BigInt(parts.weekday),
      BigInt(parts.hour),
      BigInt(parts.minute),
      parts.isoDate,
      member.birthDate !== undefined && isBirthdayOn(member.birthDate, parts),
    ),
  };
}

function audienceMiss(rule: CompiledRule, event: EarningEvent, member: MemberContext): string | null {
  const a = rule.audience;
  if (a.tiers && (member.tier === null || !a.tiers.has(member.tier))) return `tier ${member.tier ?? '(none)'} not in audience`;
  if (a.groups && !member.groups.some((g) => a.groups!.has(g))) return 'member is in none of the groups';
  if (a.stores && (event.store === undefined || !a.stores.has(event.store))) return `store ${event.store ?? '(none)'} not in audience`;
  if (a.channels && (event.channel === undefined || !a.channels.has(event.channel))) return `channel ${event.channel ?? '(none)'} not in audience`;
  return null;
}

/** False when a guard proves the condition false (see Guard in cel.ts); true = run the condition. */
function guardsPass(guards: readonly Guard[], event: EarningEvent, member: MemberContext, zoned: () => ZonedParts): boolean {
  for (let i = 0; i < guards.length; i++) {
    const g = guards[i]!;
    switch (g.kind) {
      case 'event': {
        const v = g.field === 'type' ? event.type : g.field === 'store' ? (event.store ?? '') : (event.channel ?? '');
        if (v !== g.value) return false;
        break;
      }
      case 'member': {
        const v = g.field === 'tier' ? (member.tier ?? '') : g.field === 'city' ? (member.city ?? '') : member.id;
        if (v !== g.value) return false;
        break;
      }
      case 'group':
        if (!member.groups.includes(g.value)) return false;
        break;
      case 'category': {
        const items = event.items;
        if (!items || !items.some((it) => it.category === g.value)) return false;
        break;
      }
      case 'context': {
        const p = zoned();
        const v = g.field === 'year' ? p.jalali.jy : g.field === 'month' ? p.jalali.jm : g.field === 'day' ? p.jalali.jd : g.field === 'weekday' ? p.weekday : g.field === 'hour' ? p.hour : p.minute;
        if (v !== g.value) return false;
        break;
      }
      case 'amount': {
        const a = event.amountRials;
        const ok = g.op === '==' ? a === g.value : g.op === '!=' ? a !== g.value : g.op === '<' ? a < g.value : g.op === '<=' ? a <= g.value : g.op === '>' ? a > g.value : a >= g.value;
        if (!ok) return false;
        break;
      }
    }
  }
  return true;
}

type LimitOutcome =
  | { granted: number; capped: boolean }
  | { blocked: 'limit_reached' | 'budget_exhausted'; detail: string };

/**
 * Evaluates one event against a club's rules. Never throws for a rule's data: a failing
 * expression is traced as `expression_error` and the other rules still run.
 */
export function evaluate(input: EvaluationInput): Evaluation {
  const { event, member, club, usage } = input;
  if (!Number.isSafeInteger(event.amountRials) || event.amountRials < 0) {
    throw new RangeError(`amountRials must be a non-negative integer, got ${event.amountRials}`);
  }
  const at = event.occurredAt.getTime();

  // Built on first use: many events are settled by trigger, window or audience alone.
  let parts: ZonedParts | undefined = input.parts;
  const zoned = (): ZonedParts => (parts ??= zonedParts(event.occurredAt, club.timeZone));
  let variables: CelVariables | undefined;
  const vars = (): CelVariables => (variables ??= buildVariables(event, member, zoned()));

  let weekKey: string | undefined;
  const keyOf = (period: Period): string => {
    if (period === 'lifetime') return 'lifetime';
    if (period === 'week') return (weekKey ??= periodKey(event.occurredAt, 'week', club.timeZone));
    return periodKeyFromParts(zoned(), period);
  };

  const applyLimits = (rule: CompiledRule, wanted: number): LimitOutcome => {
    let granted = wanted;
    for (const limit of rule.limits.perMember ?? []) {
      const used = usage(rule.id, keyOf(limit.period));
      if (limit.maxTimes !== undefined && used.times >= limit.maxTimes) {
        return { blocked: 'limit_reached', detail: `${limit.period}: ${limit.maxTimes} times` };
      }
      if (limit.maxPoints !== undefined) {
        const left = Math.max(0, limit.maxPoints - used.points);
        if (left === 0) return { blocked: 'limit_reached', detail: `${limit.period}: ${limit.maxPoints} points` };
        granted = Math.min(granted, left);
      }
    }
    if (rule.limits.budgetPoints !== undefined) {
      const left = Math.max(0, rule.limits.budgetPoints - usage(rule.id, 'budget').points);
      if (left === 0) return { blocked: 'budget_exhausted', detail: `budget ${rule.limits.budgetPoints}` };
      granted = Math.min(granted, left);
    }
    return { granted, capped: granted < wanted };
  };

  const states: RuleState[] = [];
  let stoppedBy: string | null = null;

  // Pass 1: every rule on its own.
  let s: RuleState;
  const skip = (reason: TraceReason, detail?: string): void => {
    s.reason = reason;
    if (detail !== undefined) s.detail = detail;
  };
  const compact = input.compact === true;
  for (const rule of byPriority(input.rules)) {
    if (compact && stoppedBy === null) {
      // The same checks as below, without a state for rules they settle.
      if (rule.trigger !== event.type) continue;
      if (rule.fromMs !== null && at < rule.fromMs) continue;
      if (rule.toMs !== null && at >= rule.toMs) continue;
      if (rule.audience.tiers || rule.audience.groups || rule.audience.stores || rule.audience.channels) {
        if (audienceMiss(rule, event, member) !== null) continue;
      }
      if (rule.limits.minAmountRials !== undefined && event.amountRials < rule.limits.minAmountRials) continue;
      if (rule.condition && rule.condition.guards.length > 0 && !guardsPass(rule.condition.guards, event, member, zoned)) continue;
    }
    s = { rule, reason: 'fired', lines: [] };
    states.push(s);

    if (stoppedBy !== null) { skip('stopped_by_higher_priority', `stopped by ${stoppedBy}`); continue; }
    if (rule.trigger !== event.type) { skip('trigger_mismatch'); continue; }
    if (rule.fromMs !== null && at < rule.fromMs) { skip('outside_window', 'not started'); continue; }
    if (rule.toMs !== null && at >= rule.toMs) { skip('outside_window', 'ended'); continue; }
    const miss = audienceMiss(rule, event, member);
    if (miss !== null) { skip('audience', miss); continue; }
    const min = rule.limits.minAmountRials;
    if (min !== undefined && event.amountRials < min) { skip('below_minimum', `${event.amountRials} < ${min}`); continue; }

    if (rule.condition) {
      if (rule.condition.guards.length > 0 && !guardsPass(rule.condition.guards, event, member, zoned)) { skip('condition_false'); continue; }
      const r = runExpression(rule.condition, vars());
      if (!r.ok) { skip('expression_error', `condition: ${r.detail}`); continue; }
      if (r.value !== true) {
        if (typeof r.value === 'boolean') {
          if (compact) states.pop();
          else skip('condition_false');
        } else skip('expression_error', 'condition: did not produce a bool');
        continue;
      }
    }

    if (rule.multiplyFactor !== null) {
      // Can it give anything at all? The bonus itself waits for pass 2.
      const probe = applyLimits(rule, Number.MAX_SAFE_INTEGER);
      if ('blocked' in probe) { skip(probe.blocked, probe.detail); continue; }
      s.reason = 'pending';
    } else {
      const totals = new Map<string, number>();
      let error: string | null = null;
      for (const award of rule.awards) {
        const r = runExpression(award.amount, vars());
        const points = r.ok ? toPoints(r.value, award.rounding) : r.detail;
        if (typeof points === 'string') { error = `${award.field}: ${points}`; break; }
        const sum = (totals.get(award.unit) ?? 0) + points;
        if (!Number.isSafeInteger(sum)) { error = `${award.field}: amount is too large`; break; }
        totals.set(award.unit, sum);
      }
      if (error !== null) { skip('expression_error', error); continue; }
      const points = totals.get('points');
      if (points !== undefined) totals.set('points', floorMul(points, member.tierMultiplier));
      let any = false;
      for (const p of totals.values()) if (p !== 0) any = true;
      if (!any) { skip('zero_amount'); continue; }

      const outcome = applyLimits(rule, totals.get(rule.cappedUnit) ?? 0);
      if ('blocked' in outcome) { skip(outcome.blocked, outcome.detail); continue; }
      if (totals.has(rule.cappedUnit)) totals.set(rule.cappedUnit, outcome.granted);
      if (outcome.capped) s.detail = 'capped';
      for (const [unit, p] of totals) if (p > 0) s.lines.push({ unit, points: p });
    }
    if (rule.stop) stoppedBy = rule.id;
  }

  // Pass 2a: an exclusive rule that fired outranks the points rules.
  const winner = states.find((s) => s.reason === 'fired' && s.rule.exclusive);
  if (winner) {
    for (const s of states) {
      if (s === winner || (s.reason !== 'fired' && s.reason !== 'pending')) continue;
      if (s.rule.exclusive || s.rule.touchesPoints) {
        s.reason = 'exclusive_rule_won';
        s.detail = `${winner.rule.id} won`;
        s.lines = [];
      }
    }
  }

  // Pass 2b: multipliers on what the other rules actually award.
  let base = 0;
  for (const s of states) {
    if (s.reason !== 'fired') continue;
    for (const line of s.lines) if (line.unit === 'points') base += line.points;
  }
  for (const s of states) {
    if (s.reason !== 'pending') continue;
    const bonus = floorMul(base, s.rule.multiplyFactor ?? 1) - base;
    if (bonus <= 0) {
      s.reason = 'zero_amount';
      if (base === 0) s.detail = 'nothing to multiply';
      continue;
    }
    const outcome = applyLimits(s.rule, bonus);
    if ('blocked' in outcome) {
      s.reason = outcome.blocked;
      s.detail = outcome.detail;
      continue;
    }
    s.reason = 'fired';
    if (outcome.capped) s.detail = 'capped';
    s.lines = [{ unit: 'points', points: outcome.granted }];
  }

  const awards: Award[] = [];
  const trace: TraceLine[] = [];
  for (const s of states) {
    const { id: ruleId, version: ruleVersion } = s.rule;
    const reason = s.reason === 'pending' ? 'zero_amount' : s.reason;
    const line: TraceLine = { ruleId, ruleVersion, fired: reason === 'fired', reason };
    if (s.detail !== undefined) line.detail = s.detail;
    trace.push(line);
    if (reason === 'fired') for (const l of s.lines) awards.push({ ruleId, ruleVersion, unit: l.unit, points: l.points });
  }
  return { awards, trace };
}
