/**
 * The ledger's SQL. Lock order, everywhere: member_balances rows sorted by (member, unit),
 * then that member's lots. Balances and lines change only through postEntries (and
 * debitMany's balance update followed by writeEntries), in the caller's transaction.
 */
import { sql, type RawBuilder } from 'kysely';
import { asCtes, runWrites, type Executor } from '../../platform/db.js';
import { type Allocation, type EntryDraft, type OpenLot, type Unit } from './domain.js';

const key = (memberId: string, unit: string) => `${memberId}\u0000${unit}`;

/** Locks (creating when missing) the balance rows of these accounts, in a fixed order. */
export async function lockBalances(tx: Executor, clubId: string, accounts: { memberId: string; unit: Unit }[]): Promise<Map<string, number>> {
  const uniq = [...new Map(accounts.map((a) => [key(a.memberId, a.unit), a])).values()].sort((a, b) =>
    a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0,
  );
  const out = new Map<string, number>();
  if (uniq.length === 0) return out;
  // INSERT … ON CONFLICT DO NOTHING first: a plain FOR UPDATE would miss a row that does
  // not exist yet, letting two first-time writers race.
  await sql`insert into member_balances (club_id, member_id, unit, balance)
    select ${clubId}, m, u, 0 from unnest(${uniq.map((a) => a.memberId)}::text[], ${uniq.map((a) => a.unit)}::text[]) as t(m, u)
    order by m, u
    on conflict (club_id, member_id, unit) do nothing`.execute(tx);
  const rows = await sql<{ member_id: string; unit: string; balance: number }>`
    select member_id, unit, balance from member_balances
    where club_id = ${clubId} and (member_id, unit) in (select * from unnest(${uniq.map((a) => a.memberId)}::text[], ${uniq.map((a) => a.unit)}::text[]))
    order by member_id, unit for update`.execute(tx);
  for (const r of rows.rows) out.set(key(r.member_id, r.unit), Number(r.balance));
  return out;
}

/**
 * Inserts entries, their lines (with running balances) and their lots in ONE statement
 * (data-modifying CTEs), the rows passed as three JSON parameters: one round trip instead of
 * three, and no per-column array literals to escape (pg's array serialisation was 5 % of the
 * server's CPU on the earn path).
 */
export async function writeEntries(tx: Executor, entries: EntryDraft[], balanceAfter: Map<string, number>, now: Date): Promise<void> {
  if (entries.length === 0) return;
  const { es, ls, ts } = entryRows(entries, (ei, li) => balanceAfter.get(`${ei}:${li}`) ?? null);
  const clubId = entries[0]!.clubId;
  await sql`
    with e as (${insertEntries(es, now)}), l as (
      insert into journal_lines (entry_id, line_no, club_id, account, member_id, unit, amount, balance_after, created_at)
      select entry, no, ${clubId}, account, member, unit, amount, after, ${now}
      from jsonb_to_recordset(${JSON.stringify(ls)}::jsonb) as x(entry text, no int, account text, member text, unit text, amount bigint, after bigint)
    )
    ${insertLots(clubId, ts, now)}`.execute(tx);
}

/**
 * Posts balanced entries in ONE statement: the member balances (debits UPDATE rows the
 * debiting service locked; credits upsert, in lock order), then the entries, their lines
 * and their lots. Each member line's running balance is computed by the statement itself
 * from the balance it just wrote: the final balance less the account's later lines in this
 * post (a window over the lines in list order), as `balancesAfter` does.
 *
 * One statement instead of applyDeltas + writeEntries: a round trip fewer for every post,
 * and the balance rows — the rows concurrent writers of one member queue on — are locked
 * only when the rest of the post is written with them, so they are held for less of the
 * transaction (concurrent batches of overlapping members waited on each other's locks).
 * Returns each touched account's final balance; throws if one was not written.
 *
 * `alongside`: the caller's other writes of the same moment (independent INSERT/UPDATE
 * statements, see asCtes) ride on this statement — the earn path's activity counters and
 * outbox messages, so that every row concurrent writers of a member queue on is written in
 * one statement, and the transaction holds those locks only from here to its commit.
 */
export async function postEntries(tx: Executor, entries: EntryDraft[], now: Date, alongside: RawBuilder<unknown>[] = []): Promise<Map<string, number>> {
  const finals = new Map<string, number>();
  if (entries.length === 0) {
    await runWrites(tx, alongside);
    return finals;
  }
  const clubId = entries[0]!.clubId;
  const perAccount = new Map<string, { memberId: string; unit: string; total: number }>();
  for (const e of entries)
    for (const l of e.lines) {
      if (!l.memberId) continue;
      const k = key(l.memberId, l.unit);
      const acc = perAccount.get(k) ?? { memberId: l.memberId, unit: l.unit, total: 0 };
      acc.total += l.amount;
      perAccount.set(k, acc);
    }
  const accounts = [...perAccount.values()].sort((a, b) =>
    a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0,
  );
  const { es, ls, ts } = entryRows(entries, null);
  // PostgreSQL checks CHECK (balance >= 0) on the *proposed* row of INSERT … ON CONFLICT
  // before resolving the conflict, so a debit through the upsert would always fail: debits
  // UPDATE. The lines' window runs over list order (ordinality) within each account.
  const rows = await sql<{ member_id: string; unit: string; balance: number }>`
    with t as (
      select m, u, d from unnest(${accounts.map((a) => a.memberId)}::text[], ${accounts.map((a) => a.unit)}::text[], ${accounts.map((a) => a.total)}::bigint[]) as t(m, u, d)
    ), upd as (
      update member_balances b set balance = b.balance + t.d, updated_at = now()
      from t where t.d < 0 and b.club_id = ${clubId} and b.member_id = t.m and b.unit = t.u
      returning b.member_id, b.unit, b.balance
    ), ins as (
      insert into member_balances (club_id, member_id, unit, balance, updated_at)
      select ${clubId}, m, u, d, now() from t where t.d >= 0
      order by m, u
      on conflict (club_id, member_id, unit) do update set balance = member_balances.balance + excluded.balance, updated_at = now()
      returning member_id, unit, balance
    ), fin as (
      select member_id, unit, balance from upd union all select member_id, unit, balance from ins
    ), e as (${insertEntries(es, now)}), l as (
      insert into journal_lines (entry_id, line_no, club_id, account, member_id, unit, amount, balance_after, created_at)
      select x.entry, x.no, ${clubId}, x.account, x.member, x.unit, x.amount,
             case when x.member is null then null
                  else f.balance - coalesce(sum(x.amount) over (partition by x.member, x.unit order by x.seq rows between 1 following and unbounded following), 0) end,
             ${now}
      from rows from (jsonb_to_recordset(${JSON.stringify(ls)}::jsonb) as (entry text, no int, account text, member text, unit text, amount bigint))
           with ordinality as x(entry, no, account, member, unit, amount, seq)
      left join fin f on f.member_id = x.member and f.unit = x.unit
    ), lt as (${insertLots(clubId, ts, now)})${alongside.length ? sql`, ${asCtes(alongside)}` : sql``}
    select member_id, unit, balance from fin`.execute(tx);
  for (const r of rows.rows) finals.set(key(r.member_id, r.unit), Number(r.balance));
  for (const k of perAccount.keys()) if (!finals.has(k)) throw new Error(`balance row ${k} was not returned`);
  return finals;
}

/** An entry list as the JSON rows of its entries, lines (with `after` when given) and lots. */
function entryRows(entries: EntryDraft[], afterOf: ((ei: number, li: number) => number | null) | null) {
  const es: unknown[] = [];
  const ls: unknown[] = [];
  const ts: unknown[] = [];
  entries.forEach((en, ei) => {
    es.push({ id: en.id, club: en.clubId, kind: en.kind, member: en.memberId, event: en.eventId ?? null, hold: en.holdId ?? null, rule: en.ruleVersion ?? null, memo: en.memo ?? null, actor: en.actor ?? null, meta: en.meta ?? null });
    en.lines.forEach((ln, li) =>
      ls.push(
        afterOf
          ? { entry: en.id, no: li + 1, account: ln.account, member: ln.memberId, unit: ln.unit, amount: ln.amount, after: ln.memberId ? afterOf(ei, li) : null }
          : { entry: en.id, no: li + 1, account: ln.account, member: ln.memberId, unit: ln.unit, amount: ln.amount },
      ),
    );
    for (const lot of en.lots)
      ts.push({ id: lot.id, member: lot.memberId, unit: lot.unit, entry: en.id, event: lot.eventId, amount: lot.amount, available: lot.availableAt.toISOString(), expires: lot.expiresAt?.toISOString() ?? null });
  });
  return { es, ls, ts };
}

const insertEntries = (es: unknown[], now: Date) => sql`
  insert into journal_entries (id, club_id, kind, member_id, event_id, hold_id, rule_version, memo, actor, meta, created_at)
  select id, club, kind, member, event, hold, rule, memo, actor, meta, ${now}
  from jsonb_to_recordset(${JSON.stringify(es)}::jsonb)
       as x(id text, club text, kind text, member text, event text, hold text, rule text, memo text, actor text, meta jsonb)`;

const insertLots = (clubId: string, ts: unknown[], now: Date) => sql`
  insert into lots (id, club_id, member_id, unit, entry_id, event_id, amount, remaining, available_at, expires_at, created_at)
  select id, ${clubId}, member, unit, entry, event, amount, amount, available, expires, ${now}
  from jsonb_to_recordset(${JSON.stringify(ts)}::jsonb) as x(id text, member text, unit text, entry text, event text, amount bigint, available timestamptz, expires timestamptz)`;

/** Open lots of one member account, locked. Call after locking the balance row. */
export async function openLots(tx: Executor, clubId: string, memberId: string, unit: Unit): Promise<OpenLot[]> {
  const rows = await sql<{ id: string; remaining: number; available_at: Date; expires_at: Date | null; created_at: Date; event_id: string | null }>`
    select id, remaining, available_at, expires_at, created_at, event_id from lots
    where club_id = ${clubId} and member_id = ${memberId} and unit = ${unit} and remaining > 0
    order by id for update`.execute(tx);
  return rows.rows.map((r) => ({
    id: r.id,
    remaining: Number(r.remaining),
    availableAt: new Date(r.available_at),
    expiresAt: r.expires_at ? new Date(r.expires_at) : null,
    createdAt: new Date(r.created_at),
    eventId: r.event_id,
  }));
}

/** Takes (positive) or gives back (negative) lot amounts. */
export async function consumeLots(tx: Executor, clubId: string, allocations: Allocation[], sign: 1 | -1 = 1): Promise<void> {
  if (allocations.length === 0) return;
  await sql`update lots set remaining = lots.remaining - u.amount
    from unnest(${allocations.map((a) => a.lotId)}::text[], ${allocations.map((a) => sign * a.amount)}::bigint[]) as u(id, amount)
    where lots.club_id = ${clubId} and lots.id = u.id`.execute(tx);
}

export async function lotsById(tx: Executor, clubId: string, ids: string[]): Promise<Map<string, { expiresAt: Date | null; availableAt: Date }>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.selectFrom('lots').select(['id', 'expires_at', 'available_at']).where('club_id', '=', clubId).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id as string, { expiresAt: r.expires_at ? new Date(r.expires_at) : null, availableAt: new Date(r.available_at) }]));
}
