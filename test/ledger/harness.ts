/**
 * Shared by the ledger suites: a club built straight through the services (no operator,
 * no argon2 — these suites create many clubs), and expiry helpers.
 *
 * `expireDue` and `expireHolds` work across ALL clubs of the database (the worker's job),
 * and the PostgreSQL database is shared by every test file of the run. So:
 *  - suites that move a ManualClock keep it in the past (see EPOCHS), never beyond real
 *    time, so their expiry runs cannot touch the lots and holds of tests on the real clock;
 *  - a suite loops until ITS club has nothing due, because one call handles at most
 *    200 members of whichever clubs come first.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { TestVafa } from '../engines.js';
import { mobile } from '../fixtures.js';

export const EPOCHS = {
  /** ledger.test.ts scenarios (1391/03/21, noon in Tehran). */
  scenarios: new Date('2012-06-10T08:30:00Z'),
  /** property.test.ts: earlier, so the scenarios' expiry never lands inside a property run's future. */
  property: new Date('1996-01-01T08:30:00Z'),
};

let seq = 0;
export async function newClub(v: TestVafa, settings: Record<string, unknown> = {}): Promise<string> {
  const r = await v.services.clubs.create({ slug: `l${process.pid}-${++seq}-${randomUUID().slice(0, 8)}`, name: { fa: 'باشگاه دفتر', en: 'Ledger club' }, pendingDays: 0, ...settings });
  if (!r.ok) throw new Error(`club: ${r.code} ${r.detail}`);
  return r.value.id;
}

let memberSeq = 0;
export async function newMember(v: TestVafa, clubId: string): Promise<string> {
  const m = await v.services.members.create(clubId, { mobile: mobile(5_000_000 + (process.pid % 1000) * 1000 + (++memberSeq % 1000)) }, { actor: 'test' });
  if (!m.ok) throw new Error(`member: ${m.code} ${m.detail}`);
  return m.value.id;
}

/** Expires due lots until none of this club's lots is due; returns the points this club lost to expiry. */
export async function expireClub(v: TestVafa, clubId: string): Promise<number> {
  const expiredSum = async () =>
    Number((await sql<{ s: number }>`select coalesce(sum(amount), 0)::bigint as s from journal_lines where club_id = ${clubId} and account = 'system:expired' and unit = 'points'`.execute(v.database.db)).rows[0]!.s);
  const before = await expiredSum();
  for (let i = 0; i < 1000; i++) {
    await v.services.ledger.expireDue();
    const due = await sql<{ n: number }>`select count(*)::int as n from lots where club_id = ${clubId} and remaining > 0 and expires_at <= ${v.clock.now()}`.execute(v.database.db);
    if (due.rows[0]!.n === 0) return (await expiredSum()) - before;
  }
  throw new Error('expireDue never caught up with this club');
}

/** Voids this club's pending holds whose time passed (looping like expireClub). */
export async function expireClubHolds(v: TestVafa, clubId: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    await v.services.ledger.expireHolds();
    const due = await v.database.db.selectFrom('holds').select('id').where('club_id', '=', clubId).where('status', '=', 'pending').where('expires_at', '<=', v.clock.now()).execute();
    if (due.length === 0) return;
  }
  throw new Error('expireHolds never caught up with this club');
}
