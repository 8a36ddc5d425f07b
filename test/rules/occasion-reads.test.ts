/**
 * The members door's scans for the daily occasions job (src/modules/members/reads.ts):
 * anniversaries are by the *local* date of joining, also for members who joined just
 * before or after local midnight (where the UTC date differs), and 29 February; the
 * profile scan pages by id over members changed since a time.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { makeClub, makeMember, type ClubFixture } from '../fixtures.js';
import { anniversaryCandidates, profileCandidates } from '../../src/modules/members/index.js';

describeEngines('member reads for occasions', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v);
  });
  afterAll(() => v.close());

  it('anniversaries follow the local calendar day in the club zone, across UTC midnight and leap days', async () => {
    const joined: [string, string][] = [
      ['late', '2023-03-09T20:25:00Z'], // 23:55 on 9 March in Tehran (+03:30)
      ['early', '2023-03-09T20:35:00Z'], // 00:05 on 10 March in Tehran
      ['utc-day', '2022-03-10T12:00:00Z'], // 10 March local and UTC
      ['leap', '2024-02-29T08:00:00Z'],
      ['other', '2023-03-11T08:00:00Z'],
      ['recent', new Date(Date.now() - 10 * 86_400_000).toISOString()],
    ];
    const ids = new Map<string, string>();
    let n = 700;
    for (const [name, at] of joined) {
      const id = await makeMember(v, c.clubId, n++);
      await sql`update members set created_at = ${new Date(at)} where id = ${id}`.execute(v.database.db);
      ids.set(id, name);
    }
    const names = async (pairs: { month: number; day: number }[], before = new Date('2026-01-01T00:00:00Z')) =>
      (await anniversaryCandidates(v.database.db, c.clubId, 'Asia/Tehran', pairs, before)).map((m) => ids.get(m.id)).filter(Boolean).sort();
    expect(await names([{ month: 3, day: 10 }])).toEqual(['early', 'utc-day']);
    expect(await names([{ month: 3, day: 9 }])).toEqual(['late']);
    expect(await names([{ month: 2, day: 29 }])).toEqual(['leap']);
    expect(await names([{ month: 3, day: 9 }, { month: 3, day: 11 }])).toEqual(['late', 'other']);
    // Joined after `before`: not yet a year.
    expect(await names([{ month: 3, day: 10 }], new Date('2023-01-01T00:00:00Z'))).toEqual(['utc-day']);
    expect(await names([])).toEqual([]);
  });

  it('the profile scan pages by id over members changed since a time', async () => {
    const club = await makeClub(v);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push(await makeMember(v, club.clubId, 800 + i, { city: 'Tehran' }));
    await sql`update members set updated_at = ${new Date('2020-01-01T00:00:00Z')} where id = ${made[0]!}`.execute(v.database.db);
    const since = new Date('2024-01-01T00:00:00Z');
    const first = await profileCandidates(v.database.db, club.clubId, since, null, 2);
    const second = await profileCandidates(v.database.db, club.clubId, since, first.at(-1)!.id, 2);
    const third = await profileCandidates(v.database.db, club.clubId, since, second.at(-1)!.id, 2);
    const seen = [...first, ...second, ...third].map((m) => m.id);
    expect(seen).toEqual([...made.slice(1)].sort());
    expect(first[0]!.values.city).toBe('Tehran');
    expect((await profileCandidates(v.database.db, club.clubId, null, null, 10)).length).toBe(5);
  });
});
