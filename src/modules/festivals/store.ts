/** The festivals module's SQL. Every query filters by club_id. */
import { sql, type RawBuilder } from 'kysely';
import type { Executor, Tx } from '../../platform/db.js';
import { formatJalali } from '../../platform/jalali.js';
import {
  RANK_BLOCK,
  SCORE_CATEGORY,
  unitOf,
  type Audience,
  type Category,
  type Festival,
  type Indicator,
  type Prize,
  type Staking,
  type TopPerformerRule,
} from './domain.js';

/** The block width as a literal: the same expression in SELECT and GROUP BY must not be two parameters. */
const BLOCK = sql.raw(String(RANK_BLOCK));

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const iso = (d: unknown): string => new Date(d as string).toISOString();
const dateText = (d: unknown): string => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d).slice(0, 10));

// ───────────────────────────── festivals ─────────────────────────────

export interface FestivalRow {
  id: string;
  club_id: string;
  name_fa: string;
  name_en: string;
  description: unknown;
  starts_on: unknown;
  ends_on: unknown;
  starts_at: Date;
  ends_at: Date;
  audience: unknown;
  enrolment: 'opt_in' | 'automatic';
  indicators: unknown;
  categories: unknown;
  staking: unknown;
  top_performers: unknown;
  status: 'active' | 'cancelled';
  enrol_synced_at: Date | null;
  top_decided_at: Date | null;
  created_at: Date;
}

export function toFestival(r: FestivalRow): Festival {
  const fromIso = dateText(r.starts_on);
  const toIso = dateText(r.ends_on);
  return {
    id: r.id,
    clubId: r.club_id,
    name: { fa: r.name_fa, en: r.name_en },
    description: (json(r.description) as Festival['description']) ?? null,
    window: { from: formatJalali(fromIso), to: formatJalali(toIso), fromIso, toIso, startsAt: iso(r.starts_at), endsAt: iso(r.ends_at) },
    audience: json<Audience>(r.audience),
    enrolment: r.enrolment,
    indicators: json<Indicator[]>(r.indicators),
    categories: json<Category[]>(r.categories),
    staking: (json(r.staking) as Staking | null) ?? null,
    topPerformers: json<TopPerformerRule[]>(r.top_performers),
    status: r.status,
    unit: unitOf(r.id),
    createdAt: iso(r.created_at),
  };
}

/** The columns an operator may edit (PATCH), as written on insert too. */
function editableColumns(f: Pick<Festival, 'name' | 'description' | 'audience' | 'enrolment'> & { window: Festival['window'] }) {
  return {
    name_fa: f.name.fa,
    name_en: f.name.en,
    description: f.description ? JSON.stringify(f.description) : null,
    starts_on: f.window.fromIso,
    ends_on: f.window.toIso,
    starts_at: new Date(f.window.startsAt),
    ends_at: new Date(f.window.endsAt),
    audience: JSON.stringify(f.audience),
    enrolment: f.enrolment,
  };
}

export async function insertFestival(tx: Tx, f: Omit<Festival, 'createdAt' | 'unit' | 'status'>, createdBy: string, now: Date): Promise<FestivalRow> {
  return (await tx
    .insertInto('festivals')
    .values({
      id: f.id,
      club_id: f.clubId,
      ...editableColumns(f),
      indicators: JSON.stringify(f.indicators),
      categories: JSON.stringify(f.categories),
      staking: f.staking ? JSON.stringify(f.staking) : null,
      top_performers: JSON.stringify(f.topPerformers),
      created_by: createdBy,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as FestivalRow;
}

export async function findFestival(db: Executor, clubId: string, id: string, lock = false): Promise<FestivalRow | null> {
  const q = db.selectFrom('festivals').selectAll().where('club_id', '=', clubId).where('id', '=', id);
  return ((await (lock ? q.forUpdate() : q).executeTakeFirst()) as FestivalRow | undefined) ?? null;
}

export async function listFestivals(db: Executor, clubId: string, opts: { endsAfter?: Date } = {}): Promise<FestivalRow[]> {
  let q = db.selectFrom('festivals').selectAll().where('club_id', '=', clubId);
  if (opts.endsAfter) q = q.where('ends_at', '>', opts.endsAfter);
  return (await q.orderBy('starts_at', 'desc').orderBy('id', 'desc').limit(500).execute()) as FestivalRow[];
}

/** Writes an edit (the caller has checked it against the phase). */
export async function updateFestival(
  tx: Tx,
  clubId: string,
  id: string,
  f: Pick<Festival, 'name' | 'description' | 'audience' | 'enrolment'> & { window: Festival['window'] },
): Promise<FestivalRow> {
  return (await tx
    .updateTable('festivals')
    .set(editableColumns(f))
    .where('club_id', '=', clubId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()) as FestivalRow;
}

export async function setFestivalStatus(tx: Tx, clubId: string, id: string, status: FestivalRow['status']): Promise<FestivalRow> {
  return (await tx.updateTable('festivals').set({ status }).where('club_id', '=', clubId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()) as FestivalRow;
}

/** What the earn path needs, for festivals that have not ended yet. */
export async function festivalsForEarn(db: Executor, clubId: string, now: Date) {
  const rows = await sql<{ id: string; starts_at: Date; ends_at: Date; indicators: unknown; categories: unknown }>`
    select id, starts_at, ends_at, indicators, categories from festivals
    where club_id = ${clubId} and status = 'active' and ends_at > ${now}`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    startsAt: new Date(r.starts_at),
    endsAt: new Date(r.ends_at),
    indicators: json<Indicator[]>(r.indicators),
    categories: json<Category[]>(r.categories),
  }));
}

export async function markEnrolSynced(db: Executor, clubId: string, id: string, at: Date): Promise<void> {
  await db.updateTable('festivals').set({ enrol_synced_at: at }).where('club_id', '=', clubId).where('id', '=', id).execute();
}

export async function festivalsToSync(db: Executor, now: Date, staleBefore: Date) {
  return (await sql<{ id: string; club_id: string; enrol_synced_at: Date | null }>`
    select id, club_id, enrol_synced_at from festivals
    where enrolment = 'automatic' and status = 'active' and ends_at > ${now}
      and (enrol_synced_at is null or enrol_synced_at < ${staleBefore})
    order by enrol_synced_at nulls first limit 20`.execute(db)).rows;
}

export async function festivalsToDecide(db: Executor, now: Date) {
  return (await sql<{ id: string; club_id: string }>`
    select id, club_id from festivals
    where status = 'active' and ends_at <= ${now} and top_decided_at is null and top_performers <> '[]'::jsonb
    order by ends_at limit 20`.execute(db)).rows;
}

// ───────────────────────────── participants ─────────────────────────────

export interface ParticipantRow {
  member_id: string;
  entry_code: string;
  mobile_masked: string;
  via: 'opt_in' | 'automatic';
  joined_at: Date;
}

export async function findParticipant(db: Executor, clubId: string, festivalId: string, memberId: string): Promise<ParticipantRow | null> {
  const r = await db
    .selectFrom('festival_participants')
    .select(['member_id', 'entry_code', 'mobile_masked', 'via', 'joined_at'])
    .where('club_id', '=', clubId)
    .where('festival_id', '=', festivalId)
    .where('member_id', '=', memberId)
    .executeTakeFirst();
  return (r as ParticipantRow | undefined) ?? null;
}

/** Inserts participants; a clash on member or entry code is skipped. Returns who was inserted. */
export async function insertParticipants(
  db: Executor,
  clubId: string,
  festivalId: string,
  rows: { memberId: string; entryCode: string; mobileMasked: string; via: 'opt_in' | 'automatic' }[],
  now: Date,
): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const r = await sql<{ member_id: string }>`
    insert into festival_participants (club_id, festival_id, member_id, entry_code, mobile_masked, via, joined_at)
    select ${clubId}, ${festivalId}, m, c, mm, v, ${now}
    from unnest(${rows.map((x) => x.memberId)}::text[], ${rows.map((x) => x.entryCode)}::text[],
                ${rows.map((x) => x.mobileMasked)}::text[], ${rows.map((x) => x.via)}::text[]) as x(m, c, mm, v)
    on conflict do nothing
    returning member_id`.execute(db);
  return new Set(r.rows.map((x) => x.member_id));
}

export interface ParticipantPageRow extends ParticipantRow {
  score: number;
}

/**
 * A page of a festival's participants with the total that matches the filter: `q` finds an
 * entry code, a member id or digits of the masked mobile; `via` the way they joined. Sorted
 * by score (highest first) or by who joined last.
 */
export async function pageParticipants(
  db: Executor,
  clubId: string,
  festivalId: string,
  o: { q?: string; via?: 'opt_in' | 'automatic'; sort: 'score' | 'joined'; limit: number; offset: number },
): Promise<{ total: number; items: ParticipantPageRow[] }> {
  const q = o.q?.trim().toLowerCase() ?? '';
  const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const where = sql`p.club_id = ${clubId} and p.festival_id = ${festivalId}
    ${o.via ? sql`and p.via = ${o.via}` : sql``}
    ${q ? sql`and (p.entry_code = ${q} or p.member_id = ${o.q!.trim()} or p.mobile_masked like ${like})` : sql``}`;
  const order = o.sort === 'score' ? sql`coalesce(s.value, 0) desc, p.joined_at, p.member_id` : sql`p.joined_at desc, p.member_id`;
  const [count, rows] = await Promise.all([
    sql<{ n: number }>`select count(*)::bigint as n from festival_participants p where ${where}`.execute(db),
    sql<ParticipantPageRow>`
      select p.member_id, p.entry_code, p.mobile_masked, p.via, p.joined_at, coalesce(s.value, 0) as score
      from festival_participants p
      left join festival_standings s
        on s.club_id = p.club_id and s.festival_id = p.festival_id and s.category = ${SCORE_CATEGORY} and s.member_id = p.member_id
      where ${where}
      order by ${order}
      limit ${o.limit} offset ${o.offset}`.execute(db),
  ]);
  return { total: Number(count.rows[0]?.n ?? 0), items: rows.rows.map((r) => ({ ...r, score: Number(r.score) })) };
}

export async function participantIds(db: Executor, clubId: string, festivalId: string, memberIds: string[]): Promise<Set<string>> {
  if (!memberIds.length) return new Set();
  const r = await sql<{ member_id: string }>`
    select member_id from festival_participants
    where club_id = ${clubId} and festival_id = ${festivalId} and member_id = any(${memberIds}::text[])`.execute(db);
  return new Set(r.rows.map((x) => x.member_id));
}

export async function joinedFestivalIds(db: Executor, clubId: string, memberId: string): Promise<Set<string>> {
  const r = await sql<{ festival_id: string }>`
    select festival_id from festival_participants where club_id = ${clubId} and member_id = ${memberId}`.execute(db);
  return new Set(r.rows.map((x) => x.festival_id));
}

// ───────────────────────────── standings and ranks ─────────────────────────────

export interface StandingDelta {
  festivalId: string;
  category: string;
  memberId: string;
  delta: number;
  shard: number;
  /** When the delta happened, in any increasing measure (default: its place in the call): who reached a value first comes first among equals. */
  order?: number;
}

/** Key order of standings rows — (festival, category, member) — the order every writer locks them in (refund.ts too). */
const byStandingKey = (a: StandingDelta, b: StandingDelta): number =>
  a.festivalId < b.festivalId ? -1 : a.festivalId > b.festivalId ? 1
    : a.category < b.category ? -1 : a.category > b.category ? 1
      : a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;

/**
 * The earn path's festival work: adds the deltas of members who take part in the festival
 * (non-participants' rows are ignored), keeps the rank structure in step, and returns the
 * (festival, member) pairs that do take part. One call of festival_apply_standings
 * (migrations/0381), whose plan is made once per connection:
 *
 * 1. the batch's (festival, member) pairs probed in festival_participants by the whole
 *    primary key;
 * 2. the participants' standings upserted, returning their new values;
 * 3. each written row moves its member out of the old value (new − delta, when it was
 *    ranked) and into the new one, summed per value and per block, upserted into the rank
 *    counts and then the blocks (counts first: the same order as refund.ts).
 *
 * Why a function: sent as text, that six-part CTE costs 0.4–0.7 ms to plan on every event
 * (more than it takes to run), and split into three one-table statements it costs two
 * round trips more; either way a participant's event cost a third more than the base earn
 * path. See docs/ARCHITECTURE.md, "Festival standings in one cached call".
 *
 * Rows are grouped per key here (ON CONFLICT may touch a row once per statement) and passed
 * in key order; the function writes rank rows in (festival, category, value|block, shard)
 * order, so concurrent transactions lock them in the same order.
 */
export async function applyStandings(tx: Tx, clubId: string, rows: StandingDelta[]): Promise<Set<string>> {
  const grouped = new Map<string, StandingDelta>();
  rows.forEach((x, i) => {
    if (!(x.delta > 0)) return;
    const k = `${x.festivalId}\u0000${x.category}\u0000${x.memberId}`;
    const order = x.order ?? i;
    const g = grouped.get(k);
    if (g) {
      g.delta += x.delta;
      g.order = Math.max(g.order!, order);
    } else grouped.set(k, { ...x, order });
  });
  if (!grouped.size) return new Set();
  const list = [...grouped.values()].sort(byStandingKey);
  const r = await sql<{ taking_festival: string; taking_member: string }>`
    select taking_festival, taking_member from festival_apply_standings(${clubId}, ${list.map((x) => x.festivalId)}::text[], ${list.map((x) => x.category)}::text[],
      ${list.map((x) => x.memberId)}::text[], ${list.map((x) => x.delta)}::bigint[], ${list.map((x) => x.shard)}::int[], ${list.map((x) => x.order!)}::bigint[])`.execute(tx);
  return new Set(r.rows.map((x) => `${x.taking_festival}\u0000${x.taking_member}`));
}

// ───────────────────────────── the score queue ─────────────────────────────

/** The memo of festival score from the festival's own indicators (a queued row without `awards` is all that). */
export const INDICATOR_MEMO = 'festival indicator';

/** One participant event's festival score, as the earn path queues it (migrations/0382). */
export interface QueuedScore {
  festivalId: string;
  memberId: string;
  /** events.id */
  eventId: string;
  occurredAt: Date;
  score: number;
  /** Performance-category deltas and the score's share per rule (for the ledger entry); no `awards`: all from the indicators. */
  detail: { categories?: Record<string, number>; awards?: { rule: string | null; points: number; memo: string | null }[] } | null;
}

/**
 * The earn path's festival write: queues the rows of members who take part (others are
 * dropped) and returns the (festival, member) pairs that do. One call, one generic plan per
 * connection; for a batch in which nobody takes part, a probe and nothing written.
 */
export async function enqueueScores(tx: Tx, clubId: string, rows: QueuedScore[]): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const r = await sql<{ taking_festival: string; taking_member: string }>`
    select taking_festival, taking_member from festival_enqueue_scores(${clubId}, ${rows.map((x) => x.festivalId)}::text[], ${rows.map((x) => x.memberId)}::text[],
      ${rows.map((x) => x.eventId)}::text[], ${rows.map((x) => x.occurredAt.toISOString())}::timestamptz[], ${rows.map((x) => x.score)}::bigint[],
      ${rows.map((x) => (x.detail ? JSON.stringify(x.detail) : null))}::jsonb[])`.execute(tx);
  return new Set(r.rows.map((x) => `${x.taking_festival}\u0000${x.taking_member}`));
}

/**
 * Queues rows of members already known to take part (the earn path read their festivals with
 * the member: FestivalService adds that fact to the member look-up). One plain insert.
 */
export async function insertQueued(tx: Tx, clubId: string, rows: QueuedScore[]): Promise<void> {
  if (!rows.length) return;
  await queuedInsert(clubId, rows).execute(tx);
}

/** insertQueued's statement, for the earn path to run later, riding on the ledger's (EarnFn `later`). `rows` not empty. */
export function queuedInsert(clubId: string, rows: QueuedScore[]): RawBuilder<unknown> {
  return sql`
    insert into festival_score_queue (club_id, festival_id, member_id, event_id, occurred_at, score, detail)
    select ${clubId}, f, m, e, a, s, j
    from unnest(${rows.map((x) => x.festivalId)}::text[], ${rows.map((x) => x.memberId)}::text[], ${rows.map((x) => x.eventId)}::text[],
                ${rows.map((x) => x.occurredAt.toISOString())}::timestamptz[], ${rows.map((x) => x.score)}::bigint[],
                ${rows.map((x) => (x.detail ? JSON.stringify(x.detail) : null))}::jsonb[]) as x(f, m, e, a, s, j)`;
}

/** The member look-up's column of the festivals a member takes part in (members.addFact). */
export const JOINED_FESTIVALS_FACT = sql`select coalesce(array_agg(p.festival_id), '{}'::text[]) from festival_participants p where p.club_id = members.club_id and p.member_id = members.id`;

/**
 * Takes up to `limit` queued rows of a club, oldest first, out of the queue (deleted; the
 * caller applies them in the same transaction). Rows another applier holds are skipped,
 * except:
 * - with `memberId` (a refund): that member's rows, waited for;
 * - with `upTo` (a read settling what was acknowledged before it): rows up to that id,
 *   waited for.
 * Either way, once this returns, every such row is either here or applied and committed.
 */
export async function takeQueued(tx: Tx, clubId: string, limit: number, o: { memberId?: string; upTo?: number } = {}): Promise<QueuedScore[]> {
  type Row = { festival_id: string; member_id: string; event_id: string; occurred_at: Date; score: string | number; detail: unknown; id: string };
  const r = o.memberId
    ? await sql<Row>`
        delete from festival_score_queue where club_id = ${clubId} and member_id = ${o.memberId}
        returning festival_id, member_id, event_id, occurred_at, score, detail, id`.execute(tx)
    : await sql<Row>`
        delete from festival_score_queue q using (
          select club_id, id from festival_score_queue where club_id = ${clubId} ${o.upTo !== undefined ? sql`and id <= ${o.upTo}` : sql``}
          order by id limit ${limit} ${o.upTo !== undefined ? sql`for update` : sql`for update skip locked`}
        ) t
        where q.club_id = t.club_id and q.id = t.id
        returning q.festival_id, q.member_id, q.event_id, q.occurred_at, q.score, q.detail, q.id`.execute(tx);
  return r.rows
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map((x) => ({ festivalId: x.festival_id, memberId: x.member_id, eventId: x.event_id, occurredAt: new Date(x.occurred_at), score: Number(x.score), detail: json<QueuedScore['detail']>(x.detail) }));
}

/** Clubs with queued festival score (the worker's round). */
export async function clubsWithQueuedScores(db: Executor): Promise<string[]> {
  const r = await sql<{ club_id: string }>`select distinct club_id from festival_score_queue`.execute(db);
  return r.rows.map((x) => x.club_id);
}

/** The club's newest queued row (null: nothing queued). One index probe: reads settle only when there is something. */
export async function lastQueuedId(db: Executor, clubId: string): Promise<number | null> {
  const r = await sql<{ id: string | number | null }>`select max(id) as id from festival_score_queue where club_id = ${clubId}`.execute(db);
  const id = r.rows[0]?.id;
  return id === null || id === undefined ? null : Number(id);
}

export interface StandingRow {
  memberId: string;
  value: number;
  seq: number;
  ref: string;
}

/** The first `limit` of a category, in listing order: value desc, who got there first, member id. One index-only scan. */
export async function topStandings(db: Executor, clubId: string, festivalId: string, category: string, limit: number): Promise<StandingRow[]> {
  const r = await sql<{ member_id: string; value: number; seq: number; ref: string }>`
    select member_id, value, seq, ref from festival_standings
    where club_id = ${clubId} and festival_id = ${festivalId} and category = ${category} and value > 0
    order by value desc, seq, member_id
    limit ${limit}`.execute(db);
  return r.rows.map((x) => ({ memberId: x.member_id, value: Number(x.value), seq: Number(x.seq), ref: x.ref }));
}

/**
 * A member's value and competition rank in a category from the rank structure (the
 * function festival_rank, migrations/0301): members in higher blocks + members at higher
 * values inside the member's block; and the number of ranked members (value > 0).
 */
export async function standingOf(db: Executor, clubId: string, festivalId: string, category: string, memberId: string): Promise<{ value: number; seq: number | null; above: number; ranked: number }> {
  const r = await sql<{ my_value: number | null; my_seq: number | null; above: number | null; ranked: number }>`
    select my_value, my_seq, above, ranked from festival_rank(${clubId}, ${festivalId}, ${category}, ${memberId})`.execute(db);
  const row = r.rows[0]!;
  return { value: Number(row.my_value ?? 0), seq: row.my_seq === null ? null : Number(row.my_seq), above: Number(row.above ?? 0), ranked: Number(row.ranked) };
}

/** Recomputes the rank structure of a festival from its standings (repair, bulk loads). */
export async function rebuildRanks(db: Executor, clubId: string, festivalId: string): Promise<void> {
  await sql`delete from festival_rank_counts where club_id = ${clubId} and festival_id = ${festivalId}`.execute(db);
  await sql`delete from festival_rank_blocks where club_id = ${clubId} and festival_id = ${festivalId}`.execute(db);
  // The shard is the member id's last hex digit mod 8, as shardOf() computes it.
  const shard = sql`(('x' || lpad(right(member_id, 1), 8, '0'))::bit(32)::int % 8)`;
  await sql`
    insert into festival_rank_counts (club_id, festival_id, category, value, shard, members)
    select club_id, festival_id, category, value, ${shard}, count(*) from festival_standings
    where club_id = ${clubId} and festival_id = ${festivalId} and value > 0
    group by club_id, festival_id, category, value, ${shard}`.execute(db);
  await sql`
    insert into festival_rank_blocks (club_id, festival_id, category, block, shard, members)
    select club_id, festival_id, category, value / ${BLOCK}, ${shard}, count(*) from festival_standings
    where club_id = ${clubId} and festival_id = ${festivalId} and value > 0
    group by club_id, festival_id, category, value / ${BLOCK}, ${shard}`.execute(db);
}

/** Score (festival unit projection) of some members, for a member's own view. */
export async function valuesOf(db: Executor, clubId: string, festivalId: string, memberId: string): Promise<Map<string, number>> {
  const r = await sql<{ category: string; value: number }>`
    select category, value from festival_standings where club_id = ${clubId} and festival_id = ${festivalId} and member_id = ${memberId}`.execute(db);
  return new Map(r.rows.map((x) => [x.category, Number(x.value)]));
}

export async function scoresOf(db: Executor, clubId: string, memberId: string): Promise<Map<string, number>> {
  const r = await sql<{ festival_id: string; value: number }>`
    select festival_id, value from festival_standings where club_id = ${clubId} and member_id = ${memberId} and category = ${SCORE_CATEGORY}`.execute(db);
  return new Map(r.rows.map((x) => [x.festival_id, Number(x.value)]));
}

// ───────────────────────────── draws ─────────────────────────────

export interface DrawRow {
  id: string;
  club_id: string;
  festival_id: string;
  kind: 'stage' | 'final';
  title_fa: string;
  title_en: string;
  cutoff_at: Date;
  draw_at: Date;
  winner_count: number;
  min_score: number;
  chance_basis: 'score' | 'staked';
  points_per_chance: number;
  exclude_past_winners: boolean;
  prizes: unknown;
  seed_enc: string;
  commitment: string;
  committed_at: Date;
  status: 'scheduled' | 'snapshotted' | 'drawn';
  snapshot_at: Date | null;
  entry_count: number | null;
  total_chances: number | null;
  entries_digest: string | null;
  drawn_at: Date | null;
  created_at: Date;
}

export const drawPrizes = (r: DrawRow): Prize[] => json<Prize[]>(r.prizes);

export async function insertDraw(tx: Tx, row: Omit<DrawRow, 'status' | 'snapshot_at' | 'entry_count' | 'total_chances' | 'entries_digest' | 'drawn_at' | 'created_at' | 'prizes'> & { prizes: Prize[]; created_by: string }): Promise<DrawRow> {
  return (await tx
    .insertInto('festival_draws')
    .values({ ...row, prizes: JSON.stringify(row.prizes), status: 'scheduled', created_at: row.committed_at })
    .returningAll()
    .executeTakeFirstOrThrow()) as DrawRow;
}

export async function findDraw(db: Executor, clubId: string | null, id: string, lock: 'update' | 'share' | false = false): Promise<DrawRow | null> {
  let q = db.selectFrom('festival_draws').selectAll().where('id', '=', id);
  if (clubId !== null) q = q.where('club_id', '=', clubId);
  if (lock === 'update') q = q.forUpdate();
  if (lock === 'share') q = q.forShare();
  return ((await q.executeTakeFirst()) as DrawRow | undefined) ?? null;
}

export async function listDraws(db: Executor, clubId: string, festivalId: string): Promise<DrawRow[]> {
  return (await db
    .selectFrom('festival_draws')
    .selectAll()
    .where('club_id', '=', clubId)
    .where('festival_id', '=', festivalId)
    .orderBy('cutoff_at')
    .orderBy('id')
    .execute()) as DrawRow[];
}

/** Every draw of the club (newest cut-off first), with its festival's name and status. */
export async function listClubDraws(db: Executor, clubId: string, o: { status?: DrawRow['status'] | 'cancelled'; festivalId?: string; limit: number; offset: number }) {
  // A draw of a cancelled festival that was not drawn reads `cancelled` (derived, never stored).
  const status =
    o.status === 'cancelled' ? sql`and d.status <> 'drawn' and f.status = 'cancelled'`
    : o.status === 'drawn' ? sql`and d.status = 'drawn'`
    : o.status ? sql`and d.status = ${o.status} and f.status = 'active'`
    : sql``;
  const where = sql`d.club_id = ${clubId} ${status} ${o.festivalId ? sql`and d.festival_id = ${o.festivalId}` : sql``}`;
  const [count, rows] = await Promise.all([
    sql<{ n: number }>`select count(*)::bigint as n from festival_draws d join festivals f on f.club_id = d.club_id and f.id = d.festival_id where ${where}`.execute(db),
    sql<DrawRow & { festival_name_fa: string; festival_name_en: string; festival_status: FestivalRow['status'] }>`
      select d.*, f.name_fa as festival_name_fa, f.name_en as festival_name_en, f.status as festival_status
      from festival_draws d join festivals f on f.club_id = d.club_id and f.id = d.festival_id
      where ${where}
      order by d.cutoff_at desc, d.id desc
      limit ${o.limit} offset ${o.offset}`.execute(db),
  ]);
  return { total: Number(count.rows[0]?.n ?? 0), rows: rows.rows };
}

/** Locks a festival's undrawn draws: waits for stakes in flight (they hold a draw FOR SHARE). */
export async function lockUndrawnDraws(tx: Tx, clubId: string, festivalId: string): Promise<void> {
  await sql`select id from festival_draws where club_id = ${clubId} and festival_id = ${festivalId} and status <> 'drawn' order by id for update`.execute(tx);
}

/** Points members staked on a festival's draws that have not been drawn (to give back on cancel). */
export async function undrawnStakes(tx: Tx, clubId: string, festivalId: string) {
  return (await sql<{ id: string; member_id: string; draw_id: string; points: number }>`
    select s.id, s.member_id, s.draw_id, s.points from festival_stakes s
    join festival_draws d on d.club_id = s.club_id and d.id = s.draw_id
    where s.club_id = ${clubId} and s.festival_id = ${festivalId} and s.source = 'stake' and s.points > 0 and d.status <> 'drawn'
    order by s.member_id, s.id`.execute(tx)).rows.map((r) => ({ ...r, points: Number(r.points) }));
}

export async function setDrawStatus(db: Executor, clubId: string, id: string, status: DrawRow['status'], extra: Record<string, unknown> = {}): Promise<void> {
  await db.updateTable('festival_draws').set({ status, ...extra }).where('club_id', '=', clubId).where('id', '=', id).execute();
}

export async function dueDraws(db: Executor, now: Date): Promise<{ id: string; club_id: string }[]> {
  return (await sql<{ id: string; club_id: string }>`
    select d.id, d.club_id from festival_draws d
    where ((d.status = 'scheduled' and d.cutoff_at <= ${now}) or (d.status = 'snapshotted' and d.draw_at <= ${now}))
      and exists (select 1 from festivals f where f.club_id = d.club_id and f.id = d.festival_id and f.status = 'active')
    order by d.cutoff_at, d.id limit 20`.execute(db)).rows;
}

/**
 * Freezes eligibility: one entry per eligible participant, chances per the draw's rule.
 * `inactive` are members who are not active at the snapshot (PostgreSQL hashes the array).
 */
export async function snapshotEntries(tx: Tx, d: DrawRow, inactive: string[]): Promise<void> {
  await sql`
    insert into festival_draw_entries (club_id, draw_id, ref, member_id, chances, score)
    select ${d.club_id}, ${d.id}, e.mobile_masked || '#' || e.entry_code, e.member_id, e.chances, e.score
    from (
      select p.member_id, p.mobile_masked, p.entry_code, coalesce(s.value, 0) as score,
             least(case when ${d.chance_basis} = 'score' then coalesce(s.value, 0) / ${d.points_per_chance}::bigint
                        else coalesce(st.chances, 0) end, 2147483648) as chances
      from festival_participants p
      left join festival_standings s
        on s.club_id = p.club_id and s.festival_id = p.festival_id and s.category = ${SCORE_CATEGORY} and s.member_id = p.member_id
      left join (select member_id, sum(chances)::bigint as chances from festival_stakes
                 where club_id = ${d.club_id} and draw_id = ${d.id} group by member_id) st
        on st.member_id = p.member_id
      where p.club_id = ${d.club_id} and p.festival_id = ${d.festival_id}
    ) e
    where e.score >= ${d.min_score} and e.chances >= 1
      and e.member_id <> all(${inactive}::text[])
      and not (${d.exclude_past_winners} and exists (
        select 1 from festival_draw_winners w where w.club_id = ${d.club_id} and w.festival_id = ${d.festival_id} and w.member_id = e.member_id))
    -- Written in canonical order, so reading the list back in key order is sequential I/O.
    order by (e.mobile_masked || '#' || e.entry_code) collate "C"`.execute(tx);
}

/**
 * The entry list in canonical order (bytewise by ref: the column is COLLATE "C"), read as
 * one text value: a million rows as objects cost seconds in the driver, one string does not.
 */
export async function readEntries(db: Executor, clubId: string, drawId: string): Promise<{ ref: string; chances: number }[]> {
  // The subquery walks the primary key in order (no sort of a million rows, no spill to
  // disk); string_agg keeps its input order. Should a plan ever reorder, drawWinners checks
  // the order and sorts, so the result stays right either way.
  const r = await sql<{ list: string | null }>`
    select string_agg(ref || E'\\t' || chances::text, E'\\n') as list from (
      select ref, chances from festival_draw_entries where club_id = ${clubId} and draw_id = ${drawId} order by ref
    ) e`.execute(db);
  return parseEntries(r.rows[0]?.list ?? '');
}

/** The canonical serialisation of a list: per entry `ref TAB chances LF` (what entriesDigest hashes). */
export function serialiseEntries(entries: readonly { ref: string; chances: number }[]): string {
  const parts = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) parts[i] = `${entries[i]!.ref}\t${entries[i]!.chances}\n`;
  return parts.join('');
}

function parseEntries(body: string): { ref: string; chances: number }[] {
  if (!body) return [];
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out = new Array<{ ref: string; chances: number }>(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const tab = line.lastIndexOf('\t');
    out[i] = { ref: line.slice(0, tab), chances: Number(line.slice(tab + 1)) };
  }
  return out;
}

export async function saveEntryList(tx: Tx, clubId: string, drawId: string, body: string): Promise<void> {
  await sql`insert into festival_draw_lists (club_id, draw_id, body) values (${clubId}, ${drawId}, ${body})`.execute(tx);
}

/** The frozen list of a snapshotted draw, in canonical order, from its one stored text. */
export async function readEntryList(db: Executor, clubId: string, drawId: string): Promise<{ ref: string; chances: number }[] | null> {
  const r = await sql<{ body: string }>`select body from festival_draw_lists where club_id = ${clubId} and draw_id = ${drawId}`.execute(db);
  return r.rows[0] ? parseEntries(r.rows[0].body) : null;
}

export async function entryOf(db: Executor, clubId: string, drawId: string, memberId: string): Promise<{ ref: string; chances: number } | null> {
  const r = await sql<{ ref: string; chances: number }>`
    select ref, chances from festival_draw_entries where club_id = ${clubId} and draw_id = ${drawId} and member_id = ${memberId}`.execute(db);
  return r.rows[0] ? { ref: r.rows[0].ref, chances: Number(r.rows[0].chances) } : null;
}

export async function membersOfRefs(db: Executor, clubId: string, drawId: string, refs: string[]): Promise<Map<string, string>> {
  if (!refs.length) return new Map();
  const r = await sql<{ ref: string; member_id: string }>`
    select ref, member_id from festival_draw_entries where club_id = ${clubId} and draw_id = ${drawId} and ref = any(${refs}::text[])`.execute(db);
  return new Map(r.rows.map((x) => [x.ref, x.member_id]));
}

export interface WinnerRow {
  rank: number;
  ref: string;
  member_id: string;
  chances: number;
  prize: unknown;
  fulfilment: 'none' | 'pending' | 'fulfilled' | 'failed';
  redemption_id: string | null;
}

export async function insertWinners(tx: Tx, clubId: string, drawId: string, festivalId: string, rows: { rank: number; ref: string; memberId: string; chances: number; prize: Prize | null }[], now: Date): Promise<void> {
  if (!rows.length) return;
  await tx
    .insertInto('festival_draw_winners')
    .values(rows.map((w) => ({
      club_id: clubId, draw_id: drawId, festival_id: festivalId, rank: w.rank, ref: w.ref, member_id: w.memberId, chances: w.chances,
      prize: w.prize ? JSON.stringify(w.prize) : null, fulfilment: w.prize?.rewardId ? 'pending' : 'none', created_at: now,
    })))
    .execute();
}

export async function listWinners(db: Executor, clubId: string, drawId: string): Promise<WinnerRow[]> {
  return (await db
    .selectFrom('festival_draw_winners')
    .select(['rank', 'ref', 'member_id', 'chances', 'prize', 'fulfilment', 'redemption_id'])
    .where('club_id', '=', clubId)
    .where('draw_id', '=', drawId)
    .orderBy('rank')
    .execute()) as WinnerRow[];
}

/** Prizes waiting for the rewards module, oldest first (optionally of one draw). */
export async function pendingPrizes(db: Executor, limit: number, draw?: { clubId: string; drawId: string }) {
  return (await sql<{ club_id: string; draw_id: string; rank: number; member_id: string; prize: unknown }>`
    select club_id, draw_id, rank, member_id, prize from festival_draw_winners
    where fulfilment = 'pending' ${draw ? sql`and club_id = ${draw.clubId} and draw_id = ${draw.drawId}` : sql``}
    order by created_at, draw_id, rank limit ${limit}`.execute(db)).rows;
}

export async function setFulfilment(db: Executor, clubId: string, drawId: string, rank: number, status: 'fulfilled' | 'failed', redemptionId: string | null, detail: string | null): Promise<void> {
  await db
    .updateTable('festival_draw_winners')
    .set({ fulfilment: status, redemption_id: redemptionId, fulfilment_detail: detail })
    .where('club_id', '=', clubId)
    .where('draw_id', '=', drawId)
    .where('rank', '=', rank)
    .where('fulfilment', '=', 'pending')
    .execute();
}

export async function winsOf(db: Executor, clubId: string, festivalId: string, memberId: string) {
  return (await sql<{ draw_id: string; rank: number; ref: string; prize: unknown }>`
    select draw_id, rank, ref, prize from festival_draw_winners
    where club_id = ${clubId} and festival_id = ${festivalId} and member_id = ${memberId} order by created_at, draw_id`.execute(db)).rows;
}

// ───────────────────────────── stakes ─────────────────────────────

export interface StakeRow {
  id: string;
  festival_id: string;
  draw_id: string;
  member_id: string;
  source: 'stake' | 'reward';
  reference: string | null;
  points: number;
  chances: number;
  entry_id: string | null;
  created_at: Date;
}

export async function insertStake(tx: Tx, clubId: string, s: { id: string; festivalId: string; drawId: string; memberId: string; source: 'stake' | 'reward'; reference: string | null; points: number; chances: number; entryId: string | null }, now: Date): Promise<StakeRow | null> {
  const r = await sql<StakeRow>`
    insert into festival_stakes (id, club_id, festival_id, draw_id, member_id, source, reference, points, chances, entry_id, created_at)
    values (${s.id}, ${clubId}, ${s.festivalId}, ${s.drawId}, ${s.memberId}, ${s.source}, ${s.reference}, ${s.points}, ${s.chances}, ${s.entryId}, ${now})
    on conflict (id) do nothing
    returning *`.execute(tx);
  return r.rows[0] ?? null;
}

export async function stakedChances(db: Executor, clubId: string, festivalId: string, memberId: string) {
  return (await sql<{ draw_id: string; points: number; chances: number }>`
    select draw_id, sum(points)::bigint as points, sum(chances)::bigint as chances from festival_stakes
    where club_id = ${clubId} and festival_id = ${festivalId} and member_id = ${memberId}
    group by draw_id`.execute(db)).rows.map((r) => ({ drawId: r.draw_id, points: Number(r.points), chances: Number(r.chances) }));
}

// ───────────────────────────── top performers ─────────────────────────────

export async function insertTopPerformers(tx: Tx, clubId: string, festivalId: string, rows: { category: string; rank: number; memberId: string; value: number; seq: number; prize: unknown }[], now: Date): Promise<void> {
  if (rows.length) {
    await tx
      .insertInto('festival_top_performers')
      .values(rows.map((r) => ({ club_id: clubId, festival_id: festivalId, category: r.category, rank: r.rank, member_id: r.memberId, value: r.value, seq: r.seq, prize: r.prize ? JSON.stringify(r.prize) : null, decided_at: now })))
      .execute();
  }
  await tx.updateTable('festivals').set({ top_decided_at: now }).where('club_id', '=', clubId).where('id', '=', festivalId).execute();
}

export async function listTopPerformers(db: Executor, clubId: string, festivalId: string) {
  return (await sql<{ category: string; rank: number; member_id: string; value: number; prize: unknown; decided_at: Date; mobile_masked: string | null; entry_code: string | null }>`
    select t.category, t.rank, t.member_id, t.value, t.prize, t.decided_at, p.mobile_masked, p.entry_code
    from festival_top_performers t
    left join festival_participants p on p.club_id = t.club_id and p.festival_id = t.festival_id and p.member_id = t.member_id
    where t.club_id = ${clubId} and t.festival_id = ${festivalId}
    order by t.category, t.rank`.execute(db)).rows;
}

export { json as parseJson };
