/**
 * The maintained rank structure stays equal to a recount: random batches (members repeated
 * inside a batch, values crossing 128-wide blocks, two categories) through the real earn
 * path, then every member's rank from the structure against a brute-force rank, and the
 * structure against one rebuilt from the standings.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { makeClub, type ClubFixture } from '../fixtures.js';
import { enrol, festival } from './helpers.js';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describeEngines('festivals: rank structure', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  const clock = new ManualClock(new Date('2025-04-05T08:00:00Z'));

  beforeAll(async () => {
    v = await testVafa(engine, { clock });
    c = await makeClub(v);
  });
  afterAll(async () => v?.close());

  test('ranks from the structure equal a recount after random batches', async () => {
    const f = await festival(v, c, {
      enrolment: 'automatic',
      indicators: [{ eventType: 'purchase', score: 150, per: { rials: 100_000 } }],
      categories: [{ key: 'spend', eventType: 'purchase', measure: 'amount' }],
    });
    const members: string[] = [];
    for (let n = 1; n <= 24; n++) members.push(await enrol(v, c, n));
    const outsider = await enrol(v, c, 99);
    await v.services.festivals.syncEnrolment((await v.services.clubs.get(c.clubId))!, f.id);
    // The outsider leaves the audience: drop its participation so its events must not count.
    await sql`delete from festival_participants where club_id = ${c.clubId} and member_id = ${outsider}`.execute(v.database.db);

    const club = (await v.services.clubs.get(c.clubId))!;
    const rnd = prng(7);
    let seq = 0;
    for (let b = 0; b < 12; b++) {
      const events = Array.from({ length: 1 + Math.floor(rnd() * 15) }, () => {
        const member = rnd() < 0.1 ? outsider : members[Math.floor(rnd() * 6) + (rnd() < 0.5 ? 0 : Math.floor(rnd() * 18))]!;
        return { eventId: `r-${++seq}`, type: 'purchase', member: { id: member }, amountRials: Math.floor(rnd() * 12) * 100_000 };
      });
      const r = await v.services.events.ingestBatch(club, events, null);
      expect(r.ok).toBe(true);
    }
    await v.services.festivals.settle(c.clubId); // festival score is applied behind the earn path

    const standings = (await sql<{ category: string; member_id: string; value: number }>`
      select category, member_id, value from festival_standings where club_id = ${c.clubId} and festival_id = ${f.id}`.execute(v.database.db)).rows.map((r) => ({ ...r, value: Number(r.value) }));
    expect(standings.some((s) => s.member_id === outsider)).toBe(false);
    expect(standings.some((s) => s.category === 'score' && s.value >= 2048)).toBe(true); // several blocks in play
    // The festival score projection equals the ledger's festival unit.
    for (const s of standings.filter((x) => x.category === 'score')) {
      expect((await v.services.ledger.balance(c.clubId, s.member_id, `festival:${f.id}`)).balance).toBe(s.value);
    }
    for (const category of ['score', 'spend']) {
      const values = standings.filter((s) => s.category === category && s.value > 0).map((s) => s.value);
      for (const m of [...members, outsider]) {
        const board = await v.services.festivals.leaderboard(c.clubId, f.id, { category, limit: 100, memberId: m });
        expect(board.ok).toBe(true);
        if (!board.ok) return;
        const mine = standings.find((s) => s.category === category && s.member_id === m)?.value ?? 0;
        expect(board.value.me?.value).toBe(mine);
        expect(board.value.me?.rank).toBe(mine > 0 ? 1 + values.filter((x) => x > mine).length : null);
        expect(board.value.ranked).toBe(values.length);
      }
    }

    const snapshot = async () => ({
      counts: (await sql<{ k: string }>`select category || ':' || value || ':' || shard || '=' || members as k from festival_rank_counts
        where club_id = ${c.clubId} and festival_id = ${f.id} and members <> 0 order by 1`.execute(v.database.db)).rows.map((r) => r.k),
      blocks: (await sql<{ k: string }>`select category || ':' || block || ':' || shard || '=' || members as k from festival_rank_blocks
        where club_id = ${c.clubId} and festival_id = ${f.id} and members <> 0 order by 1`.execute(v.database.db)).rows.map((r) => r.k),
    });
    const maintained = await snapshot();
    await v.services.festivals.rebuildRanks(c.clubId, f.id);
    expect(await snapshot()).toEqual(maintained);
  });
});
