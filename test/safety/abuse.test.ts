/**
 * Abuse: what a dishonest member or a careless integration tries.
 *  - guessing one-time codes: wrong guesses burn a code after 5 and lock the mobile for
 *    the hour after 10 (across codes) — even the right code is then refused (429); guesses
 *    fired in parallel cannot beat the per-code limit;
 *  - buy → earn → spend → return: the refund takes the purchase's points back from the
 *    member's other lots; `unrecovered` is reported only when nothing is left; points
 *    pending in the return window cannot be spent, converted or transferred first;
 *  - refunds replayed, beyond the purchase, of a refund, for another member, and many at
 *    once: refused, never double-reversed;
 *  - a replayed or tampered webhook fails its timestamped HMAC check.
 * (Self-referral from a shared device is covered in test/rules/programs.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, mobile, type ClubFixture } from '../fixtures.js';
import { signWebhook, verifyWebhook } from '../../src/platform/webhooks.js';
import { expectLedgerClean } from './invariants.js';

let n = 6_000_000 + (process.pid % 1000) * 100;
const idem = () => ({ 'idempotency-key': `ab-${randomUUID()}` });

describeEngines('abuse', (engine) => {
  let v: TestVafa;
  const clock = new ManualClock(new Date());
  let c: ClubFixture;
  beforeAll(async () => {
    v = await testVafa(engine, { clock });
    c = await makeClub(v, { allowTransfers: true, pendingDays: 0 });
  });
  afterAll(async () => {
    await expectLedgerClean(v.database.db, c.clubId);
    await v.close();
  });

  describe('one-time codes', () => {
    const lastCode = (mob: string) => {
      const sms = [...v.sms.sent].reverse().find((s) => s.clubId === c.clubId && s.to.endsWith(mob.slice(1)))!;
      return /(\d{6})/.exec(sms.text.replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x06f0)))![1]!;
    };
    const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const otp = (mob: string) => call(v, 'POST', '/api/v1/auth/member/otp', null, { club: c.slug, mobile: mob });
    const verify = (mob: string, code: string) => call(v, 'POST', '/api/v1/auth/member/verify', null, { club: c.slug, mobile: mob, code });

    it('10 wrong guesses across codes lock sign-in for the hour, even with the right code', async () => {
      const mob = mobile(++n);
      const t0 = clock.now();
      expect((await otp(mob)).status).toBe(202);
      const c1 = lastCode(mob);
      for (let i = 0; i < 5; i++) expect((await verify(mob, wrong(c1))).json.code).toBe('otp_invalid');
      // Five wrong guesses burn the code: the right one no longer opens it.
      expect((await verify(mob, c1)).json.code).toBe('otp_invalid');

      expect((await otp(mob)).status).toBe(202);
      const c2 = lastCode(mob);
      for (let i = 0; i < 4; i++) expect((await verify(mob, wrong(c2))).json.code).toBe('otp_invalid');
      expect((await otp(mob)).status).toBe(202);
      const c3 = lastCode(mob);
      expect((await verify(mob, wrong(c3))).json.code).toBe('otp_invalid'); // the 10th wrong guess

      const locked = await verify(mob, c3);
      expect([locked.status, locked.json.code]).toEqual([429, 'otp_rate_limited']);
      expect(locked.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((await otp(mob)).status).toBe(429); // no new codes either
      clock.set(new Date(t0.getTime() + 59 * 60_000));
      expect((await verify(mob, c3)).status).toBe(429);
      // An hour after the guesses the lock lifts: a new code works.
      clock.set(new Date(t0.getTime() + 61 * 60_000));
      expect((await otp(mob)).status).toBe(202);
      const ok = await verify(mob, lastCode(mob));
      expect(ok.status).toBe(200);
      expect(ok.json.token).toMatch(/^vss_/);
    });

    it('two codes issued in the same millisecond: the later one is the live one', async () => {
      // The clock does not move between the requests (as two concurrent requests may see).
      const mob = mobile(++n);
      expect((await otp(mob)).status).toBe(202);
      const first = lastCode(mob);
      expect((await otp(mob)).status).toBe(202);
      const second = lastCode(mob);
      if (first !== second) expect((await verify(mob, first)).json.code).toBe('otp_invalid');
      expect((await verify(mob, second)).status).toBe(200);
    });

    it('at most 5 codes an hour per mobile', async () => {
      const mob = mobile(++n);
      for (let i = 0; i < 5; i++) expect((await otp(mob)).status).toBe(202);
      expect((await otp(mob)).json.code).toBe('otp_rate_limited');
    });

    it('guesses fired in parallel cannot beat the per-code limit', async () => {
      const mob = mobile(++n);
      expect((await otp(mob)).status).toBe(202);
      const code = lastCode(mob);
      const guesses = Array.from({ length: 24 }, (_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'));
      const answers = await Promise.all(guesses.map((g) => verify(mob, g)));
      expect(answers.every((a) => a.status === 401 && a.json.code === 'otp_invalid')).toBe(true);
      const rows = await v.database.db.selectFrom('otp_codes').select('attempts').where('club_id', '=', c.clubId).where('mobile', '=', `+98${mob.slice(1)}`).execute();
      expect(rows.map((r) => r.attempts)).toEqual([5]);
      expect((await verify(mob, code)).json.code).toBe('otp_invalid'); // burnt
    });
  });

  describe('buy → earn → spend → return', () => {
    const post = (body: Record<string, unknown>, headers: Record<string, string> = idem()) => call(v, 'POST', '/api/v1/events', c.apiKey, body, headers);
    const buy = async (m: string, rials: number) => {
      const eventId = `buy-${randomUUID()}`;
      const r = await post({ eventId, type: 'purchase', member: { id: m }, amountRials: rials });
      expect(r.status, r.body).toBe(201);
      return { eventId, points: r.json.points as number };
    };
    const refund = (m: string, of: string, rials: number, eventId = `ret-${randomUUID()}`) => post({ eventId, type: 'refund', refundOf: of, member: { id: m }, amountRials: rials });
    const balance = async (m: string) => (await call(v, 'GET', `/api/v1/members/${m}/balance`, c.apiKey)).json.points as { balance: number; available: number; pending: number };
    const spend = (m: string, points: number) => call(v, 'POST', `/api/v1/members/${m}/spend`, c.apiKey, { points }, idem());

    it('spent before the return: the refund takes back from the other lots, unrecovered only when nothing is left', async () => {
      // Enough elsewhere: the whole purchase comes back.
      const rich = await makeMember(v, c.clubId, ++n);
      await v.services.ledger.adjust(c.clubId, rich, { points: 500, reason: 'goodwill', expiresAt: null }, { actor: 'test' });
      const p = await buy(rich, 1_000_000);
      expect(p.points).toBe(100);
      expect((await spend(rich, 100)).status).toBe(201);
      const r = await refund(rich, p.eventId, 1_000_000);
      expect(r.json).toMatchObject({ status: 'created', reversed: 100, unrecovered: 0, points: -100 });
      expect(await balance(rich)).toMatchObject({ balance: 400 });

      // Not enough left: take what is there, report the rest.
      const poor = await makeMember(v, c.clubId, ++n);
      const a = await buy(poor, 1_000_000);
      await buy(poor, 500_000);
      expect((await spend(poor, 120)).status).toBe(201);
      const ra = await refund(poor, a.eventId, 1_000_000);
      expect(ra.json).toMatchObject({ status: 'created', reversed: 30, unrecovered: 70 });
      expect(await balance(poor)).toMatchObject({ balance: 0, available: 0 });
      // And a spend of nothing left is refused: the member cannot go below zero.
      expect((await spend(poor, 1)).json.code).toBe('insufficient_points');
    });

    it('points still in the return window cannot be spent, converted or transferred before the return', async () => {
      const held = await makeClub(v, { allowTransfers: true, pendingDays: 14 });
      const m = await makeMember(v, held.clubId, ++n);
      const friend = await makeMember(v, held.clubId, ++n);
      const eventId = `buy-${randomUUID()}`;
      const p = await call(v, 'POST', '/api/v1/events', held.apiKey, { eventId, type: 'purchase', member: { id: m }, amountRials: 2_000_000 }, idem());
      expect(p.json.points).toBe(200);
      expect((await call(v, 'GET', `/api/v1/members/${m}/balance`, held.apiKey)).json.points).toMatchObject({ balance: 200, available: 0, pending: 200 });
      for (const [url, body] of [
        [`/api/v1/members/${m}/spend`, { points: 1 }],
        [`/api/v1/members/${m}/conversions`, { points: 1 }],
        [`/api/v1/members/${m}/transfers`, { toMemberId: friend, points: 1 }],
        [`/api/v1/members/${m}/holds`, { points: 1 }],
      ] as const) expect((await call(v, 'POST', url, held.apiKey, body, idem())).json.code, url).toBe('insufficient_points');
      const r = await call(v, 'POST', '/api/v1/events', held.apiKey, { eventId: `ret-${randomUUID()}`, type: 'refund', refundOf: eventId, member: { id: m }, amountRials: 2_000_000 }, idem());
      expect(r.json).toMatchObject({ reversed: 200, unrecovered: 0 });
      expect((await call(v, 'GET', `/api/v1/members/${m}/balance`, held.apiKey)).json.points).toMatchObject({ balance: 0, pending: 0 });
      expect((await call(v, 'GET', `/api/v1/members/${friend}/balance`, held.apiKey)).json.points.balance).toBe(0);
      await expectLedgerClean(v.database.db, held.clubId);
    });

    it('refunds: a replay is the same refund, beyond the purchase / of a refund / for another member is refused', async () => {
      const m = await makeMember(v, c.clubId, ++n);
      const other = await makeMember(v, c.clubId, ++n);
      const p = await buy(m, 1_000_000);
      const reverseEntries = async () =>
        Number((await sql<{ n: number }>`select count(*)::int as n from journal_entries j join events e on e.id = j.event_id and e.club_id = j.club_id
          where j.club_id = ${c.clubId} and j.kind = 'reverse' and e.refund_of = (select id from events where club_id = ${c.clubId} and external_id = ${p.eventId})`.execute(v.database.db)).rows[0]!.n);

      const key = idem();
      const r1 = await refund(m, p.eventId, 300_000, 'ret-1-' + p.eventId);
      expect(r1.json).toMatchObject({ status: 'created', reversed: 30 });
      // The same refund again (new key, same eventId and body): `exists`, nothing taken twice.
      const again = await refund(m, p.eventId, 300_000, 'ret-1-' + p.eventId);
      expect([again.status, again.json.status, again.json.id]).toEqual([200, 'exists', r1.json.id]);
      // Same eventId, another amount: refused.
      expect((await refund(m, p.eventId, 1_000, 'ret-1-' + p.eventId)).json.code).toBe('exists_with_different_body');
      // The same request again with its Idempotency-Key: the first answer, byte for byte.
      const r2 = await post({ eventId: 'ret-2-' + p.eventId, type: 'refund', refundOf: p.eventId, member: { id: m }, amountRials: 200_000 }, key);
      const r2again = await post({ eventId: 'ret-2-' + p.eventId, type: 'refund', refundOf: p.eventId, member: { id: m }, amountRials: 200_000 }, key);
      expect([r2again.status, r2again.json]).toEqual([r2.status, r2.json]);
      expect(await reverseEntries()).toBe(2);

      // Beyond the purchase (300k + 200k refunded, 600k more is too much).
      const over = await refund(m, p.eventId, 600_000);
      expect([over.status, over.json.code]).toEqual([422, 'refund_exceeds_purchase']);
      // A refund of a refund, a refund for another member.
      expect((await refund(m, 'ret-1-' + p.eventId, 1)).json.code).toBe('not_a_purchase');
      expect((await refund(other, p.eventId, 1)).json.code).toBe('refund_member_mismatch');
      // The rest, then one rial more.
      expect((await refund(m, p.eventId, 500_000)).json).toMatchObject({ status: 'created', reversed: 50 });
      expect((await refund(m, p.eventId, 1)).json.code).toBe('refund_exceeds_purchase');
      expect(await reverseEntries()).toBe(3);
      expect(await balance(m)).toMatchObject({ balance: 0 });
      // Refused refunds left no event behind.
      const refunds = await v.database.db.selectFrom('events').select('external_id').where('club_id', '=', c.clubId).where('type', '=', 'refund').where('member_id', '=', m).execute();
      expect(refunds.length).toBe(3);
    });

    it('many refunds of one purchase at once: exactly one is applied', async () => {
      const m = await makeMember(v, c.clubId, ++n);
      const p = await buy(m, 1_000_000);
      const single = Array.from({ length: 8 }, () => refund(m, p.eventId, 1_000_000));
      const batch = call(v, 'POST', '/api/v1/events/batch', c.apiKey, { events: Array.from({ length: 4 }, () => ({ eventId: `ret-${randomUUID()}`, type: 'refund', refundOf: p.eventId, member: { id: m }, amountRials: 1_000_000 })) }, idem());
      const [answers, b] = await Promise.all([Promise.all(single), batch]);
      const outcomes = [...answers.map((a) => (a.status === 201 ? 'created' : a.json.code)), ...b.json.results.map((x: { status: string; code?: string }) => (x.status === 'created' ? 'created' : x.code))];
      expect(outcomes.filter((o) => o === 'created').length, JSON.stringify(outcomes)).toBe(1);
      expect(outcomes.filter((o) => o !== 'created').every((o) => o === 'refund_exceeds_purchase')).toBe(true);
      expect(await balance(m)).toMatchObject({ balance: 0 });
    });
  });
});

describe('webhooks: timestamped HMAC', () => {
  it('a replayed (stale), tampered or foreign-signed delivery is rejected', () => {
    const secret = 'whsec_test';
    const body = JSON.stringify({ event: 'redemption.ordered', data: { id: 'rdm_1' } });
    const ts = 1_760_000_000;
    const headers = { 'x-vafa-timestamp': String(ts), 'x-vafa-signature': `v1=${signWebhook(secret, ts, body)}` };
    expect(verifyWebhook(secret, headers, body, ts + 10)).toBe(true);
    expect(verifyWebhook(secret, headers, body, ts + 301)).toBe(false); // replayed 5 minutes later
    expect(verifyWebhook(secret, headers, body, ts - 301)).toBe(false); // from the future
    expect(verifyWebhook(secret, headers, body.replace('rdm_1', 'rdm_2'), ts + 10)).toBe(false);
    expect(verifyWebhook('another-secret', headers, body, ts + 10)).toBe(false);
    expect(verifyWebhook(secret, { ...headers, 'x-vafa-timestamp': String(ts + 60) }, body, ts + 60)).toBe(false); // timestamp moved, signature not
    expect(verifyWebhook(secret, { 'x-vafa-signature': headers['x-vafa-signature'] }, body, ts)).toBe(false);
  });
});
