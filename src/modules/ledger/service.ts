/**
 * Ledger use cases. Each public operation is one transaction: lock the member's balance
 * rows (fixed order), read and lock lots, post a balanced entry, move lot remainders,
 * write the outbox — all or nothing. Low-level `post`/`credit` run inside a caller's
 * transaction (the event path).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Db, Executor, Tx } from '../../platform/db.js';
import { inTx } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import { idempotent, type IdempotencyClaim } from '../../platform/idempotency.js';
import { enqueue } from '../../platform/outbox.js';
import { fail, ok, type Result } from '../../platform/result.js';
import {
  allocateReversal,
  allocateSpend,
  checkBalanced,
  isAvailable,
  isPending,
  reversalTarget,
  SYSTEM,
  type Allocation,
  type EntryDraft,
  type EntryKind,
  type LotDraft,
  type Unit,
} from './domain.js';
import { consumeLots, lockBalances, lotsById, openLots, postEntries } from './store.js';
import { debitMany, type DebitAsk, type DebitOutcome } from './many.js';

/** Checks that a member belongs to the club (members module, injected by the composition root). */
export type MemberGuard = (tx: Tx, clubId: string, memberId: string) => Promise<{ status: string } | null>;

export interface Credit {
  memberId: string;
  unit: Unit;
  amount: number;
  kind: EntryKind;
  source: string; // the system account the value comes from
  eventId?: string | null;
  availableAt: Date;
  expiresAt: Date | null;
  memo?: string | null;
  ruleVersion?: string | null;
  actor?: string | null;
  meta?: Record<string, unknown> | null;
}

export interface BalanceView {
  unit: Unit;
  balance: number;
  available: number;
  pending: number;
  expiringSoon: { points: number; expiresAt: string }[];
}

export interface Posted {
  entryId: string;
  memberId: string;
  points: number;
  balance: number;
}

export interface HoldView {
  id: string;
  memberId: string;
  unit: Unit;
  points: number;
  status: 'pending' | 'posted' | 'voided' | 'expired';
  reference: string | null;
  expiresAt: string;
  createdAt: string;
}

export interface Ctx {
  actor: string;
  requestId?: string;
  idempotency?: IdempotencyClaim | null;
}

const EXPIRING_SOON_DAYS = 30;

export class LedgerService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly memberGuard: MemberGuard,
  ) {}

  // ---------------------------------------------------------------- low level (caller's tx)

  /** Posts balanced entries: balances, lines with running balances, lots. */
  async post(tx: Tx, entries: EntryDraft[], alongside: RawBuilder<unknown>[] = []): Promise<void> {
    for (const e of entries) {
      const problem = checkBalanced(e.lines);
      if (problem) throw new Error(`unbalanced entry ${e.kind}: ${problem}`);
    }
    await postEntries(tx, entries, this.clock.now(), alongside);
  }

  /**
   * Builds and posts one credit entry per item, each with its lot. `alongside`: the caller's
   * independent writes, run in the same statement (store.postEntries), even with no credit.
   */
  async credit(tx: Tx, clubId: string, credits: Credit[], alongside: RawBuilder<unknown>[] = []): Promise<EntryDraft[]> {
    const entries = credits
      .filter((c) => c.amount > 0)
      .map((c): EntryDraft => {
        const lot: LotDraft = { id: newId('lot'), memberId: c.memberId, unit: c.unit, amount: c.amount, availableAt: c.availableAt, expiresAt: c.expiresAt, eventId: c.eventId ?? null };
        return {
          id: newId('jnl'),
          clubId,
          kind: c.kind,
          memberId: c.memberId,
          eventId: c.eventId ?? null,
          ruleVersion: c.ruleVersion ?? null,
          memo: c.memo ?? null,
          actor: c.actor ?? null,
          meta: c.meta ?? null,
          lines: [
            { account: c.source, memberId: null, unit: c.unit, amount: -c.amount },
            { account: c.memberId, memberId: c.memberId, unit: c.unit, amount: c.amount },
          ],
          lots: [lot],
        };
      });
    await this.post(tx, entries, alongside);
    return entries;
  }

  /**
   * Reverses (part of) what a purchase earned, inside the refund's transaction: the
   * purchase's own lots first (pending before available), then the member's other lots.
   * What the member already spent is reported as `unrecovered`, never taken below zero.
   */
  async reverseForRefund(tx: Tx, r: { clubId: string; memberId: string; purchaseEventId: string; refundEventId: string; purchaseRials: number; refundRials: number; unit?: Unit }): Promise<{ points: number; unrecovered: number; entryId: string | null }> {
    const unit = r.unit ?? 'points';
    // Lock every unit this purchase earned in (member, unit) order at once: refund hooks reverse
    // the other units (festival scores, which sort before 'points') later in this transaction.
    const units = (await sql<{ unit: string }>`select distinct unit from lots where club_id = ${r.clubId} and event_id = ${r.purchaseEventId} and member_id = ${r.memberId}`.execute(tx)).rows.map((x) => x.unit as Unit);
    await lockBalances(tx, r.clubId, [{ memberId: r.memberId, unit }, ...units.map((u) => ({ memberId: r.memberId, unit: u }))]);
    const earned = Number(
      (await sql<{ s: number }>`select coalesce(sum(amount), 0)::bigint as s from lots where club_id = ${r.clubId} and event_id = ${r.purchaseEventId} and unit = ${unit}`.execute(tx)).rows[0]?.s ?? 0,
    );
    const before = (
      // Per unit: a refund reverses club points and, through refund hooks, festival scores, each
      // its own 'reverse' entry on the refund event (entries before `unit` was recorded are points).
      await sql<{ rials: number; targeted: number }>`
        select coalesce(sum(ev.amount_rials), 0)::bigint as rials,
               coalesce(sum((select sum((je.meta->>'target')::bigint) from journal_entries je
                             where je.club_id = ev.club_id and je.event_id = ev.id and je.kind = 'reverse'
                               and coalesce(je.meta->>'unit', 'points') = ${unit})), 0)::bigint as targeted
        from events ev
        where ev.club_id = ${r.clubId} and ev.refund_of = ${r.purchaseEventId} and ev.id <> ${r.refundEventId}`.execute(tx)
    ).rows[0] ?? { rials: 0, targeted: 0 };
    const target = reversalTarget({ earned, purchaseRials: r.purchaseRials, refundedBeforeRials: Number(before.rials), refundNowRials: r.refundRials, targetedBefore: Number(before.targeted) });
    if (target === 0) return { points: 0, unrecovered: 0, entryId: null };
    const now = this.clock.now();
    const lots = await openLots(tx, r.clubId, r.memberId, unit);
    const { allocations, shortfall } = allocateReversal(lots, r.purchaseEventId, target, now);
    const taken = target - shortfall;
    const entryId = newId('jnl');
    const meta = { purchaseEventId: r.purchaseEventId, unit, target, unrecovered: shortfall, allocations };
    if (taken > 0) {
      await consumeLots(tx, r.clubId, allocations);
      await this.post(tx, [{
        id: entryId, clubId: r.clubId, kind: 'reverse', memberId: r.memberId, eventId: r.refundEventId, meta,
        lines: [
          { account: r.memberId, memberId: r.memberId, unit, amount: -taken },
          { account: SYSTEM.reversed, memberId: null, unit, amount: taken },
        ],
        lots: [],
      }]);
    } else {
      // Nothing left to take: record the target anyway so later refunds do not re-target it.
      await sql`insert into journal_entries (id, club_id, kind, member_id, event_id, meta, created_at)
        values (${entryId}, ${r.clubId}, 'reverse', ${r.memberId}, ${r.refundEventId}, ${JSON.stringify(meta)}::jsonb, ${now})`.execute(tx);
    }
    return { points: taken, unrecovered: shortfall, entryId };
  }

  /**
   * What one event earned, per member, unit and rule version (sum of its `earn` entries' member
   * lines): refund hooks read it to undo their share (tier measure, rule usage, festival scores).
   */
  async earnedBy(ex: Executor, clubId: string, eventId: string): Promise<{ memberId: string; unit: Unit; ruleVersion: string | null; points: number }[]> {
    // An entry that carries several rules' awards (meta.awards, see the events path) counts
    // each rule's share; any other entry counts whole under its own rule_version.
    const r = await sql<{ member_id: string; unit: string; rule_version: string | null; points: number }>`
      select l.member_id, l.unit, case when a.points is null then j.rule_version else a.rule end as rule_version,
             sum(coalesce(a.points, l.amount))::bigint as points
      from journal_entries j join journal_lines l on l.entry_id = j.id and l.member_id is not null
      left join lateral jsonb_to_recordset(case when jsonb_typeof(j.meta->'awards') = 'array' then j.meta->'awards' end) as a(rule text, points bigint) on true
      where j.club_id = ${clubId} and j.event_id = ${eventId} and j.kind = 'earn'
      group by 1, 2, 3`.execute(ex);
    return r.rows.map((x) => ({ memberId: x.member_id, unit: x.unit as Unit, ruleVersion: x.rule_version, points: Number(x.points) }));
  }

  /**
   * Takes back a bonus credited earlier without an event of its own (a referrer's points, voided
   * because the friend's purchase was refunded): what is left of the lots of the member's `earn`
   * entries tagged `ruleVersion` whose meta contains `metaContains`, inside the caller's
   * transaction. One `reverse` entry to system:reversed, never below zero: `unrecovered` is what
   * was already spent of those lots (pending lots, the referral case, cannot have been). A second
   * call finds nothing left and posts nothing.
   */
  async reverseCreditsInTx(tx: Tx, r: { clubId: string; memberId: string; unit?: Unit; ruleVersion: string; metaContains: Record<string, unknown>; memo?: string; meta?: Record<string, unknown> }): Promise<{ points: number; unrecovered: number; entryId: string | null }> {
    const unit = r.unit ?? 'points';
    await lockBalances(tx, r.clubId, [{ memberId: r.memberId, unit }]);
    const lots = (await sql<{ id: string; amount: number; remaining: number }>`
      select t.id, t.amount, t.remaining from lots t join journal_entries j on j.club_id = t.club_id and j.id = t.entry_id
      where t.club_id = ${r.clubId} and t.member_id = ${r.memberId} and t.unit = ${unit} and t.remaining > 0
        and j.kind = 'earn' and j.rule_version = ${r.ruleVersion} and j.meta @> ${JSON.stringify(r.metaContains)}::jsonb
      order by t.id for update of t`.execute(tx)).rows.map((x) => ({ id: x.id, amount: Number(x.amount), remaining: Number(x.remaining) }));
    const points = lots.reduce((s, l) => s + l.remaining, 0);
    if (points === 0) return { points: 0, unrecovered: 0, entryId: null };
    const unrecovered = lots.reduce((s, l) => s + l.amount - l.remaining, 0);
    const allocations: Allocation[] = lots.map((l) => ({ lotId: l.id, amount: l.remaining }));
    await consumeLots(tx, r.clubId, allocations);
    const entryId = newId('jnl');
    await this.post(tx, [{
      id: entryId, clubId: r.clubId, kind: 'reverse', memberId: r.memberId, memo: r.memo ?? null, ruleVersion: r.ruleVersion,
      meta: { ...(r.meta ?? {}), unit, unrecovered, allocations },
      lines: [
        { account: r.memberId, memberId: r.memberId, unit, amount: -points },
        { account: SYSTEM.reversed, memberId: null, unit, amount: points },
      ],
      lots: [],
    }]);
    return { points, unrecovered, entryId };
  }

  // ---------------------------------------------------------------- use cases (own tx)

  private async guard(tx: Tx, clubId: string, memberId: string, needActive = true): Promise<Result<true>> {
    const m = await this.memberGuard(tx, clubId, memberId);
    if (!m) return fail('member_not_found');
    if (needActive && m.status !== 'active') return fail('member_inactive');
    return ok(true);
  }

  /** Debits available points, soonest-expiring first, to a system account. */
  private async debit(tx: Tx, clubId: string, memberId: string, unit: Unit, amount: number, kind: EntryKind, to: string, extra: Partial<EntryDraft>): Promise<Result<{ entryId: string; allocations: Allocation[]; balance: number }>> {
    const balances = await lockBalances(tx, clubId, [{ memberId, unit }]);
    const lots = await openLots(tx, clubId, memberId, unit);
    const allocations = allocateSpend(lots, amount, this.clock.now());
    if (!allocations) {
      const available = lots.filter((l) => isAvailable(l, this.clock.now())).reduce((s, l) => s + l.remaining, 0);
      return fail('insufficient_points', `asked ${amount}, available ${available}`, { available });
    }
    await consumeLots(tx, clubId, allocations);
    const entryId = newId('jnl');
    await this.post(tx, [{
      id: entryId, clubId, kind, memberId, ...extra,
      lines: [
        { account: memberId, memberId, unit, amount: -amount },
        { account: to, memberId: null, unit, amount },
      ],
      lots: [],
    }]);
    return ok({ entryId, allocations, balance: (balances.get(`${memberId}\u0000${unit}`) ?? 0) - amount });
  }

  async spend(clubId: string, memberId: string, input: { points: number; unit?: Unit; reference?: string; memo?: string }, ctx: Ctx): Promise<Result<Posted>> {
    const unit = input.unit ?? 'points';
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, clubId, ctx.idempotency ?? null, 201, async () => {
        const g = await this.guard(tx, clubId, memberId);
        if (!g.ok) return g;
        const d = await this.debit(tx, clubId, memberId, unit, input.points, 'spend', SYSTEM.redeemed, { memo: input.memo ?? input.reference ?? null, actor: ctx.actor, meta: input.reference ? { reference: input.reference } : null });
        if (!d.ok) return d;
        await enqueue(tx, [{ clubId, topic: 'points.spent', payload: { memberId, points: input.points, unit, entryId: d.value.entryId, reference: input.reference ?? null } }]);
        return ok({ entryId: d.value.entryId, memberId, points: input.points, balance: d.value.balance });
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  async hold(clubId: string, memberId: string, input: { points: number; unit?: Unit; reference?: string; ttlSeconds?: number }, ctx: Ctx): Promise<Result<HoldView>> {
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, clubId, ctx.idempotency ?? null, 201, async () => {
        const h = await this.holdInTx(tx, clubId, memberId, input, ctx);
        if (!h.ok) return h;
        const { allocations: _allocations, ...view } = h.value;
        return ok<HoldView>(view);
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  // ---------------------------------------------------------------- in a caller's tx
  // Thin public entry points for use cases that hold, capture, release or spend points
  // together with their own writes in ONE transaction (rewards: points held and stock
  // reserved atomically). Lock order stays the ledger's: the member's balance rows first.

  /** A hold inside `tx`; returns the lots it took from (what a later return restores). */
  async holdInTx(tx: Tx, clubId: string, memberId: string, input: { points: number; unit?: Unit; reference?: string; ttlSeconds?: number }, ctx: Ctx): Promise<Result<HoldView & { allocations: Allocation[] }>> {
    const unit = input.unit ?? 'points';
    const g = await this.guard(tx, clubId, memberId);
    if (!g.ok) return g;
    const holdId = newId('hld');
    const d = await this.debit(tx, clubId, memberId, unit, input.points, 'hold', SYSTEM.held, { holdId, actor: ctx.actor, memo: input.reference ?? null });
    if (!d.ok) return d;
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + (input.ttlSeconds ?? 900) * 1000);
    await tx.insertInto('holds').values({
      id: holdId, club_id: clubId, member_id: memberId, unit, amount: input.points, status: 'pending',
      allocations: JSON.stringify(d.value.allocations), reference: input.reference ?? null, expires_at: expiresAt, created_at: now,
    }).execute();
    return ok({ id: holdId, memberId, unit, points: input.points, status: 'pending' as const, reference: input.reference ?? null, expiresAt: expiresAt.toISOString(), createdAt: now.toISOString(), allocations: d.value.allocations });
  }

  /** Pending → posted inside `tx` (a retried capture of a posted hold is a no-op success). */
  captureInTx(tx: Tx, clubId: string, holdId: string, ctx: Ctx): Promise<Result<HoldView>> {
    return this.resolveHold(clubId, holdId, 'posted', ctx, tx);
  }

  /** Pending → voided inside `tx`: the points go back to their lots, exactly once. */
  releaseInTx(tx: Tx, clubId: string, holdId: string, ctx: Ctx): Promise<Result<HoldView>> {
    return this.resolveHold(clubId, holdId, 'voided', ctx, tx);
  }

  /** Spends available points inside `tx` (POS burn); returns the lots it took from. */
  async spendInTx(tx: Tx, clubId: string, memberId: string, input: { points: number; unit?: Unit; memo?: string; meta?: Record<string, unknown> }, ctx: Ctx): Promise<Result<Posted & { allocations: Allocation[] }>> {
    const unit = input.unit ?? 'points';
    const g = await this.guard(tx, clubId, memberId);
    if (!g.ok) return g;
    const d = await this.debit(tx, clubId, memberId, unit, input.points, 'spend', SYSTEM.redeemed, { memo: input.memo ?? null, actor: ctx.actor, meta: input.meta ?? null });
    if (!d.ok) return d;
    return ok({ entryId: d.value.entryId, memberId, points: input.points, balance: d.value.balance, allocations: d.value.allocations });
  }

  /**
   * Gives redeemed points back as NEW lots (a returned product, a refunded purchase paid
   * with points): one lot per original allocation, keeping that lot's expiry when
   * `keepExpiry`, else expiring at `expiresAt`. A new entry, never an edit.
   */
  async returnRedeemedInTx(tx: Tx, clubId: string, memberId: string, input: { allocations: Allocation[]; unit?: Unit; keepExpiry: boolean; expiresAt: Date | null; memo?: string; meta?: Record<string, unknown> }, ctx: Ctx): Promise<Result<{ entryId: string; points: number }>> {
    const unit = input.unit ?? 'points';
    const points = input.allocations.reduce((s, a) => s + a.amount, 0);
    if (!(points > 0)) return fail('validation_failed', 'nothing to return');
    await lockBalances(tx, clubId, [{ memberId, unit }]);
    const now = this.clock.now();
    const src = input.keepExpiry ? await lotsById(tx, clubId, input.allocations.map((a) => a.lotId)) : new Map<string, { expiresAt: Date | null }>();
    const entryId = newId('jnl');
    await this.post(tx, [{
      id: entryId, clubId, kind: 'release', memberId, actor: ctx.actor, memo: input.memo ?? null, meta: { reason: 'returned', ...(input.meta ?? {}) },
      lines: [
        { account: SYSTEM.redeemed, memberId: null, unit, amount: -points },
        { account: memberId, memberId, unit, amount: points },
      ],
      lots: input.allocations.filter((a) => a.amount > 0).map((a) => ({
        id: newId('lot'), memberId, unit, amount: a.amount, availableAt: now,
        expiresAt: input.keepExpiry ? (src.get(a.lotId)?.expiresAt ?? input.expiresAt) : input.expiresAt, eventId: null,
      })),
    }]);
    await enqueue(tx, [{ clubId, topic: 'points.returned', payload: { memberId, points, unit, entryId } }]);
    return ok({ entryId, points });
  }

  /** Pending → posted: the held points become redeemed. */
  async capture(clubId: string, holdId: string, ctx: Ctx): Promise<Result<HoldView>> {
    return this.resolveHold(clubId, holdId, 'posted', ctx);
  }

  /** Pending → voided: the held points go back to the lots they came from. */
  async release(clubId: string, holdId: string, ctx: Ctx): Promise<Result<HoldView>> {
    return this.resolveHold(clubId, holdId, 'voided', ctx);
  }

  private async resolveHold(clubId: string, holdId: string, to: 'posted' | 'voided' | 'expired', ctx: Ctx, txIn?: Tx): Promise<Result<HoldView>> {
    const run = async (tx: Tx): Promise<Result<HoldView>> => {
      const peek = await tx.selectFrom('holds').select(['member_id', 'unit']).where('club_id', '=', clubId).where('id', '=', holdId).executeTakeFirst();
      if (!peek) return fail('hold_not_found');
      // Lock order: the member's balance row first, then the hold.
      await lockBalances(tx, clubId, [{ memberId: peek.member_id, unit: peek.unit as Unit }]);
      const h = await tx.selectFrom('holds').selectAll().where('club_id', '=', clubId).where('id', '=', holdId).forUpdate().executeTakeFirstOrThrow();
      const view = (status: HoldView['status']): HoldView => ({
        id: h.id, memberId: h.member_id, unit: h.unit as Unit, points: Number(h.amount), status, reference: h.reference,
        expiresAt: new Date(h.expires_at).toISOString(), createdAt: new Date(h.created_at).toISOString(),
      });
      if (h.status === to) return ok(view(to)); // a retried capture/release is a no-op success
      if (h.status !== 'pending') return fail('hold_not_pending', `the hold is ${h.status}`, { status: h.status });
      const amount = Number(h.amount);
      const unit = h.unit as Unit;
      const now = this.clock.now();
      if (to === 'posted') {
        await this.post(tx, [{
          id: newId('jnl'), clubId, kind: 'capture', memberId: h.member_id, holdId, actor: ctx.actor,
          lines: [
            { account: SYSTEM.held, memberId: null, unit, amount: -amount },
            { account: SYSTEM.redeemed, memberId: null, unit, amount },
          ],
          lots: [],
        }]);
      } else {
        const allocations = (typeof h.allocations === 'string' ? JSON.parse(h.allocations) : h.allocations) as Allocation[];
        await consumeLots(tx, clubId, allocations, -1);
        await this.post(tx, [{
          id: newId('jnl'), clubId, kind: 'release', memberId: h.member_id, holdId, actor: ctx.actor, meta: { reason: to },
          lines: [
            { account: SYSTEM.held, memberId: null, unit, amount: -amount },
            { account: h.member_id, memberId: h.member_id, unit, amount },
          ],
          lots: [],
        }]);
      }
      await tx.updateTable('holds').set({ status: to, resolved_at: now }).where('id', '=', holdId).execute();
      await enqueue(tx, [{ clubId, topic: `hold.${to}`, payload: { holdId, memberId: h.member_id, points: amount, unit } }]);
      return ok(view(to));
    };
    if (txIn) return run(txIn);
    const r = await inTx(this.db, async (tx) => idempotent(tx, clubId, ctx.idempotency ?? null, 200, () => run(tx)));
    return r.ok ? ok(r.value.value) : r;
  }

  /** Operator correction: a new entry, never an edit; audited with the reason. */
  async adjust(clubId: string, memberId: string, input: { points: number; reason: string; unit?: Unit; expiresAt?: Date | null }, ctx: Ctx): Promise<Result<Posted>> {
    const unit = input.unit ?? 'points';
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, clubId, ctx.idempotency ?? null, 201, async () => {
        const g = await this.guard(tx, clubId, memberId, false);
        if (!g.ok) return g;
        let posted: Posted;
        if (input.points > 0) {
          const now = this.clock.now();
          const [e] = await this.credit(tx, clubId, [{
            memberId, unit, amount: input.points, kind: 'adjust', source: SYSTEM.adjustments, availableAt: now,
            expiresAt: input.expiresAt ?? null, memo: input.reason, actor: ctx.actor,
          }]);
          const bal = await sql<{ balance: number }>`select balance from member_balances where club_id = ${clubId} and member_id = ${memberId} and unit = ${unit}`.execute(tx);
          posted = { entryId: e!.id, memberId, points: input.points, balance: Number(bal.rows[0]!.balance) };
        } else {
          const d = await this.debit(tx, clubId, memberId, unit, -input.points, 'adjust', SYSTEM.adjustments, { memo: input.reason, actor: ctx.actor });
          if (!d.ok) return d;
          posted = { entryId: d.value.entryId, memberId, points: input.points, balance: d.value.balance };
        }
        await audit(tx, { clubId, actor: ctx.actor, action: 'ledger.adjusted', target: memberId, before: { balance: posted.balance - input.points }, after: { points: input.points, unit, reason: input.reason, entryId: posted.entryId, balance: posted.balance }, requestId: ctx.requestId });
        await enqueue(tx, [{ clubId, topic: 'points.adjusted', payload: { memberId, points: input.points, unit, reason: input.reason } }]);
        return ok(posted);
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  /** Member to member; the receiver's lots keep the expiry of the lots they came from. */
  async transfer(club: { id: string; allowTransfers: boolean }, fromId: string, toId: string, points: number, ctx: Ctx & { memo?: string }): Promise<Result<{ entryId: string; from: string; to: string; points: number }>> {
    if (!club.allowTransfers) return fail('transfer_not_allowed');
    if (fromId === toId) return fail('same_member');
    const clubId = club.id;
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, clubId, ctx.idempotency ?? null, 201, async () => {
        for (const id of [fromId, toId]) {
          const g = await this.guard(tx, clubId, id);
          if (!g.ok) return g;
        }
        await lockBalances(tx, clubId, [{ memberId: fromId, unit: 'points' }, { memberId: toId, unit: 'points' }]);
        const now = this.clock.now();
        const lots = await openLots(tx, clubId, fromId, 'points');
        const allocations = allocateSpend(lots, points, now);
        if (!allocations) return fail('insufficient_points');
        await consumeLots(tx, clubId, allocations);
        const src = await lotsById(tx, clubId, allocations.map((a) => a.lotId));
        const entryId = newId('jnl');
        await this.post(tx, [{
          id: entryId, clubId, kind: 'transfer', memberId: fromId, actor: ctx.actor, memo: ctx.memo ?? null, meta: { from: fromId, to: toId },
          lines: [
            { account: fromId, memberId: fromId, unit: 'points', amount: -points },
            { account: toId, memberId: toId, unit: 'points', amount: points },
          ],
          lots: allocations.map((a) => ({ id: newId('lot'), memberId: toId, unit: 'points' as Unit, amount: a.amount, availableAt: now, expiresAt: src.get(a.lotId)?.expiresAt ?? null, eventId: null })),
        }]);
        await enqueue(tx, [{ clubId, topic: 'points.transferred', payload: { from: fromId, to: toId, points, entryId } }]);
        return ok({ entryId, from: fromId, to: toId, points });
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  /** «تبدیل اعتبار به ارزش ریالی»: points → rial credit in the member's wallet at the club's rate. */
  async convert(club: { id: string; pointValueRials: number }, memberId: string, points: number, ctx: Ctx & { rateRials?: number }): Promise<Result<{ entryId: string; points: number; rials: number; walletRials: number }>> {
    const clubId = club.id;
    const rate = ctx.rateRials ?? club.pointValueRials;
    const rials = points * rate;
    if (!Number.isSafeInteger(rials)) return fail('validation_failed', 'amount too large');
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, clubId, ctx.idempotency ?? null, 201, async () => {
        const g = await this.guard(tx, clubId, memberId);
        if (!g.ok) return g;
        await lockBalances(tx, clubId, [{ memberId, unit: 'points' }, { memberId, unit: 'rials' }]);
        const now = this.clock.now();
        const lots = await openLots(tx, clubId, memberId, 'points');
        const allocations = allocateSpend(lots, points, now);
        if (!allocations) return fail('insufficient_points');
        await consumeLots(tx, clubId, allocations);
        const entryId = newId('jnl');
        await this.post(tx, [{
          id: entryId, clubId, kind: 'convert', memberId, actor: ctx.actor, meta: { rateRials: rate },
          lines: [
            { account: memberId, memberId, unit: 'points', amount: -points },
            { account: SYSTEM.converted, memberId: null, unit: 'points', amount: points },
            { account: SYSTEM.conversion, memberId: null, unit: 'rials', amount: -rials },
            { account: memberId, memberId, unit: 'rials', amount: rials },
          ],
          lots: [{ id: newId('lot'), memberId, unit: 'rials', amount: rials, availableAt: now, expiresAt: null, eventId: null }],
        }]);
        const wallet = await sql<{ balance: number }>`select balance from member_balances where club_id = ${clubId} and member_id = ${memberId} and unit = 'rials'`.execute(tx);
        await enqueue(tx, [{ clubId, topic: 'points.converted', payload: { memberId, points, rials, entryId } }]);
        return ok({ entryId, points, rials, walletRials: Number(wallet.rows[0]?.balance ?? 0) });
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  // ---------------------------------------------------------------- scheduled work

  /**
   * Expires what is left of lots whose expiry passed, a batch of members per transaction.
   * Expiry instants were fixed in the club's zone at earn time, so this just runs often.
   */
  async expireDue(limitMembers = 200): Promise<{ members: number; points: number }> {
    const now = this.clock.now();
    const due = await sql<{ club_id: string; member_id: string; unit: string }>`
      select distinct club_id, member_id, unit from (
        select club_id, member_id, unit from lots where remaining > 0 and expires_at <= ${now} limit ${limitMembers * 20}
      ) d order by club_id, member_id, unit limit ${limitMembers}`.execute(this.db);
    let points = 0;
    const byClub = new Map<string, { memberId: string; unit: Unit }[]>();
    for (const r of due.rows) byClub.set(r.club_id, [...(byClub.get(r.club_id) ?? []), { memberId: r.member_id, unit: r.unit as Unit }]);
    for (const [clubId, accounts] of byClub) {
      await this.db.transaction().execute(async (tx) => {
        await lockBalances(tx, clubId, accounts);
        const lots = await sql<{ id: string; member_id: string; unit: string; remaining: number; expires_at: Date }>`
          select id, member_id, unit, remaining, expires_at from lots
          where club_id = ${clubId} and member_id = any(${accounts.map((a) => a.memberId)}::text[]) and remaining > 0 and expires_at <= ${now}
          order by member_id, unit, id for update`.execute(tx);
        const per = new Map<string, { memberId: string; unit: Unit; total: number; lots: Allocation[] }>();
        for (const l of lots.rows) {
          const k = `${l.member_id}\u0000${l.unit}`;
          const acc = per.get(k) ?? { memberId: l.member_id, unit: l.unit as Unit, total: 0, lots: [] };
          acc.total += Number(l.remaining);
          acc.lots.push({ lotId: l.id, amount: Number(l.remaining) });
          per.set(k, acc);
        }
        const entries: EntryDraft[] = [];
        for (const acc of per.values()) {
          await consumeLots(tx, clubId, acc.lots);
          entries.push({
            id: newId('jnl'), clubId, kind: 'expire', memberId: acc.memberId, meta: { lots: acc.lots.length },
            lines: [
              { account: acc.memberId, memberId: acc.memberId, unit: acc.unit, amount: -acc.total },
              { account: SYSTEM.expired, memberId: null, unit: acc.unit, amount: acc.total },
            ],
            lots: [],
          });
          points += acc.total;
        }
        if (entries.length) {
          await this.post(tx, entries);
          await enqueue(tx, entries.map((e) => ({ clubId, topic: 'points.expired', payload: { memberId: e.memberId, points: -e.lines[0]!.amount, unit: e.lines[0]!.unit } })));
        }
      });
    }
    return { members: due.rows.length, points };
  }

  /** Pending holds past their time are voided: the points go back. */
  async expireHolds(limit = 200): Promise<number> {
    const now = this.clock.now();
    const due = await this.db.selectFrom('holds').select(['id', 'club_id']).where('status', '=', 'pending').where('expires_at', '<=', now).limit(limit).execute();
    let n = 0;
    for (const h of due) {
      const r = await inTx(this.db, (tx) => this.resolveHold(h.club_id, h.id, 'expired', { actor: 'system:hold-expiry' }, tx));
      if (r.ok) n++;
    }
    return n;
  }

  // ---------------------------------------------------------------- reads

  private readonly beforeReads: ((clubId: string, unit: Unit) => Promise<void>)[] = [];
  /**
   * A module that posts a unit behind the earn path (festival score: festivals/service.ts
   * applyQueued) plugs in here, so a balance or history read of that unit never misses a
   * posting that was already acknowledged.
   */
  beforeRead(fn: (clubId: string, unit: Unit) => Promise<void>) {
    this.beforeReads.push(fn);
  }

  async balance(clubId: string, memberId: string, unit: Unit = 'points'): Promise<BalanceView> {
    for (const fn of this.beforeReads) await fn(clubId, unit);
    const now = this.clock.now();
    const soon = new Date(now.getTime() + EXPIRING_SOON_DAYS * 86400_000);
    const row = await sql<{ balance: number | null }>`select balance from member_balances where club_id = ${clubId} and member_id = ${memberId} and unit = ${unit}`.execute(this.db);
    const lots = await sql<{ remaining: number; available_at: Date; expires_at: Date | null }>`
      select remaining, available_at, expires_at from lots
      where club_id = ${clubId} and member_id = ${memberId} and unit = ${unit} and remaining > 0`.execute(this.db);
    let available = 0;
    let pending = 0;
    const expiring = new Map<string, number>();
    for (const l of lots.rows) {
      const lot = { id: '', remaining: Number(l.remaining), availableAt: new Date(l.available_at), expiresAt: l.expires_at ? new Date(l.expires_at) : null, createdAt: now, eventId: null };
      if (isAvailable(lot, now)) available += lot.remaining;
      else if (isPending(lot, now)) pending += lot.remaining;
      if (lot.expiresAt && lot.expiresAt > now && lot.expiresAt <= soon) {
        const k = lot.expiresAt.toISOString();
        expiring.set(k, (expiring.get(k) ?? 0) + lot.remaining);
      }
    }
    return {
      unit,
      balance: Number(row.rows[0]?.balance ?? 0),
      available,
      pending,
      expiringSoon: [...expiring].sort(([a], [b]) => (a < b ? -1 : 1)).map(([expiresAt, points]) => ({ points, expiresAt })),
    };
  }

  /** The member's lines, newest first, with the running balance after each. */
  async history(clubId: string, memberId: string, opts: { unit?: Unit; cursor?: string; limit: number }) {
    const unit = opts.unit ?? 'points';
    for (const fn of this.beforeReads) await fn(clubId, unit);
    let cursorAt: Date | null = null;
    let cursorEntry: string | null = null;
    if (opts.cursor) {
      const [t, e] = Buffer.from(opts.cursor, 'base64url').toString().split('|');
      if (t && e) {
        cursorAt = new Date(t);
        cursorEntry = e;
      }
    }
    const rows = await sql<{ entry_id: string; amount: number; balance_after: number | null; created_at: Date; kind: string; memo: string | null; event_id: string | null; hold_id: string | null; meta: Record<string, unknown> | null }>`
      select l.entry_id, l.amount, l.balance_after, l.created_at, e.kind, e.memo, e.event_id, e.hold_id, e.meta
      from journal_lines l join journal_entries e on e.id = l.entry_id
      where l.club_id = ${clubId} and l.member_id = ${memberId} and l.unit = ${unit}
        ${cursorAt ? sql`and (l.created_at, l.entry_id) < (${cursorAt}, ${cursorEntry})` : sql``}
      order by l.created_at desc, l.entry_id desc
      limit ${opts.limit}`.execute(this.db);
    const items = rows.rows.map((r) => ({
      entryId: r.entry_id,
      kind: r.kind === 'transfer' ? (Number(r.amount) < 0 ? 'transfer_out' : 'transfer_in') : r.kind,
      unit,
      amount: Number(r.amount),
      balanceAfter: r.balance_after === null ? null : Number(r.balance_after),
      at: new Date(r.created_at).toISOString(),
      memo: r.memo,
      eventId: r.event_id,
      holdId: r.hold_id,
    }));
    const last = rows.rows.at(-1);
    const nextCursor = rows.rows.length === opts.limit && last ? Buffer.from(`${new Date(last.created_at).toISOString()}|${last.entry_id}`).toString('base64url') : null;
    return { items, nextCursor };
  }

  async getHold(clubId: string, holdId: string): Promise<Result<HoldView>> {
    const h = await this.db.selectFrom('holds').selectAll().where('club_id', '=', clubId).where('id', '=', holdId).executeTakeFirst();
    if (!h) return fail('hold_not_found');
    return ok({ id: h.id, memberId: h.member_id, unit: h.unit as Unit, points: Number(h.amount), status: h.status, reference: h.reference, expiresAt: new Date(h.expires_at).toISOString(), createdAt: new Date(h.created_at).toISOString() });
  }

  /** System account balances, derived from lines (never a hot row). */
  async systemBalances(clubId: string): Promise<{ account: string; unit: string; balance: number }[]> {
    const rows = await sql<{ account: string; unit: string; balance: number }>`
      select account, unit, sum(amount)::bigint as balance from journal_lines
      where club_id = ${clubId} and member_id is null group by account, unit order by unit, account`.execute(this.db);
    return rows.rows.map((r) => ({ ...r, balance: Number(r.balance) }));
  }

  // ---------------------------------------------------------------- many members at once (caller's tx)

  /**
   * Spends and holds for many members in `tx` (a redemption group), set-based: see many.ts.
   * The caller has checked each member (active, of this club) in this transaction.
   */
  debitManyInTx(tx: Tx, clubId: string, asks: DebitAsk[]): Promise<DebitOutcome[]> {
    return debitMany(tx, clubId, asks, this.clock.now());
  }
}
