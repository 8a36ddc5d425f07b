/**
 * Group commit writes each event's notice and each request's stored answer in its last
 * statement (the outbox insert rides on the idempotency-key insert as a CTE): every acknowledged
 * event has its `points.earned` message exactly once, and every key its stored answer.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { makeClub, makeMember, type ClubFixture } from '../fixtures.js';

describeEngines('group commit: notices and stored answers in one statement', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v);
  });
  afterAll(() => v.close());

  it('concurrent single events: one points.earned per event, one stored answer per key', async () => {
    const club = (await v.services.clubs.get(c.clubId))!;
    const members = [await makeMember(v, c.clubId, 701), await makeMember(v, c.clubId, 702)];
    const n = 24;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        v.services.events.ingestOne(club, { eventId: `go-${i}`, type: 'purchase', member: { id: members[i % 2]! }, amountRials: 200_000 + i * 10_000 }, { key: `go-key-${i}`, requestHash: `go-hash-${i}` }),
      ),
    );
    for (const r of results) expect(r.ok, JSON.stringify(r)).toBe(true);
    const ids = results.map((r) => (r.ok ? r.value.id : ''));
    const notices = (await sql<{ event_id: string; n: number }>`select payload->>'eventId' as event_id, count(*)::int as n from outbox
      where club_id = ${c.clubId} and topic = 'points.earned' and payload->>'eventId' = any(${ids}::text[]) group by 1`.execute(v.database.db)).rows;
    expect(notices.length).toBe(n);
    expect(notices.every((x) => Number(x.n) === 1)).toBe(true);
    const keys = (await sql<{ n: number }>`select count(*)::int as n from idempotency_keys where club_id = ${c.clubId} and key like 'go-key-%' and response is not null`.execute(v.database.db)).rows[0]!;
    expect(Number(keys.n)).toBe(n);
    // A replay is answered from the stored answer, and adds no notice.
    const again = await v.services.events.ingestOne(club, { eventId: 'go-0', type: 'purchase', member: { id: members[0]! }, amountRials: 200_000 }, { key: 'go-key-0', requestHash: 'go-hash-0' });
    expect(again).toEqual(results[0]);
    const total = (await sql<{ n: number }>`select count(*)::int as n from outbox where club_id = ${c.clubId} and topic = 'points.earned'`.execute(v.database.db)).rows[0]!;
    expect(Number(total.n)).toBe(n);
  });
});
