/**
 * The outbox: messages written in the same transaction as the change they announce, and
 * delivered at least once by the worker (claimed with FOR UPDATE SKIP LOCKED).
 *
 * Delivery works on batches: one statement claims (leases) up to `limit` due messages, the
 * handlers run outside any transaction, then ONE statement marks every delivered message of
 * the batch (`dispatched_at = now where id = any(...)`), one more reschedules the failed ones
 * (if any). So a batch of 100 points-earned notices costs 3 statements, not 201.
 *
 * At least once: a crash after a handler ran but before the mark leaves the message leased;
 * when the lease runs out it is delivered again (with the batch's other unmarked messages).
 * Receivers of at-least-once messages dedupe (webhooks carry a delivery id).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Db, Executor } from './db.js';

export interface OutboxMessage {
  clubId: string;
  topic: string;
  payload: Record<string, unknown>;
  availableAt?: Date;
}

export async function enqueue(db: Executor, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await outboxInsert(messages).execute(db);
}

/**
 * The insert `enqueue` runs, as a statement of its own — or a data-modifying CTE of the
 * caller's last write (`with o as (${outboxInsert(m)}) insert …`), so that the messages
 * cost no round trip of their own. `messages` must not be empty.
 */
export function outboxInsert(messages: OutboxMessage[]): RawBuilder<unknown> {
  // One JSON parameter, not three per message (a batch of 1000 events enqueues 1000).
  const rows = messages.map((m) => ({ c: m.clubId, t: m.topic, p: m.payload, a: m.availableAt?.toISOString() ?? null }));
  return sql`insert into outbox (club_id, topic, payload, available_at)
    select c, t, p, coalesce(a, now()) from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(c text, t text, p jsonb, a timestamptz)`;
}

export interface ClaimedMessage {
  id: number;
  clubId: string;
  topic: string;
  payload: Record<string, unknown>;
  attempts: number;
}

/** Handles one message; throws to have it retried with backoff. */
export type Handler = (m: ClaimedMessage) => Promise<void>;

/**
 * What a batch handler reports. Every message of the batch that is in neither list counts
 * as delivered.
 *  - `failed`: message id → error. Retried with exponential backoff; the attempt counts.
 *  - `skipped`: ids the handler did not get to (its time budget ran out). Given back at
 *    once, the attempt not counted, so a slow batch never outlives its lease.
 */
export interface BatchOutcome {
  failed?: Map<number, unknown>;
  skipped?: number[];
}

export interface BatchContext {
  /** `performance.now()` after which a handler should start no more messages. */
  deadline: number;
}

/** Handles a batch of claimed messages (ordered by id). Throwing fails the whole batch. */
export type BatchHandler = (batch: ClaimedMessage[], ctx: BatchContext) => Promise<BatchOutcome | void>;

/**
 * Adapter: a per-message handler as a batch handler. Messages are handled one after the
 * other, in id order; a throw fails that message only; none is started after the deadline.
 */
export function perMessage(handle: Handler): BatchHandler {
  return async (batch, ctx) => {
    const failed = new Map<number, unknown>();
    const skipped: number[] = [];
    for (const m of batch) {
      if (performance.now() > ctx.deadline) {
        skipped.push(m.id);
        continue;
      }
      try {
        await handle(m);
      } catch (e) {
        failed.set(m.id, e);
      }
    }
    return { failed, skipped };
  };
}

export interface DispatchResult {
  /** Messages claimed by this call. */
  claimed: number;
  /** Marked delivered. */
  sent: number;
  /** Rescheduled with backoff. */
  failed: number;
  /** Given back unattempted (the batch's time budget ran out). */
  released: number;
}

export interface DispatchOptions {
  /** Messages claimed per call. */
  limit?: number;
  /** How long a claim holds the messages: after it another worker may deliver them again. */
  leaseMs?: number;
  /**
   * Share of the lease a batch may spend starting handlers (default ½): past it the rest of
   * the batch is released, so handlers that run long (webhook timeouts) never let the lease
   * expire under a message that is being delivered — no double delivery in the normal path.
   */
  budgetShare?: number;
}

/** Backoff after the n-th failed attempt: 2^n s, capped at an hour. */
export const backoffMs = (attempts: number): number => Math.min(3_600_000, 1000 * 2 ** Math.min(attempts, 12));

const errorText = (e: unknown): string => String((e as Error)?.message ?? e).slice(0, 500);

/**
 * Delivers up to `limit` due messages through a batch handler. Claiming is a short
 * autocommit statement that leases the rows (FOR UPDATE SKIP LOCKED, then pushes
 * available_at out by the lease and counts the attempt), so handlers — SMS, webhooks — never
 * run inside a database transaction. Then one statement marks the delivered ones and, if
 * any failed, one statement reschedules those with backoff (and records the error).
 */
export async function dispatchBatch(db: Db, handle: BatchHandler, now: Date, opts: DispatchOptions = {}): Promise<DispatchResult> {
  const limit = opts.limit ?? 100;
  const leaseMs = opts.leaseMs ?? 60_000;
  const claimedAt = performance.now();
  const rows = (
    await sql<{ id: number | string; club_id: string; topic: string; payload: Record<string, unknown>; attempts: number }>`
      update outbox set available_at = ${new Date(now.getTime() + leaseMs)}, attempts = attempts + 1
      where id in (
        select id from outbox where dispatched_at is null and available_at <= ${now}
        order by available_at, id limit ${limit} for update skip locked)
      returning id, club_id, topic, payload, attempts`.execute(db)
  ).rows.sort((a, b) => Number(a.id) - Number(b.id));
  if (rows.length === 0) return { claimed: 0, sent: 0, failed: 0, released: 0 };
  const batch: ClaimedMessage[] = rows.map((r) => ({ id: Number(r.id), clubId: r.club_id, topic: r.topic, payload: r.payload, attempts: r.attempts }));

  let failed = new Map<number, unknown>();
  let skipped = new Set<number>();
  try {
    const out = await handle(batch, { deadline: claimedAt + leaseMs * (opts.budgetShare ?? 0.5) });
    failed = out?.failed ?? failed;
    skipped = new Set(out?.skipped ?? []);
  } catch (e) {
    for (const m of batch) failed.set(m.id, e);
  }

  const delivered = batch.filter((m) => !failed.has(m.id) && !skipped.has(m.id)).map((m) => m.id);
  const failedIds = batch.filter((m) => failed.has(m.id) && !skipped.has(m.id)).map((m) => m.id);
  const released = batch.filter((m) => skipped.has(m.id)).map((m) => m.id);
  if (delivered.length) await sql`update outbox set dispatched_at = ${now} where id = any(${delivered}::bigint[])`.execute(db);
  if (failedIds.length) {
    // Backoff from the row's own attempt count: 2^attempts s, capped at an hour (= backoffMs).
    await sql`
      update outbox o set last_error = f.err,
        available_at = ${now}::timestamptz + make_interval(secs => least(3600, power(2, least(o.attempts, 12))))
      from unnest(${failedIds}::bigint[], ${failedIds.map((id) => errorText(failed.get(id)))}::text[]) as f(id, err)
      where o.id = f.id`.execute(db);
  }
  if (released.length) await sql`update outbox set available_at = ${now}, attempts = attempts - 1 where id = any(${released}::bigint[])`.execute(db);
  return { claimed: batch.length, sent: delivered.length, failed: failedIds.length, released: released.length };
}

/**
 * Delivers up to `limit` due messages, one handler call per message (see `perMessage`),
 * the batch marked delivered in one statement. A handler that throws gets its message back
 * with exponential backoff (capped at an hour); a crash mid-batch means the lease runs out
 * and the unmarked messages are delivered again: at least once.
 */
export async function dispatchDue(db: Db, handle: Handler, now: Date, limit = 100, leaseMs = 60_000): Promise<{ sent: number; failed: number }> {
  const r = await dispatchBatch(db, perMessage(handle), now, { limit, leaseMs });
  return { sent: r.sent, failed: r.failed };
}
