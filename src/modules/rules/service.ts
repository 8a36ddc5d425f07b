/**
 * Rules use cases: the event-type registry, rule CRUD with immutable versions, the
 * in-memory catalogue per club, and the earn function that replaces the base rate.
 *
 * The earn path (`earn`, an EarnFn) runs in the events module's transaction, set-based per
 * batch: one catalogue-version read (a primary key), member facts, counters, the tier
 * measure (only with a tier programme), the usage rows of limited rules (read and locked in
 * one statement), then the pure evaluation per event, then one write each for usage and
 * activity. Tier upgrades and referral qualification are applied in the same transaction.
 */
import type { Db, Executor, Tx } from '../../platform/db.js';
import { inTx } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import { parseDateInput, periodKey, zonedDateStart, zonedParts } from '../../platform/jalali.js';
import { fail, ok, type Result } from '../../platform/result.js';
import type { ResultCode } from '../../platform/result-codes.js';
import { basePoints, type Club } from '../clubs/index.js';
import type { Award as LedgerAward, EarnFn, EarnInput, EventInput } from '../events/index.js';
import type { Unit } from '../ledger/index.js';
import { fingerprintOf, type Candidate, type ReferralService, type ReferralSettings } from '../referrals/index.js';
import { codeAt, multiplierOf, qualifiedRank, rankOf, windowStart, type TierChange, type TierProgram, type TierService } from '../tiers/index.js';
import {
  compileRule,
  CompiledRuleCache,
  EarningEventSchema,
  evaluate,
  MemberContextSchema,
  periodKeyFromParts,
  type CompiledRule,
  type CompileResult,
  type EarningEvent,
  type Evaluation,
  type MemberContext,
  type Period,
  type Usage,
} from './domain.js';
import {
  BASE_RATE_TAG,
  compileAttributeSchema,
  EventTypeInputSchema,
  isBuiltInEventType,
  BUILT_IN_EVENT_TYPES,
  RuleInputSchema,
  ruleVersionTag,
  toDefinition,
  windowForDisplay,
  type AttributeValidator,
  type RuleInput,
} from './input.js';
import { eventsPage, memberFacts, storedEvent, type MemberFacts, type StoredEvent } from './reads.js';
import {
  activitySums,
  addUsage,
  addVersion,
  archiveEventType,
  bumpCatalog,
  catalogVersion,
  findRule,
  insertRule,
  listEventTypes,
  listRules,
  lockUsage,
  readCounters,
  COUNTERS_FACT,
  CATALOG_FACT,
  readUsage,
  ruleVersions,
  setRuleStatus,
  upsertEventType,
  usageKey,
  writeActivity,
  activityWrites,
  type CounterDelta,
  type DayDelta,
  type EventTypeRow,
  type RuleRow,
  type RuleStatus,
  type UsageKey,
} from './store.js';

export interface By {
  actor: string;
  requestId?: string;
}

/** Everything the earn path needs about a club, rebuilt only when rule_sets.version moves. */
interface Catalog {
  version: number;
  rules: CompiledRule[];
  byTrigger: Map<string, CompiledRule[]>;
  /** Rules with per-member limits or a budget, by trigger: their usage rows are locked. */
  limitedByTrigger: Map<string, CompiledRule[]>;
  hasPurchaseRule: boolean;
  eventTypes: Map<string, { version: number; active: boolean; validate: AttributeValidator | null }>;
  tiers: TierProgram | null;
  referral: ReferralSettings | null;
}

export interface RuleView {
  id: string;
  version: number;
  status: RuleStatus;
  definition: Record<string, unknown>;
  /** The window as the operator typed it: Jalali dates in the club zone, end inclusive. */
  windowJalali?: { from?: string; to?: string };
  createdAt: string;
  updatedAt: string;
  versions?: { version: number; createdBy: string | null; createdAt: string }[];
}

export interface EventValidation {
  code: 'unknown_event_type' | 'event_attributes_invalid';
  detail: string;
}

export interface SimulateInput {
  event: Record<string, unknown> | { eventId: string };
  member?: { id: string } | Record<string, unknown>;
  drafts?: RuleInput[];
  live?: boolean;
}

export interface BacktestReport {
  club: string;
  from: string;
  to: string;
  events: number;
  eventsAwarded: number;
  points: number;
  byUnit: Record<string, number>;
  membersTouched: number;
  costRials: number;
  pointValueRials: number;
  baseline?: { points: number; costRials: number };
  ms: number;
}

const EMPTY_USAGE: Usage = { points: 0, times: 0 };
/** Trace reasons that no amount of usage can change: such a rule needs no usage row. */
const SETTLED_WITHOUT_USAGE = new Set(['trigger_mismatch', 'outside_window', 'audience', 'below_minimum', 'condition_false', 'expression_error', 'zero_amount']);

/** A counters object as JSON gives it (bigint values may arrive as numbers or strings). */
const numbers = (o: Record<string, unknown>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const k in o) out[k] = Number(o[k]);
  return out;
};

export class RulesService {
  private readonly compiled = new CompiledRuleCache();
  private readonly schemas = new Map<string, AttributeValidator | null>();
  private readonly catalogs = new Map<string, Catalog>();
  /** The catalogue already checked in this transaction (validate, then earn, share one read). */
  private readonly perTx = new WeakMap<object, Catalog>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly tiers: TierService,
    private readonly referrals: ReferralService,
  ) {}

  // ───────────────────────────── catalogue

  /** Bumps the club's catalogue version in the caller's transaction (tiers, referrals call it). */
  readonly bumpCatalog = (tx: Tx, clubId: string): Promise<void> => bumpCatalog(tx, clubId);

  /**
   * The club's catalogue, rebuilt when its version moved. `known`: the version as the
   * caller read it in this transaction (the member look-up's CATALOG_FACT), saving the read.
   */
  private async catalog(ex: Executor, clubId: string, known?: number): Promise<Catalog> {
    const memo = this.perTx.get(ex);
    if (memo) return memo;
    const version = known ?? (await catalogVersion(ex, clubId));
    let cat = this.catalogs.get(clubId);
    if (!cat || cat.version !== version) {
      cat = await this.loadCatalog(ex, clubId, version);
      this.catalogs.set(clubId, cat);
    }
    if (ex !== this.db) this.perTx.set(ex, cat);
    return cat;
  }

  private async loadCatalog(ex: Executor, clubId: string, version: number): Promise<Catalog> {
    const rows = version === 0 ? [] : await listRules(ex, clubId, ['active']);
    const rules: CompiledRule[] = [];
    for (const r of rows) {
      const c = this.compiled.compile(r.definition as never, { id: r.id, version: r.version });
      if (c.ok) rules.push(c.rule); // saved rules compiled at save time; a failure here is a bug, skipped
    }
    // The engine's own order (priority desc, id, version): evaluate() then skips its sort.
    rules.sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : a.version - b.version));
    const byTrigger = new Map<string, CompiledRule[]>();
    const limitedByTrigger = new Map<string, CompiledRule[]>();
    for (const r of rules) {
      byTrigger.set(r.trigger, [...(byTrigger.get(r.trigger) ?? []), r]);
      if ((r.limits.perMember?.length ?? 0) > 0 || r.limits.budgetPoints !== undefined) limitedByTrigger.set(r.trigger, [...(limitedByTrigger.get(r.trigger) ?? []), r]);
    }
    const eventTypes = new Map<string, Catalog['eventTypes'] extends Map<string, infer V> ? V : never>();
    for (const t of version === 0 ? [] : await listEventTypes(ex, clubId)) {
      eventTypes.set(t.name, { version: t.version, active: t.status === 'active', validate: t.schema ? this.validatorFor(clubId, t) : null });
    }
    return {
      version,
      rules,
      byTrigger,
      limitedByTrigger,
      hasPurchaseRule: byTrigger.has('purchase'),
      eventTypes,
      tiers: version === 0 ? null : await this.tiers.loadProgram(ex, clubId),
      referral: version === 0 ? null : await this.referrals.loadSettings(ex, clubId),
    };
  }

  /** One compiled validator per event type version. */
  private validatorFor(clubId: string, t: EventTypeRow): AttributeValidator | null {
    const key = `${clubId}\u0000${t.name}\u0000${t.version}`;
    if (!this.schemas.has(key)) {
      const c = t.schema ? compileAttributeSchema(t.schema) : null;
      // A stored schema that no longer compiles (e.g. saved before the regex guard) fails its
      // events closed, naming why, rather than letting them through unvalidated.
      this.schemas.set(key, !c ? null : c.ok ? c.validate : () => ({ field: 'attributes', message: `the event type's schema is refused (${c.detail}); fix the type first` }));
      if (this.schemas.size > 10_000) this.schemas.delete(this.schemas.keys().next().value!);
    }
    return this.schemas.get(key) ?? null;
  }

  // ───────────────────────────── event types

  async eventTypes(clubId: string): Promise<{ builtIn: string[]; custom: EventTypeRow[] }> {
    return { builtIn: [...BUILT_IN_EVENT_TYPES], custom: await listEventTypes(this.db, clubId) };
  }

  async putEventType(clubId: string, name: string, input: unknown, by: By, mode: 'create' | 'update'): Promise<Result<EventTypeRow>> {
    const p = EventTypeInputSchema.safeParse(input);
    if (!p.success) return fail('validation_failed', p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    if (p.data.schema) {
      const c = compileAttributeSchema(p.data.schema);
      if (!c.ok) return fail('invalid_event_schema', c.detail, { field: 'schema' });
    }
    if (mode === 'create' && isBuiltInEventType(name)) return fail('conflict', `"${name}" is a built-in event type`);
    return inTx(this.db, async (tx) => {
      const exists = (await listEventTypes(tx, clubId)).some((t) => t.name === name);
      if (mode === 'create' && exists) return fail('conflict', `event type "${name}" exists; PUT /api/v1/event-types/${name} changes it`);
      if (mode === 'update' && !exists) return fail('not_found', 'no such custom event type in your club');
      const row = await upsertEventType(tx, clubId, name, { description: p.data.description ?? null, schema: p.data.schema ?? null });
      await bumpCatalog(tx, clubId);
      await audit(tx, { clubId, actor: by.actor, action: 'event_type.saved', target: name, after: row, requestId: by.requestId });
      return ok(row);
    });
  }

  async archiveEventType(clubId: string, name: string, by: By): Promise<Result<EventTypeRow>> {
    return inTx(this.db, async (tx) => {
      const row = await archiveEventType(tx, clubId, name);
      if (!row) return fail('not_found', 'no such custom event type in your club');
      await bumpCatalog(tx, clubId);
      await audit(tx, { clubId, actor: by.actor, action: 'event_type.archived', target: name, requestId: by.requestId });
      return ok(row);
    });
  }

  /**
   * The events module's validate hook: an event of an unknown type, or whose attributes
   * break its type's JSON schema, fails with 422 before anything is written.
   */
  readonly validateEvents = async (tx: Tx, club: Club, inputs: EventInput[], members?: (MemberFacts | null)[]): Promise<(EventValidation | null)[]> => {
    const cat = await this.catalog(tx, club.id, knownVersion(members ?? []));
    return inputs.map((e) => {
      const t = cat.eventTypes.get(e.type);
      if (!t || !t.active) {
        if (isBuiltInEventType(e.type)) return null;
        return { code: 'unknown_event_type', detail: t ? `event type "${e.type}" is archived` : `unknown event type "${e.type}": declare it first (POST /api/v1/event-types)` };
      }
      if (!t.validate) return null;
      const problem = t.validate(e.attributes ?? {});
      return problem ? { code: 'event_attributes_invalid', detail: `${problem.field}: ${problem.message}` } : null;
    });
  };

  private async triggerExists(ex: Executor, clubId: string, trigger: string): Promise<boolean> {
    if (isBuiltInEventType(trigger)) return true;
    const cat = await this.catalog(ex, clubId);
    return cat.eventTypes.get(trigger)?.active === true;
  }

  // ───────────────────────────── rules CRUD

  /** Validates and compiles an API rule: the definition to store, or the problem. */
  private prepare(club: Club, input: unknown, ref: { id: string; version: number }, prefix = ''): Result<{ definition: Record<string, unknown>; compiled: CompiledRule }> {
    const p = RuleInputSchema.safeParse(input);
    if (!p.success) {
      const errors = p.error.issues.map((i) => ({ path: `${prefix}${i.path.join('.')}`, message: i.message }));
      return fail('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
    }
    const d = toDefinition(p.data, club.timeZone);
    if (!d.ok) return fail(d.code === 'invalid_date' ? 'invalid_date' : 'validation_failed', d.detail, { field: `${prefix}${d.field ?? ''}` });
    // Version 0 is a draft (simulate, backtest): never cached, its id is reused.
    const c: CompileResult = ref.version === 0 ? compileRule(d.definition, ref) : this.compiled.compile(d.definition, ref);
    if (!c.ok) {
      const code: ResultCode = c.code === 'invalid_definition' ? 'invalid_rule' : c.code;
      return fail(code, c.detail, { field: `${prefix}${c.field ?? ''}`, ...(c.position !== undefined ? { position: c.position } : {}) });
    }
    return ok({ definition: c.rule.definition as unknown as Record<string, unknown>, compiled: c.rule });
  }

  private view(club: Club, r: RuleRow): RuleView {
    const w = windowForDisplay(r.definition as never, club.timeZone);
    return { id: r.id, version: r.version, status: r.status, definition: r.definition, ...(w ? { windowJalali: w } : {}), createdAt: r.createdAt, updatedAt: r.updatedAt };
  }

  async create(club: Club, input: unknown, by: By, status: 'active' | 'paused' = 'active'): Promise<Result<RuleView>> {
    const id = newId('rul');
    const prepared = this.prepare(club, input, { id, version: 1 });
    if (!prepared.ok) return prepared;
    return inTx(this.db, async (tx) => {
      if (!(await this.triggerExists(tx, club.id, prepared.value.compiled.trigger))) return fail('unknown_event_type', `unknown event type "${prepared.value.compiled.trigger}"`, { field: 'trigger' });
      await insertRule(tx, club.id, id, status, prepared.value.definition, by.actor);
      await bumpCatalog(tx, club.id);
      const row = (await findRule(tx, club.id, id))!;
      await audit(tx, { clubId: club.id, actor: by.actor, action: 'rule.created', target: id, after: row, requestId: by.requestId });
      return ok(this.view(club, row));
    });
  }

  /** An edit never changes a version: it adds the next one, which the next event uses. */
  async update(club: Club, id: string, input: unknown, by: By): Promise<Result<RuleView>> {
    return inTx(this.db, async (tx) => {
      const current = await findRule(tx, club.id, id, true);
      if (!current) return fail('rule_not_found');
      if (current.status === 'archived') return fail('rule_archived', 'an archived rule cannot change; create a new one');
      const version = current.version + 1;
      const prepared = this.prepare(club, input, { id, version });
      if (!prepared.ok) return prepared;
      if (!(await this.triggerExists(tx, club.id, prepared.value.compiled.trigger))) return fail('unknown_event_type', `unknown event type "${prepared.value.compiled.trigger}"`, { field: 'trigger' });
      await addVersion(tx, club.id, id, version, prepared.value.definition, by.actor);
      await bumpCatalog(tx, club.id);
      const row = (await findRule(tx, club.id, id))!;
      await audit(tx, { clubId: club.id, actor: by.actor, action: 'rule.versioned', target: id, before: current, after: row, requestId: by.requestId });
      return ok(this.view(club, row));
    });
  }

  async setStatus(club: Club, id: string, status: RuleStatus, by: By): Promise<Result<RuleView>> {
    return inTx(this.db, async (tx) => {
      const current = await findRule(tx, club.id, id, true);
      if (!current) return fail('rule_not_found');
      if (current.status === 'archived' && status !== 'archived') return fail('rule_archived', 'an archived rule stays archived');
      if (current.status !== status) {
        await setRuleStatus(tx, club.id, id, status);
        await bumpCatalog(tx, club.id);
        await audit(tx, { clubId: club.id, actor: by.actor, action: `rule.${status === 'active' ? 'resumed' : status}`, target: id, before: { status: current.status }, after: { status }, requestId: by.requestId });
      }
      return ok(this.view(club, (await findRule(tx, club.id, id))!));
    });
  }

  async get(club: Club, id: string): Promise<Result<RuleView>> {
    const r = await findRule(this.db, club.id, id);
    if (!r) return fail('rule_not_found');
    const versions = (await ruleVersions(this.db, club.id, id)).map(({ version, createdBy, createdAt }) => ({ version, createdBy, createdAt }));
    return ok({ ...this.view(club, r), versions });
  }

  async version(club: Club, id: string, version: number): Promise<Result<{ id: string; version: number; definition: Record<string, unknown>; createdAt: string }>> {
    const v = (await ruleVersions(this.db, club.id, id)).find((x) => x.version === version);
    return v ? ok({ id, version, definition: v.definition, createdAt: v.createdAt }) : fail('rule_not_found');
  }

  async list(club: Club, statuses: RuleStatus[] = ['active', 'paused']): Promise<RuleView[]> {
    return (await listRules(this.db, club.id, statuses)).map((r) => this.view(club, r));
  }

  // ───────────────────────────── the earn path

  readonly earn: EarnFn = async (tx, inputs, later) => {
    if (inputs.length === 0) return [];
    const club = inputs[0]!.club;
    const tz = club.timeZone;
    const cat = await this.catalog(tx, club.id, knownVersion(inputs.map((i) => i.member ?? null)));
    const ids = [...new Set(inputs.map((i) => i.memberId))];
    // The events module hands over the members it resolved; read only those it did not.
    const given = new Map<string, MemberFacts>();
    for (const i of inputs) if (i.member) given.set(i.memberId, i.member);
    const missing = ids.filter((id) => !given.has(id));
    // Counters usually come with the member (the member look-up carries them: app.ts adds
    // that fact); read only those of members that came without.
    const counters = new Map<string, Record<string, number>>();
    for (const [id, f] of given) {
      const c = f.extra?.[COUNTERS_FACT];
      if (c && typeof c === 'object') counters.set(id, numbers(c as Record<string, unknown>));
    }
    const unread = ids.filter((id) => !counters.has(id));
    const [read, rest] = await Promise.all([
      missing.length ? memberFacts(tx, club.id, missing) : Promise.resolve(new Map<string, MemberFacts>()),
      unread.length ? readCounters(tx, club.id, unread) : Promise.resolve(new Map<string, Record<string, number>>()),
    ]);
    for (const [id, c] of rest) counters.set(id, c);
    const facts = missing.length ? new Map([...given, ...read]) : given;

    // Zoned parts once per event: every period key and the day bucket are read off them.
    const parts = inputs.map((i) => zonedParts(i.event.occurredAt, tz));
    const keyOf = (k: number, p: Period): string =>
      p === 'lifetime' ? 'lifetime' : p === 'week' ? periodKey(inputs[k]!.event.occurredAt, 'week', tz) : periodKeyFromParts(parts[k]!, p);

    // Tier measure before the batch, over the window ending on the batch's last day.
    const program = cat.tiers;
    let today = '';
    let windowFrom = '';
    const measures = new Map<string, number>();
    if (program) {
      today = parts.reduce((a, p) => (p.isoDate > a ? p.isoDate : a), '0000-00-00');
      windowFrom = windowStart(program.window, today);
      const sums = await activitySums(tx, club.id, ids, windowFrom, today);
      for (const id of ids) {
        const s = sums.get(id) ?? { points: 0, rials: 0 };
        measures.set(id, program.measure === 'points' ? s.points : s.rials);
      }
    }

    // Usage rows of limited rules that these events may fire: locked, in one statement. A
    // probe evaluation (usage taken as zero, the most permissive case) tells which limited
    // rules pass their trigger, window, audience, minimum and condition; only their rows are
    // locked (and created), so a club's many targeted, capped rules cost nothing on the
    // events they do not match. The probe runs the limited rules alone: a rule another
    // rule would stop or outrank still counts as live here, which only locks a row more.
    // It sees each member's counters as the batch's earlier events leave them (what the
    // real evaluation sees). What it cannot foresee — a tier upgrade earlier in the batch
    // opening a tier-only rule — the real evaluation reports as a key it was not given;
    // those rows are then locked too and the (in-memory) evaluation runs again.
    const keys: UsageKey[] = [];
    const keyIds = new Set<string>();
    const want = (key: UsageKey) => {
      const id = usageKey(key.ruleId, key.memberId, key.periodKey);
      if (keyIds.has(id)) return;
      keyIds.add(id);
      keys.push(key);
    };
    if (cat.limitedByTrigger.size > 0) {
      const running = new Map<string, Record<string, number>>();
      inputs.forEach((input, k) => {
        const f = facts.get(input.memberId);
        if (!f) return;
        const e = input.event;
        const before = running.get(f.id) ?? counters.get(f.id) ?? {};
        const limited = cat.limitedByTrigger.get(e.type);
        if (limited) {
          const probe = evaluate({ rules: limited, event: toEarningEvent(e), member: contextOf(f, program, before), club: { timeZone: tz }, usage: () => EMPTY_USAGE, parts: parts[k], compact: true });
          const byId = rulesById(limited);
          for (const t of probe.trace) {
            if (SETTLED_WITHOUT_USAGE.has(t.reason)) continue;
            const rule = byId.get(t.ruleId)!;
            for (const l of rule.limits.perMember ?? []) want({ ruleId: rule.id, memberId: input.memberId, periodKey: keyOf(k, l.period) });
            if (rule.limits.budgetPoints !== undefined) want({ ruleId: rule.id, memberId: '', periodKey: 'budget' });
          }
        }
        // As the evaluation's bump() below: a zero amount leaves the counter unset.
        const next = { ...before, [e.type]: (before[e.type] ?? 0) + 1 };
        if (e.amountRials) next[`${e.type}_rials`] = (before[`${e.type}_rials`] ?? 0) + e.amountRials;
        running.set(f.id, next);
      });
    }
    const locked = keys.length ? await lockUsage(tx, club.id, keys) : new Map<string, Usage>();

    // The evaluation proper: in memory, restartable (see above).
    const pass = () => {
      const usage = new Map(locked);
      const missed: UsageKey[] = [];
      const usageDeltas = new Map<string, UsageKey & Usage>();
      const tierNow = new Map<string, string | null>();
      const tierChanges = new Map<string, TierChange>();
      const counterDeltas = new Map<string, CounterDelta>();
      const dayDeltas = new Map<string, DayDelta>();
      const devices: { memberId: string; fingerprint: string }[] = [];
      const candidates: Candidate[] = [];
      const results: LedgerAward[][] = [];
      const runCounters = new Map<string, Record<string, number>>();
      const measuresNow = new Map(measures);

      for (const [k, input] of inputs.entries()) {
        const f = facts.get(input.memberId);
        const e = input.event;
        if (!f) {
          results.push([]);
          continue;
        }
        const tier = tierNow.has(f.id) ? tierNow.get(f.id)! : f.tier;
        let memberCounters = runCounters.get(f.id);
        if (!memberCounters) {
          memberCounters = { ...(counters.get(f.id) ?? {}) };
          runCounters.set(f.id, memberCounters);
        }
        const awards: LedgerAward[] = [];
        const rules = cat.byTrigger.get(e.type);
        if (e.type === 'purchase' && !cat.hasPurchaseRule) {
          const points = Math.floor(basePoints(e.amountRials ?? 0, club.earnRate) * multiplierOf(program, tier));
          if (points > 0) awards.push({ unit: 'points', points, ruleVersion: BASE_RATE_TAG, memo: 'base rate' });
        } else if (rules) {
          const member: MemberContext = {
            id: f.id, tier, tierMultiplier: multiplierOf(program, tier), groups: f.groups, joinedAt: f.joinedAt, counters: memberCounters,
            ...(f.city ? { city: f.city } : {}), ...(f.birthDate ? { birthDate: f.birthDate } : {}),
          };
          const ev = evaluate({
            rules, event: toEarningEvent(e), member, club: { timeZone: tz }, parts: parts[k], compact: true,
            usage: (ruleId, key) => {
              const memberId = key === 'budget' ? '' : f.id;
              const id = usageKey(ruleId, memberId, key);
              if (!keyIds.has(id)) {
                keyIds.add(id);
                missed.push({ ruleId, memberId, periodKey: key });
              }
              return usage.get(id) ?? EMPTY_USAGE;
            },
          });
          if (ev.awards.length) {
            const byId = rulesById(rules);
            for (const a of ev.awards) awards.push({ unit: a.unit as Unit, points: a.points, ruleVersion: ruleVersionTag(a.ruleId, a.ruleVersion), memo: byId.get(a.ruleId)!.definition.name.fa });
          }
          this.countUsage(ev, rules, f.id, (p) => keyOf(k, p), usage, usageDeltas);
        }
        results.push(awards);

        // Counters (what the next event of this member sees) and the day bucket.
        const bump = (name: string, value: number) => {
          if (value === 0) return;
          memberCounters[name] = (memberCounters[name] ?? 0) + value;
          const key = `${f.id}\u0000${name}`;
          const d = counterDeltas.get(key) ?? { memberId: f.id, name, value: 0 };
          d.value += value;
          counterDeltas.set(key, d);
        };
        bump(e.type, 1);
        bump(`${e.type}_rials`, e.amountRials ?? 0);
        let points = 0;
        for (const a of awards) if (a.unit === 'points') points += a.points;
        const rials = e.type === 'purchase' ? (e.amountRials ?? 0) : 0;
        const day = parts[k]!.isoDate;
        const dk = `${f.id}\u0000${day}`;
        const dd = dayDeltas.get(dk) ?? { memberId: f.id, day, points: 0, rials: 0, events: 0 };
        dd.points += points;
        dd.rials += rials;
        dd.events += 1;
        dayDeltas.set(dk, dd);

        // Upgrade at once when the measure crosses the next threshold.
        if (program && day >= windowFrom && day <= today) {
          const measure = (measuresNow.get(f.id) ?? 0) + (program.measure === 'points' ? points : rials);
          measuresNow.set(f.id, measure);
          const q = qualifiedRank(program, f, measure);
          if (q > rankOf(program, tier)) {
            const to = codeAt(program, q);
            tierNow.set(f.id, to);
            const first = tierChanges.get(f.id);
            tierChanges.set(f.id, { memberId: f.id, from: first ? first.from : f.tier, to, reason: 'upgrade', measure });
          }
        }

        const fp = fingerprintOf(e.attributes);
        if (fp) devices.push({ memberId: f.id, fingerprint: fp });
        const ref = cat.referral;
        // The counter `referral` marks a referee whose referral was settled: no look-up after that.
        if (f.referredBy && ref?.enabled && e.type === ref.qualifyingEvent && (e.amountRials ?? 0) >= ref.minAmountRials && !memberCounters.referral && !candidates.some((c) => c.referee.id === f.id)) {
          candidates.push({ index: k, eventId: e.id, type: e.type, amountRials: e.amountRials ?? 0, occurredAt: e.occurredAt, referee: { id: f.id, mobile: f.mobile, nationalCodeHash: f.nationalCodeHash, referredBy: f.referredBy } });
        }
      }
      return { missed, usageDeltas, tierChanges, counterDeltas, dayDeltas, devices, candidates, results };
    };
    let run = pass();
    for (let again = 0; run.missed.length > 0; again++) {
      if (again >= 10) throw new Error('rules earn: usage keys kept changing between passes');
      for (const [k, u] of await lockUsage(tx, club.id, run.missed)) locked.set(k, u);
      run = pass();
    }
    const { usageDeltas, tierChanges, counterDeltas, dayDeltas, devices, candidates, results } = run;
    if (devices.length) await this.referrals.recordDevices(tx, club.id, devices);
    if (candidates.length && cat.referral) {
      const referrers = await memberFacts(tx, club.id, [...new Set(candidates.map((c) => c.referee.referredBy))]);
      const settled = await this.referrals.qualify(tx, club, cat.referral, candidates, referrers);
      for (const [index, points] of settled) {
        if (points > 0) results[index]!.push({ unit: 'points', points, ruleVersion: 'referral', memo: 'referral welcome' });
        const memberId = inputs[index]!.memberId;
        counterDeltas.set(`${memberId}\u0000referral`, { memberId, name: 'referral', value: 1 });
      }
    }
    await addUsage(tx, club.id, [...usageDeltas.values()]);
    if (later) later(...activityWrites(club.id, [...counterDeltas.values()], [...dayDeltas.values()]));
    else await writeActivity(tx, club.id, [...counterDeltas.values()], [...dayDeltas.values()]);
    if (tierChanges.size) await this.tiers.applyChanges(tx, club.id, [...tierChanges.values()].filter((c) => c.from !== c.to));
    return results;
  };

  /** What fired rules with limits used: per member period and budget, in memory and as deltas. */
  private countUsage(ev: Evaluation, rules: CompiledRule[], memberId: string, keyOf: (p: Period) => string, usage: Map<string, Usage>, deltas: Map<string, UsageKey & Usage>) {
    for (const t of ev.trace) {
      if (!t.fired) continue;
      const rule = rulesById(rules).get(t.ruleId)!;
      const limits = rule.limits;
      if (!limits.perMember?.length && limits.budgetPoints === undefined) continue;
      const points = ev.awards.filter((a) => a.ruleId === rule.id && a.unit === rule.cappedUnit).reduce((s, a) => s + a.points, 0);
      const add = (m: string, key: string) => {
        const k = usageKey(rule.id, m, key);
        const u = usage.get(k) ?? { points: 0, times: 0 };
        usage.set(k, { points: u.points + points, times: u.times + 1 });
        const d = deltas.get(k) ?? { ruleId: rule.id, memberId: m, periodKey: key, points: 0, times: 0 };
        d.points += points;
        d.times += 1;
        deltas.set(k, d);
      };
      for (const key of new Set((limits.perMember ?? []).map((l) => keyOf(l.period)))) add(memberId, key);
      if (limits.budgetPoints !== undefined) add('', 'budget');
    }
  }

  // ───────────────────────────── simulation and backtest

  /** One event — stored or made up — against live and draft rules. Writes nothing. */
  async simulate(club: Club, input: SimulateInput): Promise<Result<{ event: EarningEvent; member: MemberContext; awards: (Evaluation['awards'][number] & { draft: boolean; ruleVersionTag: string })[]; trace: (Evaluation['trace'][number] & { draft: boolean })[]; totals: Record<string, number>; baseRate: number | null }>> {
    const drafts: CompiledRule[] = [];
    for (const [i, d] of (input.drafts ?? []).entries()) {
      const p = this.prepare(club, d, { id: `draft_${i + 1}`, version: 0 }, `drafts[${i}].`);
      if (!p.ok) return p;
      drafts.push(p.value.compiled);
    }
    let event: EarningEvent;
    let memberId: string | null = null;
    if ('eventId' in input.event && typeof input.event.eventId === 'string' && Object.keys(input.event).length === 1) {
      const stored = await storedEvent(this.db, club.id, input.event.eventId);
      if (!stored) return fail('event_not_found', `no event "${input.event.eventId}" in your club`);
      event = fromStored(stored);
      memberId = stored.memberId;
    } else {
      const p = EarningEventSchema.safeParse({ occurredAt: this.clock.now().toISOString(), ...input.event });
      if (!p.success) return fail('validation_failed', p.error.issues.map((i) => `event.${i.path.join('.')}: ${i.message}`).join('; '));
      event = p.data;
    }
    const cat = await this.catalog(this.db, club.id);
    if (input.member && 'id' in input.member && typeof input.member.id === 'string' && Object.keys(input.member).length === 1) memberId = input.member.id;
    let member: MemberContext;
    if (memberId) {
      const f = (await memberFacts(this.db, club.id, [memberId])).get(memberId);
      if (!f) return fail('member_not_found');
      member = { id: f.id, tier: f.tier, tierMultiplier: multiplierOf(cat.tiers, f.tier), groups: f.groups, joinedAt: f.joinedAt, counters: (await readCounters(this.db, club.id, [f.id])).get(f.id) ?? {}, ...(f.city ? { city: f.city } : {}), ...(f.birthDate ? { birthDate: f.birthDate } : {}) };
    } else {
      const p = MemberContextSchema.safeParse({ id: 'mbr_simulated', joinedAt: this.clock.now().toISOString(), ...(input.member ?? {}) });
      if (!p.success) return fail('validation_failed', p.error.issues.map((i) => `member.${i.path.join('.')}: ${i.message}`).join('; '));
      member = p.data;
      if (member.tier && member.tierMultiplier === 1) member.tierMultiplier = multiplierOf(cat.tiers, member.tier);
    }
    const rules = [...(input.live === false ? [] : cat.rules), ...drafts];
    const keys: UsageKey[] = [];
    for (const r of rules) {
      for (const l of r.limits.perMember ?? []) keys.push({ ruleId: r.id, memberId: member.id, periodKey: l.period === 'lifetime' ? 'lifetime' : periodKey(event.occurredAt, l.period, club.timeZone) });
      if (r.limits.budgetPoints !== undefined) keys.push({ ruleId: r.id, memberId: '', periodKey: 'budget' });
    }
    const usage = await readUsage(this.db, club.id, keys);
    const ev = evaluate({ rules, event, member, club: { timeZone: club.timeZone }, usage: (ruleId, key) => usage.get(usageKey(ruleId, key === 'budget' ? '' : member.id, key)) ?? EMPTY_USAGE });
    const isDraft = (id: string) => id.startsWith('draft_');
    const totals: Record<string, number> = {};
    for (const a of ev.awards) totals[a.unit] = (totals[a.unit] ?? 0) + a.points;
    let baseRate: number | null = null;
    if (event.type === 'purchase' && !rules.some((r) => r.trigger === 'purchase')) {
      baseRate = Math.floor(basePoints(event.amountRials, club.earnRate) * member.tierMultiplier);
      if (baseRate > 0) totals.points = (totals.points ?? 0) + baseRate;
    }
    return ok({
      event,
      member,
      awards: ev.awards.map((a) => ({ ...a, draft: isDraft(a.ruleId), ruleVersionTag: ruleVersionTag(a.ruleId, a.ruleVersion) })),
      trace: ev.trace.map((t) => ({ ...t, draft: isDraft(t.ruleId) })),
      totals,
      baseRate,
    });
  }

  /**
   * Replays a club's stored events of [from, to] (Jalali dates, inclusive, in the club zone)
   * through a draft rule: pages of 1000 by keyset, so memory stays flat in the number of
   * events. Limits count from zero at `from`; members' tiers and groups are today's.
   */
  async backtest(club: Club, draftInput: unknown, fromText: string, toText: string, opts: { pageSize?: number; onPage?: (events: number) => void; signal?: AbortSignal } = {}): Promise<Result<BacktestReport>> {
    const started = Date.now();
    const p = this.prepare(club, draftInput, { id: 'draft_1', version: 0 });
    if (!p.ok) return p;
    const draft = p.value.compiled;
    const fromIso = parseDateInput(fromText);
    const toIso = parseDateInput(toText);
    if (!fromIso || !toIso) return fail('invalid_date', `give --from and --to as Jalali dates, e.g. 1404/01/01 (got ${fromText}, ${toText})`);
    const from = zonedDateStart(fromIso, club.timeZone);
    const to = zonedDateStart(new Date(Date.parse(`${toIso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10), club.timeZone);
    if (to <= from) return fail('invalid_window', 'the period must end after it starts');
    const cat = await this.catalog(this.db, club.id);

    const report: BacktestReport = { club: club.slug, from: fromText, to: toText, events: 0, eventsAwarded: 0, points: 0, byUnit: {}, membersTouched: 0, costRials: 0, pointValueRials: club.pointValueRials, ms: 0 };
    const touched = new Set<string>();
    const usage = new Map<string, Usage>();
    const counters = new Map<string, Record<string, number>>();
    let cursor: { at: Date; id: string } | null = null;
    const pageSize = opts.pageSize ?? 1000;
    for (;;) {
      // The caller went away (the console closed the stream): stop reading pages for nobody.
      if (opts.signal?.aborted) return fail('backtest_cancelled', `stopped after ${report.events} events`);
      const page = await eventsPage(this.db, club.id, from, to, cursor, pageSize);
      if (page.length === 0) break;
      cursor = { at: page.at(-1)!.occurredAt, id: page.at(-1)!.id };
      const facts = await memberFacts(this.db, club.id, [...new Set(page.map((e) => e.memberId))]);
      for (const stored of page) {
        report.events++;
        if (stored.type !== draft.trigger) continue;
        const f = facts.get(stored.memberId);
        if (!f) continue;
        const c = counters.get(f.id) ?? {};
        const member = contextOf(f, cat.tiers, c);
        const event = fromStored(stored);
        const ev = evaluate({ rules: [draft], event, member, club: { timeZone: club.timeZone }, usage: (ruleId, key) => usage.get(usageKey(ruleId, key === 'budget' ? '' : f.id, key)) ?? EMPTY_USAGE });
        this.countUsage(ev, [draft], f.id, (period) => (period === 'lifetime' ? 'lifetime' : periodKey(event.occurredAt, period, club.timeZone)), usage, new Map());
        c[stored.type] = (c[stored.type] ?? 0) + 1;
        c[`${stored.type}_rials`] = (c[`${stored.type}_rials`] ?? 0) + stored.amountRials;
        counters.set(f.id, c);
        if (ev.awards.length) {
          report.eventsAwarded++;
          touched.add(f.id);
          for (const a of ev.awards) {
            report.byUnit[a.unit] = (report.byUnit[a.unit] ?? 0) + a.points;
            if (a.unit === 'points') report.points += a.points;
          }
        }
      }
      opts.onPage?.(report.events);
      if (page.length < pageSize) break;
    }
    report.membersTouched = touched.size;
    report.costRials = report.points * club.pointValueRials;
    report.ms = Date.now() - started;
    return ok(report);
  }
}

/** A catalogue list's rules by id (a list holds one version per rule), built once per list. */
const byIdCache = new WeakMap<readonly CompiledRule[], Map<string, CompiledRule>>();
function rulesById(rules: readonly CompiledRule[]): Map<string, CompiledRule> {
  let m = byIdCache.get(rules);
  if (!m) {
    m = new Map(rules.map((r) => [r.id, r]));
    byIdCache.set(rules, m);
  }
  return m;
}

function toEarningEvent(e: EarnInput['event']): EarningEvent {
  return {
    type: e.type,
    amountRials: e.amountRials ?? 0,
    occurredAt: e.occurredAt,
    attributes: e.attributes ?? {},
    ...(e.items ? { items: e.items.map((i) => ({ sku: i.sku, category: i.category ?? '', quantity: i.quantity, amountRials: i.amountRials })) } : {}),
    ...(e.channel !== undefined ? { channel: e.channel } : {}),
    ...(e.store !== undefined ? { store: e.store } : {}),
  };
}

/** A stored event back in the engine's shape (items, channel and store live in attributes). */
function fromStored(s: StoredEvent): EarningEvent {
  const { items, channel, store, ...attributes } = s.attributes as { items?: { sku: string; category?: string; quantity: number; amountRials: number }[]; channel?: string; store?: string };
  return {
    type: s.type,
    amountRials: s.amountRials,
    occurredAt: s.occurredAt,
    attributes,
    ...(Array.isArray(items) ? { items: items.map((i) => ({ sku: i.sku, category: i.category ?? '', quantity: i.quantity, amountRials: i.amountRials })) } : {}),
    ...(typeof channel === 'string' ? { channel } : {}),
    ...(typeof store === 'string' ? { store } : {}),
  };
}

function contextOf(f: MemberFacts, program: TierProgram | null, counters: Record<string, number>): MemberContext {
  return {
    id: f.id, tier: f.tier, tierMultiplier: multiplierOf(program, f.tier), groups: f.groups, joinedAt: f.joinedAt, counters,
    ...(f.city ? { city: f.city } : {}), ...(f.birthDate ? { birthDate: f.birthDate } : {}),
  };
}

/** The catalogue version the member look-up carried (CATALOG_FACT), if it did. */
function knownVersion(members: (MemberFacts | null)[]): number | undefined {
  for (const m of members) {
    const v = m?.extra?.[CATALOG_FACT];
    if (m?.extra && CATALOG_FACT in m.extra) return v === null || v === undefined ? 0 : Number(v);
  }
  return undefined;
}
