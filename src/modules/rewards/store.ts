/**
 * The rewards module's SQL. Every query filters by club_id. Lock order in a redemption:
 * the member's balance rows (taken by the ledger), then the reward's stock row, then a
 * coupon code (SKIP LOCKED) — never the other way round.
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

/**
 * Takes one unit of stock, or reports none left: a conditional UPDATE, so concurrent
 * redemptions queue on the row and each re-checks `stock > 0` after the one before commits.
 */
export async function takeStock(tx: Executor, clubId: string, rewardId: string, n = 1): Promise<boolean> {
  const r = await sql`update rewards set stock = stock - ${n} where club_id = ${clubId} and id = ${rewardId} and stock >= ${n} returning stock`.execute(tx);
  return r.rows.length === 1;
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

/** Times this member took the reward (or the bundle) in [start, ∞) and ever, counting live redemptions only. */
export async function takenCounts(tx: Executor, clubId: string, memberId: string, rewardId: string, periodStart: Date | null): Promise<{ inPeriod: number; ever: number }> {
  const r = await sql<{ in_period: number; ever: number }>`
    select count(*) filter (where ${periodStart === null ? sql`true` : sql`created_at >= ${periodStart}`})::int as in_period, count(*)::int as ever
    from redemptions where club_id = ${clubId} and member_id = ${memberId} and (reward_id = ${rewardId} or bundle_id = ${rewardId}) and status in ('pending', 'fulfilled')`.execute(tx);
  return { inPeriod: Number(r.rows[0]?.in_period ?? 0), ever: Number(r.rows[0]?.ever ?? 0) };
}

/** Gives out one pooled code: the first free one nobody else is claiming right now. */
export async function claimPooledCode(tx: Executor, clubId: string, rewardId: string, a: { memberId: string; redemptionId: string; now: Date; expiresAt: Date | null }): Promise<{ code: string; expiresAt: Date | null } | null> {
  const r = await sql<{ code: string; expires_at: Date | null }>`
    update coupon_codes set status = 'assigned', member_id = ${a.memberId}, redemption_id = ${a.redemptionId}, assigned_at = ${a.now},
      expires_at = case when expires_at is null then ${a.expiresAt}::timestamptz when ${a.expiresAt}::timestamptz is null then expires_at else least(expires_at, ${a.expiresAt}::timestamptz) end
    where id = (select id from coupon_codes where club_id = ${clubId} and reward_id = ${rewardId} and status = 'available'
                order by id limit 1 for update skip locked)
    returning code, expires_at`.execute(tx);
  const row = r.rows[0];
  return row ? { code: row.code, expiresAt: date(row.expires_at) } : null;
}

export async function insertIssuedCode(tx: Executor, row: { id: string; clubId: string; rewardId: string; code: string; memberId: string; redemptionId: string; now: Date; expiresAt: Date | null }): Promise<boolean> {
  const r = await sql`insert into coupon_codes (id, club_id, reward_id, code, status, member_id, redemption_id, assigned_at, expires_at)
    values (${row.id}, ${row.clubId}, ${row.rewardId}, ${row.code}, 'assigned', ${row.memberId}, ${row.redemptionId}, ${row.now}, ${row.expiresAt})
    on conflict (club_id, code) do nothing returning id`.execute(tx);
  return r.rows.length === 1;
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
