/**
 * The doctors' festival, end to end through HTTP: a doctor and a lawyer buy the same; only
 * the doctor's festival score grows, club points grow for both; a stage draw commits to its
 * seed, freezes a snapshot, draws from it, publishes a document that `vafa draw verify`
 * recomputes — and a tampered copy fails.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, type ClubFixture } from '../fixtures.js';
import { verifyDrawFile } from '../../src/cli/commands/festivals.js';
import { commitment, verifyDraw } from '../../src/modules/festivals/index.js';
import { enrol, festival, festivalBalance, idem, memberToken, purchase } from './helpers.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

describeEngines('festivals: the doctors’ festival', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  const clock = new ManualClock(new Date('2025-04-05T08:00:00Z')); // 1404/01/16, 11:30 in Tehran

  beforeAll(async () => {
    v = await testVafa(engine, { clock });
    c = await makeClub(v);
  });
  afterAll(async () => v?.close());

  test('scenario', async () => {
    const doctor = await enrol(v, c, 1, ['doctor']);
    const lawyer = await enrol(v, c, 2, ['lawyer']);
    const f = await festival(v, c, {
      name: { fa: 'جشنوارهٔ پزشکان', en: 'Doctors’ festival' },
      audience: { groups: ['doctor'] },
      enrolment: 'opt_in',
      categories: [{ key: 'purchases', eventType: 'purchase', measure: 'count' }],
      staking: { pointsPerChance: 5 },
      topPerformers: [{ category: 'score', count: 2, prize: { fa: 'کارت هدیه', en: 'Gift card' } }],
    });
    expect(f).toMatchObject({ phase: 'open', unit: `festival:${f.id}`, window: { from: '1404/01/15', to: '1404/01/31', fromIso: '2025-04-04', toIso: '2025-04-20' } });
    // The window is local days in Tehran: it starts at 00:00 +03:30 and ends after 1404/01/31.
    expect(f.window.startsAt).toBe('2025-04-03T20:30:00.000Z');
    expect(f.window.endsAt).toBe('2025-04-20T20:30:00.000Z');

    // Joining: the doctor may, twice is harmless, the lawyer is outside the audience.
    const dTok = await memberToken(v, c, 1);
    const lTok = await memberToken(v, c, 2);
    const j1 = await call(v, 'POST', `/api/v1/me/festivals/${f.id}/join`, dTok);
    expect(j1.status, JSON.stringify(j1.json)).toBe(201);
    expect(j1.json.entryRef).toMatch(/^0912\*\*\*0001#[a-z2-9]{8}$/);
    const j2 = await call(v, 'POST', `/api/v1/me/festivals/${f.id}/join`, dTok);
    expect(j2.status).toBe(200);
    expect(j2.json.entryRef).toBe(j1.json.entryRef);
    const jl = await call(v, 'POST', `/api/v1/me/festivals/${f.id}/join`, lTok);
    expect(jl.status).toBe(403);
    expect(jl.json.code).toBe('not_in_audience');
    const mine = await call(v, 'GET', '/api/v1/me/festivals', lTok);
    expect(mine.json.items.map((x: { id: string }) => x.id)).not.toContain(f.id);

    // The same purchase: club points for both, festival score for the doctor only.
    await purchase(v, c, doctor, 1_000_000);
    await purchase(v, c, lawyer, 1_000_000);
    const bd = await call(v, 'GET', `/api/v1/members/${doctor}/balance`, c.apiKey);
    const bl = await call(v, 'GET', `/api/v1/members/${lawyer}/balance`, c.apiKey);
    expect(bd.json.points.balance).toBeGreaterThan(0);
    expect(bl.json.points.balance).toBe(bd.json.points.balance);
    expect(await festivalBalance(v, c.clubId, doctor, f.id)).toBe(10);
    expect(await festivalBalance(v, c.clubId, lawyer, f.id)).toBe(0);
    const hist = await call(v, 'GET', `/api/v1/members/${doctor}/history?unit=festival:${f.id}`, c.apiKey);
    expect(hist.json.items.map((i: { amount: number }) => i.amount)).toEqual([10]);
    const me = await call(v, 'GET', `/api/v1/me/festivals/${f.id}`, dTok);
    expect(me.json).toMatchObject({ joined: true, score: 10, ranks: { score: { value: 10, rank: 1, ranked: 1 }, purchases: { value: 1, rank: 1 } } });

    // More doctors, enrolled by the POS (the audience still decides), buying different amounts.
    const others: string[] = [];
    for (let n = 3; n <= 7; n++) {
      const id = await enrol(v, c, n, ['doctor']);
      const r = await call(v, 'POST', `/api/v1/festivals/${f.id}/participants`, c.apiKey, { memberId: id }, idem());
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      await purchase(v, c, id, (n - 2) * 300_000); // 3, 6, 9, 12, 15 festival points
      others.push(id);
    }
    const noKey = await call(v, 'POST', `/api/v1/festivals/${f.id}/participants`, c.apiKey, { memberId: lawyer });
    expect(noKey.json.code).toBe('idempotency_key_required');
    const lawyerByPos = await call(v, 'POST', `/api/v1/festivals/${f.id}/participants`, c.apiKey, { memberId: lawyer }, idem());
    expect(lawyerByPos.json.code).toBe('not_in_audience');

    // Leaderboard: top N with competition ranks, and my rank.
    const board = await call(v, 'GET', `/api/v1/me/festivals/${f.id}/leaderboard?limit=3`, dTok);
    expect(board.status, JSON.stringify(board.json)).toBe(200);
    expect(board.json.items.map((i: { value: number }) => i.value)).toEqual([15, 12, 10]);
    expect(board.json.items.map((i: { rank: number }) => i.rank)).toEqual([1, 2, 3]);
    expect(board.json.items[0].memberId).toBeUndefined(); // members see masked refs only
    expect(board.json).toMatchObject({ ranked: 6, me: { value: 10, rank: 3, ref: j1.json.entryRef } });
    const byPurchases = await call(v, 'GET', `/api/v1/festivals/${f.id}/leaderboard?category=purchases&memberId=${others[0]}`, c.ownerToken);
    expect(byPurchases.json).toMatchObject({ ranked: 6, me: { value: 1, rank: 1 } }); // everyone bought once: all share rank 1
    expect((await call(v, 'GET', `/api/v1/festivals/${f.id}/leaderboard?category=nope`, c.ownerToken)).json.code).toBe('category_not_found');

    // A stage draw: commitment now, cut-off tomorrow, minimum score 5, one chance per point.
    const sched = await call(v, 'POST', `/api/v1/festivals/${f.id}/draws`, c.ownerToken, {
      kind: 'stage',
      title: { fa: 'قرعه‌کشی مرحلهٔ اول', en: 'Stage 1 draw' },
      cutoffAt: '1404/01/17 12:00',
      winners: 2,
      minScore: 5,
      chances: { basis: 'score', pointsPerChance: 1 },
      prizes: [{ fromRank: 1, toRank: 2, title: { fa: 'سکهٔ طلا', en: 'Gold coin' } }],
    });
    expect(sched.status, JSON.stringify(sched.json)).toBe(201);
    const drawId = sched.json.id;
    expect(sched.json).toMatchObject({ status: 'scheduled', cutoffAt: '2025-04-06T08:30:00.000Z', commitment: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const before = await call(v, 'GET', `/api/v1/public/draws/${drawId}`, null);
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({ format: 'vafa-draw/1', status: 'scheduled', commitment: sched.json.commitment });
    expect(before.json.seedHex).toBeUndefined();
    expect(before.json.entries).toBeUndefined();
    expect(JSON.stringify(before.json)).not.toMatch(/seed_enc|v1\./);
    expect((await call(v, 'POST', `/api/v1/draws/${drawId}/run`, c.ownerToken)).json.code).toBe('draw_not_due');

    // After the cut-off: the snapshot is frozen, later points do not change it.
    clock.advance(25 * 3600_000);
    const ran = await call(v, 'POST', `/api/v1/draws/${drawId}/run`, c.ownerToken);
    expect(ran.status, JSON.stringify(ran.json)).toBe(200);
    expect(ran.json).toMatchObject({ status: 'drawn', entryCount: 5, totalChances: 6 + 9 + 12 + 15 + 10 });
    await purchase(v, c, others[0]!, 5_000_000); // the 3-point doctor now has 53: too late for this draw
    const doc = (await call(v, 'GET', `/api/v1/public/draws/${drawId}`, null)).json;
    expect(doc.status).toBe('drawn');
    expect(commitment(doc.seedHex)).toBe(sched.json.commitment);
    expect(doc.entries).toHaveLength(5);
    expect(doc.entries.every((e: { ref: string }) => /^0912\*\*\*\d{4}#[a-z2-9]{8}$/.test(e.ref))).toBe(true);
    expect(doc.entries.map((e: { chances: number }) => e.chances).sort((a: number, b: number) => a - b)).toEqual([6, 9, 10, 12, 15]);
    expect(doc.winners).toHaveLength(2);
    expect(doc.commitmentPublishedAt).toMatch(/\+03:30$/);
    expect(verifyDraw(doc).valid).toBe(true);

    // The operator sees who won; the winners hear it through the outbox (template SMS).
    const op = await call(v, 'GET', `/api/v1/draws/${drawId}`, c.ownerToken);
    expect(op.json.winnerList.map((w: { ref: string }) => w.ref)).toEqual(doc.winners.map((w: { ref: string }) => w.ref));
    expect(op.json.winnerList.every((w: { memberId: string }) => w.memberId !== lawyer && w.memberId !== others[0])).toBe(true);
    const won = (await v.database.db.selectFrom('outbox').select(['payload']).where('club_id', '=', c.clubId).where('topic', '=', 'draw.won').execute()).map((r) => r.payload as Record<string, any>);
    expect(won).toHaveLength(2);
    expect(won[0]!.sms.text).toContain('سکهٔ طلا');
    expect(won[0]!.sms.kind).toBe('transactional');

    // `vafa draw verify`: the published document verifies; a tampered list does not.
    const dir = mkdtempSync(path.join(tmpdir(), 'vafa-draw-'));
    const good = path.join(dir, 'draw.json');
    writeFileSync(good, JSON.stringify(doc));
    const tampered = structuredClone(doc);
    const loser = tampered.entries.find((e: { ref: string }) => !doc.winners.some((w: { ref: string }) => w.ref === e.ref));
    loser.chances += 100;
    const bad = path.join(dir, 'tampered.json');
    writeFileSync(bad, JSON.stringify(tampered));
    if (engine === 'pglite') {
      // The real command line, spawned (once: the document does not depend on the engine).
      const ok = await run(process.execPath, [path.join(ROOT, 'bin/vafa.js'), 'draw', 'verify', good], { cwd: ROOT });
      expect(ok.stdout).toMatch(/^valid: draw drw_/);
      for (const w of doc.winners) expect(ok.stdout).toContain(w.ref);
      const failed = await run(process.execPath, [path.join(ROOT, 'bin/vafa.js'), 'draw', 'verify', bad], { cwd: ROOT }).then(
        () => null,
        (e: { code: number; stdout: string }) => e,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stdout).toMatch(/^digest_mismatch: /m);
    } else {
      expect(verifyDrawFile(good).exitCode).toBe(0);
      const failed = verifyDrawFile(bad);
      expect(failed.exitCode).toBe(1);
      expect(failed.lines.some((l) => l.startsWith('digest_mismatch: '))).toBe(true);
    }
    // The same through the function the command runs: a swapped winner list fails too.
    const swapped = structuredClone(doc);
    swapped.winners = [{ ...doc.winners[1], rank: 1 }, { ...doc.winners[0], rank: 2 }];
    writeFileSync(bad, JSON.stringify(swapped));
    const sw = verifyDrawFile(bad);
    expect(sw.exitCode).toBe(1);
    expect(sw.lines.every((l) => l.startsWith('winners_mismatch: '))).toBe(true);

    // The member's view shows the entry and any win.
    const after = await call(v, 'GET', `/api/v1/me/festivals/${f.id}`, dTok);
    expect(after.json.draws[0].myEntry).toMatchObject({ ref: j1.json.entryRef, chances: 10 });
  });
});
