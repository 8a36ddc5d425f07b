/**
 * Editing and cancelling festivals, the paged participant list and the club-wide draw list,
 * through HTTP: what may change in each phase (and the codes when it may not), that a
 * cancelled festival stops scoring, refuses members, stakes and draws, gives staked points
 * back, and that the published draw document names its club.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub } from '../fixtures.js';
import { expectLedgerClean } from '../safety/invariants.js';
import { enrol, festival, festivalBalance, idem, memberToken, purchase } from './helpers.js';

const BEFORE = new Date('2025-04-01T08:00:00Z'); // 1404/01/12 in Tehran: before a 1404/01/15–31 window
const DURING = new Date('2025-04-05T08:00:00Z'); // 1404/01/16
const AFTER = new Date('2025-04-22T08:00:00Z'); // 1404/02/02

describeEngines('festivals: edit, cancel, participants, draws', (engine) => {
  let v: TestVafa;
  const clock = new ManualClock(BEFORE);

  beforeAll(async () => {
    v = await testVafa(engine, { clock });
  });
  afterAll(async () => v?.close());

  test('before the start anything changes; once started only the end, the words and a wider audience; once over only the words', async () => {
    clock.set(BEFORE);
    const c = await makeClub(v);
    const f = await festival(v, c, { audience: { groups: ['doctor'], tiers: [] } });
    expect(f.phase).toBe('upcoming');

    // Upcoming: move the start, narrow the audience, switch enrolment — all fine.
    const moved = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, {
      name: { fa: 'جشنوارهٔ بهار', en: 'Spring festival' },
      window: { from: '۱۴۰۴/۰۱/۱۴' },
      audience: { groups: ['doctor', 'lawyer'] },
      enrolment: 'automatic',
    });
    expect(moved.status, JSON.stringify(moved.json)).toBe(200);
    expect(moved.json).toMatchObject({ name: { fa: 'جشنوارهٔ بهار' }, window: { fromIso: '2025-04-03', toIso: '2025-04-20' }, audience: { groups: ['doctor', 'lawyer'] }, enrolment: 'automatic', phase: 'upcoming' });
    // …but not to a start before today.
    const past = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { window: { from: '1404/01/01' } });
    expect(past.status).toBe(409);
    expect(past.json.code).toBe('festival_window_conflict');
    const empty = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, {});
    expect(empty.json.code).toBe('validation_failed');
    const backwards = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { window: { to: '1404/01/10' } });
    expect(backwards.json.code).toBe('invalid_date');

    // Open: start and enrolment fixed, audience only wider, the end may move (not into the past).
    clock.set(DURING);
    const start = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { window: { from: '1404/01/20' } });
    expect(start.status).toBe(409);
    expect(start.json.code).toBe('festival_change_not_allowed');
    const enrolment = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { enrolment: 'opt_in' });
    expect(enrolment.json.code).toBe('festival_change_not_allowed');
    const narrower = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { audience: { groups: ['doctor'] } });
    expect(narrower.json.code).toBe('festival_change_not_allowed');
    const wider = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { audience: { groups: ['doctor', 'lawyer', 'teacher'] } });
    expect(wider.status).toBe(200);
    const everyone = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { audience: { groups: [], tiers: [] } });
    expect(everyone.json.audience).toEqual({ groups: [], tiers: [] });
    const endPast = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { window: { to: '1404/01/15' } });
    expect(endPast.json.code).toBe('festival_window_conflict');
    const longer = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { window: { to: '1404/02/05' } });
    expect(longer.status).toBe(200);
    expect(longer.json.window).toMatchObject({ fromIso: '2025-04-03', toIso: '2025-04-25', to: '1404/02/05' });

    // The longer window counts: a purchase after the old end scores for a participant.
    const m = await enrol(v, c, 1);
    expect((await call(v, 'POST', `/api/v1/festivals/${f.id}/participants`, c.apiKey, { memberId: m }, idem())).status).toBe(201);
    clock.set(AFTER);
    await purchase(v, c, m, 500_000);
    expect(await festivalBalance(v, c.clubId, m, f.id)).toBe(5);

    // Over: only the words.
    clock.set(new Date('2025-05-01T08:00:00Z'));
    const late = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { window: { to: '1404/02/20' } });
    expect(late.json.code).toBe('festival_change_not_allowed');
    const words = await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { description: { fa: 'تمام شد', en: 'Over' } });
    expect(words.status).toBe(200);
    expect(words.json).toMatchObject({ phase: 'closed', description: { fa: 'تمام شد' } });
    expect((await call(v, 'POST', `/api/v1/festivals/${f.id}/cancel`, c.ownerToken, {}, idem())).json.code).toBe('festival_closed');

    // Members may not edit; another club gets 404.
    const other = await makeClub(v);
    expect((await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, other.ownerToken, { name: { fa: 'x' } })).json.code).toBe('festival_not_found');
    expect((await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.apiKey, { name: { fa: 'x' } })).status).toBe(403);
    const audit = await call(v, 'GET', '/api/v1/audit?action=festival.updated', c.ownerToken);
    if (audit.status === 200) expect(JSON.stringify(audit.json)).toContain('festival.updated');
  });

  test('a cancelled festival stops scoring, refuses members, stakes and draws, and gives staked points back', async () => {
    clock.set(DURING);
    const c = await makeClub(v);
    const f = await festival(v, c, { staking: { pointsPerChance: 5 } });
    const m = await enrol(v, c, 11);
    const tok = await memberToken(v, c, 11);
    expect((await call(v, 'POST', `/api/v1/me/festivals/${f.id}/join`, tok)).status).toBe(201);
    await purchase(v, c, m, 3_000_000); // 300 club points at the default rate, 30 festival score
    const drawStaked = await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { title: { fa: 'قرعهٔ شانس' }, cutoffAt: '1404/01/25', winners: 1, chances: { basis: 'staked' } }, idem());
    expect(drawStaked.status, JSON.stringify(drawStaked.json)).toBe(201);
    const before = (await call(v, 'GET', '/api/v1/me/balance', tok)).json;
    const stake = await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, tok, { points: 50 });
    expect(stake.status, JSON.stringify(stake.json)).toBe(201);
    expect(stake.json.chances).toBe(10);
    const scoreBefore = await festivalBalance(v, c.clubId, m, f.id);
    expect(scoreBefore).toBe(30);

    const cancelled = await call(v, 'POST', `/api/v1/festivals/${f.id}/cancel`, c.ownerToken, { reason: 'تغییر برنامه' }, idem());
    expect(cancelled.status, JSON.stringify(cancelled.json)).toBe(200);
    expect(cancelled.json).toMatchObject({ status: 'cancelled', phase: 'closed', refunded: { stakes: 1, points: 50 } });
    const after = (await call(v, 'GET', '/api/v1/me/balance', tok)).json;
    expect(after.balance).toBe(before.balance);

    // Cancelling again: a clear code.
    const again = await call(v, 'POST', `/api/v1/festivals/${f.id}/cancel`, c.ownerToken, {}, idem());
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('festival_cancelled');

    // No more score, members, stakes, edits or draws.
    await purchase(v, c, m, 3_000_000);
    expect(await festivalBalance(v, c.clubId, m, f.id)).toBe(scoreBefore);
    await enrol(v, c, 12);
    expect((await call(v, 'POST', `/api/v1/me/festivals/${f.id}/join`, await memberToken(v, c, 12))).json.code).toBe('festival_cancelled');
    expect((await call(v, 'POST', `/api/v1/me/festivals/${f.id}/stakes`, tok, { points: 50 })).json.code).toBe('festival_cancelled');
    expect((await call(v, 'PATCH', `/api/v1/festivals/${f.id}`, c.ownerToken, { name: { fa: 'x' } })).json.code).toBe('festival_cancelled');
    expect((await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { title: { fa: 'x' }, cutoffAt: '1404/01/28', winners: 1 }, idem())).json.code).toBe('festival_cancelled');
    const draws = await call(v, 'GET', `/api/v1/festivals/${f.id}/draws`, c.ownerToken);
    expect(draws.json.items.map((d: { status: string }) => d.status)).toEqual(['cancelled']);

    // Its draw never runs, by hand or by the worker.
    clock.set(new Date('2025-04-15T08:00:00Z'));
    const run = await call(v, 'POST', `/api/v1/draws/${drawStaked.json.id}/run`, c.ownerToken, {});
    expect(run.status).toBe(409);
    expect(run.json.code).toBe('festival_cancelled');
    await v.services.festivals.tick();
    const pub = await call(v, 'GET', `/api/v1/public/draws/${drawStaked.json.id}`, null);
    expect(pub.json).toMatchObject({ status: 'cancelled', club: c.slug });
    expect(pub.json.seedHex).toBeUndefined();
    await expectLedgerClean(v.database.db, c.clubId);
  });

  test('participants page with a total, filters and sorts; the club-wide draw list; the club in the published draw', async () => {
    clock.set(DURING);
    const c = await makeClub(v);
    const f = await festival(v, c, {});
    const g = await festival(v, c, { name: { fa: 'دومی', en: 'Second' } });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const m = await enrol(v, c, 100 + i);
      ids.push(m);
      clock.advance(60_000); // joined one after another
      expect((await call(v, 'POST', `/api/v1/festivals/${f.id}/participants`, c.apiKey, { memberId: m }, idem())).status).toBe(201);
      await purchase(v, c, m, (i + 1) * 100_000);
    }
    const page1 = await call(v, 'GET', `/api/v1/festivals/${f.id}/participants?limit=3`, c.ownerToken);
    expect(page1.status, JSON.stringify(page1.json)).toBe(200);
    expect(page1.json.total).toBe(7);
    expect(page1.json.items.map((p: { score: number }) => p.score)).toEqual([7, 6, 5]);
    expect(page1.json.items[0]).toMatchObject({ memberId: ids[6], via: 'opt_in' });
    expect(page1.json.items[0].entryRef).toMatch(/^\+?[\d*]+#[a-z2-9]{8}$/);
    const page3 = await call(v, 'GET', `/api/v1/festivals/${f.id}/participants?limit=3&offset=6`, c.ownerToken);
    expect(page3.json.items.map((p: { score: number }) => p.score)).toEqual([1]);
    const byJoined = await call(v, 'GET', `/api/v1/festivals/${f.id}/participants?sort=joined&limit=1`, c.ownerToken);
    expect(byJoined.json.items[0].memberId).toBe(ids[6]);
    const code = page1.json.items[1].entryCode as string;
    const found = await call(v, 'GET', `/api/v1/festivals/${f.id}/participants?q=${code.toUpperCase()}`, c.ownerToken);
    expect(found.json).toMatchObject({ total: 1, items: [{ entryCode: code }] });
    const byId = await call(v, 'GET', `/api/v1/festivals/${f.id}/participants?q=${ids[2]}`, c.ownerToken);
    expect(byId.json.total).toBe(1);
    const auto = await call(v, 'GET', `/api/v1/festivals/${f.id}/participants?via=automatic`, c.ownerToken);
    expect(auto.json).toMatchObject({ total: 0, items: [] });
    expect((await call(v, 'GET', `/api/v1/festivals/${g.id}/participants`, c.ownerToken)).json.total).toBe(0);
    const other = await makeClub(v);
    expect((await call(v, 'GET', `/api/v1/festivals/${f.id}/participants`, other.ownerToken)).json.code).toBe('festival_not_found');

    // Draws of both festivals in one list, newest cut-off first, with status filters.
    const d1 = await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { title: { fa: 'مرحلهٔ اول' }, cutoffAt: '1404/01/20', winners: 2 }, idem());
    const d2 = await call(v, 'POST', `/api/v1/festivals/${g.id}/draws`, c.ownerToken, { title: { fa: 'نهایی' }, kind: 'final', cutoffAt: '1404/01/30', winners: 1 }, idem());
    expect(d1.status).toBe(201);
    expect(d2.status).toBe(201);
    clock.set(new Date('2025-04-10T08:00:00Z'));
    expect((await call(v, 'POST', `/api/v1/draws/${d1.json.id}/run`, c.ownerToken, {})).json.status).toBe('drawn');
    const all = await call(v, 'GET', '/api/v1/draws', c.ownerToken);
    expect(all.status).toBe(200);
    expect(all.json.total).toBe(2);
    expect(all.json.items.map((d: { id: string }) => d.id)).toEqual([d2.json.id, d1.json.id]);
    expect(all.json.items[1]).toMatchObject({ status: 'drawn', festival: { id: f.id, name: { fa: 'جشنوارهٔ آزمون' }, status: 'active' } });
    const drawn = await call(v, 'GET', '/api/v1/draws?status=drawn', c.ownerToken);
    expect(drawn.json.items.map((d: { id: string }) => d.id)).toEqual([d1.json.id]);
    expect((await call(v, 'POST', `/api/v1/festivals/${g.id}/cancel`, c.ownerToken, {}, idem())).status).toBe(200);
    const cancelled = await call(v, 'GET', '/api/v1/draws?status=cancelled', c.ownerToken);
    expect(cancelled.json).toMatchObject({ total: 1, items: [{ id: d2.json.id, status: 'cancelled' }] });
    expect((await call(v, 'GET', '/api/v1/draws?status=scheduled', c.ownerToken)).json.total).toBe(0);
    expect((await call(v, 'GET', '/api/v1/draws', other.ownerToken)).json.total).toBe(0);

    // The published document names its club (slug and name) and festival.
    const pub = await call(v, 'GET', `/api/v1/public/draws/${d1.json.id}`, null);
    expect(pub.json).toMatchObject({ club: c.slug, clubName: { fa: 'باشگاه آزمون' }, festivalName: { fa: 'جشنوارهٔ آزمون' }, status: 'drawn' });
    await expectLedgerClean(v.database.db, c.clubId);
  });

  test('the worker runs due draws on its own: the snapshot at the cut-off, the draw at its time, each once', async () => {
    clock.set(DURING);
    const c = await makeClub(v);
    const f = await festival(v, c, {});
    const members: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await enrol(v, c, 40 + i);
      expect((await call(v, 'POST', `/api/v1/festivals/${f.id}/participants`, c.apiKey, { memberId: m }, idem())).status).toBe(201);
      await purchase(v, c, m, (i + 1) * 1_000_000);
      members.push(m);
    }
    const created = await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, { title: { fa: 'قرعهٔ خودکار' }, cutoffAt: '2025-04-06T08:00:00Z', drawAt: '2025-04-07T08:00:00Z', winners: 2 }, idem());
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const status = async () => (await call(v, 'GET', `/api/v1/public/draws/${created.json.id}`, null)).json;

    // Before the cut-off the job leaves it alone.
    await v.services.festivals.tick();
    expect((await status()).status).toBe('scheduled');
    // At the cut-off it freezes the entries; a purchase after that does not enter.
    clock.set(new Date('2025-04-06T08:00:01Z'));
    await v.services.festivals.tick();
    const frozen = await call(v, 'GET', `/api/v1/draws/${created.json.id}`, c.ownerToken);
    expect(frozen.json).toMatchObject({ status: 'snapshotted', entryCount: 3 });
    const late = await enrol(v, c, 43);
    expect((await call(v, 'POST', `/api/v1/festivals/${f.id}/participants`, c.apiKey, { memberId: late }, idem())).status).toBe(201);
    await purchase(v, c, late, 5_000_000);
    await v.services.festivals.tick();
    expect((await status()).status).toBe('snapshotted');
    // At its time it draws, once: later runs of the job and a run by hand change nothing.
    clock.set(new Date('2025-04-07T08:00:01Z'));
    expect((await v.services.festivals.tick()).draws).toBeGreaterThanOrEqual(1);
    const drawn = await status();
    expect(drawn.status).toBe('drawn');
    expect(drawn.winners).toHaveLength(2);
    expect(typeof drawn.seedHex).toBe('string');
    await v.services.festivals.tick();
    const byHand = await call(v, 'POST', `/api/v1/draws/${created.json.id}/run`, c.ownerToken, {});
    expect(byHand.json.status).toBe('drawn');
    const again = await status();
    expect([again.seedHex, again.winners]).toEqual([drawn.seedHex, drawn.winners]);
    await expectLedgerClean(v.database.db, c.clubId);
  });
});
