/**
 * Reads of other modules' tables that the earning engine needs inside its own transaction
 * (PGlite has one connection, so a service call on the pool would wait on our transaction
 * forever). They are kept here, in one file, until the members and events doors offer them:
 *   MemberService.earnFacts(tx, clubId, ids)       → memberFacts below
 *   EventService.findByExternalId(db, clubId, ext) → storedEvent below
 *   EventService.page(db, clubId, from, to, after)  → eventsPage below
 * Read-only: nothing here writes another module's table.
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';

export interface MemberFacts {
  id: string;
  status: string;
  tier: string | null;
  groups: string[];
  city: string | null;
  birthDate: string | null;
  joinedAt: Date;
  referredBy: string | null;
  mobile: string;
  nationalCodeHash: string | null;
}

export async function memberFacts(ex: Executor, clubId: string, ids: string[]): Promise<Map<string, MemberFacts>> {
  const out = new Map<string, MemberFacts>();
  if (ids.length === 0) return out;
  const rows = await sql<{ id: string; status: string; tier: string | null; groups: string[]; city: string | null; birth_date: string | null; created_at: Date; referred_by: string | null; mobile: string; national_code_hash: string | null }>`
    select id, status, tier, groups, city, birth_date, created_at, referred_by, mobile, national_code_hash
    from members where club_id = ${clubId} and id = any(${ids}::text[])`.execute(ex);
  for (const r of rows.rows) {
    out.set(r.id, {
      id: r.id,
      status: r.status,
      tier: r.tier,
      groups: r.groups ?? [],
      city: r.city,
      birthDate: r.birth_date ? String(r.birth_date).slice(0, 10) : null,
      joinedAt: new Date(r.created_at),
      referredBy: r.referred_by,
      mobile: r.mobile,
      nationalCodeHash: r.national_code_hash,
    });
  }
  return out;
}

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
