/**
 * The outbox worker keeps up with a backlog: after a burst (or a crash that left leased
 * rows behind), it delivers batch after batch without waiting its interval between full
 * batches. Before this was fixed, delivery was capped at 100 messages per second per
 * process — below the earn rate, so the backlog only grew.
 *
 * PGlite only: the worker also runs expiry and daily jobs over every club of its database,
 * which on the run's shared PostgreSQL would touch other suites' clubs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { silentLogger, testVafa, type TestVafa } from '../engines.js';
import { makeClub } from '../fixtures.js';
import { enqueue } from '../../src/platform/outbox.js';
import { startWorker } from '../../src/worker.js';

const MESSAGES = 300;
/** Long enough that sleeping between full batches would show: 2 sleeps = 120 s. */
const INTERVAL_MS = 60_000;

describe('outbox worker drains a backlog [pglite]', () => {
  let v: TestVafa;
  beforeAll(async () => {
    v = await testVafa('pglite');
  });
  afterAll(() => v?.close());

  it(`${MESSAGES} messages, each delivered once, without sleeping between full batches`, { timeout: 90_000 }, async () => {
    const { clubId } = await makeClub(v);
    await enqueue(v.database.db, Array.from({ length: MESSAGES }, (_, i) => ({ clubId, topic: 'safety.probe', payload: { i } })));
    const pending = async () => Number((await sql<{ n: number }>`select count(*)::int as n from outbox where club_id = ${clubId} and dispatched_at is null`.execute(v.database.db)).rows[0]!.n);
    const t0 = Date.now();
    const worker = startWorker(v.database.db, v.clock, v.services, silentLogger, { intervalMs: INTERVAL_MS });
    try {
      while ((await pending()) > 0 && Date.now() - t0 < 50_000) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await worker.stop();
    }
    const ms = Date.now() - t0;
    expect(await pending()).toBe(0);
    const attempts = await sql<{ a: number; n: number }>`select attempts as a, count(*)::int as n from outbox where club_id = ${clubId} group by attempts`.execute(v.database.db);
    expect(attempts.rows).toEqual([{ a: 1, n: MESSAGES }]);
    console.log(`outbox: ${MESSAGES} messages delivered in ${ms} ms`);
    // Sleeping after each full batch would take at least (batches − 1) × interval.
    expect(ms).toBeLessThan((MESSAGES / 100 - 1) * INTERVAL_MS * 0.5);
  });
});
