/**
 * Debits for many members at once, in the caller's transaction (a group of redemptions):
 * the same entries, lot moves and holds as `spendInTx` / `holdInTx` make one member at a
 * time, in four statements for the whole group instead of seven per debit —
 *   1. the members' balance rows locked, sorted by (member, unit): the ledger's lock order;
 *   2. their open lots, read (and locked) after those locks, so nothing committed meanwhile
 *      is missed;
 *   3. lots taken, balances lowered and holds inserted, one statement (data-modifying CTEs);
 *   4. entries and lines (store.writeEntries).
 * Allocation runs here, over the locked lots: each debit sees the lots as the debits before
 * it in the list left them, so two debits of one member in a group never take the same
 * point twice. A debit that cannot be covered writes nothing and fails alone; the others
 * go on. Balances are never read unlocked, and every final balance the database returns is
 * checked against the one computed here (a mismatch throws: the caller's transaction rolls
 * back).
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import { newId } from '../../platform/ids.js';
import { fail, type Result } from '../../platform/result.js';
import { allocateSpend, checkBalanced, isAvailable, SYSTEM, type Allocation, type EntryDraft, type OpenLot, type Unit } from './domain.js';
import { writeEntries } from './store.js';

/** One unit's debit of a member. */
export interface DebitLeg {
  unit: Unit;
  /** > 0 */
  amount: number;
  /** Held until captured or released (a hold row, to SYSTEM.held); null: spent at once (to SYSTEM.redeemed). */
  hold: { reference: string | null; ttlSeconds: number } | null;
  /** Spends only (a hold's entry memo is its reference, as in holdInTx). */
  memo?: string | null;
  meta?: Record<string, unknown> | null;
}

/** One member's debit: all its legs go through, or none. */
export interface DebitAsk {
  memberId: string;
  legs: DebitLeg[];
  actor: string;
}

export interface DebitLegDone {
  entryId: string;
  holdId: string | null;
  allocations: Allocation[];
  /** the member's balance of the leg's unit after it */
  balance: number;
  expiresAt: Date | null;
}

/** Per ask: its legs, or the first leg that could not be covered and why. */
export type DebitOutcome = { ok: true; legs: DebitLegDone[] } | { ok: false; leg: number; unit: Unit; result: Result<never> };

const key = (memberId: string, unit: string) => `${memberId}\u0000${unit}`;
const byAccount = (a: { memberId: string; unit: string }, b: { memberId: string; unit: string }) =>
  a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0;

/**
 * Debits every ask it can, in list order (callers pass members in id order, the order of
 * their own locks). The caller has checked, in this transaction, that each member is an
 * active member of the club (the ledger's member guard); `now` is the ledger clock's.
 */
export async function debitMany(tx: Executor, clubId: string, asks: DebitAsk[], now: Date): Promise<DebitOutcome[]> {
  for (const a of asks) for (const l of a.legs) if (!Number.isSafeInteger(l.amount) || l.amount <= 0) throw new Error(`debit of ${l.amount} ${l.unit} is not a positive safe integer`);
  const accounts = [...new Map(asks.flatMap((a) => a.legs.map((l) => [key(a.memberId, l.unit), { memberId: a.memberId, unit: l.unit }] as const))).values()].sort(byAccount);
  if (!accounts.length) return asks.map(() => ({ ok: true, legs: [] }));
  // Arrays, not JSON, wherever a parameter is joined to a table: the planner knows an
  // unnest's length (a custom plan), not a jsonb_to_recordset's (it guesses 100 rows and may
  // scan the table).
  const ms = accounts.map((a) => a.memberId);
  const us = accounts.map((a) => a.unit);

  // 1. Balance rows, locked in (member, unit) order. A member with no balance row has no
  //    lots either (credits create both), so it has nothing to debit: no row to create.
  const locked = await sql<{ member_id: string; unit: string; balance: number }>`
    select member_id, unit, balance from member_balances
    where club_id = ${clubId} and (member_id, unit) in (select * from unnest(${ms}::text[], ${us}::text[]))
    order by member_id, unit for update`.execute(tx);
  const balance = new Map(locked.rows.map((r) => [key(r.member_id, r.unit), Number(r.balance)]));

  // 2. Their open lots, after the balance locks (a new snapshot: what committed while we waited is seen).
  const lotRows = await sql<{ id: string; member_id: string; unit: string; remaining: number; available_at: Date; expires_at: Date | null; created_at: Date; event_id: string | null }>`
    select id, member_id, unit, remaining, available_at, expires_at, created_at, event_id from lots
    where club_id = ${clubId} and (member_id, unit) in (select * from unnest(${ms}::text[], ${us}::text[])) and remaining > 0
    order by member_id, unit, id for update`.execute(tx);
  const lots = new Map<string, OpenLot[]>();
  for (const r of lotRows.rows) {
    const k = key(r.member_id, r.unit);
    const list = lots.get(k) ?? [];
    list.push({ id: r.id, remaining: Number(r.remaining), availableAt: new Date(r.available_at), expiresAt: r.expires_at ? new Date(r.expires_at) : null, createdAt: new Date(r.created_at), eventId: r.event_id });
    lots.set(k, list);
  }

  // Allocation, debit after debit, over working copies of the lots.
  const out: DebitOutcome[] = [];
  const entries: EntryDraft[] = [];
  const memberLineBalance: number[] = []; // per entry: its member line's balance_after
  const taken = new Map<string, number>(); // lot id → amount taken by the group
  const delta = new Map<string, { memberId: string; unit: Unit; d: number }>();
  const holds: { id: string; member: string; unit: Unit; amount: number; allocations: Allocation[]; reference: string | null; expires: string }[] = [];
  for (const ask of asks) {
    const plans: { leg: DebitLeg; allocations: Allocation[] }[] = [];
    const tentative = new Map<string, number>(); // lot id → taken by this ask so far
    let failed: DebitOutcome | null = null;
    for (const [li, leg] of ask.legs.entries()) {
      const k = key(ask.memberId, leg.unit);
      const mine = (lots.get(k) ?? []).map((l) => ({ ...l, remaining: l.remaining - (taken.get(l.id) ?? 0) - (tentative.get(l.id) ?? 0) }));
      const allocations = allocateSpend(mine, leg.amount, now);
      if (!allocations) {
        const available = mine.filter((l) => isAvailable(l, now)).reduce((s, l) => s + l.remaining, 0);
        failed = { ok: false, leg: li, unit: leg.unit, result: fail('insufficient_points', `asked ${leg.amount}, available ${available}`, { available }) };
        break;
      }
      for (const a of allocations) tentative.set(a.lotId, (tentative.get(a.lotId) ?? 0) + a.amount);
      plans.push({ leg, allocations });
    }
    if (failed) {
      out.push(failed);
      continue;
    }
    for (const [lotId, n] of tentative) taken.set(lotId, (taken.get(lotId) ?? 0) + n);
    const legs: DebitLegDone[] = [];
    for (const { leg, allocations } of plans) {
      const k = key(ask.memberId, leg.unit);
      const acc = delta.get(k) ?? { memberId: ask.memberId, unit: leg.unit, d: 0 };
      acc.d -= leg.amount;
      delta.set(k, acc);
      const after = (balance.get(k) ?? 0) + acc.d;
      const entryId = newId('jnl');
      const holdId = leg.hold ? newId('hld') : null;
      const expiresAt = leg.hold ? new Date(now.getTime() + leg.hold.ttlSeconds * 1000) : null;
      const entry: EntryDraft = leg.hold
        ? { id: entryId, clubId, kind: 'hold', memberId: ask.memberId, holdId, actor: ask.actor, memo: leg.hold.reference, lines: [], lots: [] }
        : { id: entryId, clubId, kind: 'spend', memberId: ask.memberId, memo: leg.memo ?? null, actor: ask.actor, meta: leg.meta ?? null, lines: [], lots: [] };
      entry.lines = [
        { account: ask.memberId, memberId: ask.memberId, unit: leg.unit, amount: -leg.amount },
        { account: leg.hold ? SYSTEM.held : SYSTEM.redeemed, memberId: null, unit: leg.unit, amount: leg.amount },
      ];
      const problem = checkBalanced(entry.lines);
      if (problem) throw new Error(`unbalanced entry ${entry.kind}: ${problem}`);
      entries.push(entry);
      memberLineBalance.push(after);
      if (leg.hold) holds.push({ id: holdId!, member: ask.memberId, unit: leg.unit, amount: leg.amount, allocations, reference: leg.hold.reference, expires: expiresAt!.toISOString() });
      legs.push({ entryId, holdId, allocations, balance: after, expiresAt });
    }
    out.push({ ok: true, legs });
  }
  if (!entries.length) return out;

  // 3. Lots taken, balances lowered (rows already locked), holds written: one statement.
  const accountsHit = [...delta.values()].sort(byAccount);
  const moves = await sql<{ k: string; member_id: string | null; unit: string | null; n: number }>`
    with lt as (
      update lots set remaining = lots.remaining - x.amount
      from unnest(${[...taken.keys()]}::text[], ${[...taken.values()]}::bigint[]) as x(id, amount)
      where lots.club_id = ${clubId} and lots.id = x.id
      returning 1
    ), b as (
      update member_balances mb set balance = mb.balance + x.d, updated_at = now()
      from unnest(${accountsHit.map((a) => a.memberId)}::text[], ${accountsHit.map((a) => a.unit)}::text[], ${accountsHit.map((a) => a.d)}::bigint[]) as x(m, u, d)
      where mb.club_id = ${clubId} and mb.member_id = x.m and mb.unit = x.u
      returning mb.member_id, mb.unit, mb.balance
    ), h as (
      insert into holds (id, club_id, member_id, unit, amount, status, allocations, reference, expires_at, created_at)
      select id, ${clubId}, member, unit, amount, 'pending', allocations, reference, expires, ${now}
      from jsonb_to_recordset(${JSON.stringify(holds)}::jsonb) as x(id text, member text, unit text, amount bigint, allocations jsonb, reference text, expires timestamptz)
      returning 1
    )
    select 'b' as k, member_id, unit, balance as n from b
    union all select 'l', null, null, (select count(*) from lt)
    union all select 'h', null, null, (select count(*) from h)`.execute(tx);
  const finals = new Map<string, number>();
  for (const r of moves.rows) {
    if (r.k === 'b') finals.set(key(r.member_id!, r.unit!), Number(r.n));
    else if (r.k === 'l' && Number(r.n) !== taken.size) throw new Error(`debitMany: ${r.n} of ${taken.size} lots moved`);
    else if (r.k === 'h' && Number(r.n) !== holds.length) throw new Error(`debitMany: ${r.n} of ${holds.length} holds written`);
  }
  for (const [k, acc] of delta) {
    if (finals.get(k) !== (balance.get(k) ?? 0) + acc.d) throw new Error(`debitMany: balance ${k} is ${finals.get(k)}, expected ${(balance.get(k) ?? 0) + acc.d}`);
  }

  // 4. Entries and lines, with each member line's running balance.
  const after = new Map<string, number>();
  memberLineBalance.forEach((b, ei) => after.set(`${ei}:0`, b));
  await writeEntries(tx, entries, after, now);
  return out;
}
