/**
 * The demo seed writes ~90 days of history as it would have happened (the services' clock is
 * moved day by day): the dashboard's per-day chart has points issued on most days instead of
 * one spike, redemptions and expiries in the past, the most redeemed rewards, a festival with
 * a drawn stage draw — and the ledger stays clean.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call } from '../fixtures.js';
import { expectLedgerClean } from '../safety/invariants.js';
import { seedDemo, SeedClock, type DemoCredentials } from '../../src/demo.js';

describeEngines('demo history', (engine) => {
  let v: TestVafa;
  let demo: DemoCredentials;
  const clock = new SeedClock();
  const now = new Date();

  beforeAll(async () => {
    v = await testVafa(engine, { clock });
    demo = await seedDemo(v.services, { now, members: 40, slug: `demo-${process.pid}-${engine}`, clock, db: v.database.db });
  }, 120_000);
  afterAll(async () => v?.close());

  test('the clock is back to the system time after the seed', () => {
    expect(Math.abs(clock.now().getTime() - Date.now())).toBeLessThan(5_000);
  });

  test('points are issued across the past 90 days, with redemptions and expiries on their own days', async () => {
    const login = await v.services.access.login(demo.club, demo.owner.username, demo.owner.password);
    if (!login.ok) throw new Error(login.code);
    const o = (await call(v, 'GET', '/api/v1/stats/overview?days=90', login.value.token)).json;
    const issuedDays = o.daily.filter((d: { issued: number }) => d.issued > 0).length;
    expect(issuedDays).toBeGreaterThan(60); // not one spike: most days have purchases
    const max = Math.max(...o.daily.map((d: { issued: number }) => d.issued));
    expect(max).toBeLessThan(o.issued30 + 1); // no single day holds the whole history
    expect(o.daily.filter((d: { redeemed: number }) => d.redeemed > 0).length).toBeGreaterThan(10);
    expect(o.daily.filter((d: { expired: number }) => d.expired > 0).length).toBeGreaterThanOrEqual(1);
    expect(o.topRewards.length).toBeGreaterThan(0);
    expect(o.tiers.some((t: { tier: string | null }) => t.tier !== null)).toBe(true);
    const total30 = (await call(v, 'GET', '/api/v1/stats/overview?days=30', login.value.token)).json;
    expect(total30.issued30).toBeLessThan(o.issued30); // the 90-day window holds more than the last 30

    // The season's festival runs, its stage draw was drawn in the past, the final is ahead.
    const draws = (await call(v, 'GET', '/api/v1/draws', login.value.token)).json;
    expect(draws.items.map((d: { status: string; kind: string }) => [d.kind, d.status]).sort()).toEqual([['final', 'scheduled'], ['stage', 'drawn']]);
    const stage = draws.items.find((d: { kind: string }) => d.kind === 'stage');
    expect(Date.parse(stage.drawnAt)).toBeLessThan(now.getTime() - 6 * 86_400_000);
    const pub = (await call(v, 'GET', `/api/v1/public/draws/${stage.id}`, null)).json;
    expect(pub.club).toBe(demo.club);
    await expectLedgerClean(v.database.db, demo.clubId);
  });
});
