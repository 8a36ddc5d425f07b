/**
 * The ledger's SQL. Lock order, everywhere: member_balances rows sorted by (member, unit),
 * then that member's lots. Balances change only through applyDeltas, lines only through
 * writeEntries, both in the caller's transaction.
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import { balancesAfter, type Allocation, type EntryDraft, type OpenLot, type Unit } from './domain.js';

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
 * Adds the member lines of `entries` to the materialised balances (one statement, rows in
 * lock order) and returns each member line's balance_after, keyed `${entryIndex}:${lineIndex}`.
 * The CHECK (balance >= 0) constraint is the last guard; services check before they post.
 */
export async function applyDeltas(tx: Executor, clubId: string, entries: EntryDraft[]): Promise<Map<string, number>> {
  const perAccount = new Map<string, { memberId: string; unit: string; total: number; lines: { ref: string; amount: number }[] }>();
  entries.forEach((e, ei) =>
    e.lines.forEach((l, li) => {
      if (!l.memberId) return;
      const k = key(l.memberId, l.unit);
      const acc = perAccount.get(k) ?? { memberId: l.memberId, unit: l.unit, total: 0, lines: [] };
      acc.total += l.amount;
      acc.lines.push({ ref: `${ei}:${li}`, amount: l.amount });
      perAccount.set(k, acc);
    }),
  );
  const accounts = [...perAccount.values()].sort((a, b) =>
    a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0,
  );
  const after = new Map<string, number>();
  if (accounts.length === 0) return after;
  // Debits (negative deltas) UPDATE their rows, which the debiting service has already locked
  // in order; credits keep the ordered upsert. PostgreSQL checks CHECK (balance >= 0) on the
  // *proposed* row of INSERT … ON CONFLICT before resolving the conflict, so a debit through
  // the upsert would always fail.
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
    )
    select member_id, unit, balance from upd union all select member_id, unit, balance from ins`.execute(tx);
  const finals = new Map(rows.rows.map((r) => [key(r.member_id, r.unit), Number(r.balance)]));
  for (const [k, acc] of perAccount) {
    const fin = finals.get(k);
    if (fin === undefined) throw new Error(`balance row ${k} was not returned`);
    const bs = balancesAfter(fin, acc.lines.map((l) => l.amount));
    acc.lines.forEach((l, i) => after.set(l.ref, bs[i]!));
  }
  return after;
}

/** Inserts entries, their lines (with running balances) and their lots: three statements. */
export async function writeEntries(tx: Executor, entries: EntryDraft[], balanceAfter: Map<string, number>, now: Date): Promise<void> {
  if (entries.length === 0) return;
  const e = {
    id: [] as string[], club: [] as string[], kind: [] as string[], member: [] as (string | null)[], event: [] as (string | null)[],
    hold: [] as (string | null)[], rule: [] as (string | null)[], memo: [] as (string | null)[], actor: [] as (string | null)[], meta: [] as (string | null)[],
  };
  const l = {
    entry: [] as string[], no: [] as number[], account: [] as string[], member: [] as (string | null)[], unit: [] as string[],
    amount: [] as number[], after: [] as (number | null)[],
  };
  const t = {
    id: [] as string[], member: [] as string[], unit: [] as string[], entry: [] as string[], event: [] as (string | null)[],
    amount: [] as number[], available: [] as string[], expires: [] as (string | null)[],
  };
  entries.forEach((en, ei) => {
    e.id.push(en.id); e.club.push(en.clubId); e.kind.push(en.kind); e.member.push(en.memberId); e.event.push(en.eventId ?? null);
    e.hold.push(en.holdId ?? null); e.rule.push(en.ruleVersion ?? null); e.memo.push(en.memo ?? null); e.actor.push(en.actor ?? null);
    e.meta.push(en.meta ? JSON.stringify(en.meta) : null);
    en.lines.forEach((ln, li) => {
      l.entry.push(en.id); l.no.push(li + 1); l.account.push(ln.account); l.member.push(ln.memberId); l.unit.push(ln.unit);
      l.amount.push(ln.amount); l.after.push(ln.memberId ? (balanceAfter.get(`${ei}:${li}`) ?? null) : null);
    });
    for (const lot of en.lots) {
      t.id.push(lot.id); t.member.push(lot.memberId); t.unit.push(lot.unit); t.entry.push(en.id); t.event.push(lot.eventId);
      t.amount.push(lot.amount); t.available.push(lot.availableAt.toISOString()); t.expires.push(lot.expiresAt?.toISOString() ?? null);
    }
  });
  const clubId = entries[0]!.clubId;
  await sql`insert into journal_entries (id, club_id, kind, member_id, event_id, hold_id, rule_version, memo, actor, meta, created_at)
    select id, club, kind, member, event, hold, rule, memo, actor, meta::jsonb, ${now}
    from unnest(${e.id}::text[], ${e.club}::text[], ${e.kind}::text[], ${e.member}::text[], ${e.event}::text[], ${e.hold}::text[],
                ${e.rule}::text[], ${e.memo}::text[], ${e.actor}::text[], ${e.meta}::text[])
         as x(id, club, kind, member, event, hold, rule, memo, actor, meta)`.execute(tx);
  await sql`insert into journal_lines (entry_id, line_no, club_id, account, member_id, unit, amount, balance_after, created_at)
    select entry, no, ${clubId}, account, member, unit, amount, after, ${now}
    from unnest(${l.entry}::text[], ${l.no}::int[], ${l.account}::text[], ${l.member}::text[], ${l.unit}::text[], ${l.amount}::bigint[], ${l.after}::bigint[])
         as x(entry, no, account, member, unit, amount, after)`.execute(tx);
  if (t.id.length) {
    await sql`insert into lots (id, club_id, member_id, unit, entry_id, event_id, amount, remaining, available_at, expires_at, created_at)
      select id, ${clubId}, member, unit, entry, event, amount, amount, available::timestamptz, expires::timestamptz, ${now}
      from unnest(${t.id}::text[], ${t.member}::text[], ${t.unit}::text[], ${t.entry}::text[], ${t.event}::text[], ${t.amount}::bigint[],
                  ${t.available}::text[], ${t.expires}::text[])
           as x(id, member, unit, entry, event, amount, available, expires)`.execute(tx);
  }
}

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
