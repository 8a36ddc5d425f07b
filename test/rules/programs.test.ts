/**
 * Referrals and tiers as business stories through the HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, mobile } from '../fixtures.js';

describeEngines('referrals and tiers', (engine) => {
  let v: TestVafa;
  // 1404/02/15 10:00 Tehran
  const clock = new ManualClock(new Date('2025-05-05T06:30:00Z'));
  let seq = 0;
  const post = (apiKey: string, memberId: string, body: Record<string, unknown>) =>
    call(v, 'POST', '/api/v1/events', apiKey, { eventId: `x${++seq}`, member: { id: memberId }, ...body }, { 'idempotency-key': `x${seq}` });
  const balance = async (apiKey: string, id: string) => (await call(v, 'GET', `/api/v1/members/${id}/balance`, apiKey)).json.points;

  beforeAll(async () => {
    v = await testVafa(engine, { clock });
  });
  afterAll(() => v.close());

  describe('ISP: invite a friend, both earn after the friend’s first purchase', () => {
    it('the referrer’s points wait for the return window; the friend’s welcome comes with the purchase', async () => {
      const c = await makeClub(v, { pendingDays: 7 });
      const set = await call(v, 'PUT', '/api/v1/referrals/settings', c.ownerToken, { referrerPoints: 50, refereePoints: 20 });
      expect(set.status, set.body).toBe(200);
      const aliId = await makeMember(v, c.clubId, 1);
      const ali = (await call(v, 'GET', `/api/v1/members/${aliId}`, c.apiKey)).json;
      const sara = await call(v, 'POST', '/api/v1/members', c.apiKey, { mobile: mobile(2), referredByCode: ali.referralCode });
      expect(sara.json.referredBy).toBe(aliId);
      // Signing in is not the qualifying action.
      expect((await post(c.apiKey, sara.json.id, { type: 'app_login' })).json.points).toBe(0);
      expect((await call(v, 'GET', `/api/v1/members/${aliId}/referrals`, c.ownerToken)).json.items).toEqual([]);
      // The first purchase qualifies both.
      const p = await post(c.apiKey, sara.json.id, { type: 'purchase', amountRials: 300_000 });
      expect(p.json.points).toBe(30 + 20); // base rate + welcome
      const refs = (await call(v, 'GET', `/api/v1/members/${aliId}/referrals`, c.ownerToken)).json.items;
      expect(refs).toMatchObject([{ refereeId: sara.json.id, status: 'qualified', referrerPoints: 50, refereePoints: 20 }]);
      expect(await balance(c.apiKey, aliId)).toMatchObject({ balance: 50, available: 0, pending: 50 });
      // A second purchase changes nothing for the referrer.
      await post(c.apiKey, sara.json.id, { type: 'purchase', amountRials: 300_000 });
      expect((await balance(c.apiKey, aliId)).balance).toBe(50);
      // After the return window the points are available.
      clock.advance(8 * 86_400_000);
      expect(await balance(c.apiKey, aliId)).toMatchObject({ balance: 50, available: 50, pending: 0 });
      const tag = await sql<{ rule_version: string }>`select rule_version from journal_entries where club_id = ${c.clubId} and member_id = ${aliId}`.execute(v.database.db);
      expect(tag.rows.map((r) => r.rule_version)).toEqual(['referral']);
    });

    it('self-referral from the same device is refused', async () => {
      const c = await makeClub(v);
      await call(v, 'PUT', '/api/v1/referrals/settings', c.ownerToken, { referrerPoints: 50, refereePoints: 20 });
      const aId = await makeMember(v, c.clubId, 11);
      const a = (await call(v, 'GET', `/api/v1/members/${aId}`, c.apiKey)).json;
      expect((await call(v, 'POST', `/api/v1/members/${aId}/devices`, c.apiKey, { fingerprint: 'device-abc-123' })).status).toBe(201);
      const b = await call(v, 'POST', '/api/v1/members', c.apiKey, { mobile: mobile(12), referredByCode: a.referralCode });
      const p = await post(c.apiKey, b.json.id, { type: 'purchase', amountRials: 100_000, attributes: { deviceFingerprint: 'device-abc-123' } });
      expect(p.json.points).toBe(10); // no welcome
      const refs = (await call(v, 'GET', `/api/v1/members/${aId}/referrals`, c.ownerToken)).json.items;
      expect(refs).toMatchObject([{ status: 'rejected', reason: 'same device', referrerPoints: 0 }]);
      expect((await balance(c.apiKey, aId)).balance).toBe(0);
    });
  });

  describe('bank: 10 points per 20,000 rials, minimum 50,000, at most 150 invite points a month', () => {
    it('the fourth friend in a month earns the referrer nothing; next month the cap resets', async () => {
      const c = await makeClub(v);
      await call(v, 'POST', '/api/v1/rules', c.ownerToken, {
        name: { fa: 'خرید با کارت' }, trigger: 'purchase', limits: { minAmountRials: 50_000 },
        effects: [{ type: 'award', unit: 'points', amount: 'event.amount / 20000 * 10' }],
      });
      await call(v, 'PUT', '/api/v1/referrals/settings', c.ownerToken, { referrerPoints: 50, minAmountRials: 50_000, monthlyCap: { points: 150 } });
      const hostId = await makeMember(v, c.clubId, 21);
      const host = (await call(v, 'GET', `/api/v1/members/${hostId}`, c.apiKey)).json;
      const friends: string[] = [];
      for (let i = 0; i < 5; i++) friends.push((await call(v, 'POST', '/api/v1/members', c.apiKey, { mobile: mobile(30 + i), referredByCode: host.referralCode })).json.id);
      // A purchase below the minimum earns nothing and does not qualify.
      expect((await post(c.apiKey, friends[0]!, { type: 'purchase', amountRials: 45_000 })).json.points).toBe(0);
      for (const f of friends.slice(0, 4)) expect((await post(c.apiKey, f, { type: 'purchase', amountRials: 60_000 })).json.points).toBe(30);
      const refs = (await call(v, 'GET', `/api/v1/members/${hostId}/referrals`, c.ownerToken)).json.items as { status: string; referrerPoints: number }[];
      expect(refs.map((r) => r.referrerPoints).sort()).toEqual([0, 50, 50, 50]);
      expect(refs.filter((r) => r.status === 'capped')).toHaveLength(1);
      expect((await balance(c.apiKey, hostId)).balance).toBe(150);
      clock.advance(31 * 86_400_000); // next Jalali month
      await post(c.apiKey, friends[4]!, { type: 'purchase', amountRials: 60_000 });
      expect((await balance(c.apiKey, hostId)).balance).toBe(200);
    });
  });

  describe('tiers', () => {
    const program = {
      measure: 'points',
      window: { kind: 'jalali_month' },
      levels: [
        { code: 'silver', name: { fa: 'نقره‌ای' }, threshold: 100 },
        { code: 'gold', name: { fa: 'طلایی' }, threshold: 300, multiplier: 2, thresholdsByCity: { 'تهران': 400 } },
        { code: 'platinum', name: { fa: 'پلاتین' }, threshold: 1000, multiplier: 3 },
      ],
      retention: { maxLevelsDown: 1, inactiveMonths: 2 },
    };

    it('upgrade at once when crossed, the multiplier applies from the next event, history and outbox record it', async () => {
      clock.set(new Date('2025-05-05T06:30:00Z')); // 1404/02/15
      const c = await makeClub(v);
      const put = await call(v, 'PUT', '/api/v1/tiers', c.ownerToken, program);
      expect(put.status, put.body).toBe(200);
      const m = await makeMember(v, c.clubId, 41);
      const tehrani = await makeMember(v, c.clubId, 42, { city: 'تهران' });
      expect((await post(c.apiKey, m, { type: 'purchase', amountRials: 1_500_000 })).json.points).toBe(150);
      expect((await call(v, 'GET', `/api/v1/members/${m}`, c.apiKey)).json.tier).toBe('silver');
      expect((await post(c.apiKey, m, { type: 'purchase', amountRials: 1_500_000 })).json.points).toBe(150); // silver ×1 → 300: gold
      expect((await call(v, 'GET', `/api/v1/members/${m}`, c.apiKey)).json.tier).toBe('gold');
      expect((await post(c.apiKey, m, { type: 'purchase', amountRials: 1_000_000 })).json.points).toBe(200); // gold ×2
      // In Tehran gold needs 400.
      await post(c.apiKey, tehrani, { type: 'purchase', amountRials: 3_500_000 });
      expect((await call(v, 'GET', `/api/v1/members/${tehrani}`, c.apiKey)).json.tier).toBe('silver');
      const t = await call(v, 'GET', `/api/v1/members/${m}/tier`, c.ownerToken);
      expect(t.json).toMatchObject({ tier: 'gold', measure: 500, next: { tier: 'platinum', missing: 500 } });
      expect(t.json.history.map((h: { from: string | null; to: string }) => [h.from, h.to])).toEqual([['silver', 'gold'], [null, 'silver']]);
      const msgs = await sql<{ payload: { to: string } }>`select payload from outbox where club_id = ${c.clubId} and topic = 'tier.changed' order by id`.execute(v.database.db);
      expect(msgs.rows.map((r) => r.payload.to)).toEqual(['silver', 'gold', 'silver']);
    });

    it('downgrade only at period end, one level at a time; inactivity drops a level; a review runs once', async () => {
      clock.set(new Date('2025-05-05T06:30:00Z')); // 1404/02/15
      const c = await makeClub(v);
      await call(v, 'PUT', '/api/v1/tiers', c.ownerToken, program);
      const m = await makeMember(v, c.clubId, 51);
      await post(c.apiKey, m, { type: 'purchase', amountRials: 10_000_000 }); // 1000 → platinum
      const quiet = await makeMember(v, c.clubId, 52);
      await post(c.apiKey, quiet, { type: 'purchase', amountRials: 1_000_000 }); // 100 → silver
      expect((await call(v, 'GET', `/api/v1/members/${m}`, c.apiKey)).json.tier).toBe('platinum');
      // Mid-month nothing goes down.
      clock.set(new Date('2025-05-10T06:30:00Z'));
      let r = await call(v, 'POST', '/api/v1/tiers/review', c.ownerToken);
      expect(r.json).toMatchObject({ period: null, downgraded: 0 });
      // 1404/03/01: the month 1404/02 is reviewed; 1000 points still hold platinum.
      clock.set(new Date('2025-05-22T06:30:00Z'));
      r = await call(v, 'POST', '/api/v1/tiers/review', c.ownerToken);
      expect(r.json).toMatchObject({ period: '1404-02', downgraded: 0 });
      // 1404/04/01: nothing in 1404/03 → one level down, not to nothing.
      clock.set(new Date('2025-06-22T06:30:00Z'));
      const first = await v.services.tiers.review((await v.services.clubs.get(c.clubId))!);
      expect(first).toMatchObject({ period: '1404-03', downgraded: 2 });
      expect((await call(v, 'GET', `/api/v1/members/${m}`, c.apiKey)).json.tier).toBe('gold');
      expect((await call(v, 'GET', `/api/v1/members/${quiet}`, c.apiKey)).json.tier).toBe(null);
      const again = await v.services.tiers.review((await v.services.clubs.get(c.clubId))!);
      expect(again.downgraded + again.inactive).toBe(0);
      // Two months later without activity (and no period review that day): inactivity.
      clock.set(new Date('2025-08-25T06:30:00Z')); // 1404/06/03
      const inactive = await v.services.tiers.review((await v.services.clubs.get(c.clubId))!);
      expect(inactive.inactive).toBe(1);
      expect((await call(v, 'GET', `/api/v1/members/${m}`, c.apiKey)).json.tier).toBe('silver');
      const h = (await call(v, 'GET', `/api/v1/members/${m}/tier`, c.ownerToken)).json.history;
      expect(h.map((x: { reason: string }) => x.reason)).toEqual(['inactivity', 'period_review', 'upgrade']);
    });
  });
});
