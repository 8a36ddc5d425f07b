/**
 * The daily occasions job: Jalali birthdays (1403/12/30 celebrated on 1404/12/29), the
 * Persian greeting, profile-completion bonus behind consent, anniversaries, expiry
 * reminders — and running it twice awards once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember } from '../fixtures.js';
import { dispatchDue } from '../../src/platform/outbox.js';

describeEngines('occasions', (engine) => {
  let v: TestVafa;
  const clock = new ManualClock(new Date('2025-05-05T06:30:00Z')); // 1404/02/15 10:00 Tehran

  beforeAll(async () => {
    v = await testVafa(engine, { clock });
  });
  afterAll(() => v.close());

  const points = async (apiKey: string, id: string) => (await call(v, 'GET', `/api/v1/members/${id}/balance`, apiKey)).json.points.balance;
  const deliver = () => dispatchDue(v.database.db, (m) => v.services.occasions.deliver(m), new Date(clock.now().getTime() + 86_400_000), 1000);

  it('birthday bonus and Persian greeting, once per member however often the job runs', async () => {
    clock.set(new Date('2025-05-05T06:30:00Z'));
    const c = await makeClub(v, { name: { fa: 'باشگاه وفا' } });
    const set = await call(v, 'PUT', '/api/v1/occasions/settings', c.ownerToken, { birthday: { points: 100 } });
    expect(set.status, set.body).toBe(200);
    const today = await makeMember(v, c.clubId, 1, { birthDate: '1370/02/15', firstName: 'مریم', consent: { sms: true } });
    const tomorrow = await makeMember(v, c.clubId, 2, { birthDate: '1370/02/16', consent: { sms: true } });
    const first = await call(v, 'POST', '/api/v1/occasions/run', c.ownerToken, {});
    expect(first.json).toMatchObject({ day: '1404/02/15', birthdays: 1, points: 100 });
    const second = await v.services.occasions.run((await v.services.clubs.get(c.clubId))!);
    expect(second).toMatchObject({ birthdays: 0, points: 0 });
    expect(await points(c.apiKey, today)).toBe(100);
    expect(await points(c.apiKey, tomorrow)).toBe(0);
    const tag = await sql<{ rule_version: string; memo: string }>`select rule_version, memo from journal_entries where club_id = ${c.clubId} and member_id = ${today}`.execute(v.database.db);
    expect(tag.rows).toEqual([{ rule_version: 'occasion:birthday', memo: 'تولد' }]);
    // The greeting waits for the club's send hour, then goes out in Persian.
    await deliver();
    const sms = v.sms.sent.filter((s) => s.clubId === c.clubId);
    expect(sms).toHaveLength(1);
    expect(sms[0]!.text).toBe('مریم عزیز، زادروزتان خجسته باد! باشگاه وفا ۱۰۰ امتیاز هدیهٔ تولد به حساب شما افزوده شد.');
  });

  it('born on 1403/12/30: celebrated on 1404/12/29, a year without Esfand 30', async () => {
    const c = await makeClub(v);
    await call(v, 'PUT', '/api/v1/occasions/settings', c.ownerToken, { birthday: { points: 50, sms: false } });
    const leap = await makeMember(v, c.clubId, 3, { birthDate: '1403/12/30' });
    clock.set(new Date('2026-03-18T06:30:00Z')); // 1404/12/27
    expect((await v.services.occasions.run((await v.services.clubs.get(c.clubId))!)).birthdays).toBe(0);
    clock.set(new Date('2026-03-20T06:30:00Z')); // 1404/12/29
    const r = await v.services.occasions.run((await v.services.clubs.get(c.clubId))!);
    expect(r).toMatchObject({ day: '1404/12/29', birthdays: 1 });
    expect(await points(c.apiKey, leap)).toBe(50);
  });

  it('profile fields earn once each, only with consent; anniversaries and expiry reminders', async () => {
    clock.set(new Date('2025-05-05T06:30:00Z'));
    const c = await makeClub(v);
    await call(v, 'PUT', '/api/v1/occasions/settings', c.ownerToken, {
      profileFields: { pointsPerField: 5 },
      anniversary: { points: 30 },
      expiryReminder: { daysBefore: 7 },
    });
    const yes = await makeMember(v, c.clubId, 4, { firstName: 'علی', city: 'شیراز', consent: { marketing: true, sms: true } });
    const no = await makeMember(v, c.clubId, 5, { firstName: 'رضا', city: 'تبریز' });
    const veteran = await makeMember(v, c.clubId, 6, { consent: { sms: true } });
    // Joined 1402/02/15 (two Jalali years ago today).
    await sql`update members set created_at = ${new Date('2023-05-05T08:00:00Z')} where id = ${veteran}`.execute(v.database.db);
    await v.services.ledger.adjust(c.clubId, veteran, { points: 40, reason: 'test', expiresAt: new Date(clock.now().getTime() + 7 * 86_400_000) }, { actor: 'test' });
    const club = (await v.services.clubs.get(c.clubId))!;
    const r = await v.services.occasions.run(club);
    expect(r).toMatchObject({ profileBonuses: 1, anniversaries: 1, expiryReminders: 1, points: 10 + 30 });
    expect(await points(c.apiKey, yes)).toBe(10);
    expect(await points(c.apiKey, no)).toBe(0);
    expect(await points(c.apiKey, veteran)).toBe(70);
    await v.services.members.update(c.clubId, yes, { education: 'کارشناسی' }, { actor: 'test' });
    const again = await v.services.occasions.run(club);
    expect(again).toMatchObject({ profileBonuses: 1, anniversaries: 0, expiryReminders: 0, points: 5 });
    await deliver();
    const texts = v.sms.sent.filter((s) => s.clubId === c.clubId).map((s) => s.text);
    expect(texts).toContain('۲ سال همراهی شما با باشگاه آزمون مبارک! ۳۰ امتیاز هدیه به حساب شما افزوده شد.');
    expect(texts.some((t) => t.includes('۴۰ امتیاز شما در ۱۴۰۴/۰۲/۲۲ منقضی می‌شود'))).toBe(true);
  });

  it('runDue runs each club once per local day', async () => {
    clock.set(new Date('2025-05-06T06:30:00Z'));
    const first = await v.services.occasions.runDue();
    expect(first.length).toBeGreaterThan(0);
    expect(await v.services.occasions.runDue()).toEqual([]);
  });
});
