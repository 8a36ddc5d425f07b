/**
 * Concurrency and locking, on PostgreSQL only: PGlite has one connection and serialises
 * everything, so only a real server with a real pool can show a race. Requests go through
 * the real HTTP API (app.inject) with a pool of 20 connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type RawBuilder } from 'kysely';
import { pgUrl, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';
import { verifyLedger } from '../../src/modules/ledger/verify.js';

const hasPg = pgUrl() !== null;
if (!hasPg) console.warn('\n!! concurrency.test.ts SKIPPED: no PostgreSQL in this run (PGlite serialises everything, so it cannot show a race).\n');

const times = <T>(n: number, f: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));
const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

describe.skipIf(!hasPg)('concurrency [postgres]', () => {
  let v: TestVafa;
  let c: ClubFixture;
  let n = 0;
  beforeAll(async () => {
    v = await testVafa('postgres', { poolMax: 20 });
    c = await makeClub(v, { allowTransfers: true });
  });
  afterAll(() => v?.close());

  /** A member with `points` available (a purchase at the base rate: 1 point per 10,000 rials). */
  async function memberWith(points: number) {
    const id = await makeMember(v, c.clubId, 100 + ++n);
    const r = await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: `seed-${id}`, type: 'purchase', member: { id }, amountRials: points * 10_000 }, { 'idempotency-key': `seed-${id}` });
    expect(r.status).toBe(201);
    expect(r.json.points).toBe(points);
    return id;
  }
  const count = async (q: RawBuilder<{ n: number }>) => Number((await q.execute(v.database.db)).rows[0]!.n);

  it('100 parallel spends against a balance that covers 40: exactly 40 succeed, balance 0, verify clean', async () => {
    const m = await memberWith(1000);
    const res = await times(100, (i) => call(v, 'POST', `/api/v1/members/${m}/spend`, c.apiKey, { points: 25 }, { 'idempotency-key': `spend-${m}-${i}` }));
    expect(tally(res.map((r) => r.status))).toEqual({ 201: 40, 422: 60 });
    for (const r of res.filter((x) => x.status === 422)) expect(r.json.code).toBe('insufficient_points');
    // Every success saw a distinct balance: 975, 950, … 0.
    expect(res.filter((r) => r.status === 201).map((r) => r.json.balance).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i * 25));
    const b = await call(v, 'GET', `/api/v1/members/${m}/balance`, c.apiKey);
    expect(b.json.points).toMatchObject({ balance: 0, available: 0 });
    expect(await count(sql`select count(*)::int as n from journal_entries where club_id = ${c.clubId} and member_id = ${m} and kind = 'spend'`)).toBe(40);
    const report = await verifyLedger(v.database.db, c.clubId);
    expect(report.problems).toEqual([]);
  });

  it('the same event posted 20 times in parallel with one Idempotency-Key: one event, one entry, 20 identical answers', async () => {
    const m = await makeMember(v, c.clubId, 100 + ++n);
    const body = { eventId: `same-key-${m}`, type: 'purchase', member: { id: m }, amountRials: 777_000 };
    const res = await times(20, () => call(v, 'POST', '/api/v1/events', c.apiKey, body, { 'idempotency-key': `k-${m}` }));
    // Replays return the first response: same status (201) and the same body.
    expect(tally(res.map((r) => r.status))).toEqual({ 201: 20 });
    for (const r of res) expect(r.json).toEqual(res[0]!.json);
    expect(res[0]!.json).toMatchObject({ status: 'created', points: 77, memberId: m });
    expect(await count(sql`select count(*)::int as n from events where club_id = ${c.clubId} and external_id = ${body.eventId}`)).toBe(1);
    expect(await count(sql`select count(*)::int as n from journal_entries where club_id = ${c.clubId} and member_id = ${m}`)).toBe(1);
    expect(await count(sql`select count(*)::int as n from idempotency_keys where club_id = ${c.clubId} and key = ${`k-${m}`}`)).toBe(1);
    const b = await call(v, 'GET', `/api/v1/members/${m}/balance`, c.apiKey);
    expect(b.json.points.balance).toBe(77);
  });

  it('the same eventId posted 20 times in parallel with 20 different keys: one effect, the others answer `exists`', async () => {
    const m = await makeMember(v, c.clubId, 100 + ++n);
    const body = { eventId: `same-event-${m}`, type: 'purchase', member: { id: m }, amountRials: 555_000 };
    const res = await times(20, (i) => call(v, 'POST', '/api/v1/events', c.apiKey, body, { 'idempotency-key': `k-${m}-${i}` }));
    expect(tally(res.map((r) => r.status))).toEqual({ 200: 19, 201: 1 });
    const first = res.find((r) => r.status === 201)!.json;
    expect(first).toMatchObject({ status: 'created', points: 55 });
    for (const r of res.filter((x) => x.status === 200)) expect(r.json).toMatchObject({ status: 'exists', id: first.id, points: 55, memberId: m });
    expect(await count(sql`select count(*)::int as n from events where club_id = ${c.clubId} and external_id = ${body.eventId}`)).toBe(1);
    expect(await count(sql`select count(*)::int as n from journal_entries where club_id = ${c.clubId} and member_id = ${m}`)).toBe(1);
    const b = await call(v, 'GET', `/api/v1/members/${m}/balance`, c.apiKey);
    expect(b.json.points.balance).toBe(55);
  });

  it('parallel refunds of one purchase never reverse more than it earned', async () => {
    const m = await makeMember(v, c.clubId, 100 + ++n);
    const p = await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: `p-${m}`, type: 'purchase', member: { id: m }, amountRials: 1_000_000 }, { 'idempotency-key': `p-${m}` });
    expect(p.json.points).toBe(100);
    // 15 refunds of 100,000 rials each against a 1,000,000-rial purchase: 10 fit.
    const res = await times(15, (i) =>
      call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: `r-${m}-${i}`, type: 'refund', refundOf: `p-${m}`, member: { id: m }, amountRials: 100_000 }, { 'idempotency-key': `r-${m}-${i}` }),
    );
    expect(tally(res.map((r) => r.status))).toEqual({ 201: 10, 422: 5 });
    for (const r of res.filter((x) => x.status === 422)) expect(r.json.code).toBe('refund_exceeds_purchase');
    expect(res.filter((r) => r.status === 201).reduce((s, r) => s + r.json.reversed, 0)).toBe(100);
    const b = await call(v, 'GET', `/api/v1/members/${m}/balance`, c.apiKey);
    expect(b.json.points.balance).toBe(0);
    expect((await verifyLedger(v.database.db, c.clubId)).problems).toEqual([]);
  });

  it('parallel holds, captures, releases and transfers on one member keep the ledger clean', async () => {
    const m = await memberWith(1000);
    const other = await memberWith(0);
    // 30 holds of 50 race for 1000 points: exactly 20 win.
    const holds = await times(30, (i) => call(v, 'POST', `/api/v1/members/${m}/holds`, c.apiKey, { points: 50 }, { 'idempotency-key': `h-${m}-${i}` }));
    expect(tally(holds.map((r) => r.status))).toEqual({ 201: 20, 422: 10 });
    const ids: string[] = holds.filter((r) => r.status === 201).map((r) => r.json.id);

    // Then, all at once: capture 0–9, release 10–19, and for 0–4 also a racing release
    // (exactly one of capture/release may win), for 10–14 a repeated release, new holds
    // and transfers both ways.
    const ops = [
      ...ids.slice(0, 10).map((id, i) => call(v, 'POST', `/api/v1/holds/${id}/capture`, c.apiKey, undefined, { 'idempotency-key': `cap-${id}-${i}` })),
      ...ids.slice(10, 20).map((id, i) => call(v, 'POST', `/api/v1/holds/${id}/release`, c.apiKey, undefined, { 'idempotency-key': `rel-${id}-${i}` })),
      ...ids.slice(0, 5).map((id) => call(v, 'POST', `/api/v1/holds/${id}/release`, c.apiKey, undefined, { 'idempotency-key': `race-${id}` })),
      ...ids.slice(10, 15).map((id) => call(v, 'POST', `/api/v1/holds/${id}/release`, c.apiKey, undefined, { 'idempotency-key': `again-${id}` })),
      ...Array.from({ length: 10 }, (_, i) => call(v, 'POST', `/api/v1/members/${m}/holds`, c.apiKey, { points: 30 }, { 'idempotency-key': `h2-${m}-${i}` })),
      ...Array.from({ length: 5 }, (_, i) => call(v, 'POST', `/api/v1/members/${m}/transfers`, c.apiKey, { toMemberId: other, points: 10 }, { 'idempotency-key': `t-${m}-${i}` })),
      ...Array.from({ length: 5 }, (_, i) => call(v, 'POST', `/api/v1/members/${other}/transfers`, c.apiKey, { toMemberId: m, points: 5 }, { 'idempotency-key': `t-${other}-${i}` })),
    ];
    const res = await Promise.all(ops);
    for (const r of res) expect([200, 201, 409, 422], JSON.stringify(r.json)).toContain(r.status);
    expect(res.filter((r) => r.status >= 500)).toEqual([]);

    // Each of holds 0–4 got exactly one winner between its capture and its racing release.
    for (const [i, id] of ids.slice(0, 5).entries()) {
      const pair = [res[i]!, res[20 + i]!];
      expect(pair.filter((r) => r.status === 200).length, `hold ${id}`).toBe(1);
      expect(pair.filter((r) => r.status === 409).map((r) => r.json.code)).toEqual(['hold_not_pending']);
    }
    // Holds 10–19 are released, and the repeated releases of 10–14 are no-op successes.
    for (const r of res.slice(25, 30)) expect(r.json).toMatchObject({ status: 'voided' });

    const statuses = await Promise.all(ids.map(async (id) => (await call(v, 'GET', `/api/v1/holds/${id}`, c.apiKey)).json.status));
    const captured = statuses.filter((s) => s === 'posted').length;
    expect(statuses.filter((s) => s === 'pending')).toEqual([]);
    const newHolds = res.slice(30, 40).filter((r) => r.status === 201).length;
    const sentOut = res.slice(40, 45).filter((r) => r.status === 201).length * 10;
    const sentIn = res.slice(45, 50).filter((r) => r.status === 201).length * 5;

    const b = await call(v, 'GET', `/api/v1/members/${m}/balance`, c.apiKey);
    expect(b.json.points.balance).toBe(1000 - captured * 50 - newHolds * 30 - sentOut + sentIn);
    const report = await verifyLedger(v.database.db, c.clubId);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
