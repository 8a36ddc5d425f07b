/**
 * The outbox: messages written in the same transaction as the change they announce, and
 * delivered at least once by the worker (claimed with FOR UPDATE SKIP LOCKED).
 */
import { sql } from 'kysely';
import type { Db, Executor } from './db.js';

export interface OutboxMessage {
  clubId: string;
  topic: string;
  payload: Record<string, unknown>;
  availableAt?: Date;
}

export async function enqueue(db: Executor, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await db
    .insertInto('outbox')
    .values(
      messages.map((m) => ({
        club_id: m.clubId,
        topic: m.topic,
        payload: JSON.stringify(m.payload),
        ...(m.availableAt ? { available_at: m.availableAt } : {}),
      })),
    )
    .execute();
}

export interface ClaimedMessage {
  id: number;
  clubId: string;
  topic: string;
  payload: Record<string, unknown>;
  attempts: number;
}

export type Handler = (m: ClaimedMessage) => Promise<void>;

/**
 * Delivers up to `limit` due messages. Claiming is a short transaction that leases the rows
 * (FOR UPDATE SKIP LOCKED, then pushes available_at out by the lease), so handlers — SMS,
 * webhooks — never run inside a database transaction. A handler that throws gets the
 * message back with exponential backoff (capped at an hour); a crash mid-handler means the
 * lease runs out and the message is delivered again: at least once.
 */
export async function dispatchDue(db: Db, handle: Handler, now: Date, limit = 100, leaseMs = 60_000): Promise<{ sent: number; failed: number }> {
  const rows = (
    await sql<{ id: number; club_id: string; topic: string; payload: Record<string, unknown>; attempts: number }>`
      update outbox set available_at = ${new Date(now.getTime() + leaseMs)}, attempts = attempts + 1
      where id in (
        select id from outbox where dispatched_at is null and available_at <= ${now}
        order by available_at, id limit ${limit} for update skip locked)
      returning id, club_id, topic, payload, attempts`.execute(db)
  ).rows.sort((a, b) => Number(a.id) - Number(b.id));
  let sent = 0;
  let failed = 0;
  for (const r of rows) {
    try {
      await handle({ id: Number(r.id), clubId: r.club_id, topic: r.topic, payload: r.payload, attempts: r.attempts });
      await db.updateTable('outbox').set({ dispatched_at: now }).where('id', '=', r.id).execute();
      sent++;
    } catch (e) {
      const backoffMs = Math.min(3_600_000, 1000 * 2 ** Math.min(r.attempts, 12));
      await db
        .updateTable('outbox')
        .set({ last_error: String((e as Error)?.message ?? e).slice(0, 500), available_at: new Date(now.getTime() + backoffMs) })
        .where('id', '=', r.id)
        .execute();
      failed++;
    }
  }
  return { sent, failed };
}
