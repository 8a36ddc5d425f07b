/**
 * The rewards module's SQL. Every query filters by club_id. Lock order in a redemption
 * group: the members' advisory locks (sorted), [the stock row, when the group runs with it
 * locked up front near sell-out], the members' balance rows (taken by the ledger, in member
 * order), then the reward's stock row, then coupon codes (SKIP LOCKED: never waits).
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import { windowJalali, type Reward, type RewardConfig, type RewardType } from './domain.js';

export interface RewardRow {
  id: string;
  club_id: string;
  type: RewardType;
  title_fa: string;
  title_en: string;
  description_fa: string;
  description_en: string;
  image_url: string | null;
  cost_points: number;
  copay_rials: number;
  stock: number | null;
  limit_count: number | null;
  limit_period: string | null;
  audience_tiers: string[];
  audience_groups: string[];
  available_from: Date | null;
  available_until: Date | null;
  config: RewardConfig | string;
  status: 'active' | 'archived';
  created_at: Date;
  updated_at: Date;
}

const date = (d: Date | string | null) => (d ? new Date(d) : null);

export function toReward(r: RewardRow, tz: string): Reward {
  const from = date(r.available_from);
  const until = date(r.available_until);
  return {
    id: r.id,
    type: r.type,
    title: { fa: r.title_fa, en: r.title_en },
    description: { fa: r.description_fa, en: r.description_en },
    imageUrl: r.image_url,
    costPoints: Number(r.cost_points),
    copayRials: Number(r.copay_rials),
    stock: r.stock === null ? null : Number(r.stock),
    limit: r.limit_count && r.limit_period ? { count: r.limit_count, period: r.limit_period as never } : null,
    audience: { tiers: r.audience_tiers ?? [], groups: r.audience_groups ?? [] },
    availableFrom: from?.toISOString() ?? null,
    availableUntil: until?.toISOString() ?? null,
    window: windowJalali(from, until, tz),
    config: typeof r.config === 'string' ? JSON.parse(r.config) : (r.config ?? {}),
    status: r.status,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

export async function findReward(db: Executor, clubId: string, id: string): Promise<RewardRow | null> {
  const r = await db.selectFrom('rewards').selectAll().where('club_id', '=', clubId).where('id', '=', id).executeTakeFirst();
  return (r as RewardRow | undefined) ?? null;
}

export async function listRewards(db: Executor, clubId: string, opts: { status?: string; type?: string; ids?: string[] } = {}): Promise<RewardRow[]> {
  let q = db.selectFrom('rewards').selectAll().where('club_id', '=', clubId);
  if (opts.status) q = q.where('status', '=', opts.status);
  if (opts.type) q = q.where('type', '=', opts.type);
  if (opts.ids) q = opts.ids.length ? q.where('id', 'in', opts.ids) : q.where(sql<boolean>`false`);
  return (await q.orderBy('created_at', 'desc').orderBy('id').limit(1000).execute()) as RewardRow[];
}

/** Locks the reward's stock row (the batch's last lock) and returns what is left; null = unlimited. */
export async function lockStock(tx: Executor, clubId: string, rewardId: string): Promise<number | null> {
  const r = await sql<{ stock: number | null }>`select stock from rewards where club_id = ${clubId} and id = ${rewardId} for update`.execute(tx);
  const s = r.rows[0]?.stock;
  return s === null || s === undefined ? null : Number(s);
}

export async function giveBackStock(tx: Executor, clubId: string, rewardId: string, n = 1): Promise<void> {
  await sql`update rewards set stock = stock + ${n} where club_id = ${clubId} and id = ${rewardId} and stock is not null`.execute(tx);
}

/** Adds codes to a reward's pool; duplicates (in the club) are skipped. Returns how many were new. */
export async function insertPoolCodes(db: Executor, clubId: string, rewardId: string, codes: { id: string; code: string; expiresAt: Date | null }[]): Promise<number> {
  if (!codes.length) return 0;
  const r = await sql`insert into coupon_codes (id, club_id, reward_id, code, status, expires_at)
    select id, ${clubId}, ${rewardId}, code, 'available', exp::timestamptz
    from unnest(${codes.map((c) => c.id)}::text[], ${codes.map((c) => c.code)}::text[], ${codes.map((c) => c.expiresAt?.toISOString() ?? null)}::text[]) as x(id, code, exp)
    on conflict (club_id, code) do nothing returning id`.execute(db);
  return r.rows.length;
}

export async function poolCounts(db: Executor, clubId: string, rewardId: string): Promise<Record<string, number>> {
  const r = await sql<{ status: string; n: number }>`select status, count(*)::int as n from coupon_codes where club_id = ${clubId} and reward_id = ${rewardId} group by status`.execute(db);
  return Object.fromEntries(r.rows.map((x) => [x.status, Number(x.n)]));
}

export interface RedemptionRow {
  id: string;
  club_id: string;
  member_id: string;
  reward_id: string;
  bundle_id: string | null;
  type: RewardType;
  status: 'pending' | 'fulfilled' | 'failed' | 'cancelled';
  fulfilment: 'ordered' | 'shipped' | 'delivered' | 'cancelled' | null;
  points: number;
  copay_rials: number;
  quantity: number;
  nth: number;
  hold_id: string | null;
  copay_hold_id: string | null;
  code: string | null;
  code_expires_at: Date | null;
  delivery: Record<string, unknown> | null;
  detail: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export async function findRedemption(db: Executor, clubId: string, id: string, lock = false): Promise<RedemptionRow | null> {
  let q = db.selectFrom('redemptions').selectAll().where('club_id', '=', clubId).where('id', '=', id);
  if (lock) q = q.forUpdate();
  return ((await q.executeTakeFirst()) as RedemptionRow | undefined) ?? null;
}

/**
 * Moves a redemption on, only if it is still where the caller saw it (`where`): a
 * conditional UPDATE, so of two concurrent movers exactly one wins. Null when it lost.
 */
export async function transition(tx: Executor, clubId: string, id: string, where: { status?: string[]; fulfilment?: string[] }, set: { status?: string; fulfilment?: string; detail?: Record<string, unknown> }, now: Date): Promise<RedemptionRow | null> {
  const r = await sql<RedemptionRow>`
    update redemptions set
      status = coalesce(${set.status ?? null}, status),
      fulfilment = coalesce(${set.fulfilment ?? null}, fulfilment),
      detail = detail || ${JSON.stringify(set.detail ?? {})}::jsonb,
      updated_at = ${now}
    where club_id = ${clubId} and id = ${id}
      ${where.status ? sql`and status = any(${where.status}::text[])` : sql``}
      ${where.fulfilment ? sql`and fulfilment = any(${where.fulfilment}::text[])` : sql``}
    returning *`.execute(tx);
  return r.rows[0] ?? null;
}

/** Per reward: how often this member took it, and when last. */
export async function memberHistory(db: Executor, clubId: string, memberId: string): Promise<Map<string, { times: number; last: Date }>> {
  const r = await sql<{ reward_id: string; times: number; last: Date }>`
    select reward_id, count(*)::int as times, max(created_at) as last from redemptions
    where club_id = ${clubId} and member_id = ${memberId} and status in ('pending', 'fulfilled')
    group by reward_id`.execute(db);
  return new Map(r.rows.map((x) => [x.reward_id, { times: Number(x.times), last: new Date(x.last) }]));
}

/** Running totals of donations per reward (points given, not cancelled). */
export async function donationTotals(db: Executor, clubId: string, rewardIds: string[]): Promise<Map<string, { points: number; donors: number }>> {
  if (!rewardIds.length) return new Map();
  const r = await sql<{ reward_id: string; points: number; donors: number }>`
    select reward_id, coalesce(sum(points), 0)::bigint as points, count(distinct member_id)::int as donors from redemptions
    where club_id = ${clubId} and reward_id = any(${rewardIds}::text[]) and type = 'donation' and status = 'fulfilled'
    group by reward_id`.execute(db);
  return new Map(r.rows.map((x) => [x.reward_id, { points: Number(x.points), donors: Number(x.donors) }]));
}

export async function takenPerMember(db: Executor, clubId: string, rewardId: string): Promise<{ counts: number[]; catalogueUsers: number }> {
  const counts = await sql<{ n: number }>`
    select count(*)::int as n from redemptions
    where club_id = ${clubId} and reward_id = ${rewardId} and status in ('pending', 'fulfilled') group by member_id`.execute(db);
  const users = await sql<{ n: number }>`
    select count(distinct member_id)::int as n from redemptions where club_id = ${clubId} and status in ('pending', 'fulfilled')`.execute(db);
  return { counts: counts.rows.map((r) => Number(r.n)), catalogueUsers: Number(users.rows[0]?.n ?? 0) };
}

// ------------------------------------------------------------------------- set-based, for a group of redemptions

type Claimed = { state: 'new' } | { state: 'replay'; response: unknown } | { state: 'conflict' };

/**
 * Opens a redemption group, in one statement: claims its Idempotency-Keys (the platform's
 * claimKey, set-based), reads the reward — as the group's transaction sees it, not as some
 * request read it before — and then serialises redemptions per member: one advisory
 * transaction lock per member, taken in a fixed order, before the ledger locks the
 * member's balance rows (limits are counted under it, in a later statement). A key another transaction is
 * claiming right now makes this wait for it (before any member lock is taken: the keys'
 * insert must finish before the locks are asked for), then read its committed response.
 * Returns, per key, 'new' or what was stored before, and the reward (null: none such).
 */
export async function openGroup(tx: Executor, clubId: string, rewardId: string, claims: { key: string; requestHash: string }[], memberIds: string[]): Promise<{ keys: Map<string, Claimed>; reward: RewardRow | null }> {
  const out = new Map<string, Claimed>();
  const lockKeys = [...new Set(memberIds)].map((m) => `${clubId}:${m}`);
  const ins = await sql<{ t: string; key: string | null; reward: RewardRow | null }>`
    with ins as (
      insert into idempotency_keys (club_id, key, request_hash)
      select ${clubId}, k, h from unnest(${claims.map((c) => c.key)}::text[], ${claims.map((c) => c.requestHash)}::text[]) as x(k, h)
      on conflict (club_id, key) do nothing returning key
    ), lk as (
      -- The gate (an init plan, run first) reads every claim: the locks are asked for only after.
      select count(pg_advisory_xact_lock(h)) as n from (
        select distinct hashtext(k) as h from unnest(${lockKeys}::text[]) as x(k) where (select count(*) from ins) >= 0 order by 1
      ) s
    )
    select 'k' as t, key, null::jsonb as reward from ins
    union all
    select 'r', null, to_jsonb(r) from rewards r where r.club_id = ${clubId} and r.id = ${rewardId}
    union all
    select 'l', null, to_jsonb(n) from lk`.execute(tx);
  let reward: RewardRow | null = null;
  for (const r of ins.rows) {
    if (r.t === 'k') out.set(r.key!, { state: 'new' });
    else if (r.t === 'r') reward = typeof r.reward === 'string' ? (JSON.parse(r.reward) as RewardRow) : r.reward;
  }
  const seen = claims.filter((c) => !out.has(c.key));
  if (seen.length) {
    const rows = await sql<{ key: string; request_hash: string; response: unknown }>`
      select key, request_hash, response from idempotency_keys where club_id = ${clubId} and key = any(${seen.map((c) => c.key)}::text[])`.execute(tx);
    const byKey = new Map(rows.rows.map((r) => [r.key, r]));
    for (const c of seen) {
      const r = byKey.get(c.key);
      if (!r) throw new Error(`idempotency key ${c.key} neither inserted nor found`);
      out.set(c.key, r.request_hash === c.requestHash ? { state: 'replay', response: typeof r.response === 'string' ? JSON.parse(r.response) : r.response } : { state: 'conflict' });
    }
  }
  return { keys: out, reward };
}

/** takenCounts for many (member, reward-or-bundle, period start) at once, in input order. */
export async function takenCountsMany(tx: Executor, clubId: string, asks: { memberId: string; rewardId: string; periodStart: Date | null }[]): Promise<{ inPeriod: number; ever: number }[]> {
  if (!asks.length) return [];
  // LATERAL: one index probe (redemptions_member) per asked member, never a scan of the table.
  const r = await sql<{ i: number; in_period: number; ever: number }>`
    select x.i, c.in_period, c.ever
    from unnest(${asks.map((a) => a.memberId)}::text[], ${asks.map((a) => a.rewardId)}::text[], ${asks.map((a) => a.periodStart?.toISOString() ?? null)}::text[]) with ordinality as x(m, p, ps, i)
    cross join lateral (
      select count(*) filter (where x.ps is null or r.created_at >= x.ps::timestamptz)::int as in_period, count(*)::int as ever
      from redemptions r
      where r.club_id = ${clubId} and r.member_id = x.m and (r.reward_id = x.p or r.bundle_id = x.p) and r.status in ('pending', 'fulfilled')
    ) c`.execute(tx);
  const byI = new Map(r.rows.map((x) => [Number(x.i), x]));
  return asks.map((_, i) => ({ inPeriod: Number(byI.get(i + 1)?.in_period ?? 0), ever: Number(byI.get(i + 1)?.ever ?? 0) }));
}

/** Locks up to n free pooled codes nobody else is claiming right now (SKIP LOCKED); returns their ids. */
export async function reservePoolCodes(tx: Executor, clubId: string, rewardId: string, n: number): Promise<string[]> {
  if (n <= 0) return [];
  const r = await sql<{ id: string }>`select id from coupon_codes where club_id = ${clubId} and reward_id = ${rewardId} and status = 'available'
    order by id limit ${n} for update skip locked`.execute(tx);
  return r.rows.map((x) => x.id);
}

/** Gives reserved pooled codes to their redemptions (expiry: the earlier of the code's own and validUntil). */
export async function assignPoolCodes(tx: Executor, clubId: string, rewardId: string, a: { codeId: string; memberId: string; redemptionId: string }[], now: Date, validUntil: Date | null): Promise<Map<string, { code: string; expiresAt: Date | null }>> {
  if (!a.length) return new Map();
  const until = validUntil?.toISOString() ?? null;
  const r = await sql<{ redemption_id: string; code: string; expires_at: Date | null }>`
    update coupon_codes c set status = 'assigned', member_id = x.m, redemption_id = x.r, assigned_at = ${now},
      expires_at = case when c.expires_at is null then ${until}::timestamptz when ${until}::timestamptz is null then c.expires_at else least(c.expires_at, ${until}::timestamptz) end
    from unnest(${a.map((x) => x.codeId)}::text[], ${a.map((x) => x.memberId)}::text[], ${a.map((x) => x.redemptionId)}::text[]) as x(id, m, r)
    where c.club_id = ${clubId} and c.reward_id = ${rewardId} and c.id = x.id and c.status = 'available'
    returning c.redemption_id, c.code, c.expires_at`.execute(tx);
  return new Map(r.rows.map((x) => [x.redemption_id, { code: x.code, expiresAt: date(x.expires_at) }]));
}

/** Inserts generated codes; returns the codes that were new (a clash is skipped, to be drawn again). */
export async function insertIssuedCodes(tx: Executor, clubId: string, rewardId: string, rows: { id: string; code: string; memberId: string; redemptionId: string }[], now: Date, expiresAt: Date | null): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const r = await sql<{ code: string }>`
    insert into coupon_codes (id, club_id, reward_id, code, status, member_id, redemption_id, assigned_at, expires_at)
    select id, ${clubId}, ${rewardId}, code, 'assigned', m, r, ${now}, ${expiresAt?.toISOString() ?? null}::timestamptz
    from unnest(${rows.map((x) => x.id)}::text[], ${rows.map((x) => x.code)}::text[], ${rows.map((x) => x.memberId)}::text[], ${rows.map((x) => x.redemptionId)}::text[]) as x(id, code, m, r)
    on conflict (club_id, code) do nothing returning code`.execute(tx);
  return new Set(r.rows.map((x) => x.code));
}

/** One redemption of a group, as written (every value known before the write: nothing is read back). */
export type NewRedemption = Omit<RedemptionRow, 'club_id' | 'status' | 'fulfilment' | 'code_expires_at' | 'created_at' | 'updated_at'> & {
  status: 'pending' | 'fulfilled';
  fulfilment: 'ordered' | null;
  /** ISO text: it travels as JSON */
  code_expires_at: string | null;
  actor: string;
};

/**
 * The end of a redemption group, ONE statement (data-modifying CTEs): the redemptions,
 * their audit rows and outbox messages (the same rows platform/audit and platform/outbox
 * write), the Idempotency-Keys settled (responses of the successes stored, claims of the
 * failures dropped) and — when `stock` is set — the group's stock taken, conditionally, so
 * the reward's row is locked from here to the commit only. Returns false when the stock
 * could not cover the group (nothing of it is then worth committing: the caller rolls back).
 * Parameters joined to a table (the keys) are arrays: the planner knows an unnest's length,
 * while it guesses 100 rows for a jsonb_to_recordset and may scan the table.
 */
export async function writeGroup(tx: Executor, clubId: string, g: {
  rewardId: string;
  now: Date;
  redemptions: NewRedemption[];
  audit: { actor: string; target: string; after: unknown; requestId: string | null }[];
  outbox: { topic: string; payload: unknown }[];
  stored: { key: string; response: unknown }[];
  dropped: string[];
  /** units of stock to take; null: the reward has no stock */
  stock: number | null;
  /**
   * No limit to count (so no count was read before): each redemption's `nth` is what was
   * passed (its rank inside the group) plus the member's earlier redemptions of the reward
   * or bundle, counted here — under the member's advisory lock, so nothing can slip between.
   */
  countNth?: boolean;
  /** Generated codes, inserted here (a clash, all but impossible, makes the result 'clash': roll back and redo). */
  issued?: { codes: { id: string; code: string; memberId: string; redemptionId: string }[]; expiresAt: Date | null };
}): Promise<'ok' | 'stock_short' | 'clash'> {
  const take = g.stock ?? 0;
  const issued = g.issued?.codes ?? [];
  const r = await sql<{ r: number; st: number; c: number }>`
    with r as (
      insert into redemptions (id, club_id, member_id, reward_id, bundle_id, type, status, fulfilment, points, copay_rials, quantity, nth, hold_id, copay_hold_id, code, code_expires_at, delivery, detail, actor, created_at, updated_at)
      select id, ${clubId}, member_id, reward_id, bundle_id, type, status, fulfilment, points, copay_rials, quantity,
        ${g.countNth ? sql`nth + (select count(*)::int from redemptions e where e.club_id = ${clubId} and e.member_id = x.member_id
          and (e.reward_id = coalesce(x.bundle_id, x.reward_id) or e.bundle_id = coalesce(x.bundle_id, x.reward_id)) and e.status in ('pending', 'fulfilled'))` : sql`nth`},
        hold_id, copay_hold_id, code, code_expires_at, delivery, detail, actor, ${g.now}, ${g.now}
      from jsonb_to_recordset(${JSON.stringify(g.redemptions)}::jsonb) as x(id text, member_id text, reward_id text, bundle_id text, type text, status text, fulfilment text, points bigint, copay_rials bigint, quantity int, nth int,
        hold_id text, copay_hold_id text, code text, code_expires_at timestamptz, delivery jsonb, detail jsonb, actor text)
      returning 1
    ), a as (
      insert into audit_log (club_id, actor, action, target, before, after, request_id)
      select ${clubId}, actor, 'redemption.created', target, null, after, request_id
      from jsonb_to_recordset(${JSON.stringify(g.audit.map((a) => ({ actor: a.actor, target: a.target, after: a.after, request_id: a.requestId })))}::jsonb) as x(actor text, target text, after jsonb, request_id text)
      returning 1
    ), o as (
      insert into outbox (club_id, topic, payload, available_at)
      select ${clubId}, topic, payload, now() from jsonb_to_recordset(${JSON.stringify(g.outbox)}::jsonb) as x(topic text, payload jsonb)
      returning 1
    ), ks as (
      update idempotency_keys k set status_code = 201, response = x.response::jsonb
      from unnest(${g.stored.map((x) => x.key)}::text[], ${g.stored.map((x) => JSON.stringify(x.response))}::text[]) as x(key, response)
      where k.club_id = ${clubId} and k.key = x.key
      returning 1
    ), kd as (
      delete from idempotency_keys where club_id = ${clubId} and key = any(${g.dropped}::text[])
      returning 1
    ), c as (
      insert into coupon_codes (id, club_id, reward_id, code, status, member_id, redemption_id, assigned_at, expires_at)
      select id, ${clubId}, ${g.rewardId}, code, 'assigned', m, r, ${g.now}, ${g.issued?.expiresAt?.toISOString() ?? null}::timestamptz
      from unnest(${issued.map((x) => x.id)}::text[], ${issued.map((x) => x.code)}::text[], ${issued.map((x) => x.memberId)}::text[], ${issued.map((x) => x.redemptionId)}::text[]) as x(id, code, m, r)
      on conflict (club_id, code) do nothing returning 1
    ), st as (
      update rewards set stock = stock - ${take}::bigint
      where ${take}::bigint > 0 and club_id = ${clubId} and id = ${g.rewardId} and stock >= ${take}::bigint
      returning stock
    )
    select (select count(*) from r)::int as r, (select count(*) from st)::int as st, (select count(*) from c)::int as c, (select count(*) from a)::int + (select count(*) from o)::int + (select count(*) from ks)::int + (select count(*) from kd)::int as rest`.execute(tx);
  const row = r.rows[0]!;
  if (Number(row.r) !== g.redemptions.length) throw new Error(`writeGroup: ${row.r} of ${g.redemptions.length} redemptions written`);
  if (g.stock !== null && Number(row.st) !== 1) return 'stock_short';
  return Number(row.c) === issued.length ? 'ok' : 'clash';
}
