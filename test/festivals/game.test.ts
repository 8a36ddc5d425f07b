/**
 * Game mechanics (R12) through HTTP: a badge for "5 purchases in a Jalali month", a login
 * streak and a badge on it, a challenge with a deadline — counters kept in the earn
 * transaction (batches included), shown to the member, announced through the outbox.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, type ClubFixture } from '../fixtures.js';
import { enrol, idem, memberToken, purchase } from './helpers.js';

const DAY = 86_400_000;

describeEngines('gamification', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  const clock = new ManualClock(new Date('2025-04-05T08:00:00Z')); // 1404/01/16

  beforeAll(async () => {
    v = await testVafa(engine, { clock });
    c = await makeClub(v);
  });
  afterAll(async () => v?.close());

  const outbox = async (topic: string) =>
    (await v.database.db.selectFrom('outbox').select(['payload']).where('club_id', '=', c.clubId).where('topic', '=', topic).orderBy('id').execute()).map((r) => r.payload as Record<string, any>);

  test('badge: 5 purchases in a Jalali month, once per month, with reward points', async () => {
    const bad = await call(v, 'POST', '/api/v1/badges', c.ownerToken, { code: 'oops', name: { fa: 'خطا' }, criteria: 'counts.purchase >=' });
    expect(bad.status).toBe(422);
    expect(bad.json.code).toBe('invalid_criteria');
    const notBool = await call(v, 'POST', '/api/v1/badges', c.ownerToken, { code: 'oops', name: { fa: 'خطا' }, criteria: 'counts.purchase + 1' });
    expect(notBool.json.code).toBe('invalid_criteria');
    const b = await call(v, 'POST', '/api/v1/badges', c.ownerToken, {
      code: 'loyal_month', name: { fa: 'مشتری وفادار ماه', en: 'Loyal this month' }, criteria: 'counts.purchase >= 5', period: 'month', repeatable: true, rewardPoints: 50,
    });
    expect(b.status, JSON.stringify(b.json)).toBe(201);
    expect((await call(v, 'POST', '/api/v1/badges', c.ownerToken, { code: 'loyal_month', name: { fa: 'x' }, criteria: 'true' })).json.code).toBe('conflict');

    const m = await enrol(v, c, 1);
    const tok = await memberToken(v, c, 1);
    for (let i = 0; i < 4; i++) await purchase(v, c, m, 100_000);
    expect((await call(v, 'GET', '/api/v1/me/badges', tok)).json.items[0]).toMatchObject({ code: 'loyal_month', earned: false, times: 0 });
    const fifth = await purchase(v, c, m, 100_000);
    const base = (await purchase(v, c, m, 100_000)).points; // the sixth: base rate only
    expect(fifth.points).toBe(base + 50);
    const mine = (await call(v, 'GET', '/api/v1/me/badges', tok)).json.items[0];
    expect(mine).toMatchObject({ earned: true, times: 1, earnedIn: ['1404-01'] });
    expect(mine.criteria).toBeUndefined();
    const announced = await outbox('badge.earned');
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({ memberId: m, code: 'loyal_month', periodKey: '1404-01', rewardPoints: 50 });
    expect(announced[0]!.sms.text).toContain('مشتری وفادار ماه');

    // Next Jalali month (Ordibehesht): five purchases in ONE batch earn it once more.
    clock.set(new Date('2025-04-25T08:00:00Z')); // 1404/02/05
    const events = Array.from({ length: 5 }, (_, i) => ({ eventId: `batch-${i}`, type: 'purchase', member: { id: m }, amountRials: 100_000 }));
    const batch = await call(v, 'POST', '/api/v1/events/batch', c.apiKey, { events }, idem());
    expect(batch.status, JSON.stringify(batch.json)).toBe(200);
    expect(batch.json.summary.points).toBe(5 * base + 50);
    expect((await call(v, 'GET', '/api/v1/me/badges', tok)).json.items[0]).toMatchObject({ times: 2, earnedIn: ['1404-01', '1404-02'] });
  });

  test('streaks: consecutive days with an app login; a badge on the streak', async () => {
    clock.set(new Date('2025-05-01T06:00:00Z'));
    const s = await call(v, 'POST', '/api/v1/streaks', c.ownerToken, { code: 'daily_login', name: { fa: 'ورود روزانه' }, eventType: 'app_login', unit: 'day' });
    expect(s.status, JSON.stringify(s.json)).toBe(201);
    await call(v, 'POST', '/api/v1/badges', c.ownerToken, { code: 'three_days', name: { fa: 'سه روز پیاپی' }, criteria: 'streaks.daily_login >= 3' });
    const m = await enrol(v, c, 2);
    const tok = await memberToken(v, c, 2);
    const login = (id: string) => call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: id, type: 'app_login', member: { id: m } }, idem());

    expect((await login('l1')).status).toBe(201);
    expect((await login('l1b')).status).toBe(201); // twice on a day counts once
    clock.advance(DAY);
    await login('l2');
    expect((await call(v, 'GET', '/api/v1/me/streaks', tok)).json.items[0]).toMatchObject({ code: 'daily_login', current: 2, best: 2, doneThisPeriod: true });
    expect((await call(v, 'GET', '/api/v1/me/badges', tok)).json.items.find((b: { code: string }) => b.code === 'three_days').earned).toBe(false);
    clock.advance(DAY);
    await login('l3');
    expect((await call(v, 'GET', '/api/v1/me/badges', tok)).json.items.find((b: { code: string }) => b.code === 'three_days').earned).toBe(true);

    // A day missed: the member sees the streak broken; the next login restarts it at 1.
    clock.advance(2 * DAY);
    expect((await call(v, 'GET', '/api/v1/me/streaks', tok)).json.items[0]).toMatchObject({ current: 0, best: 3 });
    await login('l4');
    expect((await call(v, 'GET', '/api/v1/me/streaks', tok)).json.items[0]).toMatchObject({ current: 1, best: 3 });
  });

  test('challenges: progress and a deadline; completed once, rewarded, announced', async () => {
    clock.set(new Date('2025-05-10T08:00:00Z')); // 1404/02/20
    const ch = await call(v, 'POST', '/api/v1/challenges', c.ownerToken, {
      code: 'bills', name: { fa: 'سه قبض تا آخر ماه' }, eventType: 'bill_paid', target: 3, window: { from: '1404/02/20', to: '1404/02/31' }, rewardPoints: 100,
    });
    expect(ch.status, JSON.stringify(ch.json)).toBe(201);
    expect(ch.json.window).toMatchObject({ from: '1404/02/20', to: '1404/02/31' });
    const m = await enrol(v, c, 3);
    const tok = await memberToken(v, c, 3);
    const bill = (id: string) => call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: id, type: 'bill_paid', member: { id: m } }, idem());
    await bill('b1');
    await bill('b2');
    expect((await call(v, 'GET', '/api/v1/me/challenges', tok)).json.items[0]).toMatchObject({ code: 'bills', progress: 2, target: 3, percent: 66, completed: false, open: true });
    const third = await bill('b3');
    expect(third.json.points).toBeGreaterThanOrEqual(100);
    await bill('b4');
    expect((await call(v, 'GET', '/api/v1/me/challenges', tok)).json.items[0]).toMatchObject({ progress: 3, percent: 100, completed: true });
    const done = await outbox('challenge.completed');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ memberId: m, code: 'bills', rewardPoints: 100 });

    // Past the deadline nothing counts.
    const late = await enrol(v, c, 4);
    clock.set(new Date('2025-05-25T08:00:00Z'));
    await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: 'late', type: 'bill_paid', member: { id: late } }, idem());
    const lateTok = await memberToken(v, c, 4);
    expect((await call(v, 'GET', '/api/v1/me/challenges', lateTok)).json.items).toEqual([]);
    const past = await call(v, 'POST', '/api/v1/challenges', c.ownerToken, { code: 'old', name: { fa: 'قدیمی' }, eventType: 'bill_paid', target: 1, window: { from: '1404/01/01', to: '1404/01/10' } });
    expect(past.json.code).toBe('validation_failed');
  });
});
