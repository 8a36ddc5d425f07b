/**
 * The member's own tier and referral views (GET /api/v1/me/tier, /api/v1/me/referrals) and
 * the dashboard's most redeemed rewards (topRewards in GET /api/v1/stats/overview), through
 * real HTTP on both engines.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, mobile } from '../fixtures.js';
import { fund, idem, memberToken, reward } from '../rewards/helpers.js';

const NOW = new Date('2025-05-05T06:30:00Z'); // 1404/02/15 in Tehran

describeEngines('member tier, referrals and top rewards', (engine) => {
  let v: TestVafa;
  const clock = new ManualClock(NOW);
  beforeAll(async () => {
    v = await testVafa(engine, { clock });
  });
  afterAll(async () => v?.close());

  const purchase = (c: { apiKey: string }, memberId: string, amountRials: number) =>
    call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: `p-${Math.random().toString(36).slice(2)}`, type: 'purchase', member: { id: memberId }, amountRials }, idem());

  test('GET /api/v1/me/tier: tier, measure, next threshold and progress, levels and history', async () => {
    clock.set(NOW);
    const c = await makeClub(v);
    const member = await call(v, 'POST', '/api/v1/members', c.apiKey, { mobile: mobile(1), city: 'تهران' }, idem());
    const tok = await memberToken(v, c, 1);
    // No programme: the member's label, nothing to measure.
    const none = await call(v, 'GET', '/api/v1/me/tier', tok);
    expect(none.status, JSON.stringify(none.json)).toBe(200);
    expect(none.json).toMatchObject({ tier: null, measure: null, next: null, levels: [], history: [] });

    await call(v, 'PUT', '/api/v1/tiers', c.ownerToken, {
      measure: 'points',
      window: { kind: 'jalali_month' },
      levels: [
        { code: 'silver', name: { fa: 'نقره‌ای', en: 'Silver' }, threshold: 100 },
        { code: 'gold', name: { fa: 'طلایی', en: 'Gold' }, threshold: 300, multiplier: 2, thresholdsByCity: { 'تهران': 400 } },
      ],
      retention: { maxLevelsDown: 1 },
    });
    expect((await purchase(c, member.json.id, 1_500_000)).status).toBe(201); // 150 points → silver
    const t = await call(v, 'GET', '/api/v1/me/tier', tok);
    expect(t.status).toBe(200);
    expect(t.json).toMatchObject({
      tier: 'silver',
      name: { fa: 'نقره‌ای' },
      measure: 150,
      window: { measure: 'points', to: '2025-05-05' },
      // Gold needs 400 in Tehran: the member's own threshold.
      next: { tier: 'gold', name: { fa: 'طلایی' }, threshold: 400, missing: 250 },
      top: false,
    });
    expect(t.json.next.progress).toBeCloseTo(150 / 400, 5);
    expect(t.json.levels.map((l: { code: string; threshold: number }) => [l.code, l.threshold])).toEqual([['silver', 100], ['gold', 400]]);
    expect(t.json.history).toMatchObject([{ from: null, to: 'silver' }]);
    // Operators and systems have their own route; this one is for members.
    expect((await call(v, 'GET', '/api/v1/me/tier', c.ownerToken)).status).toBe(403);
  });

  test('GET /api/v1/me/referrals: code and link, friends with status, this month against the cap', async () => {
    clock.set(NOW);
    const c = await makeClub(v);
    await call(v, 'PUT', '/api/v1/referrals/settings', c.ownerToken, { referrerPoints: 50, refereePoints: 20, monthlyCap: { count: 2 } });
    const ali = await call(v, 'POST', '/api/v1/members', c.apiKey, { mobile: mobile(10), firstName: 'علی' }, idem());
    const tok = await memberToken(v, c, 10);
    const empty = await call(v, 'GET', '/api/v1/me/referrals', tok);
    expect(empty.status, JSON.stringify(empty.json)).toBe(200);
    expect(empty.json).toMatchObject({ code: ali.json.referralCode, items: [], totals: { invited: 0, qualified: 0, earned: 0 }, thisMonth: { count: 0, points: 0, capReached: false } });
    expect(empty.json.link).toBe(`/app/login?club=${c.slug}&ref=${ali.json.referralCode}`);
    expect(empty.json.settings).toMatchObject({ referrerPoints: 50, refereePoints: 20, monthlyCap: { count: 2 } });

    const friends: string[] = [];
    for (let i = 0; i < 3; i++) {
      const f = await call(v, 'POST', '/api/v1/members', c.apiKey, { mobile: mobile(20 + i), firstName: `دوست${i}`, referredByCode: ali.json.referralCode }, idem());
      expect(f.status, JSON.stringify(f.json)).toBe(201);
      friends.push(f.json.id);
    }
    // Two qualify (the cap is two a month); the third is pending until a purchase — then capped.
    await purchase(c, friends[0]!, 500_000);
    await purchase(c, friends[1]!, 500_000);
    const mid = await call(v, 'GET', '/api/v1/me/referrals', tok);
    expect(mid.json.totals).toEqual({ invited: 3, pending: 1, qualified: 2, earned: 100 });
    expect(mid.json.thisMonth).toEqual({ count: 2, points: 100, capReached: true });
    const pending = mid.json.items.find((x: { refereeId: string }) => x.refereeId === friends[2]);
    expect(pending).toMatchObject({ status: 'pending', name: 'دوست2', referrerPoints: 0 });
    expect(pending.mobileMasked).toMatch(/\*/);
    expect(JSON.stringify(mid.json)).not.toContain(mobile(22).slice(4)); // masked, never the whole mobile
    await purchase(c, friends[2]!, 500_000);
    const after = await call(v, 'GET', '/api/v1/me/referrals', tok);
    expect(after.json.items.find((x: { refereeId: string }) => x.refereeId === friends[2]).status).toBe('capped');
    expect(after.json.totals).toMatchObject({ invited: 3, pending: 0, qualified: 2, earned: 100 });
    // Next Jalali month the cap starts again.
    clock.set(new Date('2025-05-25T06:30:00Z')); // 1404/03/04
    expect((await call(v, 'GET', '/api/v1/me/referrals', tok)).json.thisMonth).toEqual({ count: 0, points: 0, capReached: false });
  });

  test('topRewards in the overview: the most redeemed rewards of the period, most first, per club', async () => {
    clock.set(NOW);
    const c = await makeClub(v);
    const members: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await call(v, 'POST', '/api/v1/members', c.apiKey, { mobile: mobile(40 + i) }, idem());
      members.push(m.json.id);
      await fund(v, c.clubId, m.json.id, 10_000);
    }
    const coffee = await reward(v, c, { type: 'digital', title: { fa: 'قهوهٔ رایگان', en: 'Free coffee' }, costPoints: 100, config: {} });
    const cinema = await reward(v, c, { type: 'digital', title: { fa: 'بلیت سینما', en: 'Cinema ticket' }, costPoints: 300, config: {} });
    const ids = [coffee, cinema];
    const redeem = (memberId: string, rewardId: string) => call(v, 'POST', `/api/v1/members/${memberId}/redemptions`, c.ownerToken, { rewardId }, idem());
    const made: { id: string; reward: string }[] = [];
    for (const m of members) {
      const r = await redeem(m, ids[0]!);
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      made.push({ id: r.json.id, reward: ids[0]! });
    }
    if (ids[1]) {
      const r = await redeem(members[0]!, ids[1]);
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    }
    const o = await call(v, 'GET', '/api/v1/stats/overview', c.ownerToken);
    expect(o.status).toBe(200);
    expect(o.json.topRewards[0]).toMatchObject({ rewardId: ids[0], redemptions: 3, members: 3, title: { fa: 'قهوهٔ رایگان' } });
    if (ids[1]) expect(o.json.topRewards[1]).toMatchObject({ rewardId: ids[1], redemptions: 1, points: 300 });
    // Another club sees none of it.
    const other = await makeClub(v);
    expect((await call(v, 'GET', '/api/v1/stats/overview', other.ownerToken)).json.topRewards).toEqual([]);
  });
});
