/**
 * Idempotency the TigerBeetle way, inside the use case's own transaction: the same key with
 * the same body returns the first outcome; the same key with another body is rejected.
 * The claim is an INSERT … ON CONFLICT DO NOTHING: a concurrent request with the same key
 * waits on the first one's row lock and then reads its committed response.
 */
import { sql } from 'kysely';
import type { Tx } from './db.js';
import { fail, ok, type Result } from './result.js';

export interface IdempotencyClaim {
  key: string;
  requestHash: string;
}

export type Claimed = { state: 'new' } | { state: 'replay'; status: number; response: unknown } | { state: 'conflict' };

export async function claimKey(tx: Tx, clubId: string, claim: IdempotencyClaim): Promise<Claimed> {
  const inserted = await sql`
    insert into idempotency_keys (club_id, key, request_hash) values (${clubId}, ${claim.key}, ${claim.requestHash})
    on conflict (club_id, key) do nothing returning key`.execute(tx);
  if (inserted.rows.length === 1) return { state: 'new' };
  const row = await tx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response'])
    .where('club_id', '=', clubId)
    .where('key', '=', claim.key)
    .executeTakeFirstOrThrow();
  if (row.request_hash !== claim.requestHash) return { state: 'conflict' };
  return { state: 'replay', status: row.status_code ?? 200, response: row.response };
}

export async function storeResponse(tx: Tx, clubId: string, key: string, status: number, response: unknown): Promise<void> {
  await tx
    .updateTable('idempotency_keys')
    .set({ status_code: status, response: JSON.stringify(response) })
    .where('club_id', '=', clubId)
    .where('key', '=', key)
    .execute();
}

/**
 * Wraps a use case that runs in `tx`: claims the key first, stores the successful value
 * last. A failed Result is not stored (its transaction rolls back, claim included), so a
 * retry after e.g. insufficient_points runs again against the new state.
 */
export async function idempotent<T>(
  tx: Tx,
  clubId: string,
  claim: IdempotencyClaim | null,
  status: number,
  run: () => Promise<Result<T>>,
): Promise<Result<{ value: T; replayed: boolean }>> {
  if (claim) {
    const c = await claimKey(tx, clubId, claim);
    if (c.state === 'conflict') return fail('exists_with_different_body', 'this Idempotency-Key was used with another body');
    if (c.state === 'replay') return ok({ value: c.response as T, replayed: true });
  }
  const r = await run();
  if (!r.ok) return r;
  if (claim) await storeResponse(tx, clubId, claim.key, status, r.value);
  return ok({ value: r.value, replayed: false });
}
