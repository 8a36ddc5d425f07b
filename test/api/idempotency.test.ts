/**
 * Idempotency through the HTTP API: Idempotency-Key replays, conflicts, and eventId
 * de-duplication (DESIGN.md: "the same key with the same body returns the first response;
 * the same key with a different body is rejected with 409").
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';

describeEngines('idempotency', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  let n = 0;
  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v);
  });
  afterAll(() => v.close());

  const member = () => makeMember(v, c.clubId, 200 + ++n);
  const rows = async (table: string, where: Record<string, string>) => {
    let q = v.database.db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).where('club_id', '=', c.clubId);
    for (const [k, val] of Object.entries(where)) q = q.where(k, '=', val);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  const balance = async (m: string) => (await call(v, 'GET', `/api/v1/members/${m}/balance`, c.apiKey)).json.points.balance as number;

  it('event: same key, same body → the same response (status and body), one effect', async () => {
    const m = await member();
    const body = { eventId: `e-${m}`, type: 'purchase', member: { id: m }, amountRials: 2_500_000 };
    const a = await call(v, 'POST', '/api/v1/events', c.apiKey, body, { 'idempotency-key': `k-${m}` });
    const b = await call(v, 'POST', '/api/v1/events', c.apiKey, body, { 'idempotency-key': `k-${m}` });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ status: 'created', points: 250, memberId: m });
    expect(b.status).toBe(a.status);
    expect(b.json).toEqual(a.json);
    expect(await rows('events', { member_id: m })).toBe(1);
    expect(await balance(m)).toBe(250);
  });

  it('event: same key, another body → 409 exists_with_different_body, nothing applied', async () => {
    const m = await member();
    const body = { eventId: `e-${m}`, type: 'purchase', member: { id: m }, amountRials: 1_000_000 };
    expect((await call(v, 'POST', '/api/v1/events', c.apiKey, body, { 'idempotency-key': `k-${m}` })).status).toBe(201);
    for (const other of [{ ...body, amountRials: 9_000_000 }, { ...body, eventId: `e2-${m}` }]) {
      const r = await call(v, 'POST', '/api/v1/events', c.apiKey, other, { 'idempotency-key': `k-${m}` });
      expect(r.status).toBe(409);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.json.code).toBe('exists_with_different_body');
    }
    expect(await rows('events', { member_id: m })).toBe(1);
    expect(await balance(m)).toBe(100);
  });

  it('spend: same key, same body → same response, debited once; another body → 409', async () => {
    const m = await member();
    await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: `seed-${m}`, type: 'purchase', member: { id: m }, amountRials: 1_000_000 }, { 'idempotency-key': `seed-${m}` });
    const a = await call(v, 'POST', `/api/v1/members/${m}/spend`, c.apiKey, { points: 30, reference: 'order-1' }, { 'idempotency-key': `s-${m}` });
    const b = await call(v, 'POST', `/api/v1/members/${m}/spend`, c.apiKey, { points: 30, reference: 'order-1' }, { 'idempotency-key': `s-${m}` });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ points: 30, balance: 70 });
    expect(b.status).toBe(201);
    expect(b.json).toEqual(a.json);
    const d = await call(v, 'POST', `/api/v1/members/${m}/spend`, c.apiKey, { points: 31, reference: 'order-1' }, { 'idempotency-key': `s-${m}` });
    expect(d.status).toBe(409);
    expect(d.json.code).toBe('exists_with_different_body');
    expect(await balance(m)).toBe(70);
  });

  it('the same key on another route or another member is another body → 409', async () => {
    const m1 = await member();
    const m2 = await member();
    for (const m of [m1, m2]) await call(v, 'POST', `/api/v1/events`, c.apiKey, { eventId: `seed-${m}`, type: 'purchase', member: { id: m }, amountRials: 1_000_000 }, { 'idempotency-key': `seed-${m}` });
    const key = `shared-${m1}`;
    expect((await call(v, 'POST', `/api/v1/members/${m1}/spend`, c.apiKey, { points: 5 }, { 'idempotency-key': key })).status).toBe(201);
    const otherMember = await call(v, 'POST', `/api/v1/members/${m2}/spend`, c.apiKey, { points: 5 }, { 'idempotency-key': key });
    const otherRoute = await call(v, 'POST', `/api/v1/members/${m1}/holds`, c.apiKey, { points: 5 }, { 'idempotency-key': key });
    expect([otherMember.status, otherMember.json.code]).toEqual([409, 'exists_with_different_body']);
    expect([otherRoute.status, otherRoute.json.code]).toEqual([409, 'exists_with_different_body']);
    expect([await balance(m1), await balance(m2)]).toEqual([95, 100]);
  });

  it('a failed outcome is not stored: the same key runs again once the state allows it', async () => {
    const m = await member();
    const key = `retry-${m}`;
    const first = await call(v, 'POST', `/api/v1/members/${m}/spend`, c.apiKey, { points: 10 }, { 'idempotency-key': key });
    expect([first.status, first.json.code]).toEqual([422, 'insufficient_points']);
    await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: `seed-${m}`, type: 'purchase', member: { id: m }, amountRials: 100_000 }, { 'idempotency-key': `seed-${m}` });
    const again = await call(v, 'POST', `/api/v1/members/${m}/spend`, c.apiKey, { points: 10 }, { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(await balance(m)).toBe(0);
  });

  it('hold capture: a replay with the same key answers the same; the hold is captured once', async () => {
    const m = await member();
    await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: `seed-${m}`, type: 'purchase', member: { id: m }, amountRials: 1_000_000 }, { 'idempotency-key': `seed-${m}` });
    const h = await call(v, 'POST', `/api/v1/members/${m}/holds`, c.apiKey, { points: 40 }, { 'idempotency-key': `h-${m}` });
    const h2 = await call(v, 'POST', `/api/v1/members/${m}/holds`, c.apiKey, { points: 40 }, { 'idempotency-key': `h-${m}` });
    expect(h.status).toBe(201);
    expect(h2.json).toEqual(h.json); // one hold, not two
    expect(await rows('holds', { member_id: m })).toBe(1);
    const a = await call(v, 'POST', `/api/v1/holds/${h.json.id}/capture`, c.apiKey, undefined, { 'idempotency-key': `cap-${m}` });
    const b = await call(v, 'POST', `/api/v1/holds/${h.json.id}/capture`, c.apiKey, undefined, { 'idempotency-key': `cap-${m}` });
    expect(a.status).toBe(200);
    expect(a.json.status).toBe('posted');
    expect(b.json).toEqual(a.json);
    expect(await rows('journal_entries', { hold_id: h.json.id, kind: 'capture' })).toBe(1);
    expect(await balance(m)).toBe(60);
  });

  it('same eventId without a key (operator session): 200 `exists` with the same id and points; another body → 409', async () => {
    const m = await member();
    const body = { eventId: `op-${m}`, type: 'purchase', member: { id: m }, amountRials: 3_330_000 };
    const a = await call(v, 'POST', '/api/v1/events', c.ownerToken, body);
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ status: 'created', points: 333 });
    const b = await call(v, 'POST', '/api/v1/events', c.ownerToken, body);
    expect(b.status).toBe(200);
    expect(b.json).toEqual({ ...a.json, status: 'exists' });
    const d = await call(v, 'POST', '/api/v1/events', c.ownerToken, { ...body, amountRials: 1 });
    expect([d.status, d.json.code]).toEqual([409, 'exists_with_different_body']);
    // The caller's eventId is unique per club even across keys: a new key does not re-apply it.
    const e = await call(v, 'POST', '/api/v1/events', c.apiKey, body, { 'idempotency-key': `fresh-${m}` });
    expect([e.status, e.json.status, e.json.points]).toEqual([200, 'exists', 333]);
    expect(await rows('events', { member_id: m })).toBe(1);
    expect(await balance(m)).toBe(333);
  });

  it('a refund replayed by eventId answers `exists` with its (negative) points, reversing once', async () => {
    const m = await member();
    await call(v, 'POST', '/api/v1/events', c.ownerToken, { eventId: `p-${m}`, type: 'purchase', member: { id: m }, amountRials: 1_000_000 });
    const refund = { eventId: `r-${m}`, type: 'refund', refundOf: `p-${m}`, member: { id: m }, amountRials: 400_000 };
    const a = await call(v, 'POST', '/api/v1/events', c.ownerToken, refund);
    const b = await call(v, 'POST', '/api/v1/events', c.ownerToken, refund);
    expect([a.status, a.json.points, a.json.reversed]).toEqual([201, -40, 40]);
    expect([b.status, b.json.status, b.json.points]).toEqual([200, 'exists', -40]);
    expect(await balance(m)).toBe(60);
  });

  it('an API key without Idempotency-Key → 400 idempotency_key_required on every mutating integration route; nothing applied', async () => {
    const m = await member();
    await call(v, 'POST', '/api/v1/events', c.ownerToken, { eventId: `seed-${m}`, type: 'purchase', member: { id: m }, amountRials: 1_000_000 });
    const h = await call(v, 'POST', `/api/v1/members/${m}/holds`, c.ownerToken, { points: 10 });
    expect(h.status).toBe(201);
    const other = await member();
    const cases: [string, unknown][] = [
      ['/api/v1/events', { eventId: `x-${m}`, type: 'purchase', member: { id: m }, amountRials: 1_000_000 }],
      ['/api/v1/events/batch', { events: [{ eventId: `y-${m}`, type: 'purchase', member: { id: m }, amountRials: 1_000_000 }] }],
      [`/api/v1/members/${m}/spend`, { points: 1 }],
      [`/api/v1/members/${m}/holds`, { points: 1 }],
      [`/api/v1/holds/${h.json.id}/capture`, undefined],
      [`/api/v1/holds/${h.json.id}/release`, undefined],
      [`/api/v1/members/${m}/transfers`, { toMemberId: other, points: 1 }],
      [`/api/v1/members/${m}/conversions`, { points: 1 }],
    ];
    for (const [url, body] of cases) {
      const r = await call(v, 'POST', url, c.apiKey, body);
      expect([url, r.status, r.json?.code]).toEqual([url, 400, 'idempotency_key_required']);
    }
    expect(await balance(m)).toBe(90);
    expect(await rows('events', { member_id: m })).toBe(1);
    expect((await call(v, 'GET', `/api/v1/holds/${h.json.id}`, c.apiKey)).json.status).toBe('pending');
  });

  it('batch: same key, same body → the same results; the same eventId twice in one batch → the second mirrors the first', async () => {
    const m = await member();
    const e1 = { eventId: `b1-${m}`, type: 'purchase', member: { id: m }, amountRials: 1_200_000 };
    const batch = { events: [e1, { ...e1, eventId: `b2-${m}`, amountRials: 300_000 }, e1] };
    const a = await call(v, 'POST', '/api/v1/events/batch', c.apiKey, batch, { 'idempotency-key': `batch-${m}` });
    const b = await call(v, 'POST', '/api/v1/events/batch', c.apiKey, batch, { 'idempotency-key': `batch-${m}` });
    expect(a.status).toBe(200);
    expect(b.json).toEqual(a.json);
    expect(await balance(m)).toBe(150);
    const [first, , dup] = a.json.results;
    expect(first).toMatchObject({ status: 'created', points: 120 });
    // A duplicate answers like any other `exists`: the first's id and points.
    expect(dup).toEqual({ eventId: e1.eventId, status: 'exists', id: first.id, memberId: m, points: 120 });
  });

  it('batch: a duplicate of an event that failed in the same batch fails the same way (it was never stored)', async () => {
    const m = await member();
    await call(v, 'POST', '/api/v1/events', c.ownerToken, { eventId: `p-${m}`, type: 'purchase', member: { id: m }, amountRials: 100_000 });
    const tooMuch = { eventId: `r-${m}`, type: 'refund', refundOf: `p-${m}`, member: { id: m }, amountRials: 200_000 };
    const r = await call(v, 'POST', '/api/v1/events/batch', c.ownerToken, { events: [tooMuch, tooMuch] });
    expect(r.status).toBe(200);
    expect(r.json.results.map((o: { status: string; code?: string }) => [o.status, o.code])).toEqual([
      ['failed', 'refund_exceeds_purchase'],
      ['failed', 'refund_exceeds_purchase'],
    ]);
    expect(await rows('events', { member_id: m })).toBe(1);
  });
});
