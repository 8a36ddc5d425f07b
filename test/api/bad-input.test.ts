/**
 * Bad input through the HTTP API: each case is a 4xx application/problem+json with its
 * stable `code`, no stack trace, and nothing written (every club-scoped table is counted
 * before and after).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, mobile, nationalCode, type ClubFixture } from '../fixtures.js';

const TABLES = ['events', 'journal_entries', 'journal_lines', 'lots', 'member_balances', 'members', 'holds', 'idempotency_keys', 'outbox', 'audit_log'];

interface Case {
  name: string;
  method?: string;
  url: (s: Setup) => string;
  token?: 'apiKey' | 'owner' | 'none';
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  code: string;
}
interface Setup {
  m: string;
  holdCaptured: string;
}

const ev = (s: Setup, extra: Record<string, unknown> = {}) => ({ eventId: `bad-${Math.random()}`, type: 'purchase', member: { id: s.m }, amountRials: 1_000_000, ...extra });

const cases: Case[] = [
  { name: 'malformed JSON (event)', url: () => '/api/v1/events', body: '{"eventId": "x", "type": ', status: 400, code: 'malformed_json' },
  { name: 'malformed JSON (member)', url: () => '/api/v1/members', body: "{mobile: '09121234567'}", status: 400, code: 'malformed_json' },
  { name: 'malformed JSON (spend)', url: (s) => `/api/v1/members/${s.m}/spend`, body: '{"points": 1,}', status: 400, code: 'malformed_json' },
  { name: 'JSON nested 5000 deep (the idempotency hash once overflowed the stack on it)', url: (s) => `/api/v1/members/${s.m}/spend`, body: '['.repeat(5000) + ']'.repeat(5000), status: 400, code: 'malformed_json' },
  { name: 'JSON nested 65 deep inside an event', url: () => '/api/v1/events', body: (s: Setup) => ({ ...ev(s), attributes: { x: JSON.parse('['.repeat(65) + ']'.repeat(65)) } }), status: 400, code: 'malformed_json' },
  { name: 'empty JSON body', url: () => '/api/v1/events', body: '', status: 400, code: 'malformed_json' },
  { name: 'not JSON at all', url: () => '/api/v1/events', body: 'eventId=1&type=purchase', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
  { name: 'unknown member by id (event)', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { member: { id: 'mbr_00000000000000000000000000000000' } }), status: 404, code: 'member_not_found' },
  { name: 'unknown member by mobile (event)', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { member: { mobile: '09350000000' } }), status: 404, code: 'member_not_found' },
  { name: 'unknown member by customer number (event)', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { member: { customerNo: 'nobody' } }), status: 404, code: 'member_not_found' },
  { name: 'unknown member (spend)', url: () => '/api/v1/members/mbr_nope/spend', body: { points: 1 }, status: 404, code: 'member_not_found' },
  { name: 'unknown member (hold)', url: () => '/api/v1/members/mbr_nope/holds', body: { points: 1 }, status: 404, code: 'member_not_found' },
  { name: 'unknown member (adjust)', url: () => '/api/v1/members/mbr_nope/adjustments', token: 'owner', body: { points: 5, reason: 'goodwill' }, status: 404, code: 'member_not_found' },
  { name: 'unknown member (patch)', method: 'PATCH', url: () => '/api/v1/members/mbr_nope', body: { firstName: 'x' }, status: 404, code: 'member_not_found' },
  { name: 'transfer to an unknown member', url: (s) => `/api/v1/members/${s.m}/transfers`, body: { toMemberId: 'mbr_nope', points: 1 }, status: 404, code: 'member_not_found' },
  { name: 'unknown hold (capture)', url: () => '/api/v1/holds/hld_nope/capture', status: 404, code: 'hold_not_found' },
  { name: 'invalid mobile as the member of an event', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { member: { mobile: '12345' } }), status: 422, code: 'invalid_mobile' },
  { name: 'refund of an unknown purchase', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { type: 'refund', refundOf: 'no-such-purchase', amountRials: 1 }), status: 404, code: 'event_not_found' },
  { name: 'refund beyond its purchase', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { type: 'refund', refundOf: 'seed-purchase', amountRials: 1_000_001 }), status: 422, code: 'refund_exceeds_purchase' },
  { name: 'negative amount', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { amountRials: -1000 }), status: 400, code: 'validation_failed' },
  { name: 'fractional amount', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { amountRials: 1000.5 }), status: 400, code: 'validation_failed' },
  { name: 'amount as a string', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { amountRials: '1000' }), status: 400, code: 'validation_failed' },
  { name: 'amount beyond 10^15', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { amountRials: 1e16 }), status: 400, code: 'validation_failed' },
  { name: 'purchase without an amount', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { amountRials: undefined }), status: 400, code: 'validation_failed' },
  { name: 'unknown event field', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { points: 1_000_000 }), status: 400, code: 'validation_failed' },
  { name: 'event from the future', url: () => '/api/v1/events', body: (s: Setup) => ev(s, { occurredAt: new Date(Date.now() + 86400_000).toISOString() }), status: 400, code: 'validation_failed' },
  { name: 'negative spend', url: (s) => `/api/v1/members/${s.m}/spend`, body: { points: -5 }, status: 400, code: 'validation_failed' },
  { name: 'zero spend', url: (s) => `/api/v1/members/${s.m}/spend`, body: { points: 0 }, status: 400, code: 'validation_failed' },
  { name: 'fractional spend', url: (s) => `/api/v1/members/${s.m}/spend`, body: { points: 2.5 }, status: 400, code: 'validation_failed' },
  { name: 'fractional hold', url: (s) => `/api/v1/members/${s.m}/holds`, body: { points: 0.1 }, status: 400, code: 'validation_failed' },
  { name: 'negative conversion', url: (s) => `/api/v1/members/${s.m}/conversions`, body: { points: -1 }, status: 400, code: 'validation_failed' },
  { name: 'zero adjustment', url: (s) => `/api/v1/members/${s.m}/adjustments`, token: 'owner', body: { points: 0, reason: 'nothing' }, status: 400, code: 'validation_failed' },
  { name: 'fractional adjustment', url: (s) => `/api/v1/members/${s.m}/adjustments`, token: 'owner', body: { points: 1.5, reason: 'half' }, status: 400, code: 'validation_failed' },
  { name: 'adjustment without a reason', url: (s) => `/api/v1/members/${s.m}/adjustments`, token: 'owner', body: { points: 10 }, status: 400, code: 'validation_failed' },
  { name: 'spend more than the balance', url: (s) => `/api/v1/members/${s.m}/spend`, body: { points: 101 }, status: 422, code: 'insufficient_points' },
  { name: 'release a captured hold', url: (s) => `/api/v1/holds/${s.holdCaptured}/release`, status: 409, code: 'hold_not_pending' },
  { name: 'invalid mobile (member create)', url: () => '/api/v1/members', body: { mobile: '02112345678' }, status: 422, code: 'invalid_mobile' },
  { name: 'invalid mobile in Persian digits', url: () => '/api/v1/members', body: { mobile: '۰۹۱۲۳۴' }, status: 422, code: 'invalid_mobile' },
  { name: 'national code failing its check digit', url: () => '/api/v1/members', body: { mobile: mobile(9_000_001), nationalCode: nationalCode(77).slice(0, 9) + String((Number(nationalCode(77)[9]) + 1) % 10) }, status: 422, code: 'invalid_national_code' },
  { name: 'invalid Jalali date 1404/12/30', url: () => '/api/v1/members', body: { mobile: mobile(9_000_002), birthDate: '1404/12/30' }, status: 422, code: 'invalid_date' },
  { name: 'invalid mobile (member patch)', method: 'PATCH', url: (s) => `/api/v1/members/${s.m}`, body: { mobile: '12345' }, status: 422, code: 'invalid_mobile' },
  { name: 'mass assignment: balance on create', url: () => '/api/v1/members', body: { mobile: mobile(9_000_003), balance: 1_000_000 }, status: 400, code: 'validation_failed' },
  { name: 'mass assignment: tier on patch', method: 'PATCH', url: (s) => `/api/v1/members/${s.m}`, body: { tier: 'gold' }, status: 400, code: 'validation_failed' },
  { name: 'mass assignment: points on patch', method: 'PATCH', url: (s) => `/api/v1/members/${s.m}`, body: { points: 5000 }, status: 400, code: 'validation_failed' },
  { name: 'batch of 1001', url: () => '/api/v1/events/batch', body: (s: Setup) => ({ events: Array.from({ length: 1001 }, (_, i) => ev(s, { eventId: `big-${i}` })) }), status: 413, code: 'batch_too_large' },
  { name: 'empty batch', url: () => '/api/v1/events/batch', body: { events: [] }, status: 400, code: 'validation_failed' },
  { name: 'body over the size limit', url: () => '/api/v1/events', body: (s: Setup) => ({ ...ev(s), attributes: { blob: 'x'.repeat(3 * 1024 * 1024) } }), status: 413, code: 'payload_too_large' },
  { name: 'no such route', url: () => '/api/v1/nothing-here', body: {}, status: 404, code: 'not_found' },
  { name: 'no credentials', url: () => '/api/v1/events', token: 'none', body: (s: Setup) => ev(s), status: 401, code: 'unauthenticated' },
  { name: 'a made-up API key', url: () => '/api/v1/events', body: (s: Setup) => ev(s), headers: { authorization: 'Bearer vafa_fake_0123456789' }, status: 401, code: 'unauthenticated' },
];

describeEngines('bad input: 4xx problem+json, nothing written', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  let s: Setup;
  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v, { allowTransfers: true });
    const m = await makeMember(v, c.clubId, 1);
    const p = await call(v, 'POST', '/api/v1/events', c.ownerToken, { eventId: 'seed-purchase', type: 'purchase', member: { id: m }, amountRials: 1_000_000 });
    expect(p.json.points).toBe(100);
    const h = await call(v, 'POST', `/api/v1/members/${m}/holds`, c.ownerToken, { points: 1 });
    expect((await call(v, 'POST', `/api/v1/holds/${h.json.id}/capture`, c.ownerToken)).status).toBe(200);
    s = { m, holdCaptured: h.json.id };
  });
  afterAll(() => v.close());

  /** Rows of every club-scoped table, in one round trip. */
  const counts = async () => {
    const cols = sql.join(TABLES.map((t) => sql`(select count(*)::int from ${sql.table(t)} where club_id = ${c.clubId}) as ${sql.ref(t)}`));
    return (await sql<Record<string, number>>`select ${cols}`.execute(v.database.db)).rows[0]!;
  };

  it.each(cases)('$name → $status $code', async (k) => {
    const before = await counts();
    const token = k.token === 'none' || k.headers?.authorization ? null : k.token === 'owner' ? c.ownerToken : c.apiKey;
    const body = typeof k.body === 'function' ? (k.body as (s: Setup) => unknown)(s) : k.body;
    const r = await call(v, k.method ?? 'POST', k.url(s), token, body, { 'idempotency-key': `bad-${Math.random()}`, ...k.headers });
    expect(r.status, r.body.slice(0, 300)).toBe(k.status);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json).toMatchObject({ status: k.status, code: k.code, type: `urn:vafa:problem:${k.code}` });
    expect(typeof r.json.title).toBe('string');
    expect(r.body).not.toMatch(/"stack"|\n\s+at |node_modules|\.ts:\d+/);
    expect(await counts()).toEqual(before);
  });

  it('the balance and hold are untouched by all of the above', async () => {
    const b = await call(v, 'GET', `/api/v1/members/${s.m}/balance`, c.apiKey);
    expect(b.json.points).toMatchObject({ balance: 99, available: 99 });
    expect((await call(v, 'GET', `/api/v1/holds/${s.holdCaptured}`, c.apiKey)).json.status).toBe('posted');
  });
});
