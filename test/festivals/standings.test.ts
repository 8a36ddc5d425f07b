/**
 * The earn path's standings work (store.ts applyStandings) on its own, and under
 * concurrency: only participants' rows are written, repeated keys in a batch add up, the
 * rank structure moves in step and stays equal to a rebuild, and parallel earn
 * transactions over the same members and rank rows all commit (rows locked in one order).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, ManualClock, silentLogger, testVafa, type TestVafa } from '../engines.js';
import { startWorker } from '../../src/worker.js';
import { makeClub, type ClubFixture } from '../fixtures.js';
import { applyStandings } from '../../src/modules/festivals/store.js';
import { shardOf } from '../../src/modules/festivals/domain.js';
import { enrol, festival } from './helpers.js';

describeEngines('festivals: the standings statement', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  const clock = new ManualClock(new Date('2025-04-05T08:00:00Z'));

  beforeAll(async () => {
    v = await testVafa(engine, { clock, poolMax: 6 });
    c = await makeClub(v);
  });
  afterAll(async () => v?.close());

  const structure = async (festivalId: string) => ({
    counts: (await sql<{ k: string }>`select category || ':' || value || ':' || shard || '=' || members as k from festival_rank_counts
      where club_id = ${c.clubId} and festival_id = ${festivalId} and members <> 0 order by 1`.execute(v.database.db)).rows.map((r) => r.k),
    blocks: (await sql<{ k: string }>`select category || ':' || block || ':' || shard || '=' || members as k from festival_rank_blocks
      where club_id = ${c.clubId} and festival_id = ${festivalId} and members <> 0 order by 1`.execute(v.database.db)).rows.map((r) => r.k),
  });
  const expectStructureRebuilds = async (festivalId: string) => {
    const maintained = await structure(festivalId);
    await v.services.festivals.rebuildRanks(c.clubId, festivalId);
    expect(await structure(festivalId)).toEqual(maintained);
  };
  const standings = async (festivalId: string) =>
    new Map((await sql<{ k: string; value: number }>`select category || ':' || member_id as k, value from festival_standings
      where club_id = ${c.clubId} and festival_id = ${festivalId}`.execute(v.database.db)).rows.map((r) => [r.k, Number(r.value)]));

  test('participants only; repeated keys add up; zero deltas and other festivals ignored; ranks in step', async () => {
    const club = (await v.services.clubs.get(c.clubId))!;
    const a = await festival(v, c, { enrolment: 'opt_in', categories: [{ key: 'buys', eventType: 'purchase', measure: 'count' }] });
    const b = await festival(v, c, { enrolment: 'opt_in', window: { from: '1404/01/16', to: '1404/01/30' } });
    const [inA, inBoth, outside] = [await enrol(v, c, 301), await enrol(v, c, 302), await enrol(v, c, 303)];
    for (const [m, f] of [[inA, a.id], [inBoth, a.id], [inBoth, b.id]] as const) {
      expect((await v.services.festivals.join(club, m, f, { actor: 'test' })).ok).toBe(true);
    }
    const row = (festivalId: string, category: string, memberId: string, delta: number) => ({ festivalId, category, memberId, delta, shard: shardOf(memberId) });

    const taking = await v.database.db.transaction().execute((tx) =>
      applyStandings(tx, c.clubId, [
        row(a.id, 'score', outside, 5),
        row(a.id, 'score', inA, 130), // crosses the first 128-wide block with the next row
        row(a.id, 'score', inA, 3),
        row(a.id, 'buys', inA, 1),
        row(a.id, 'score', inBoth, 0), // nothing to add: not written, not reported
        row(b.id, 'score', inBoth, 7),
        row(b.id, 'score', inA, 9), // inA did not join b
      ]),
    );
    expect([...taking].map((k) => k.replace('\u0000', '|')).sort()).toEqual([`${a.id}|${inA}`, `${b.id}|${inBoth}`].sort());
    expect(await standings(a.id)).toEqual(new Map([[`score:${inA}`, 133], [`buys:${inA}`, 1]]));
    expect(await standings(b.id)).toEqual(new Map([[`score:${inBoth}`, 7]]));

    // A second statement moves the member out of its old value and block.
    await v.database.db.transaction().execute((tx) => applyStandings(tx, c.clubId, [row(a.id, 'score', inA, 200), row(a.id, 'score', inBoth, 1)]));
    expect((await standings(a.id)).get(`score:${inA}`)).toBe(333);
    expect((await structure(a.id)).counts).toEqual([`buys:1:${shardOf(inA)}=1`, `score:1:${shardOf(inBoth)}=1`, `score:333:${shardOf(inA)}=1`]);
    await expectStructureRebuilds(a.id);
    await expectStructureRebuilds(b.id);

    // Nobody in the batch takes part: nothing is written, nothing reported.
    const none = await v.database.db.transaction().execute((tx) => applyStandings(tx, c.clubId, [row(a.id, 'score', outside, 4), row(b.id, 'score', inA, 4)]));
    expect(none.size).toBe(0);
    expect(await applyStandings(v.database.db as never, c.clubId, [])).toEqual(new Set());
  });

  test('the earn path queues participants\' score: known from the member look-up, or probed when a caller passes no member facts', async () => {
    const club = (await v.services.clubs.get(c.clubId))!;
    const f = await festival(v, c, { enrolment: 'opt_in' });
    const [inside, outside] = [await enrol(v, c, 401), await enrol(v, c, 402)];
    expect((await v.services.festivals.join(club, inside, f.id, { actor: 'test' })).ok).toBe(true);
    // The member look-up carries the festivals a member joined.
    const facts = await v.database.db.transaction().execute(async (tx) => (await v.services.members.resolveRefs(tx, c.clubId, [{ id: inside }, { id: outside }])));
    expect(facts({ id: inside })?.extra?.festivals).toEqual([f.id]);
    expect(facts({ id: outside })?.extra?.festivals).toEqual([]);

    const earn = v.services.festivals.composeEarn(async (_tx, inputs) => inputs.map(() => []));
    const queued = async () => (await sql<{ member_id: string; score: number; event_id: string }>`select member_id, score, event_id from festival_score_queue
      where club_id = ${c.clubId} and festival_id = ${f.id} order by id`.execute(v.database.db)).rows.map((r) => `${r.member_id}:${Number(r.score)}:${r.event_id}`);
    const input = (memberId: string, id: string, withFacts: boolean) => ({
      club, memberId, ...(withFacts ? { member: facts({ id: memberId })! } : {}),
      event: { id, eventId: id, type: 'purchase', member: { id: memberId }, amountRials: 500_000, occurredAt: clock.now() },
    });
    for (const withFacts of [true, false]) {
      const tag = withFacts ? 'k' : 'p';
      const out = await v.database.db.transaction().execute((tx) => earn(tx, [input(inside, `${tag}1`, withFacts), input(outside, `${tag}2`, withFacts)]));
      expect(out).toEqual([[], []]); // festival score never reaches the events service's credits
    }
    expect(await queued()).toEqual([`${inside}:5:k1`, `${inside}:5:p1`]);
    await v.services.festivals.settle(c.clubId);
    expect(await queued()).toEqual([]);
    expect((await standings(f.id)).get(`score:${inside}`)).toBe(10);
    expect((await v.services.ledger.balance(c.clubId, outside, `festival:${f.id}`)).balance).toBe(0);
  });

  test('a read waits for rows another applier holds: it never shows less than was acknowledged before it', async () => {
    const club = (await v.services.clubs.get(c.clubId))!;
    const f = await festival(v, c, { enrolment: 'opt_in' });
    const m = await enrol(v, c, 421);
    expect((await v.services.festivals.join(club, m, f.id, { actor: 'test' })).ok).toBe(true);
    expect((await v.services.events.ingestOne(club, { eventId: 'hold-1', type: 'purchase', member: { id: m }, amountRials: 400_000 }, null)).ok).toBe(true);
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    let taken = 0;
    let inFlight!: () => void;
    const holding = new Promise<void>((ok) => (inFlight = ok));
    // Another applier takes the row and has not committed yet.
    const other = v.database.db.transaction().execute(async (tx) => {
      taken = await v.services.festivals.applyQueuedInTx(tx, c.clubId);
      inFlight();
      await gate;
    });
    await holding;
    expect(taken).toBe(1);
    let settled = false;
    const reading = v.services.festivals.leaderboard(c.clubId, f.id, { limit: 10, memberId: m }).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((ok) => setTimeout(ok, 150));
    expect(settled).toBe(false); // waiting for the other applier, not answering without its row
    release();
    await other;
    const board = await reading;
    expect(board.ok && board.value.me?.value).toBe(4);
  });

  test('the worker applies queued festival score on its own, soon after the earn', async () => {
    const club = (await v.services.clubs.get(c.clubId))!;
    const f = await festival(v, c, { enrolment: 'opt_in' });
    const m = await enrol(v, c, 411);
    expect((await v.services.festivals.join(club, m, f.id, { actor: 'test' })).ok).toBe(true);
    const r = await v.services.events.ingestOne(club, { eventId: 'w-1', type: 'purchase', member: { id: m }, amountRials: 300_000 }, null);
    expect(r.ok).toBe(true);
    // Read the tables, not the service (whose reads would apply the queue themselves).
    const posted = async () => Number((await sql<{ s: number }>`select coalesce(sum(amount), 0)::int as s from journal_lines
      where club_id = ${c.clubId} and member_id = ${m} and unit = ${`festival:${f.id}`}`.execute(v.database.db)).rows[0]!.s);
    expect(await posted()).toBe(0);
    const worker = startWorker(v.database.db, clock, v.services, silentLogger, { intervalMs: 1000, festivalEveryMs: 20 });
    try {
      const until = Date.now() + 10_000;
      while ((await posted()) === 0 && Date.now() < until) await new Promise((ok) => setTimeout(ok, 20));
    } finally {
      await worker.stop();
    }
    expect(await posted()).toBe(3);
    expect((await standings(f.id)).get(`score:${m}`)).toBe(3);

    // While ingestion is busy the worker asks for one small transaction per club and turn.
    const events = Array.from({ length: 250 }, (_, i) => ({ eventId: `w-b-${i}`, type: 'purchase', member: { id: m }, amountRials: 100_000 }));
    expect((await v.services.events.ingestBatch(club, events, null)).ok).toBe(true);
    const left = async () => Number((await sql<{ n: number }>`select count(*)::int as n from festival_score_queue where club_id = ${c.clubId}`.execute(v.database.db)).rows[0]!.n);
    expect(await left()).toBe(250);
    expect(await v.services.festivals.applyAllQueued({ limit: 200, once: true })).toBe(200);
    expect(await left()).toBe(50);
    expect(await v.services.festivals.applyAllQueued()).toBe(50);
    expect(await posted()).toBe(253);
  });

  test('parallel earn batches over the same members all commit; standings equal the ledger and a rebuild', async () => {
    const club = (await v.services.clubs.get(c.clubId))!;
    const f = await festival(v, c, { enrolment: 'opt_in', categories: [{ key: 'buys', eventType: 'purchase', measure: 'count' }] });
    const members: string[] = [];
    for (let n = 0; n < 10; n++) members.push(await enrol(v, c, 320 + n));
    for (const m of members.slice(0, 8)) expect((await v.services.festivals.join(club, m, f.id, { actor: 'test' })).ok).toBe(true);
    let seq = 0;
    const batch = (k: number) =>
      Array.from({ length: 12 }, (_, i) => ({
        eventId: `par-${k}-${++seq}`,
        type: 'purchase',
        member: { id: members[(k * 3 + i * 7) % members.length]! },
        amountRials: 100_000 * (1 + ((k + i) % 5)),
      }));
    // Earn batches and appliers of the festival score queue, all at once: appliers skip the
    // rows others hold; after one more round nothing is left queued.
    const [results] = await Promise.all([
      Promise.all(Array.from({ length: 6 }, (_, k) => v.services.events.ingestBatch(club, batch(k), null))),
      Promise.all(Array.from({ length: 3 }, () => v.services.festivals.applyQueued(c.clubId, { limit: 5 }))),
    ]);
    for (const r of results) expect(r.ok, JSON.stringify(r)).toBe(true);
    await v.services.festivals.settle(c.clubId);
    expect(Number((await sql<{ n: number }>`select count(*)::int as n from festival_score_queue where club_id = ${c.clubId}`.execute(v.database.db)).rows[0]!.n)).toBe(0);

    const s = await standings(f.id);
    for (const m of members) {
      const balance = (await v.services.ledger.balance(c.clubId, m, `festival:${f.id}`)).balance;
      expect(s.get(`score:${m}`) ?? 0).toBe(balance);
      if (members.indexOf(m) >= 8) expect(s.has(`score:${m}`) || s.has(`buys:${m}`)).toBe(false);
    }
    // Every participant's purchase counted once in the count category, nobody else's.
    let participantEvents = 0;
    for (let k = 0; k < 6; k++) for (let i = 0; i < 12; i++) if ((k * 3 + i * 7) % members.length < 8) participantEvents++;
    expect([...s.entries()].filter(([k]) => k.startsWith('buys:')).reduce((n, [, x]) => n + x, 0)).toBe(participantEvents);
    await expectStructureRebuilds(f.id);
  });
});
