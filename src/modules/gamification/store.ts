/** The gamification module's SQL. Every query filters by club_id. */
import { sql } from 'kysely';
import type { Executor, Tx } from '../../platform/db.js';

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const dateText = (d: unknown): string => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d).slice(0, 10));

export interface BadgeRow {
  id: string;
  code: string;
  name_fa: string;
  name_en: string;
  description: unknown;
  criteria: string;
  period: 'day' | 'week' | 'month' | 'year' | 'lifetime';
  repeatable: boolean;
  reward_points: number;
  active: boolean;
  created_at: Date;
}

export interface StreakRow {
  id: string;
  code: string;
  name_fa: string;
  name_en: string;
  event_type: string;
  unit: 'day' | 'week';
  active: boolean;
  created_at: Date;
}

export interface ChallengeRow {
  id: string;
  code: string;
  name_fa: string;
  name_en: string;
  event_type: string;
  measure: 'count' | 'amount';
  target: number;
  starts_on: unknown;
  ends_on: unknown;
  starts_at: Date;
  ends_at: Date;
  reward_points: number;
  active: boolean;
  created_at: Date;
}

export { json as parseJson, dateText };

export async function insertDefinition(tx: Tx, table: 'game_badges' | 'game_streaks' | 'game_challenges', values: Record<string, unknown>): Promise<Record<string, unknown> | null> {
  const r = await tx.insertInto(table).values(values).onConflict((oc) => oc.columns(['club_id', 'code']).doNothing()).returningAll().executeTakeFirst();
  return (r as Record<string, unknown> | undefined) ?? null;
}

export async function listBadges(db: Executor, clubId: string, activeOnly = false): Promise<BadgeRow[]> {
  let q = db.selectFrom('game_badges').selectAll().where('club_id', '=', clubId);
  if (activeOnly) q = q.where('active', '=', true);
  return (await q.orderBy('created_at').orderBy('id').execute()) as BadgeRow[];
}

export async function listStreaks(db: Executor, clubId: string, activeOnly = false): Promise<StreakRow[]> {
  let q = db.selectFrom('game_streaks').selectAll().where('club_id', '=', clubId);
  if (activeOnly) q = q.where('active', '=', true);
  return (await q.orderBy('created_at').orderBy('id').execute()) as StreakRow[];
}

export async function listChallenges(db: Executor, clubId: string, opts: { activeOnly?: boolean; endsAfter?: Date } = {}): Promise<ChallengeRow[]> {
  let q = db.selectFrom('game_challenges').selectAll().where('club_id', '=', clubId);
  if (opts.activeOnly) q = q.where('active', '=', true);
  if (opts.endsAfter) q = q.where('ends_at', '>', opts.endsAfter);
  return (await q.orderBy('ends_at').orderBy('id').execute()) as ChallengeRow[];
}

export async function setActive(db: Executor, table: 'game_badges' | 'game_streaks' | 'game_challenges', clubId: string, id: string, active: boolean): Promise<boolean> {
  const r = await db.updateTable(table).set({ active }).where('club_id', '=', clubId).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

// ───────────────────────────── the earn statement ─────────────────────────────

export interface CounterDelta { memberId: string; eventType: string; periodKey: string; events: number; amount: number }
export interface StreakHit { memberId: string; streakId: string; key: string; prev: string }
export interface ChallengeDelta { memberId: string; challengeId: string; delta: number }

export interface GameState {
  /** member → period key → event type → { events, amount } (after this batch) */
  counters: Map<string, Map<string, Map<string, { events: number; amount: number }>>>;
  /** member → streak id → { current, lastKey } (after this batch) */
  streaks: Map<string, Map<string, { current: number; lastKey: string }>>;
  /** challenge progress after this batch, and whether it was already complete before */
  challenges: { memberId: string; challengeId: string; progress: number; completedBefore: boolean }[];
  /** member → badge id → period keys already held ('' = earned once) */
  held: Map<string, Map<string, Set<string>>>;
}

const nested = <K1, K2, V>(m: Map<K1, Map<K2, V>>, a: K1): Map<K2, V> => {
  let inner = m.get(a);
  if (!inner) m.set(a, (inner = new Map()));
  return inner;
};

/**
 * One statement per batch: counters upserted, streaks moved (update existing, insert new),
 * challenge progress added; and read back what the badge criteria need (the members' other
 * counters in the same periods, their streaks, the badges they hold). The work is the
 * PL/pgSQL function game_apply_batch (migrations/0311): its plan is cached per connection.
 */
export async function applyGameBatch(tx: Tx, clubId: string, now: Date, d: { counters: CounterDelta[]; streaks: StreakHit[]; challenges: ChallengeDelta[]; members: string[]; periodKeys: string[]; readBadges: boolean }): Promise<GameState> {
  const c = d.counters;
  const s = d.streaks;
  const h = d.challenges;
  const raw = await sql<{ rk: string; rmember: string; ra: string; rb: string | null; rn1: number | null; rn2: number | null }>`
    select rk, rmember, ra, rb, rn1, rn2 from game_apply_batch(${clubId}, ${now},
      ${c.map((x) => x.memberId)}::text[], ${c.map((x) => x.eventType)}::text[], ${c.map((x) => x.periodKey)}::text[], ${c.map((x) => x.events)}::bigint[], ${c.map((x) => x.amount)}::bigint[],
      ${s.map((x) => x.memberId)}::text[], ${s.map((x) => x.streakId)}::text[], ${s.map((x) => x.key)}::text[], ${s.map((x) => x.prev)}::text[],
      ${h.map((x) => x.memberId)}::text[], ${h.map((x) => x.challengeId)}::text[], ${h.map((x) => x.delta)}::bigint[],
      ${d.members}::text[], ${d.periodKeys}::text[], ${d.readBadges})`.execute(tx);
  const rows = { rows: raw.rows.map((r) => ({ k: r.rk, member_id: r.rmember, a: r.ra, b: r.rb, n1: r.rn1, n2: r.rn2 })) };

  const state: GameState = { counters: new Map(), streaks: new Map(), challenges: [], held: new Map() };
  const fresh = new Set<string>();
  // Rows written by this statement win over what its snapshot read ('c' over 'o', 's' over 't').
  for (const r of rows.rows) if (r.k === 'c' || r.k === 's') fresh.add(`${r.k === 'c' ? 'o' : 't'}\u0000${r.member_id}\u0000${r.a}\u0000${r.k === 'c' ? r.b : ''}`);
  for (const r of rows.rows) {
    switch (r.k) {
      case 'c':
      case 'o': {
        if (r.k === 'o' && fresh.has(`o\u0000${r.member_id}\u0000${r.a}\u0000${r.b}`)) break;
        nested(nested(state.counters, r.member_id), r.b!).set(r.a, { events: Number(r.n1), amount: Number(r.n2) });
        break;
      }
      case 's':
      case 't': {
        if (r.k === 't' && fresh.has(`t\u0000${r.member_id}\u0000${r.a}\u0000`)) break;
        nested(state.streaks, r.member_id).set(r.a, { current: Number(r.n1), lastKey: r.b! });
        break;
      }
      case 'h':
        state.challenges.push({ memberId: r.member_id, challengeId: r.a, progress: Number(r.n1), completedBefore: r.b === 'done' });
        break;
      case 'b': {
        const perBadge = nested(state.held, r.member_id);
        const keys = perBadge.get(r.a) ?? new Set<string>();
        keys.add(r.b!);
        perBadge.set(r.a, keys);
        break;
      }
    }
  }
  return state;
}

export async function insertBadges(tx: Tx, clubId: string, rows: { memberId: string; badgeId: string; periodKey: string; eventId: string | null }[], now: Date): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const r = await sql<{ member_id: string; badge_id: string; period_key: string }>`
    insert into game_member_badges (club_id, member_id, badge_id, period_key, event_id, earned_at)
    select ${clubId}, m, b, p, e, ${now}
    from unnest(${rows.map((x) => x.memberId)}::text[], ${rows.map((x) => x.badgeId)}::text[], ${rows.map((x) => x.periodKey)}::text[], ${rows.map((x) => x.eventId)}::text[]) as x(m, b, p, e)
    on conflict do nothing
    returning member_id, badge_id, period_key`.execute(tx);
  return new Set(r.rows.map((x) => `${x.member_id}\u0000${x.badge_id}\u0000${x.period_key}`));
}

export async function completeChallenges(tx: Tx, clubId: string, rows: { memberId: string; challengeId: string }[], now: Date): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const r = await sql<{ member_id: string; challenge_id: string }>`
    update game_member_challenges mc set completed_at = ${now}
    from unnest(${rows.map((x) => x.memberId)}::text[], ${rows.map((x) => x.challengeId)}::text[]) as x(m, c)
    where mc.club_id = ${clubId} and mc.member_id = x.m and mc.challenge_id = x.c and mc.completed_at is null
    returning mc.member_id, mc.challenge_id`.execute(tx);
  return new Set(r.rows.map((x) => `${x.member_id}\u0000${x.challenge_id}`));
}

// ───────────────────────────── member views ─────────────────────────────

export async function memberBadges(db: Executor, clubId: string, memberId: string) {
  return (await sql<{ badge_id: string; period_key: string; earned_at: Date }>`
    select badge_id, period_key, earned_at from game_member_badges where club_id = ${clubId} and member_id = ${memberId} order by earned_at, badge_id`.execute(db)).rows;
}

export async function memberStreaks(db: Executor, clubId: string, memberId: string) {
  return (await sql<{ streak_id: string; last_key: string; current: number; best: number }>`
    select streak_id, last_key, current, best from game_member_streaks where club_id = ${clubId} and member_id = ${memberId}`.execute(db)).rows;
}

export async function memberChallenges(db: Executor, clubId: string, memberId: string) {
  return (await sql<{ challenge_id: string; progress: number; completed_at: Date | null }>`
    select challenge_id, progress, completed_at from game_member_challenges where club_id = ${clubId} and member_id = ${memberId}`.execute(db)).rows;
}
