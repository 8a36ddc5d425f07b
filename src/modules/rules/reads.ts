/**
 * Reads of other modules' tables (members' facts now come through the members module's door) that the earning engine needs inside its own transaction
 * (PGlite has one connection, so a service call on the pool would wait on our transaction
 * forever). They are kept here, in one file, until the members and events doors offer them:
 *   EventService.findByExternalId(db, clubId, ext) → storedEvent below
 *   EventService.page(db, clubId, from, to, after)  → eventsPage below
 *   EventService.count(db, clubId, from, to)        → countEvents below
 * Read-only: nothing here writes another module's table.
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import { readMemberFacts } from '../members/index.js';

/** The members door: what the earning engine reads about members (same transaction). */
export type { MemberFacts } from '../members/index.js';
export const memberFacts = (ex: Executor, clubId: string, ids: string[]) => readMemberFacts(ex, clubId, ids);

export interface StoredEvent {
  id: string;
  externalId: string;
  type: string;
  memberId: string;
  amountRials: number;
  occurredAt: Date;
  attributes: Record<string, unknown>;
}

const toStored = (r: { id: string; external_id: string; type: string; member_id: string; amount_rials: number | null; occurred_at: Date; attributes: Record<string, unknown> | null }): StoredEvent => ({
  id: r.id,
  externalId: r.external_id,
  type: r.type,
  memberId: r.member_id,
  amountRials: Number(r.amount_rials ?? 0),
  occurredAt: new Date(r.occurred_at),
  attributes: r.attributes ?? {},
});

export async function storedEvent(ex: Executor, clubId: string, externalId: string): Promise<StoredEvent | null> {
  const r = await ex
    .selectFrom('events')
    .select(['id', 'external_id', 'type', 'member_id', 'amount_rials', 'occurred_at', 'attributes'])
    .where('club_id', '=', clubId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  return r ? toStored(r as never) : null;
}

/** One page of a club's events in [from, to), in occurrence order (keyset: occurred_at, id). */
export async function eventsPage(ex: Executor, clubId: string, from: Date, to: Date, after: { at: Date; id: string } | null, limit: number): Promise<StoredEvent[]> {
  const rows = await sql<{ id: string; external_id: string; type: string; member_id: string; amount_rials: number | null; occurred_at: Date; attributes: Record<string, unknown> | null }>`
    select id, external_id, type, member_id, amount_rials, occurred_at, attributes from events
    where club_id = ${clubId} and occurred_at >= ${from} and occurred_at < ${to}
      ${after ? sql`and (occurred_at, id) > (${after.at}, ${after.id})` : sql``}
    order by occurred_at, id limit ${limit}`.execute(ex);
  return rows.rows.map(toStored);
}

/** The club's events in [from, to): one count (the backtest's progress total). */
export async function countEvents(ex: Executor, clubId: string, from: Date, to: Date): Promise<number> {
  const r = await sql<{ n: string | number }>`
    select count(*) as n from events where club_id = ${clubId} and occurred_at >= ${from} and occurred_at < ${to}`.execute(ex);
  return Number(r.rows[0]?.n ?? 0);
}
