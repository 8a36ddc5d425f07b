/**
 * Rewards, on PGlite and PostgreSQL, through the HTTP API: redemptions of one reward that
 * share a transaction keep their own outcomes; a tier audience is a list of tiers, in the
 * store, the API and the member's catalogue; a product order's points stay held until it
 * ships or is cancelled, whatever the ledger's hold-expiry job does meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';
import { verifyLedger } from '../../src/modules/ledger/index.js';
import { available, fund, idem, reward } from './helpers.js';

describeEngines('rewards: groups, tier lists, product holds', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  const clock = new ManualClock(new Date('2025-04-10T08:00:00Z'));
  let n = 5000;
  const member = async (points = 0, extra: Record<string, unknown> = {}) => {
    const id = await makeMember(v, c.clubId, ++n, { consent: { sms: true }, ...extra });
    if (points) await fund(v, c.clubId, id, points);
    return id;
  };
  const redeem = (memberId: string, body: Record<string, unknown>, headers: Record<string, string> = idem()) => call(v, 'POST', `/api/v1/members/${memberId}/redemptions`, c.apiKey, body, headers);
  const pendingHold = async (holdId: string) => (await v.database.db.selectFrom('holds').select(['status', 'expires_at']).where('id', '=', holdId).executeTakeFirstOrThrow()) as { status: string; expires_at: Date };

  beforeAll(async () => {
    v = await testVafa(engine, { clock });
    c = await makeClub(v);
  });
  afterAll(() => v.close());

  describe('redemptions of one reward sent together', () => {
    it('each keeps its own outcome: failures do not fail their neighbours; a repeated key replays', async () => {
      const rich = await Promise.all(Array.from({ length: 6 }, () => member(1000)));
      const [x, y] = [await member(1000), await member(1000)];
      const poor = await member(10);
      const limited = await member(1000);
      const rewardId = await reward(v, c, { type: 'coupon', costPoints: 100, stock: 20, limit: { count: 1, period: 'ever' }, config: { codes: { source: 'pattern', pattern: 'GRP-########' } } });
      expect((await redeem(limited, { rewardId })).status).toBe(201); // limit now reached
      const key = idem();
      const before = { ...v.services.rewards.redemptionStats };
      const results = await Promise.all([
        ...rich.map((m) => redeem(m, { rewardId })),
        redeem(poor, { rewardId }),
        redeem(limited, { rewardId }),
        redeem('mbr_nobody', { rewardId }),
        redeem(rich[0]!, { rewardId }), // rich[0] twice: the limit is 1
        redeem(x, { rewardId }, key), // one key for two different requests: one goes through, the other is refused
        redeem(y, { rewardId }, key),
      ]);
      const [ok0, ok1, ok2, ok3, ok4, ok5, poorR, limitedR, nobody, again0, kx, ky] = results;
      for (const r of [ok1, ok2, ok3, ok4, ok5]) expect(r!.status, JSON.stringify(r!.json)).toBe(201);
      expect(poorR!.json.code).toBe('insufficient_points');
      expect(limitedR!.json.code).toBe('member_limit_reached');
      expect(nobody!.json.code).toBe('member_not_found');
      // rich[0] sent twice: one wins, the other hits the limit.
      expect([ok0!.status, again0!.status].sort()).toEqual([201, 409]);
      expect([ok0, again0].find((r) => r!.status === 409)!.json.code).toBe('member_limit_reached');
      expect([kx!.status, ky!.status].sort()).toEqual([201, 409]);
      expect([kx, ky].find((r) => r!.status === 409)!.json.code).toBe('exists_with_different_body');
      const created = results.filter((r) => r.status === 201);
      expect(new Set(created.map((r) => r.json.code)).size).toBe(created.length);
      expect((await call(v, 'GET', `/api/v1/rewards/${rewardId}`, c.apiKey)).json.stock).toBe(20 - 1 - created.length);
      expect(await available(v, c.clubId, poor)).toBe(10);
      const after = v.services.rewards.redemptionStats;
      expect(after.items - before.items).toBeGreaterThanOrEqual(results.length);
      expect((await verifyLedger(v.database.db, c.clubId)).problems).toEqual([]);
    });

    it('a retried request replays its first answer, also when the retry arrives with the first', async () => {
      const m = await member(1000);
      const rewardId = await reward(v, c, { type: 'donation', costPoints: 100, stock: 10, config: { cause: { fa: 'محک' } } });
      const key = idem();
      const [a, b] = await Promise.all([redeem(m, { rewardId }, key), redeem(m, { rewardId }, key)]);
      expect([a!.status, b!.status]).toEqual([201, 201]);
      expect(a!.json.id).toBe(b!.json.id);
      const c2 = await redeem(m, { rewardId }, key);
      expect(c2.json.id).toBe(a!.json.id);
      expect(await available(v, c.clubId, m)).toBe(900);
      expect((await call(v, 'GET', `/api/v1/rewards/${rewardId}`, c.apiKey)).json.stock).toBe(9);
    });

    it('a request refused inside a group leaves its key free: the retry, once allowed, goes through', async () => {
      const [a, b] = [await member(1000), await member(1000)];
      const rewardId = await reward(v, c, { type: 'donation', costPoints: 100, config: { cause: { fa: 'محک' } }, audience: { tiers: ['gold'] } });
      await v.services.members.setTier(v.database.db, c.clubId, a, 'gold');
      const key = idem();
      const [ra, rb] = await Promise.all([redeem(a, { rewardId }), redeem(b, { rewardId }, key)]);
      expect(ra.status).toBe(201);
      expect(rb.json.code).toBe('below_tier');
      await v.services.members.setTier(v.database.db, c.clubId, b, 'gold');
      const retry = await redeem(b, { rewardId }, key);
      expect(retry.status, JSON.stringify(retry.json)).toBe(201);
      expect(retry.json).toMatchObject({ memberId: b, rewardId, points: 100 });
      expect(await available(v, c.clubId, b)).toBe(900);
    });

    it('the stock runs out inside a group: exactly the stock is given, the rest is told out of stock', async () => {
      const ms = await Promise.all(Array.from({ length: 12 }, () => member(500)));
      const rewardId = await reward(v, c, { type: 'coupon', costPoints: 100, stock: 5, config: { codes: { source: 'pattern', pattern: 'OUT-########' } } });
      const results = await Promise.all(ms.map((m) => redeem(m, { rewardId })));
      expect(results.filter((r) => r.status === 201).length).toBe(5);
      expect(results.filter((r) => r.json?.code === 'reward_out_of_stock').length).toBe(7);
      expect((await call(v, 'GET', `/api/v1/rewards/${rewardId}`, c.apiKey)).json.stock).toBe(0);
      const balances = await Promise.all(ms.map((m) => available(v, c.clubId, m)));
      expect(balances.filter((b) => b === 400).length).toBe(5);
      expect(balances.filter((b) => b === 500).length).toBe(7);
      expect((await verifyLedger(v.database.db, c.clubId)).problems).toEqual([]);
    });
  });

  describe('a tier audience is a list of tiers', () => {
    it('stored and returned as a list, checked at redemption, filtered in the member catalogue, changed by PATCH', async () => {
      const tiered = async (tier: string | null) => {
        const id = await member(1000);
        if (tier) expect(await v.services.members.setTier(v.database.db, c.clubId, id, tier)).toBe(true);
        return id;
      };
      const [gold, silver, bronze, none] = [await tiered('gold'), await tiered('silver'), await tiered('bronze'), await tiered(null)];
      const id = await reward(v, c, { type: 'donation', costPoints: 10, config: { cause: { fa: 'محک' } }, audience: { tiers: [' Silver ', 'gold'] } });
      expect((await call(v, 'GET', `/api/v1/rewards/${id}`, c.apiKey)).json.audience).toEqual({ tiers: ['silver', 'gold'], groups: [] });
      const sees = async (m: string) => ((await call(v, 'GET', `/api/v1/members/${m}/rewards`, c.apiKey)).json.items as { id: string; redeemable: boolean }[]).find((x) => x.id === id);
      expect(await sees(gold)).toMatchObject({ redeemable: true });
      expect(await sees(silver)).toMatchObject({ redeemable: true });
      expect(await sees(bronze)).toBeUndefined();
      expect(await sees(none)).toBeUndefined();
      expect((await redeem(gold, { rewardId: id })).status).toBe(201);
      expect((await redeem(silver, { rewardId: id })).status).toBe(201);
      expect((await redeem(bronze, { rewardId: id })).json).toMatchObject({ status: 403, code: 'below_tier' });
      expect((await redeem(none, { rewardId: id })).json.code).toBe('below_tier');

      const patched = await call(v, 'PATCH', `/api/v1/rewards/${id}`, c.ownerToken, { audience: { tiers: ['bronze', 'silver'] } });
      expect(patched.json.audience.tiers).toEqual(['bronze', 'silver']);
      expect(await sees(bronze)).toMatchObject({ redeemable: true });
      expect(await sees(gold)).toBeUndefined();
      expect((await redeem(bronze, { rewardId: id })).status).toBe(201);
      expect((await redeem(gold, { rewardId: id })).json.code).toBe('below_tier');

      // Not a tier code: refused at the edge.
      const bad = await call(v, 'POST', '/api/v1/rewards', c.ownerToken, { type: 'donation', title: { fa: 'x' }, costPoints: 1, config: { cause: { fa: 'محک' } }, audience: { tiers: ['طلایی'] } });
      expect(bad.status).toBe(400);
    });
  });

  describe('a product order keeps its points held until it ships or is cancelled', () => {
    it('the hold-expiry job, run long after the order, releases nothing; shipping then captures', async () => {
      const m = await member(1000);
      const rewardId = await reward(v, c, { type: 'product', costPoints: 300, copayRials: 0, stock: 5 });
      const r = await redeem(m, { rewardId, delivery: { recipient: 'علی', address: 'تهران، خیابان ولیعصر' } });
      expect(r.status).toBe(201);
      const row = (await v.database.db.selectFrom('redemptions').select(['hold_id']).where('id', '=', r.json.id).executeTakeFirstOrThrow()) as { hold_id: string };
      expect(new Date((await pendingHold(row.hold_id)).expires_at).getTime()).toBeGreaterThan(clock.now().getTime() + 10 * 365 * 86_400_000);

      const start = clock.now();
      try {
        clock.set(new Date(start.getTime() + 400 * 86_400_000)); // more than a year later
        await v.services.ledger.expireHolds(10_000);
        expect((await pendingHold(row.hold_id)).status).toBe('pending');
        expect(await available(v, c.clubId, m)).toBe(700); // still held, not handed back
        const shipped = await call(v, 'POST', `/api/v1/redemptions/${r.json.id}/fulfilment`, c.apiKey, { status: 'shipped', tracking: 'IR123' }, idem());
        expect(shipped.status, JSON.stringify(shipped.json)).toBe(200);
        expect(shipped.json).toMatchObject({ status: 'fulfilled', fulfilment: 'shipped' });
        expect((await pendingHold(row.hold_id)).status).toBe('posted');
        expect(await available(v, c.clubId, m)).toBe(700);
      } finally {
        clock.set(start);
      }
      expect((await verifyLedger(v.database.db, c.clubId)).problems).toEqual([]);
    });

    it('cancelled long after the order: the held points come back once', async () => {
      const m = await member(1000);
      const rewardId = await reward(v, c, { type: 'product', costPoints: 250, stock: 5 });
      const r = await redeem(m, { rewardId, delivery: { recipient: 'مریم', address: 'شیراز، خیابان زند' } });
      expect(r.status).toBe(201);
      const start = clock.now();
      try {
        clock.set(new Date(start.getTime() + 120 * 86_400_000));
        await v.services.ledger.expireHolds(10_000);
        expect(await available(v, c.clubId, m)).toBe(750);
        const cancelled = await call(v, 'POST', `/api/v1/redemptions/${r.json.id}/fulfilment`, c.apiKey, { status: 'cancelled', reason: 'out of stock at the warehouse' }, idem());
        expect(cancelled.status, JSON.stringify(cancelled.json)).toBe(200);
        expect(await available(v, c.clubId, m)).toBe(1000);
        expect((await call(v, 'GET', `/api/v1/rewards/${rewardId}`, c.apiKey)).json.stock).toBe(5);
      } finally {
        clock.set(start);
      }
      expect((await verifyLedger(v.database.db, c.clubId)).problems).toEqual([]);
    });
  });
});
