/**
 * The rules module's SQL: the catalogue counter, event types, rules and their immutable
 * versions, and the per-batch state of the earn path (usage, counters, activity days) —
 * each of those read in one statement and written in one statement per batch.
 */
import { sql, type RawBuilder } from 'kysely';
import { runWrites, type Executor } from '../../platform/db.js';
import type { Usage } from './domain.js';

// ───────────────────────────── catalogue counter

export async function catalogVersion(ex: Executor, clubId: string): Promise<number> {
  const r = await sql<{ version: number }>`select version from rule_sets where club_id = ${clubId}`.execute(ex);
  return Number(r.rows[0]?.version ?? 0);
}

/**
 * The member fact (members.addFact) of the club's catalogue version: the earn path's member
 * look-up carries it (one sub-select per statement), so the catalogue check costs no
 * statement of its own.
 */
export const CATALOG_FACT = 'catalog_version';
export const CATALOG_FACT_SQL = (clubId: string) => sql`select version from rule_sets where club_id = ${clubId}`;

export async function bumpCatalog(ex: Executor, clubId: string): Promise<void> {
  await sql`insert into rule_sets (club_id, version) values (${clubId}, 1)
    on conflict (club_id) do update set version = rule_sets.version + 1, updated_at = now()`.execute(ex);
}

// ───────────────────────────── event types

export interface EventTypeRow {
  name: string;
  version: number;
  description: string | null;
  schema: Record<string, unknown> | null;
  status: 'active' | 'archived';
  createdAt: string;
  updatedAt: string;
}

const toEventType = (r: Record<string, unknown>): EventTypeRow => ({
  name: r.name as string,
  version: Number(r.version),
  description: (r.description as string | null) ?? null,
  schema: (r.schema as Record<string, unknown> | null) ?? null,
  status: r.status as EventTypeRow['status'],
  createdAt: new Date(r.created_at as string).toISOString(),
  updatedAt: new Date(r.updated_at as string).toISOString(),
});

export async function listEventTypes(ex: Executor, clubId: string): Promise<EventTypeRow[]> {
  const rows = await ex.selectFrom('event_types').selectAll().where('club_id', '=', clubId).orderBy('name').execute();
  return rows.map(toEventType);
}

export async function upsertEventType(ex: Executor, clubId: string, name: string, v: { description: string | null; schema: Record<string, unknown> | null }): Promise<EventTypeRow> {
  const r = await sql<Record<string, unknown>>`
    insert into event_types (club_id, name, description, schema) values (${clubId}, ${name}, ${v.description}, ${v.schema === null ? null : JSON.stringify(v.schema)}::jsonb)
    on conflict (club_id, name) do update set version = event_types.version + 1, description = excluded.description,
      schema = excluded.schema, status = 'active', updated_at = now()
    returning *`.execute(ex);
  return toEventType(r.rows[0]!);
}

export async function archiveEventType(ex: Executor, clubId: string, name: string): Promise<EventTypeRow | null> {
  const r = await sql<Record<string, unknown>>`
    update event_types set status = 'archived', version = version + 1, updated_at = now()
    where club_id = ${clubId} and name = ${name} returning *`.execute(ex);
  return r.rows[0] ? toEventType(r.rows[0]) : null;
}

// ───────────────────────────── rules

export type RuleStatus = 'active' | 'paused' | 'archived';

export interface RuleRow {
  id: string;
  version: number;
  status: RuleStatus;
  definition: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export async function insertRule(ex: Executor, clubId: string, id: string, status: RuleStatus, definition: unknown, actor: string): Promise<void> {
  await sql`insert into rules (id, club_id, version, status) values (${id}, ${clubId}, 1, ${status})`.execute(ex);
  await sql`insert into rule_versions (rule_id, version, club_id, definition, created_by) values (${id}, 1, ${clubId}, ${JSON.stringify(definition)}::jsonb, ${actor})`.execute(ex);
}

export async function findRule(ex: Executor, clubId: string, id: string, lock = false): Promise<RuleRow | null> {
  const r = await sql<{ id: string; version: number; status: RuleStatus; definition: Record<string, unknown>; created_at: Date; updated_at: Date }>`
    select r.id, r.version, r.status, v.definition, r.created_at, r.updated_at
    from rules r join rule_versions v on v.rule_id = r.id and v.version = r.version
    where r.club_id = ${clubId} and r.id = ${id} ${lock ? sql`for update of r` : sql``}`.execute(ex);
  const row = r.rows[0];
  return row ? { id: row.id, version: row.version, status: row.status, definition: row.definition, createdAt: new Date(row.created_at).toISOString(), updatedAt: new Date(row.updated_at).toISOString() } : null;
}

export async function addVersion(ex: Executor, clubId: string, id: string, version: number, definition: unknown, actor: string): Promise<void> {
  await sql`insert into rule_versions (rule_id, version, club_id, definition, created_by) values (${id}, ${version}, ${clubId}, ${JSON.stringify(definition)}::jsonb, ${actor})`.execute(ex);
  await sql`update rules set version = ${version}, updated_at = now() where club_id = ${clubId} and id = ${id}`.execute(ex);
}

export async function setRuleStatus(ex: Executor, clubId: string, id: string, status: RuleStatus): Promise<void> {
  await sql`update rules set status = ${status}, updated_at = now() where club_id = ${clubId} and id = ${id}`.execute(ex);
}

export async function listRules(ex: Executor, clubId: string, statuses: RuleStatus[]): Promise<RuleRow[]> {
  const r = await sql<{ id: string; version: number; status: RuleStatus; definition: Record<string, unknown>; created_at: Date; updated_at: Date }>`
    select r.id, r.version, r.status, v.definition, r.created_at, r.updated_at
    from rules r join rule_versions v on v.rule_id = r.id and v.version = r.version
    where r.club_id = ${clubId} and r.status = any(${statuses}::text[])
    order by r.id`.execute(ex);
  return r.rows.map((row) => ({ id: row.id, version: row.version, status: row.status, definition: row.definition, createdAt: new Date(row.created_at).toISOString(), updatedAt: new Date(row.updated_at).toISOString() }));
}

export async function ruleVersions(ex: Executor, clubId: string, id: string): Promise<{ version: number; definition: Record<string, unknown>; createdBy: string | null; createdAt: string }[]> {
  const r = await sql<{ version: number; definition: Record<string, unknown>; created_by: string | null; created_at: Date }>`
    select version, definition, created_by, created_at from rule_versions where club_id = ${clubId} and rule_id = ${id} order by version`.execute(ex);
  return r.rows.map((v) => ({ version: v.version, definition: v.definition, createdBy: v.created_by, createdAt: new Date(v.created_at).toISOString() }));
}

// ───────────────────────────── earn-path state

export type UsageKey = { ruleId: string; memberId: string; periodKey: string };
export const usageKey = (ruleId: string, memberId: string, periodKey: string) => `${ruleId}\u0000${memberId}\u0000${periodKey}`;

/**
 * Reads and LOCKS the usage rows the batch may change, creating missing ones: an
 * INSERT … ON CONFLICT DO UPDATE takes the row lock and returns the current value in one
 * statement, rows in a fixed order (no deadlocks between batches). Two concurrent events of
 * one member cannot both pass a "once a month" limit.
 */
export async function lockUsage(ex: Executor, clubId: string, keys: UsageKey[]): Promise<Map<string, Usage>> {
  const out = new Map<string, Usage>();
  const uniq = [...new Map(keys.map((k) => [usageKey(k.ruleId, k.memberId, k.periodKey), k])).values()].sort((a, b) =>
    usageKey(a.ruleId, a.memberId, a.periodKey) < usageKey(b.ruleId, b.memberId, b.periodKey) ? -1 : 1,
  );
  if (uniq.length === 0) return out;
  const r = await sql<{ rule_id: string; member_id: string; period_key: string; points: number; times: number }>`
    insert into rule_usage (club_id, rule_id, member_id, period_key)
    select ${clubId}, r, m, p from unnest(${uniq.map((k) => k.ruleId)}::text[], ${uniq.map((k) => k.memberId)}::text[], ${uniq.map((k) => k.periodKey)}::text[]) with ordinality as t(r, m, p, o)
    order by o
    on conflict (club_id, rule_id, member_id, period_key) do update set points = rule_usage.points
    returning rule_id, member_id, period_key, points, times`.execute(ex);
  for (const row of r.rows) out.set(usageKey(row.rule_id, row.member_id, row.period_key), { points: Number(row.points), times: Number(row.times) });
  return out;
}

/** Reads usage without locking (simulation, backtest). */
export async function readUsage(ex: Executor, clubId: string, keys: UsageKey[]): Promise<Map<string, Usage>> {
  const out = new Map<string, Usage>();
  if (keys.length === 0) return out;
  const r = await sql<{ rule_id: string; member_id: string; period_key: string; points: number; times: number }>`
    select rule_id, member_id, period_key, points, times from rule_usage
    where club_id = ${clubId} and (rule_id, member_id, period_key) in
      (select * from unnest(${keys.map((k) => k.ruleId)}::text[], ${keys.map((k) => k.memberId)}::text[], ${keys.map((k) => k.periodKey)}::text[]))`.execute(ex);
  for (const row of r.rows) out.set(usageKey(row.rule_id, row.member_id, row.period_key), { points: Number(row.points), times: Number(row.times) });
  return out;
}

export async function addUsage(ex: Executor, clubId: string, deltas: (UsageKey & Usage)[]): Promise<void> {
  if (deltas.length === 0) return;
  await sql`
    update rule_usage u set points = u.points + d.points, times = u.times + d.times
    from unnest(${deltas.map((d) => d.ruleId)}::text[], ${deltas.map((d) => d.memberId)}::text[], ${deltas.map((d) => d.periodKey)}::text[],
                ${deltas.map((d) => d.points)}::bigint[], ${deltas.map((d) => d.times)}::int[]) as d(r, m, p, points, times)
    where u.club_id = ${clubId} and u.rule_id = d.r and u.member_id = d.m and u.period_key = d.p`.execute(ex);
}

/** The member fact (members.addFact) of a member's counters, read with the member on the earn path. */
export const COUNTERS_FACT = 'counters';
export const COUNTERS_FACT_SQL = sql`select coalesce(jsonb_object_agg(c.name, c.value), '{}'::jsonb) from member_counters c where c.club_id = members.club_id and c.member_id = members.id`;

/** Counters per member, before the batch. */
export async function readCounters(ex: Executor, clubId: string, memberIds: string[]): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  if (memberIds.length === 0) return out;
  const r = await sql<{ member_id: string; name: string; value: number }>`
    select member_id, name, value from member_counters where club_id = ${clubId} and member_id = any(${memberIds}::text[])`.execute(ex);
  for (const row of r.rows) {
    const c = out.get(row.member_id) ?? {};
    c[row.name] = Number(row.value);
    out.set(row.member_id, c);
  }
  return out;
}

export type DayDelta = { memberId: string; day: string; points: number; rials: number; events: number };
export type CounterDelta = { memberId: string; name: string; value: number };

/** Counters and activity days of a batch: one statement (two data-modifying CTEs). */
export async function writeActivity(ex: Executor, clubId: string, counters: CounterDelta[], days: DayDelta[]): Promise<void> {
  await runWrites(ex, activityWrites(clubId, counters, days));
}

/**
 * The upserts of writeActivity, for a caller that runs them later, riding on its own
 * last statement (EarnFn's `later`). Rows in (member, name|day) order: the lock order of
 * concurrent batches.
 */
export function activityWrites(clubId: string, counters: CounterDelta[], days: DayDelta[]): RawBuilder<unknown>[] {
  const out: RawBuilder<unknown>[] = [];
  const c = [...counters].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : a.name < b.name ? -1 : 1));
  const d = [...days].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : a.day < b.day ? -1 : 1));
  if (c.length)
    out.push(sql`
      insert into member_counters (club_id, member_id, name, value)
      select ${clubId}, m, n, v from unnest(${c.map((x) => x.memberId)}::text[], ${c.map((x) => x.name)}::text[], ${c.map((x) => x.value)}::bigint[]) with ordinality as t(m, n, v, o)
      order by o
      on conflict (club_id, member_id, name) do update set value = member_counters.value + excluded.value`);
  if (d.length)
    out.push(sql`
      insert into member_days (club_id, member_id, day, points, rials, events)
      select ${clubId}, m, day::date, p, r, e from unnest(${d.map((x) => x.memberId)}::text[], ${d.map((x) => x.day)}::text[], ${d.map((x) => x.points)}::bigint[], ${d.map((x) => x.rials)}::bigint[], ${d.map((x) => x.events)}::int[]) with ordinality as t(m, day, p, r, e, o)
      order by o
      on conflict (club_id, member_id, day) do update set points = member_days.points + excluded.points, rials = member_days.rials + excluded.rials, events = member_days.events + excluded.events`);
  return out;
}

/** Points and rials per member over local days [fromDay, toDay]. */
export async function activitySums(ex: Executor, clubId: string, memberIds: string[], fromDay: string, toDay: string): Promise<Map<string, { points: number; rials: number }>> {
  const out = new Map<string, { points: number; rials: number }>();
  if (memberIds.length === 0) return out;
  const r = await sql<{ member_id: string; points: number; rials: number }>`
    select member_id, coalesce(sum(points), 0)::bigint as points, coalesce(sum(rials), 0)::bigint as rials from member_days
    where club_id = ${clubId} and member_id = any(${memberIds}::text[]) and day >= ${fromDay}::date and day <= ${toDay}::date
    group by member_id`.execute(ex);
  for (const row of r.rows) out.set(row.member_id, { points: Number(row.points), rials: Number(row.rials) });
  return out;
}

/** Last local day with activity, per member. */
export async function lastActiveDays(ex: Executor, clubId: string, memberIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (memberIds.length === 0) return out;
  const r = await sql<{ member_id: string; day: string }>`
    select member_id, max(day)::text as day from member_days where club_id = ${clubId} and member_id = any(${memberIds}::text[]) group by member_id`.execute(ex);
  for (const row of r.rows) out.set(row.member_id, String(row.day).slice(0, 10));
  return out;
}
