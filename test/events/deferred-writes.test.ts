/**
 * The earn function's activity counters are written after the ledger's writes, riding on the
 * transaction's last statement (EarnFn `later`). They must still count exactly:
 *   - a batch that holds a purchase and its refund: the refund takes back what the purchase
 *     counted (the deferred writes run before the batch's refunds);
 *   - single events committed together by group commit: the counters ride on the
 *     Idempotency-Keys' statement and count every event once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';

describeEngines('deferred activity writes', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v);
  });
  afterAll(() => v.close());

  const counters = async (m: string) => {
    const r = await sql<{ name: string; value: number }>`select name, value from member_counters where club_id = ${c.clubId} and member_id = ${m}`.execute(v.database.db);
    return Object.fromEntries(r.rows.map((x) => [x.name, Number(x.value)]));
  };
  const days = async (m: string) => {
    const r = await sql<{ rials: number; events: number }>`select coalesce(sum(rials), 0)::bigint as rials, coalesce(sum(events), 0)::bigint as events from member_days where club_id = ${c.clubId} and member_id = ${m}`.execute(v.database.db);
    return { rials: Number(r.rows[0]!.rials), events: Number(r.rows[0]!.events) };
  };

  it('a batch with a first purchase and its full refund leaves the counters at zero', async () => {
    const m = await makeMember(v, c.clubId, 601);
    const res = await call(v, 'POST', '/api/v1/events/batch', c.apiKey, {
      events: [
        { eventId: 'd-p1', type: 'purchase', member: { id: m }, amountRials: 200_000 },
        { eventId: 'd-r1', type: 'refund', refundOf: 'd-p1', member: { id: m }, amountRials: 200_000 },
      ],
    }, { 'idempotency-key': 'd-batch' });
    expect(res.status, res.body).toBe(200);
    expect(res.json.results.map((r: { status: string }) => r.status)).toEqual(['created', 'created']);
    // Had the purchase's counters been written after the refund, the refund would have found
    // no row to take back from, and they would stand at one purchase.
    expect(await counters(m)).toEqual({ purchase: 0, purchase_rials: 0 });
    expect((await days(m)).rials).toBe(0);
  });

  it('single events committed in groups count each event once', async () => {
    const m = await makeMember(v, c.clubId, 602);
    const n = 24;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) => call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: `g-${i}`, type: 'purchase', member: { id: m }, amountRials: 10_000 * (i + 1) }, { 'idempotency-key': `g-${i}` })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(n).fill(201));
    // A replay of them all changes nothing.
    await Promise.all(Array.from({ length: n }, (_, i) => call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: `g-${i}`, type: 'purchase', member: { id: m }, amountRials: 10_000 * (i + 1) }, { 'idempotency-key': `g-${i}` })));
    const rials = (n * (n + 1) / 2) * 10_000;
    expect(await counters(m)).toMatchObject({ purchase: n, purchase_rials: rials });
    expect(await days(m)).toEqual({ rials, events: n });
    expect(v.services.events.groupCommitStats!.batches).toBeLessThan(v.services.events.groupCommitStats!.events);
  });
});
