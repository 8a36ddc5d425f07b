/**
 * A refunded purchase and the festivals it counted in, in the refund's transaction (an
 * `EventService.onRefund` hook, wired in app.ts):
 *
 * - its festival score (`festival:<id>`, a ledger unit of its own) is reversed by the ledger's
 *   refund rule — cumulative floor(score × refunded / purchase), all of it at a full refund,
 *   the purchase's own lots first — as a `reverse` entry on the refund event;
 * - the standings follow: `score` by what the ledger targeted, each performance category by
 *   its share of what the purchase added (a `count` category loses the purchase once it is
 *   refunded in full; an `amount` category in proportion), never below zero, with the rank
 *   structure kept in step (the same counts and blocks the earn path's applyStandings keeps);
 * - the member is told (`festival.score_reversed`).
 *
 * A purchase counted in a festival when it earned score there (the ledger says so) or, for a
 * festival that scores only categories, when it fell inside the window and the member had
 * joined by then. Frozen draw lists and decided top performers are not changed: they are
 * published, verifiable records. Badges, streaks and challenge progress stay as earned.
 */
import { sql } from 'kysely';
import type { Tx } from '../../platform/db.js';
import { enqueue, type OutboxMessage } from '../../platform/outbox.js';
import type { RefundContext, RefundHook } from '../events/index.js';
import { reversalTarget, type LedgerService } from '../ledger/index.js';
import { blockOf, categoryDelta, festivalIdOfUnit, inWindow, SCORE_CATEGORY, shardOf, unitOf, type Category } from './domain.js';
import { parseJson } from './store.js';

export interface FestivalRefundDeps {
  ledger: Pick<LedgerService, 'reverseForRefund' | 'earnedBy'>;
  /** The purchase as it was posted (its time decides which festival windows it fell in). */
  purchaseOf(tx: Tx, clubId: string, externalId: string): Promise<{ occurredAt: Date; type: string; amountRials: number } | null>;
  /** Applies the member's queued festival score in this transaction (service.ts applyQueuedInTx). */
  applyQueued(tx: Tx, clubId: string, memberId: string): Promise<number>;
}

/** This refund's share of `amount` (cumulative over the purchase's refunds: never more than all of it). */
function share(amount: number, r: RefundContext): number {
  const before = reversalTarget({ earned: amount, purchaseRials: r.purchaseRials, refundedBeforeRials: 0, refundNowRials: r.refundedBeforeRials, targetedBefore: 0 });
  return reversalTarget({ earned: amount, purchaseRials: r.purchaseRials, refundedBeforeRials: r.refundedBeforeRials, refundNowRials: r.refundRials, targetedBefore: before });
}

export function festivalRefundHook(d: FestivalRefundDeps): RefundHook {
  return async (tx, r) => {
    const clubId = r.club.id;
    // The purchase's festival score may still be queued: into the ledger and standings first.
    await d.applyQueued(tx, clubId, r.memberId);
    const scored = new Set(
      (await d.ledger.earnedBy(tx, clubId, r.purchaseEventId))
        .filter((e) => e.memberId === r.memberId && e.points > 0)
        .map((e) => festivalIdOfUnit(e.unit))
        .filter((id): id is string => id !== null),
    );
    const purchase = await d.purchaseOf(tx, clubId, r.purchaseExternalId);
    const at = purchase?.occurredAt ?? null;
    const festivals = (await sql<{ id: string; starts_at: Date; ends_at: Date; categories: unknown; status: string; joined_at: Date | null }>`
      select f.id, f.starts_at, f.ends_at, f.categories, f.status, p.joined_at
      from festivals f left join festival_participants p on p.club_id = f.club_id and p.festival_id = f.id and p.member_id = ${r.memberId}
      where f.club_id = ${clubId}
        and (f.id = any(${[...scored]}::text[]) or (${at}::timestamptz is not null and f.starts_at <= ${at} and f.ends_at > ${at}))
      order by f.id`.execute(tx)).rows;

    const deltas: { festivalId: string; category: string; delta: number }[] = [];
    const outbox: OutboxMessage[] = [];
    for (const f of festivals) {
      const counted = scored.has(f.id) || (at !== null && f.status === 'active' && f.joined_at !== null && new Date(f.joined_at) <= at && inWindow({ startsAt: new Date(f.starts_at), endsAt: new Date(f.ends_at) }, at));
      if (!counted) continue;
      if (scored.has(f.id)) {
        const rev = await d.ledger.reverseForRefund(tx, {
          clubId, memberId: r.memberId, purchaseEventId: r.purchaseEventId, refundEventId: r.refundEventId,
          purchaseRials: r.purchaseRials, refundRials: r.refundRials, unit: unitOf(f.id),
        });
        const target = rev.points + rev.unrecovered;
        if (target > 0) {
          deltas.push({ festivalId: f.id, category: SCORE_CATEGORY, delta: target });
          outbox.push({ clubId, topic: 'festival.score_reversed', payload: { memberId: r.memberId, festivalId: f.id, score: rev.points, unrecovered: rev.unrecovered, purchaseEventId: r.purchaseEventId, refundEventId: r.refundEventId } });
        }
      }
      for (const c of parseJson<Category[]>(f.categories) ?? []) {
        const delta = share(categoryDelta(c, { type: purchase?.type ?? 'purchase', amountRials: r.purchaseRials }), r);
        if (delta > 0) deltas.push({ festivalId: f.id, category: c.key, delta });
      }
    }
    if (deltas.length) await lowerStandings(tx, clubId, r.memberId, deltas);
    await enqueue(tx, outbox);
  };
}

/**
 * Lowers one member's standings (never below zero) and moves the member in the rank
 * structure: out of the old value's count and block, into the new one's. Rows in key order,
 * as the earn path writes them.
 */
async function lowerStandings(tx: Tx, clubId: string, memberId: string, deltas: { festivalId: string; category: string; delta: number }[]): Promise<void> {
  deltas.sort((a, b) => (a.festivalId < b.festivalId ? -1 : a.festivalId > b.festivalId ? 1 : a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
  const current = new Map(
    (await sql<{ festival_id: string; category: string; value: number }>`
      select s.festival_id, s.category, s.value from festival_standings s
      join unnest(${deltas.map((x) => x.festivalId)}::text[], ${deltas.map((x) => x.category)}::text[]) as d(f, c) on s.festival_id = d.f and s.category = d.c
      where s.club_id = ${clubId} and s.member_id = ${memberId}
      order by s.festival_id, s.category for update of s`.execute(tx)).rows.map((x) => [`${x.festival_id}\u0000${x.category}`, Number(x.value)]),
  );
  const shard = shardOf(memberId);
  const changes: { festivalId: string; category: string; value: number }[] = [];
  const counts = new Map<string, { festivalId: string; category: string; value: number; n: number }>();
  const blocks = new Map<string, { festivalId: string; category: string; block: number; n: number }>();
  const move = (festivalId: string, category: string, value: number, n: number) => {
    if (value <= 0) return;
    const ck = `${festivalId}\u0000${category}\u0000${value}`;
    const c = counts.get(ck) ?? { festivalId, category, value, n: 0 };
    c.n += n;
    counts.set(ck, c);
    const bk = `${festivalId}\u0000${category}\u0000${blockOf(value)}`;
    const b = blocks.get(bk) ?? { festivalId, category, block: blockOf(value), n: 0 };
    b.n += n;
    blocks.set(bk, b);
  };
  for (const x of deltas) {
    const old = current.get(`${x.festivalId}\u0000${x.category}`);
    if (old === undefined || old === 0) continue;
    const value = Math.max(0, old - x.delta);
    if (value === old) continue;
    changes.push({ festivalId: x.festivalId, category: x.category, value });
    current.set(`${x.festivalId}\u0000${x.category}`, value);
    move(x.festivalId, x.category, old, -1);
    move(x.festivalId, x.category, value, 1);
  }
  if (!changes.length) return;
  await sql`
    update festival_standings s set value = d.v, seq = nextval('festival_standing_seq')
    from unnest(${changes.map((x) => x.festivalId)}::text[], ${changes.map((x) => x.category)}::text[], ${changes.map((x) => x.value)}::bigint[]) as d(f, c, v)
    where s.club_id = ${clubId} and s.festival_id = d.f and s.category = d.c and s.member_id = ${memberId}`.execute(tx);
  const byKey = <T extends { festivalId: string; category: string }>(k: (t: T) => number) => (a: T, b: T) =>
    a.festivalId < b.festivalId ? -1 : a.festivalId > b.festivalId ? 1 : a.category < b.category ? -1 : a.category > b.category ? 1 : k(a) - k(b);
  const c = [...counts.values()].filter((x) => x.n !== 0).sort(byKey((x) => x.value));
  if (c.length) {
    await sql`
      insert into festival_rank_counts as rc (club_id, festival_id, category, value, shard, members)
      select ${clubId}, f, c, v, ${shard}, n from unnest(${c.map((x) => x.festivalId)}::text[], ${c.map((x) => x.category)}::text[], ${c.map((x) => x.value)}::bigint[], ${c.map((x) => x.n)}::bigint[]) with ordinality as t(f, c, v, n, o)
      order by o
      on conflict (club_id, festival_id, category, value, shard) do update set members = rc.members + excluded.members`.execute(tx);
  }
  const b = [...blocks.values()].filter((x) => x.n !== 0).sort(byKey((x) => x.block));
  if (b.length) {
    await sql`
      insert into festival_rank_blocks as rb (club_id, festival_id, category, block, shard, members)
      select ${clubId}, f, c, bl, ${shard}, n from unnest(${b.map((x) => x.festivalId)}::text[], ${b.map((x) => x.category)}::text[], ${b.map((x) => x.block)}::bigint[], ${b.map((x) => x.n)}::bigint[]) with ordinality as t(f, c, bl, n, o)
      order by o
      on conflict (club_id, festival_id, category, block, shard) do update set members = rb.members + excluded.members`.execute(tx);
  }
}
