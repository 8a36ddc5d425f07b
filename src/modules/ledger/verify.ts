/**
 * `vafa ledger verify`: recomputes every balance from lines and checks the invariants.
 * Each check is one aggregate query that returns only the rows that break it, so memory
 * stays flat however large the ledger is.
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';

export interface VerifyReport {
  ok: boolean;
  checked: { entries: number; lines: number; balances: number; lots: number };
  problems: { check: string; detail: Record<string, unknown> }[];
}

export async function verifyLedger(db: Executor, clubId?: string, maxProblems = 100): Promise<VerifyReport> {
  const club = (col: string) => (clubId ? sql`and ${sql.ref(col)} = ${clubId}` : sql``);
  const problems: VerifyReport['problems'] = [];
  const add = (check: string, rows: Record<string, unknown>[]) => rows.forEach((detail) => problems.length < maxProblems && problems.push({ check, detail }));

  add('entry_sums_to_zero', (await sql<Record<string, unknown>>`
    select entry_id, unit, sum(amount)::bigint as sum from journal_lines where true ${club('club_id')}
    group by entry_id, unit having sum(amount) <> 0 limit ${maxProblems}`.execute(db)).rows);

  add('balance_equals_lines', (await sql<Record<string, unknown>>`
    with l as (select club_id, member_id, unit, sum(amount)::bigint as s from journal_lines where member_id is not null ${club('club_id')} group by 1, 2, 3)
    select coalesce(b.club_id, l.club_id) as club_id, coalesce(b.member_id, l.member_id) as member_id, coalesce(b.unit, l.unit) as unit,
           b.balance, l.s as lines_sum
    from member_balances b full join l on l.club_id = b.club_id and l.member_id = b.member_id and l.unit = b.unit
    where coalesce(b.balance, 0) <> coalesce(l.s, 0) ${clubId ? sql`and coalesce(b.club_id, l.club_id) = ${clubId}` : sql``}
    limit ${maxProblems}`.execute(db)).rows);

  add('balance_not_negative', (await sql<Record<string, unknown>>`
    select club_id, member_id, unit, balance from member_balances where balance < 0 ${club('club_id')} limit ${maxProblems}`.execute(db)).rows);

  add('lots_equal_balance', (await sql<Record<string, unknown>>`
    with t as (select club_id, member_id, unit, sum(remaining)::bigint as s from lots where true ${club('club_id')} group by 1, 2, 3)
    select b.club_id, b.member_id, b.unit, b.balance, coalesce(t.s, 0) as lots_remaining
    from member_balances b left join t on t.club_id = b.club_id and t.member_id = b.member_id and t.unit = b.unit
    where b.balance <> coalesce(t.s, 0) ${club('b.club_id')} limit ${maxProblems}`.execute(db)).rows);

  add('held_equals_pending_holds', (await sql<Record<string, unknown>>`
    with l as (select club_id, unit, sum(amount)::bigint as s from journal_lines where account = 'system:held' ${club('club_id')} group by 1, 2),
         h as (select club_id, unit, sum(amount)::bigint as s from holds where status = 'pending' ${club('club_id')} group by 1, 2)
    select coalesce(l.club_id, h.club_id) as club_id, coalesce(l.unit, h.unit) as unit, l.s as held_lines, h.s as pending_holds
    from l full join h on h.club_id = l.club_id and h.unit = l.unit
    where coalesce(l.s, 0) <> coalesce(h.s, 0) limit ${maxProblems}`.execute(db)).rows);

  const counts = (await sql<{ entries: number; lines: number; balances: number; lots: number }>`
    select (select count(*) from journal_entries where true ${club('club_id')})::bigint as entries,
           (select count(*) from journal_lines where true ${club('club_id')})::bigint as lines,
           (select count(*) from member_balances where true ${club('club_id')})::bigint as balances,
           (select count(*) from lots where true ${club('club_id')})::bigint as lots`.execute(db)).rows[0]!;
  return {
    ok: problems.length === 0,
    checked: { entries: Number(counts.entries), lines: Number(counts.lines), balances: Number(counts.balances), lots: Number(counts.lots) },
    problems,
  };
}
