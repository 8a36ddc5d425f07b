/**
 * A refund undoes what its purchase caused, through HTTP: festival score and categories,
 * the referral the purchase qualified (inside the return window), the tier measure and rule
 * usage, points paid at the till — in proportion for partial refunds, never more than the
 * purchase caused however the refund is split or retried. The ledger stays clean throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, mobile, type ClubFixture } from '../fixtures.js';
import { expectLedgerClean } from '../safety/invariants.js';

describeEngines('refunds undo what the purchase caused', (engine) => {
  let v: TestVafa;
  const clock = new ManualClock(new Date('2025-04-05T08:00:00Z')); // 1404/01/16, 11:30 in Tehran
  let seq = 0;
  const key = () => ({ 'idempotency-key': `rr-${process.pid}-${++seq}-${Math.random().toString(36).slice(2)}` });
  const event = async (c: ClubFixture, body: Record<string, unknown>, headers = key()) => call(v, 'POST', '/api/v1/events', c.apiKey, body, headers);
  const purchase = async (c: ClubFixture, memberId: string, amountRials: number, eventId = `p-${++seq}`) => {
    const r = await event(c, { eventId, type: 'purchase', member: { id: memberId }, amountRials });
    expect(r.status, r.body).toBe(201);
    return { eventId, points: r.json.points as number };
  };
  const refund = async (c: ClubFixture, memberId: string, refundOf: string, amountRials: number, eventId = `r-${++seq}`, headers = key()) =>
    event(c, { eventId, type: 'refund', refundOf, member: { id: memberId }, amountRials }, headers);
  const points = async (c: ClubFixture, id: string) => (await call(v, 'GET', `/api/v1/members/${id}/balance`, c.apiKey)).json.points as { balance: number; available: number; pending: number };
  const standing = async (c: ClubFixture, festivalId: string, memberId: string) => (await call(v, 'GET', `/api/v1/festivals/${festivalId}/members/${memberId}`, c.apiKey)).json;
  const festivalBalance = async (c: ClubFixture, memberId: string, festivalId: string) => (await v.services.ledger.balance(c.clubId, memberId, `festival:${festivalId}`)).balance;
  const topics = async (c: ClubFixture, topic: string) =>
    (await sql<{ payload: Record<string, unknown> }>`select payload from outbox where club_id = ${c.clubId} and topic = ${topic} order by id`.execute(v.database.db)).rows.map((r) => r.payload);

  beforeAll(async () => {
    v = await testVafa(engine, { clock });
  });
  afterAll(() => v?.close());

  describe('festival score', () => {
    let c: ClubFixture;
    let festivalId: string;
    let m: string;
    let rival: string;

    beforeAll(async () => {
      clock.set(new Date('2025-04-05T08:00:00Z'));
      c = await makeClub(v);
      const f = await call(v, 'POST', '/api/v1/festivals', c.ownerToken, {
        name: { fa: 'جشنوارهٔ بهار', en: 'Spring festival' },
        window: { from: '1404/01/15', to: '1404/01/31' },
        indicators: [{ eventType: 'purchase', score: 1, per: { rials: 100_000 } }],
        categories: [
          { key: 'purchases', eventType: 'purchase', measure: 'count' },
          { key: 'spent', eventType: 'purchase', measure: 'amount', perRials: 100_000 },
        ],
      });
      expect(f.status, f.body).toBe(201);
      festivalId = f.json.id;
      m = await makeMember(v, c.clubId, 1);
      rival = await makeMember(v, c.clubId, 2);
      for (const id of [m, rival]) expect((await call(v, 'POST', `/api/v1/festivals/${festivalId}/participants`, c.apiKey, { memberId: id }, key())).status).toBe(201);
    });

    it('a full refund takes the festival score, categories and rank back to where they were', async () => {
      await purchase(c, m, 300_000);
      await purchase(c, rival, 400_000);
      const before = await standing(c, festivalId, m);
      expect(before).toMatchObject({ score: 3, ranks: { score: { value: 3, rank: 2 }, purchases: { value: 1 }, spent: { value: 3, rank: 2 } } });
      const clubBefore = (await points(c, m)).balance;

      const p = await purchase(c, m, 500_000);
      expect(await standing(c, festivalId, m)).toMatchObject({ score: 8, ranks: { score: { value: 8, rank: 1 }, purchases: { value: 2 }, spent: { value: 8 } } });
      const r = await refund(c, m, p.eventId, 500_000);
      expect(r.status, r.body).toBe(201);
      expect(r.json).toMatchObject({ status: 'created', reversed: 50 });

      const after = await standing(c, festivalId, m);
      expect(after).toMatchObject({ score: 3, ranks: { score: { value: 3, rank: 2 }, purchases: { value: 1 }, spent: { value: 3, rank: 2 } } });
      expect(await festivalBalance(c, m, festivalId)).toBe(3);
      expect((await points(c, m)).balance).toBe(clubBefore);
      const told = await topics(c, 'festival.score_reversed');
      expect(told).toMatchObject([{ memberId: m, festivalId, score: 5 }]);
      // The leaderboard is the same as before the purchase.
      const board = await call(v, 'GET', `/api/v1/festivals/${festivalId}/leaderboard?category=score`, c.apiKey);
      expect(board.json.items.map((i: { value: number }) => i.value)).toEqual([4, 3]);
      await expectLedgerClean(v.database.db, c.clubId);
    });

    it('a refund while its purchase\'s festival score is still queued takes it back all the same', async () => {
      const queued = async () => Number((await sql<{ n: number }>`select count(*)::int as n from festival_score_queue where club_id = ${c.clubId} and member_id = ${m}`.execute(v.database.db)).rows[0]!.n);
      const start = await standing(c, festivalId, m); // a read applies what is queued
      expect(await queued()).toBe(0);
      const p = await purchase(c, m, 700_000);
      expect(await queued()).toBe(1); // acknowledged; the ledger and standings follow behind
      const r = await refund(c, m, p.eventId, 700_000);
      expect(r.json).toMatchObject({ status: 'created', reversed: 70 });
      expect(await queued()).toBe(0);
      const after = await standing(c, festivalId, m);
      expect(after.score).toBe(start.score);
      expect(after.ranks).toEqual(start.ranks);
      expect(await festivalBalance(c, m, festivalId)).toBe(start.score);
      const told = await topics(c, 'festival.score_reversed');
      expect(told.at(-1)).toMatchObject({ memberId: m, festivalId, score: 7 });
      await expectLedgerClean(v.database.db, c.clubId);
    });

    it('partial refunds take back in proportion, cumulatively; however split, never more than earned', async () => {
      const start = await standing(c, festivalId, m);
      const clubStart = (await points(c, m)).balance;
      const p = await purchase(c, m, 1_000_000);
      expect(p.points).toBe(100);
      expect((await standing(c, festivalId, m)).score).toBe(start.score + 10);

      // 25% → floor(10 × 0.25) = 2 score, 25 points; spent floor(10 × 0.25) = 2.
      const r1 = await refund(c, m, p.eventId, 250_000);
      expect(r1.json).toMatchObject({ status: 'created', reversed: 25 });
      let s = await standing(c, festivalId, m);
      expect(s.score).toBe(start.score + 8);
      expect(s.ranks.spent.value).toBe(start.ranks.spent.value + 8);
      expect(s.ranks.purchases.value).toBe(start.ranks.purchases.value + 1); // still a purchase

      // Retried with the same key: the first answer, nothing reversed twice. Same eventId, new key: exists.
      const dupKey = key();
      const r2 = await refund(c, m, p.eventId, 350_000, 'r-partial-2', dupKey);
      expect(r2.json).toMatchObject({ status: 'created', reversed: 35 });
      expect((await refund(c, m, p.eventId, 350_000, 'r-partial-2', dupKey)).json).toEqual(r2.json);
      expect((await refund(c, m, p.eventId, 350_000, 'r-partial-2')).json).toMatchObject({ status: 'exists' });
      // 60% in total → floor(6) = 6 score gone.
      s = await standing(c, festivalId, m);
      expect(s.score).toBe(start.score + 4);
      expect(await festivalBalance(c, m, festivalId)).toBe(start.score + 4);

      // The rest: everything the purchase earned is gone, and no more.
      const r3 = await refund(c, m, p.eventId, 400_000);
      expect(r3.json).toMatchObject({ status: 'created', reversed: 40 });
      s = await standing(c, festivalId, m);
      expect(s).toMatchObject({ score: start.score, ranks: { purchases: { value: start.ranks.purchases.value }, spent: { value: start.ranks.spent.value } } });
      expect(await festivalBalance(c, m, festivalId)).toBe(start.score);
      expect((await points(c, m)).balance).toBe(clubStart);
      // Nothing left to refund.
      const over = await refund(c, m, p.eventId, 1);
      expect(over.json.code).toBe('refund_exceeds_purchase');
      await expectLedgerClean(v.database.db, c.clubId);
    });

    it('a festival that scores only categories: the refunded purchase leaves them too (member joined before it)', async () => {
      const f = await call(v, 'POST', '/api/v1/festivals', c.ownerToken, {
        name: { fa: 'پرخریدترین‌ها', en: 'Top spenders' },
        window: { from: '1404/01/15', to: '1404/01/31' },
        indicators: [{ eventType: 'purchase', score: 1, per: 'event', minAmountRials: 100_000_000 }], // no score at these amounts
        categories: [{ key: 'spent', eventType: 'purchase', measure: 'amount', perRials: 100_000 }],
      });
      expect(f.status, f.body).toBe(201);
      const late = await makeMember(v, c.clubId, 3);
      expect((await call(v, 'POST', `/api/v1/festivals/${f.json.id}/participants`, c.apiKey, { memberId: late }, key())).status).toBe(201);
      const p = await purchase(c, late, 700_000);
      expect(await standing(c, f.json.id, late)).toMatchObject({ score: 0, ranks: { spent: { value: 7, rank: 1 } } });
      await refund(c, late, p.eventId, 250_000); // floor(7 × 250,000 / 700,000) = 2
      expect((await standing(c, f.json.id, late)).ranks.spent.value).toBe(5);
      await refund(c, late, p.eventId, 450_000);
      expect((await standing(c, f.json.id, late)).ranks.spent).toMatchObject({ value: 0, rank: null });
      await expectLedgerClean(v.database.db, c.clubId);
    });

    it('refunds racing each other (and purchases of the same member) never take back more than earned', async () => {
      const start = await standing(c, festivalId, m);
      const clubStart = (await points(c, m)).balance;
      const p = await purchase(c, m, 1_000_000);
      const results = await Promise.all([
        refund(c, m, p.eventId, 500_000),
        refund(c, m, p.eventId, 500_000),
        refund(c, m, p.eventId, 500_000),
        purchase(c, m, 100_000, `side-${seq}`),
        refund(c, m, p.eventId, 500_000),
      ]);
      const refunds = [results[0], results[1], results[2], results[4]] as { status: number; json: { reversed?: number; code?: string } }[];
      expect(refunds.map((r) => r.status).sort()).toEqual([201, 201, 422, 422]);
      expect(refunds.reduce((s, r) => s + (r.json.reversed ?? 0), 0)).toBe(100);
      // The side purchase stays: +10 points, +1 score.
      expect((await standing(c, festivalId, m)).score).toBe(start.score + 1);
      expect(await festivalBalance(c, m, festivalId)).toBe(start.score + 1);
      expect((await points(c, m)).balance).toBe(clubStart + 10);
      await expectLedgerClean(v.database.db, c.clubId);
    });

    it('rank structure equals a rebuild from the standings after refunds', async () => {
      const maintained = async () =>
        (await sql<{ k: string }>`select category || ':' || value || ':' || shard || '=' || members as k from festival_rank_counts
          where club_id = ${c.clubId} and festival_id = ${festivalId} and members <> 0 order by 1`.execute(v.database.db)).rows.map((r) => r.k);
      const rebuilt = (await sql<{ k: string }>`
        select category || ':' || value || ':' || (('x' || lpad(right(member_id, 1), 8, '0'))::bit(32)::int % 8) || '=' || count(*) as k
        from festival_standings where club_id = ${c.clubId} and festival_id = ${festivalId} and value > 0
        group by category, value, (('x' || lpad(right(member_id, 1), 8, '0'))::bit(32)::int % 8) order by 1`.execute(v.database.db)).rows.map((r) => r.k);
      expect(await maintained()).toEqual(rebuilt);
    });
  });

  describe('referral', () => {
    it('refunded inside the return window: the referrer’s pending points are voided; a later purchase qualifies again', async () => {
      clock.set(new Date('2025-05-05T06:30:00Z'));
      const c = await makeClub(v, { pendingDays: 7 });
      expect((await call(v, 'PUT', '/api/v1/referrals/settings', c.ownerToken, { referrerPoints: 50, refereePoints: 20, minAmountRials: 100_000 })).status).toBe(200);
      const ali = await makeMember(v, c.clubId, 11);
      const aliCode = (await call(v, 'GET', `/api/v1/members/${ali}`, c.apiKey)).json.referralCode;
      const sara = (await call(v, 'POST', '/api/v1/members', c.apiKey, { mobile: mobile(12), referredByCode: aliCode }, key())).json.id;
      const refs = async () => (await call(v, 'GET', `/api/v1/members/${ali}/referrals`, c.ownerToken)).json.items;

      const p = await purchase(c, sara, 300_000);
      expect(p.points).toBe(30 + 20);
      expect(await points(c, ali)).toMatchObject({ balance: 50, pending: 50 });

      // A partial refund that leaves a qualifying purchase (200,000 ≥ 100,000) voids nothing.
      const small = await refund(c, sara, p.eventId, 100_000);
      expect(small.status, small.body).toBe(201);
      expect(await points(c, ali)).toMatchObject({ balance: 50, pending: 50 });
      expect((await refs())[0]).toMatchObject({ status: 'qualified', referrerPoints: 50 });

      // Refunding the rest two days later, inside the window: voided.
      clock.advance(2 * 86_400_000);
      const rest = await refund(c, sara, p.eventId, 200_000);
      expect(rest.status, rest.body).toBe(201);
      expect(await points(c, ali)).toMatchObject({ balance: 0, pending: 0 });
      expect(await points(c, sara)).toMatchObject({ balance: 0 }); // base points and the welcome went with the purchase
      expect((await refs())[0]).toMatchObject({ refereeId: sara, status: 'rejected', reason: 'purchase refunded', referrerPoints: 0 });
      const voided = await topics(c, 'referral.voided');
      expect(voided).toMatchObject([{ memberId: ali, refereeId: sara, points: 50 }]);
      expect(String((voided[0]!.sms as { text: string }).text)).toContain('مرجوع');
      const rev = await sql<{ kind: string; amount: number }>`
        select j.kind, l.amount from journal_entries j join journal_lines l on l.entry_id = j.id and l.member_id = ${ali}
        where j.club_id = ${c.clubId} order by j.created_at, j.id`.execute(v.database.db);
      expect(rev.rows.map((r) => [r.kind, Number(r.amount)])).toEqual([['earn', 50], ['reverse', -50]]);
      await expectLedgerClean(v.database.db, c.clubId);

      // Sara buys again: the referral qualifies again, both earn again.
      const again = await purchase(c, sara, 150_000);
      expect(again.points).toBe(15 + 20);
      expect((await refs())[0]).toMatchObject({ status: 'qualified', referrerPoints: 50, refereePoints: 20 });
      expect(await points(c, ali)).toMatchObject({ balance: 50, pending: 50 });

      // Refunding so much that what is left no longer qualifies (50,000 < 100,000) voids it too.
      expect((await refund(c, sara, again.eventId, 100_000)).status).toBe(201);
      expect(await points(c, ali)).toMatchObject({ balance: 0 });
      expect((await refs())[0]).toMatchObject({ status: 'rejected', reason: 'purchase refunded' });
      // Sara keeps the share of the 50,000 she kept: 35 − floor(35 × 100,000 / 150,000) = 12.
      expect((await points(c, sara)).balance).toBe(12);
      const third = await purchase(c, sara, 200_000);
      expect(third.points).toBe(20 + 20);
      expect(await points(c, ali)).toMatchObject({ balance: 50, pending: 50 });

      // After the window the referrer's points are released and a refund leaves them alone.
      clock.advance(8 * 86_400_000);
      expect(await points(c, ali)).toMatchObject({ balance: 50, available: 50 });
      expect((await refund(c, sara, third.eventId, 200_000)).status).toBe(201);
      expect(await points(c, ali)).toMatchObject({ balance: 50, available: 50 });
      expect((await refs())[0]).toMatchObject({ status: 'qualified' });
      expect(await topics(c, 'referral.voided')).toHaveLength(2);
      await expectLedgerClean(v.database.db, c.clubId);
    });
  });

  describe('tier measure and rule usage', () => {
    it('the tier measure falls with the refund, in proportion; counters follow', async () => {
      clock.set(new Date('2025-05-05T06:30:00Z')); // 1404/02/15
      const c = await makeClub(v);
      const put = await call(v, 'PUT', '/api/v1/tiers', c.ownerToken, {
        measure: 'points', window: { kind: 'jalali_month' },
        levels: [{ code: 'silver', name: { fa: 'نقره‌ای' }, threshold: 100 }, { code: 'gold', name: { fa: 'طلایی' }, threshold: 1000 }],
      });
      expect(put.status, put.body).toBe(200);
      const m = await makeMember(v, c.clubId, 21);
      const measure = async () => (await call(v, 'GET', `/api/v1/members/${m}/tier`, c.ownerToken)).json.measure;
      await purchase(c, m, 500_000);
      const p = await purchase(c, m, 1_500_000);
      expect(await measure()).toBe(200);
      expect((await refund(c, m, p.eventId, 600_000)).json).toMatchObject({ reversed: 60 });
      expect(await measure()).toBe(140);
      const counters = async () => Object.fromEntries((await sql<{ name: string; value: number }>`
        select name, value from member_counters where club_id = ${c.clubId} and member_id = ${m}`.execute(v.database.db)).rows.map((r) => [r.name, Number(r.value)]));
      expect(await counters()).toMatchObject({ purchase: 2, purchase_rials: 1_400_000 });
      expect((await refund(c, m, p.eventId, 900_000)).json).toMatchObject({ reversed: 90 });
      expect(await measure()).toBe(50);
      expect(await counters()).toMatchObject({ purchase: 1, purchase_rials: 500_000 });
      const day = await sql<{ points: number; rials: number }>`select points, rials from member_days where club_id = ${c.clubId} and member_id = ${m}`.execute(v.database.db);
      expect(day.rows.map((d) => [Number(d.points), Number(d.rials)])).toEqual([[50, 500_000]]);
      await expectLedgerClean(v.database.db, c.clubId);
    });

    it('an upgrade the refunded purchase earned is undone at once, back to the tier held before it', async () => {
      clock.set(new Date('2025-05-05T06:30:00Z'));
      const c = await makeClub(v);
      const put = await call(v, 'PUT', '/api/v1/tiers', c.ownerToken, {
        measure: 'points', window: { kind: 'jalali_month' },
        levels: [{ code: 'silver', name: { fa: 'نقره‌ای' }, threshold: 100 }, { code: 'gold', name: { fa: 'طلایی' }, threshold: 1000 }],
      });
      expect(put.status, put.body).toBe(200);
      const m = await makeMember(v, c.clubId, 22);
      const tier = async () => (await call(v, 'GET', `/api/v1/members/${m}/tier`, c.ownerToken)).json as { tier: string | null; measure: number; history: { from: string | null; to: string | null; reason: string }[] };
      await purchase(c, m, 2_000_000); // 200 points: silver
      const big = await purchase(c, m, 9_000_000); // +900: gold
      expect(await tier()).toMatchObject({ tier: 'gold', measure: 1100 });
      // A partial refund that leaves the measure above gold's threshold changes nothing.
      await refund(c, m, big.eventId, 500_000);
      expect(await tier()).toMatchObject({ tier: 'gold', measure: 1050 });
      // The rest of it: the measure is 200, gold is undone — to silver, the tier held before.
      await refund(c, m, big.eventId, 8_500_000);
      const after = await tier();
      expect(after).toMatchObject({ tier: 'silver', measure: 200 });
      expect(after.history[0]).toMatchObject({ from: 'gold', to: 'silver', reason: 'refund' });
      expect((await topics(c, 'tier.changed')).length).toBe(3); // silver, gold, back to silver
      // Earning gold again upgrades again.
      expect((await purchase(c, m, 8_000_000)).points).toBeGreaterThan(0);
      expect(await tier()).toMatchObject({ tier: 'gold' });
      await expectLedgerClean(v.database.db, c.clubId);
    });

    it('a once-a-month bonus used by a refunded purchase can be earned again', async () => {
      clock.set(new Date('2025-05-05T06:30:00Z'));
      const c = await makeClub(v);
      const rule = await call(v, 'POST', '/api/v1/rules', c.ownerToken, {
        name: { fa: 'خرید ماه' }, trigger: 'purchase',
        limits: { perMember: [{ period: 'month', maxTimes: 1 }] },
        effects: [{ type: 'award', unit: 'points', amount: 'event.amount / 10000' }],
      });
      expect(rule.status, rule.body).toBe(201);
      const m = await makeMember(v, c.clubId, 31);
      const first = await purchase(c, m, 400_000);
      expect(first.points).toBe(40);
      expect((await purchase(c, m, 300_000)).points).toBe(0); // used this month
      // A partial refund does not give the month's use back; the full refund does.
      await refund(c, m, first.eventId, 100_000);
      expect((await purchase(c, m, 300_000)).points).toBe(0);
      await refund(c, m, first.eventId, 300_000);
      expect((await purchase(c, m, 200_000)).points).toBe(20);
      await expectLedgerClean(v.database.db, c.clubId);
    });
  });

  describe('points paid at the till', () => {
    it('a burn on the refunded purchase comes back in proportion, once', async () => {
      clock.set(new Date('2025-05-05T06:30:00Z'));
      const c = await makeClub(v);
      const m = await makeMember(v, c.clubId, 41);
      await purchase(c, m, 5_000_000); // 500 points, available at once (no return window here)
      const burn = await call(v, 'POST', '/api/v1/pos/burn', c.apiKey, { member: { id: m }, basketRials: 1_000_000, points: 300, purchaseEventId: 'sale-41' }, key());
      expect(burn.status, burn.body).toBe(201);
      const sale = await purchase(c, m, 1_000_000, 'sale-41');
      expect(sale.points).toBe(100);
      expect((await points(c, m)).balance).toBe(500 - 300 + 100);

      // Half refunded: half the burn back (150), half the earn reversed (50).
      expect((await refund(c, m, 'sale-41', 500_000)).status).toBe(201);
      expect((await points(c, m)).balance).toBe(500 - 150 + 50);
      // A manual reversal at the till for the same half gives nothing more.
      expect((await call(v, 'POST', '/api/v1/pos/refunds', c.apiKey, { purchaseEventId: 'sale-41', refundRials: 500_000, purchaseRials: 1_000_000 }, key())).json.points).toBe(0);
      // The rest: all of it back, the purchase's points all gone.
      expect((await refund(c, m, 'sale-41', 500_000)).status).toBe(201);
      expect((await points(c, m)).balance).toBe(500);
      const burns = await sql<{ status: string; reversed_points: number }>`select status, reversed_points from pos_burns where club_id = ${c.clubId}`.execute(v.database.db);
      expect(burns.rows.map((b) => [b.status, Number(b.reversed_points)])).toEqual([['reversed', 300]]);
      expect((await topics(c, 'pos.burn_reversed')).map((x) => x.points)).toEqual([150, 150]);
      await expectLedgerClean(v.database.db, c.clubId);
    });
  });
});
