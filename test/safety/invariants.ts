/**
 * The ledger's invariants, checked after a test that writes. `verifyLedger` covers the
 * double entry (every entry sums to zero per unit, balance = sum of lines, lots = balance,
 * no negative balance, held = pending holds); this adds the "one effect" rules:
 *  - one event per caller event id (club_id, external_id);
 *  - one idempotency row per key, and none left claimed without its stored outcome (a
 *    claim is written in the use case's transaction, so an empty one means a half-applied
 *    request);
 *  - no event earned twice: at most one `earn` entry per event, unit and rule version
 *    (rules may stack, so one event can have several earn entries, one per rule);
 *  - every earn/reverse entry names an event of its club, and every lot its entry.
 *
 * Usage: `await expectLedgerClean(v.database.db, clubId)` — without clubId it checks the
 * whole database (only safe where no other test writes meanwhile).
 */
import { expect } from 'vitest';
import { sql } from 'kysely';
import type { Executor } from '../../src/platform/db.js';
import { verifyLedger } from '../../src/modules/ledger/index.js';

export interface InvariantProblem {
  check: string;
  detail: Record<string, unknown>;
}

export async function ledgerProblems(db: Executor, clubId?: string): Promise<InvariantProblem[]> {
  const report = await verifyLedger(db, clubId);
  const problems: InvariantProblem[] = [...report.problems];
  const club = (col: string) => (clubId ? sql`and ${sql.ref(col)} = ${clubId}` : sql``);
  const add = (check: string, rows: Record<string, unknown>[]) => rows.forEach((detail) => problems.push({ check, detail }));

  add('one_event_per_caller_event_id', (await sql<Record<string, unknown>>`
    select club_id, external_id, count(*)::int as n from events where true ${club('club_id')}
    group by 1, 2 having count(*) > 1 limit 20`.execute(db)).rows);

  add('one_row_per_idempotency_key', (await sql<Record<string, unknown>>`
    select club_id, key, count(*)::int as n from idempotency_keys where true ${club('club_id')}
    group by 1, 2 having count(*) > 1 limit 20`.execute(db)).rows);

  add('idempotency_claim_has_its_outcome', (await sql<Record<string, unknown>>`
    select club_id, key, created_at from idempotency_keys where response is null ${club('club_id')} limit 20`.execute(db)).rows);

  add('one_earn_per_event_unit_rule', (await sql<Record<string, unknown>>`
    select j.club_id, j.event_id, l.unit, j.rule_version, count(distinct j.id)::int as entries
    from journal_entries j join journal_lines l on l.entry_id = j.id and l.member_id is not null
    where j.kind = 'earn' and j.event_id is not null ${club('j.club_id')}
    group by 1, 2, 3, 4 having count(distinct j.id) > 1 limit 20`.execute(db)).rows);

  add('event_entry_has_its_event', (await sql<Record<string, unknown>>`
    select j.club_id, j.id as entry_id, j.kind, j.event_id from journal_entries j
    where j.kind in ('earn', 'reverse') and j.event_id like 'evt\\_%' ${club('j.club_id')}
      and not exists (select 1 from events e where e.club_id = j.club_id and e.id = j.event_id) limit 20`.execute(db)).rows);

  add('lot_has_its_entry', (await sql<Record<string, unknown>>`
    select t.club_id, t.id as lot_id, t.entry_id from lots t where true ${club('t.club_id')}
      and not exists (select 1 from journal_entries j where j.id = t.entry_id and j.club_id = t.club_id) limit 20`.execute(db)).rows);

  return problems;
}

/** Fails the test with every broken invariant listed. */
export async function expectLedgerClean(db: Executor, clubId?: string): Promise<void> {
  const problems = await ledgerProblems(db, clubId);
  expect(problems, `ledger invariants${clubId ? ` of club ${clubId}` : ''}`).toEqual([]);
}
