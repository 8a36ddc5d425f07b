/**
 * Redemption groups and their set-based ledger debits, on PGlite and PostgreSQL, through the
 * HTTP API: the group reads its reward in its own transaction (a change is seen at once);
 * a redemption's points and co-payment go together or not at all, also for a member twice
 * in one group; near sell-out a redemption that fails on points does not use up a unit.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';
import { sql } from 'kysely';
import { verifyLedger } from '../../src/modules/ledger/index.js';
import { available, fund, idem, reward } from './helpers.js';

describeEngines('rewards: groups and the ledger', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  let n = 7000;
  const member = async (points = 0) => {
    const id = await makeMember(v, c.clubId, ++n);
    if (points) await fund(v, c.clubId, id, points);
    return id;
  };
  const redeem = (memberId: string, rewardId: string) => call(v, 'POST', `/api/v1/members/${memberId}/redemptions`, c.apiKey, { rewardId }, idem());

  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v);
  });
  afterAll(() => v.close());

  it('the group reads the reward in its transaction: a new price and an archive are seen by the next redemption', async () => {
    const m = await member(1000);
    const rewardId = await reward(v, c, { type: 'coupon', costPoints: 100, stock: 10, config: { codes: { source: 'pattern', pattern: 'FR-########' } } });
    expect((await redeem(m, rewardId)).status).toBe(201);
    expect(await available(v, c.clubId, m)).toBe(900);
    expect((await call(v, 'PATCH', `/api/v1/rewards/${rewardId}`, c.ownerToken, { costPoints: 250 })).status).toBe(200);
    const r = await redeem(m, rewardId);
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json.points).toBe(250);
    expect(await available(v, c.clubId, m)).toBe(650);
    expect((await call(v, 'POST', `/api/v1/rewards/${rewardId}/archive`, c.ownerToken)).status).toBe(200);
    expect((await redeem(m, rewardId)).json.code).toBe('reward_archived');
    expect(await available(v, c.clubId, m)).toBe(650);
    expect((await redeem(m, 'rwd_nothing_here')).json.code).toBe('reward_not_found');
  });

  it('a member twice in one group with a co-payment: the one the wallet cannot cover fails alone, its points untouched', async () => {
    const m = await member(1000);
    const w = await v.services.ledger.adjust(c.clubId, m, { points: 700, unit: 'rials', reason: 'wallet' }, { actor: 'test' });
    expect(w.ok).toBe(true);
    const rewardId = await reward(v, c, { type: 'coupon', costPoints: 100, copayRials: 500, stock: 10, config: { codes: { source: 'pattern', pattern: 'CP-########' } } });
    const rs = await Promise.all([redeem(m, rewardId), redeem(m, rewardId)]);
    expect(rs.map((r) => r.status).sort()).toEqual([201, 422]);
    expect(rs.find((r) => r.status === 422)!.json.code).toBe('insufficient_wallet');
    expect(await available(v, c.clubId, m)).toBe(900);
    expect(await available(v, c.clubId, m, 'rials')).toBe(200);
    expect((await call(v, 'GET', `/api/v1/rewards/${rewardId}`, c.apiKey)).json.stock).toBe(9);
    expect((await verifyLedger(v.database.db, c.clubId)).problems).toEqual([]);
  });

  it('near sell-out, one short of points does not use up a unit: the stock goes to those who can pay', async () => {
    const poor = await member(50);
    const rich = [await member(500), await member(500)];
    const rewardId = await reward(v, c, { type: 'coupon', costPoints: 100, stock: 2, config: { codes: { source: 'pattern', pattern: 'SO-########' } } });
    const [p, ...rs] = await Promise.all([redeem(poor, rewardId), ...rich.map((m) => redeem(m, rewardId))]);
    expect(p!.json.code).toBe('insufficient_points');
    for (const r of rs) expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect((await call(v, 'GET', `/api/v1/rewards/${rewardId}`, c.apiKey)).json.stock).toBe(0);
    expect((await redeem(rich[0]!, rewardId)).json.code).toBe('reward_out_of_stock');
    expect(await available(v, c.clubId, poor)).toBe(50);
    expect((await verifyLedger(v.database.db, c.clubId)).problems).toEqual([]);
  });

  it('no limit to count: each redemption\'s rank (nth) is counted as it is written, also a member twice in one group', async () => {
    const m = await member(1000);
    const rewardId = await reward(v, c, { type: 'coupon', costPoints: 100, config: { codes: { source: 'pattern', pattern: 'NTH-########' } } });
    expect((await redeem(m, rewardId)).status).toBe(201);
    const rs = await Promise.all([redeem(m, rewardId), redeem(m, rewardId)]);
    for (const r of rs) expect(r.status, JSON.stringify(r.json)).toBe(201);
    const rows = await sql<{ nth: number }>`select nth from redemptions where club_id = ${c.clubId} and member_id = ${m} and reward_id = ${rewardId} order by nth`.execute(v.database.db);
    expect(rows.rows.map((r) => Number(r.nth))).toEqual([0, 1, 2]);
  });

  it('generated codes written with the group: a clash with an earlier code is redrawn, every code distinct', async () => {
    // 100 possible codes (set in the row: the API asks for at least 6 random positions), 25
    // redemptions one after another: a clash across groups is all but certain.
    const rewardId = await reward(v, c, { type: 'coupon', costPoints: 10, config: { codes: { source: 'pattern', pattern: 'CL-######' } } });
    await sql`update rewards set config = ${JSON.stringify({ codes: { source: 'pattern', pattern: 'CL-##' } })}::jsonb where club_id = ${c.clubId} and id = ${rewardId}`.execute(v.database.db);
    const codes: string[] = [];
    for (let k = 0; k < 25; k++) {
      const r = await redeem(await member(100), rewardId);
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      codes.push(r.json.code);
    }
    expect(new Set(codes).size).toBe(25);
    const rows = await sql<{ code: string; redemption_id: string }>`select code, redemption_id from coupon_codes where club_id = ${c.clubId} and reward_id = ${rewardId}`.execute(v.database.db);
    expect(rows.rows.map((r) => r.code).sort()).toEqual([...codes].sort());
    expect((await verifyLedger(v.database.db, c.clubId)).problems).toEqual([]);
  });
});
