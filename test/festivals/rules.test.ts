/**
 * The edges of festivals through HTTP: clear result codes (a festival already over, outside
 * the audience, not joined, no draw open…), staking points for chances, ties among top
 * performers, empty draws, past winners excluded, automatic enrolment, festival rules of the
 * rules engine, and tenancy.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub } from '../fixtures.js';
import { verifyDraw } from '../../src/modules/festivals/index.js';
import { enrol, festival, festivalBalance, idem, memberToken, purchase } from './helpers.js';

const START = new Date('2025-04-05T08:00:00Z'); // 1404/01/16 in Tehran; festivals run 1404/01/15–31

describeEngines('festivals: codes and rules', (engine) => {
  let v: TestVafa;
  const clock = new ManualClock(START);

  beforeAll(async () => {
    v = await testVafa(engine, { clock });
  });
  afterAll(async () => v?.close());

  test('a festival already over, an upcoming one, bad dates, another club’s ids', async () => {
    clock.set(START);
    const c = await makeClub(v);
    const over = await call(v, 'POST', '/api/v1/festivals', c.ownerToken, {
      name: { fa: 'نوروز ۱۴۰۳' }, window: { from: '1403/01/01', to: '1403/01/13' }, indicators: [{ eventType: 'purchase', score: 1 }],
    });
    expect(over.status).toBe(409);
    expect(over.json.code).toBe('festival_closed');
    const bad = await call(v, 'POST', '/api/v1/festivals', c.ownerToken, { name: { fa: 'x' }, window: { from: '1404/13/01', to: '1404/01/13' }, indicators: [{ eventType: 'purchase', score: 1 }] });
    expect(bad.json.code).toBe('invalid_date');
    const noIndicators = await call(v, 'POST', '/api/v1/festivals', c.ownerToken, { name: { fa: 'x' }, window: { from: '1404/02/01', to: '1404/02/10' }, indicators: [] });
    expect(noIndicators.json.code).toBe('validation_failed');

    // Persian digits are fine in dates.
    const later = await festival(v, c, { window: { from: '۱۴۰۴/۰۲/۰۱', to: '۱۴۰۴/۰۲/۱۰' }, staking: { pointsPerChance: 5 } });
    expect(later).toMatchObject({ phase: 'upcoming', window: { from: '1404/02/01', fromIso: '2025-04-21' } });
    const m = await enrol(v, c, 1);
    const tok = await memberToken(v, c, 1);
    expect((await call(v, 'POST', `/api/v1/me/festivals/${later.id}/join`, tok)).status).toBe(201); // joining early is fine
    const early = await call(v, 'POST', `/api/v1/me/festivals/${later.id}/stakes`, tok, { points: 50 });
    expect(early.json.code).toBe('festival_not_started');
    await purchase(v, c, m, 1_000_000); // before the window: no festival score
    expect(await festivalBalance(v, c.clubId, m, later.id)).toBe(0);

    // Another club cannot see or touch it: 404, never a hint.
    const other = await makeClub(v);
    expect((await call(v, 'GET', `/api/v1/festivals/${later.id}`, other.ownerToken)).json.code).toBe('festival_not_found');
    expect((await call(v, 'POST', `/api/v1/festivals/${later.id}/draws`, other.ownerToken, { title: { fa: 'x' }, cutoffAt: '1404/02/05', winners: 1 })).json.code).toBe('festival_not_found');
    expect((await call(v, 'POST', `/api/v1/festivals/${later.id}/participants`, other.apiKey, { memberId: m }, idem())).json.code).toBe('festival_not_found');
    expect((await call(v, 'GET', '/api/v1/public/draws/drw_nope', null)).json.code).toBe('draw_not_found');

    // After the window: joining is refused with festival_closed.
    clock.set(new Date('2025-05-01T00:00:00Z'));
    await enrol(v, c, 2);
    const late = await call(v, 'POST', `/api/v1/me/festivals/${later.id}/join`, await memberToken(v, c, 2));
    expect(late.status).toBe(409);
    expect(late.json.code).toBe('festival_closed');
  });

  test('staking points for chances: whole chances only, the rest kept; the staked draw counts them', async () => {
    clock.set(START);
    const c = await makeClub(v);
    const f = await festival(v, c, { staking: { pointsPerChance: 5 } });
    const a = await enrol(v, c, 1);
    const b = await enrol(v, c, 2);
    const ta = await memberToken(v, c, 1);
    const tb = await memberToken(v, c, 2);
    await v.services.ledger.adjust(c.clubId, a, { points: 100, reason: 'test funds' }, { actor: 'test' });
    await v.services.ledger.adjust(c.clubId, b, { points: 3, reason: 'test funds' }, { actor: 'test' });

    expect((await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, ta, { points: 50 })).json.code).toBe('not_participant');
    await call(v, 'POST', `/api/v1/me/festivals/${f.id}/join`, ta);
    await call(v, 'POST', `/api/v1/me/festivals/${f.id}/join`, tb);
    expect((await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, ta, { points: 50 })).json.code).toBe('no_open_draw');

    const scoreDraw = await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { title: { fa: 'امتیازی' }, cutoffAt: '1404/01/20', winners: 1 });
    expect(scoreDraw.status).toBe(201);
    const staked = await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, {
      title: { fa: 'شانسی' }, cutoffAt: '1404/01/18 20:00', winners: 1, minScore: 0, chances: { basis: 'staked' },
    });
    expect(staked.status, JSON.stringify(staked.json)).toBe(201);
    expect((await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, ta, { points: 5, drawId: scoreDraw.json.id })).json.code).toBe('no_open_draw');

    // 23 points buy 4 chances (20 points); 3 stay. b has 3 points: not even one chance.
    const s1 = await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, ta, { points: 23 });
    expect(s1.status, JSON.stringify(s1.json)).toBe(201);
    expect(s1.json).toMatchObject({ drawId: staked.json.id, points: 20, chances: 4, balance: 80 });
    const again = await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, ta, { points: 10 }, { 'idempotency-key': 'same' });
    const replay = await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, ta, { points: 10 }, { 'idempotency-key': 'same' });
    expect(replay.json.stakeId).toBe(again.json.stakeId);
    expect((await v.services.ledger.balance(c.clubId, a, 'points')).available).toBe(70);
    expect((await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, tb, { points: 3 })).json.code).toBe('amount_below_minimum');
    await v.services.ledger.adjust(c.clubId, b, { points: 2, reason: 'test funds' }, { actor: 'test' });
    const poor = await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, tb, { points: 10 });
    expect(poor.json.code).toBe('insufficient_points');
    expect((await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, tb, { points: 5 })).json.chances).toBe(1);

    // The cut-off freezes the list: stakes after it are refused, points are not taken.
    clock.set(new Date('2025-04-07T17:00:00Z'));
    const drawn = await call(v, 'POST', `/api/v1/draws/${staked.json.id}/run`, c.ownerToken);
    expect(drawn.json).toMatchObject({ status: 'drawn', entryCount: 2, totalChances: 7 });
    const doc = (await call(v, 'GET', `/api/v1/public/draws/${staked.json.id}`, null)).json;
    expect(verifyDraw(doc).valid).toBe(true);
    const tooLate = await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, ta, { points: 5, drawId: staked.json.id });
    expect(tooLate.json.code).toBe('draw_cutoff_passed');
    expect((await v.services.ledger.balance(c.clubId, a, 'points')).available).toBe(70);
    const view = await call(v, 'GET', `/api/v1/me/festivals/${f.id}`, ta);
    expect(view.json.draws.find((d: { id: string }) => d.id === staked.json.id)).toMatchObject({ stakedChances: 6, myEntry: { chances: 6 } });
  });

  test('draws: empty list, minimum score, past winners excluded from the final; schedule errors', async () => {
    clock.set(START);
    const c = await makeClub(v);
    const f = await festival(v, c, { enrolment: 'automatic' });
    const empty = await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { title: { fa: 'خالی' }, cutoffAt: '1404/01/17', winners: 3 });
    expect((await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { title: { fa: 'x' }, cutoffAt: '1404/01/10', winners: 3 })).json.code).toBe('draw_cutoff_passed');
    expect((await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { title: { fa: 'x' }, cutoffAt: 'فردا ساعت ده صبح', winners: 3 })).json.code).toBe('invalid_date');
    expect((await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { title: { fa: 'x' }, cutoffAt: '1404/01/20', winners: 1, chances: { basis: 'staked' } })).json.code).toBe('staking_disabled');
    expect((await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { title: { fa: 'x' }, cutoffAt: '1404/01/20', winners: 1, prizes: [{ fromRank: 1, toRank: 3, title: { fa: 'y' } }] })).json.code).toBe('validation_failed');
    const stage = await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { title: { fa: 'مرحله' }, cutoffAt: '1404/01/18', winners: 1, minScore: 5 });
    const final = await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { kind: 'final', title: { fa: 'نهایی' }, cutoffAt: '1404/01/19', winners: 5, minScore: 5 });

    // Nobody enrolled yet: the empty draw draws nobody and still verifies.
    clock.set(new Date('2025-04-06T00:00:00Z'));
    const e = await call(v, 'POST', `/api/v1/draws/${empty.json.id}/run`, c.ownerToken);
    expect(e.json).toMatchObject({ status: 'drawn', entryCount: 0, totalChances: 0 });
    const edoc = (await call(v, 'GET', `/api/v1/public/draws/${empty.json.id}`, null)).json;
    expect(edoc).toMatchObject({ entries: [], winners: [], entriesDigest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
    expect(verifyDraw(edoc).valid).toBe(true);

    // Automatic enrolment: everyone (no audience) is enrolled by the worker's sync.
    const ids = [];
    for (let n = 1; n <= 4; n++) ids.push(await enrol(v, c, n));
    const suspended = await enrol(v, c, 5);
    await v.services.festivals.tick(); // the worker's job (it serves every club in the database)
    const enrolled = await v.database.db.selectFrom('festival_participants').select('member_id').where('club_id', '=', c.clubId).where('festival_id', '=', f.id).execute();
    expect(enrolled.map((r) => r.member_id).sort()).toEqual([...ids, suspended].sort());
    for (const [i, id] of ids.entries()) await purchase(v, c, id, (i + 1) * 400_000); // 4, 8, 12, 16
    await purchase(v, c, suspended, 2_000_000);
    await call(v, 'PATCH', `/api/v1/members/${suspended}`, c.ownerToken, { status: 'suspended' });

    clock.set(new Date('2025-04-07T00:00:00Z'));
    const s = await call(v, 'POST', `/api/v1/draws/${stage.json.id}/run`, c.ownerToken);
    expect(s.json).toMatchObject({ status: 'drawn', entryCount: 3 }); // 4 points is below the minimum; suspended is out
    const stageWinner = (await call(v, 'GET', `/api/v1/draws/${stage.json.id}`, c.ownerToken)).json.winnerList[0];
    expect(stageWinner.memberId).not.toBe(suspended);

    clock.set(new Date('2025-04-08T00:00:00Z'));
    const fin = await call(v, 'POST', `/api/v1/draws/${final.json.id}/run`, c.ownerToken);
    expect(fin.json).toMatchObject({ status: 'drawn', entryCount: 2 }); // the stage winner is excluded
    const fdoc = (await call(v, 'GET', `/api/v1/public/draws/${final.json.id}`, null)).json;
    expect(fdoc.entries.map((x: { ref: string }) => x.ref)).not.toContain(stageWinner.ref);
    expect(fdoc.winners).toHaveLength(2); // 5 asked, 2 entries: everyone wins, in drawn order
    expect(verifyDraw(fdoc).valid).toBe(true);
    expect((await call(v, 'POST', `/api/v1/draws/${final.json.id}/run`, c.ownerToken)).json.status).toBe('drawn'); // again: harmless
  });

  test('top performers: after the window only, ties go to who got there first', async () => {
    clock.set(START);
    const c = await makeClub(v);
    const f = await festival(v, c, {
      window: { from: '1404/01/15', to: '1404/01/17' },
      categories: [{ key: 'purchases', eventType: 'purchase' }],
      topPerformers: [{ category: 'score', count: 2, prize: { fa: 'سفر' } }, { category: 'purchases', count: 1 }],
    });
    const [a, b, d] = [await enrol(v, c, 1), await enrol(v, c, 2), await enrol(v, c, 3)];
    for (const id of [a, b, d]) await call(v, 'POST', `/api/v1/festivals/${f.id}/participants`, c.apiKey, { memberId: id }, idem());
    // b reaches 10 first, then a reaches 10 too, then d; d has the most purchases.
    await purchase(v, c, b, 1_000_000);
    clock.advance(60_000);
    await purchase(v, c, a, 1_000_000);
    clock.advance(60_000);
    for (let i = 0; i < 3; i++) await purchase(v, c, d, 200_000);

    expect((await call(v, 'POST', `/api/v1/festivals/${f.id}/top-performers`, c.ownerToken)).json.code).toBe('festival_not_over');
    const board = await call(v, 'GET', `/api/v1/festivals/${f.id}/leaderboard`, c.ownerToken);
    expect(board.json.items.map((i: { memberId: string; rank: number }) => [i.memberId, i.rank])).toEqual([[b, 1], [a, 1], [d, 3]]);

    clock.set(new Date('2025-04-07T00:00:00Z')); // after 1404/01/17 in Tehran
    const late = await purchase(v, c, d, 9_000_000); // the window is over: club points only
    expect(late.points).toBeGreaterThan(0);
    const top = await call(v, 'POST', `/api/v1/festivals/${f.id}/top-performers`, c.ownerToken);
    expect(top.status, JSON.stringify(top.json)).toBe(200);
    expect(top.json.items.map((t: { category: string; rank: number; memberId: string; value: number }) => [t.category, t.rank, t.memberId, t.value])).toEqual([
      ['purchases', 1, d, 3],
      ['score', 1, b, 10],
      ['score', 2, a, 10],
    ]);
    const again = await call(v, 'POST', `/api/v1/festivals/${f.id}/top-performers`, c.ownerToken);
    expect(again.json.decidedAt).toBe(top.json.decidedAt);
    await v.services.festivals.tick();
    expect((await call(v, 'GET', `/api/v1/festivals/${f.id}/top-performers`, c.ownerToken)).json.decidedAt).toBe(top.json.decidedAt);
  });

  test('prizes naming a reward are redeemed for the winner; draw tickets from the rewards module enter staked draws', async () => {
    clock.set(START);
    const c = await makeClub(v);
    const f = await festival(v, c, { staking: { pointsPerChance: 5 } });
    const coupon = await call(v, 'POST', '/api/v1/rewards', c.ownerToken, { type: 'coupon', title: { fa: 'کد تخفیف جایزه', en: 'Prize code' }, costPoints: 0, config: { codes: { source: 'pattern', pattern: 'WIN-######' } } });
    expect(coupon.status, JSON.stringify(coupon.json)).toBe(201);
    const ticket = await call(v, 'POST', '/api/v1/rewards', c.ownerToken, { type: 'draw_ticket', title: { fa: 'بلیت قرعه‌کشی', en: 'Draw ticket' }, costPoints: 10, config: { festivalId: f.id } });
    expect(ticket.status, JSON.stringify(ticket.json)).toBe(201);
    const [a, b] = [await enrol(v, c, 1), await enrol(v, c, 2)];
    const [ta, tb] = [await memberToken(v, c, 1), await memberToken(v, c, 2)];
    for (const [id, tok] of [[a, ta], [b, tb]] as const) {
      await v.services.ledger.adjust(c.clubId, id, { points: 100, reason: 'test funds' }, { actor: 'test' });
      await call(v, 'POST', `/api/v1/me/festivals/${f.id}/join`, tok);
    }
    const noDraw = await call(v, 'POST', '/api/v1/me/redemptions', ta, { rewardId: ticket.json.id, quantity: 2 }, idem());
    expect(noDraw.json.code).toBe('no_open_draw');
    expect((await v.services.ledger.balance(c.clubId, a, 'points')).available).toBe(100); // refused: nothing taken

    const d = await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, {
      title: { fa: 'بلیتی' }, cutoffAt: '1404/01/18', winners: 2, minScore: 0, chances: { basis: 'staked' },
      prizes: [{ fromRank: 1, toRank: 2, title: { fa: 'کد تخفیف' }, rewardId: coupon.json.id }],
    });
    expect(d.status, JSON.stringify(d.json)).toBe(201);
    const bought = await call(v, 'POST', '/api/v1/me/redemptions', ta, { rewardId: ticket.json.id, quantity: 3 }, idem());
    expect(bought.status, JSON.stringify(bought.json)).toBe(201);
    expect((await v.services.ledger.balance(c.clubId, a, 'points')).available).toBe(70);
    await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, tb, { points: 5 });
    const mine = await call(v, 'GET', `/api/v1/me/festivals/${f.id}`, ta);
    expect(mine.json.draws[0].stakedChances).toBe(3);

    clock.set(new Date('2025-04-07T00:00:00Z'));
    const run = await call(v, 'POST', `/api/v1/draws/${d.json.id}/run`, c.ownerToken);
    expect(run.json).toMatchObject({ status: 'drawn', entryCount: 2, totalChances: 4 });
    const op = await call(v, 'GET', `/api/v1/draws/${d.json.id}`, c.ownerToken);
    expect(op.json.winnerList).toHaveLength(2);
    for (const w of op.json.winnerList) expect(w).toMatchObject({ fulfilment: 'fulfilled', redemptionId: expect.stringMatching(/^rdm_/) });
    const codes = await call(v, 'GET', '/api/v1/me/redemptions', ta);
    expect(JSON.stringify(codes.json)).toMatch(/WIN-\d{6}/);
    expect(await v.services.festivals.fulfilPrizes({ clubId: c.clubId, drawId: d.json.id })).toBe(0); // nothing left; a retry would be a replay
  });

  test('festival rules of the rules engine: kept for participants, dropped for others', async () => {
    clock.set(START);
    const c = await makeClub(v);
    const f = await festival(v, c, { audience: { groups: ['lawyer'] } });
    const rule = await call(v, 'POST', '/api/v1/rules', c.ownerToken, {
      name: { fa: 'قبض در جشنواره' }, trigger: 'bill_paid', effects: [{ type: 'award', unit: `festival:${f.id}`, amount: '50' }],
    });
    expect(rule.status, JSON.stringify(rule.json)).toBe(201);
    const inside = await enrol(v, c, 1, ['lawyer']);
    const outside = await enrol(v, c, 2, ['lawyer']);
    await call(v, 'POST', `/api/v1/festivals/${f.id}/participants`, c.apiKey, { memberId: inside }, idem());
    for (const id of [inside, outside]) {
      const r = await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: `bill-${id}`, type: 'bill_paid', member: { id } }, idem());
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    }
    expect(await festivalBalance(v, c.clubId, inside, f.id)).toBe(50);
    expect(await festivalBalance(v, c.clubId, outside, f.id)).toBe(0);
    const me = await call(v, 'GET', `/api/v1/festivals/${f.id}/members/${inside}`, c.ownerToken);
    expect(me.json).toMatchObject({ score: 50, ranks: { score: { rank: 1 } } });
  });
});
