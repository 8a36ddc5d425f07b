/**
 * The earn path. A batch of events (one from POST /events, up to 1000 from /events/batch)
 * is applied in ONE transaction, set-based: one member look-up, one multi-row insert of
 * events, one balance upsert, one insert each of entries, lines and lots, one of outbox
 * rows. Each event's failure (unknown member, duplicate with another body, refund beyond
 * its purchase) is its own outcome and does not fail its neighbours.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Db, Tx } from '../../platform/db.js';
import { inTx } from '../../platform/db.js';
import type { Clock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import { normalizeMobile } from '../../platform/persian.js';
import { idempotent, type IdempotencyClaim } from '../../platform/idempotency.js';
import { GroupCommitter, type GroupCommitOptions } from './group-commit.js';
import { expiryInstant } from '../../platform/jalali.js';
import { enqueue, outboxInsert, type OutboxMessage } from '../../platform/outbox.js';
import { fail, ok, type Result } from '../../platform/result.js';
import { basePoints, type Club } from '../clubs/index.js';
import { SYSTEM, type Credit, type LedgerService, type Unit } from '../ledger/index.js';
import type { MemberFacts, MemberService } from '../members/index.js';
import { eventHash, MAX_FUTURE_SKEW_MS, type EventInput, type EventOutcome } from './domain.js';

export interface Award {
  unit: Unit;
  points: number;
  ruleVersion?: string | null;
  memo?: string | null;
}

export interface EarnInput {
  club: Club;
  memberId: string;
  /** The member as resolved for this event (read once per group; the earn path reuses it). */
  member?: MemberFacts;
  event: Omit<EventInput, 'occurredAt'> & { id: string; occurredAt: Date };
}

/**
 * How an event turns into awards. The foundation earns at the club's base rate on
 * purchases; the rules engine replaces this function (same signature, same transaction).
 *
 * `later`, when given, takes writes that need not precede the ledger's: per-member rows
 * that concurrent transactions of the same members update (activity counters). The events
 * service runs them in the ledger's own statement (ledger.credit's `alongside`), so their
 * row locks are taken with the balances' and held from there to the commit only, not
 * across the rest of the transaction. Wrappers pass it on.
 */
export type EarnFn = (tx: Tx, inputs: EarnInput[], later?: Later) => Promise<Award[][]>;
/** Takes data-modifying statements to run after the ledger's writes (as CTEs: see asCtes). */
export type Later = (...writes: RawBuilder<unknown>[]) => void;

/**
 * What a refund means beyond the purchase's own points, run in the refund's transaction after
 * the ledger reversed them: other units the purchase earned (festival scores), referral
 * bonuses it qualified, tier measures and rule usage, POS burns paid on it. Modules register
 * theirs with `onRefund`; they run in registration order.
 */
export interface RefundContext {
  club: Club;
  memberId: string;
  /** The purchase's internal event id (events.id) and its caller id. */
  purchaseEventId: string;
  purchaseExternalId: string;
  purchaseRials: number;
  /** The refund event being written now. */
  refundEventId: string;
  refundRials: number;
  /** Rials of this purchase refunded before this refund. */
  refundedBeforeRials: number;
  occurredAt: Date;
}
export type RefundHook = (tx: Tx, r: RefundContext) => Promise<void>;

/**
 * Checks events before anything is written (event types, attribute schemas): null = fine.
 * `members`: each event's member as resolved (null: not found), with the look-up's facts.
 */
export type ValidateFn = (tx: Tx, club: Club, inputs: EventInput[], members: (MemberFacts | null)[]) => Promise<({ code: string; detail: string } | null)[]>;

export const baseRateEarn: EarnFn = async (_tx, inputs) =>
  inputs.map(({ club, event }) => {
    if (event.type !== 'purchase') return [];
    const points = basePoints(event.amountRials ?? 0, club.earnRate);
    return points > 0 ? [{ unit: 'points' as Unit, points }] : [];
  });

interface Prepared {
  index: number;
  input: EventInput;
  id: string;
  hash: string;
  occurredAt: Date;
  memberId: string;
  member: MemberFacts;
}

type One = { club: Club; input: EventInput; claim: IdempotencyClaim | null };

export class EventService {
  private readonly committer: GroupCommitter<One, Result<EventOutcome>> | null;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly members: MemberService,
    private readonly ledger: LedgerService,
    private earn: EarnFn = baseRateEarn,
    groupCommit: GroupCommitOptions | false = { maxBatch: 200, maxInflight: 4 },
  ) {
    this.committer = groupCommit
      ? new GroupCommitter<One, Result<EventOutcome>>(
          (_clubId, items) => this.commitGroup(items),
          (_clubId, item) => this.ingestAlone(item.club, item.input, item.claim),
          groupCommit,
        )
      : null;
  }

  get groupCommitStats() {
    return this.committer?.stats ?? null;
  }

  /** The rules engine plugs in here. */
  setEarn(fn: EarnFn) {
    this.earn = fn;
  }

  private readonly refundHooks: RefundHook[] = [];
  /** Modules that must undo their part of a refunded purchase plug in here. */
  onRefund(fn: RefundHook) {
    this.refundHooks.push(fn);
  }

  private validate: ValidateFn | null = null;
  /** The event-type registry plugs in here: a failed check fails that event, nothing written. */
  setValidate(fn: ValidateFn) {
    this.validate = fn;
  }

  /**
   * One event. With group commit (the default) it shares a transaction with the events
   * that arrive alongside it and is answered after that commit.
   */
  ingestOne(club: Club, input: EventInput, claim: IdempotencyClaim | null): Promise<Result<EventOutcome>> {
    return this.committer ? this.committer.submit(club.id, { club, input, claim }) : this.ingestAlone(club, input, claim);
  }

  /** One event in its own transaction; the Idempotency-Key covers the outcome. */
  async ingestAlone(club: Club, input: EventInput, claim: IdempotencyClaim | null): Promise<Result<EventOutcome>> {
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, club.id, claim, 201, async () => {
        const [outcome] = await this.apply(tx, club, [input]);
        if (outcome!.status === 'failed') return fail(outcome!.code as never, outcome!.detail, { eventId: input.eventId });
        return ok(outcome!);
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  async ingestBatch(club: Club, inputs: EventInput[], claim: IdempotencyClaim | null): Promise<Result<{ results: EventOutcome[]; summary: Record<string, number> }>> {
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, club.id, claim, 200, async () => {
        const results = await this.apply(tx, club, inputs);
        const summary = { created: 0, exists: 0, failed: 0, points: 0 };
        for (const o of results) {
          summary[o.status]++;
          summary.points += o.points ?? 0;
        }
        return ok({ results, summary });
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  /**
   * Many single requests in one transaction. Idempotency keys are looked up first (a replay
   * or a conflict is answered without touching the ledger), repeated keys inside the group
   * follow their first occurrence, and successful outcomes are stored under their keys
   * before the commit. Failed outcomes are not stored — as in the single path, where a
   * failure rolls back — so a retry runs again.
   */
  private async commitGroup(items: One[]): Promise<Result<EventOutcome>[]> {
    const club = items[0]!.club;
    return this.db.transaction().execute(async (tx) => {
      const results: (Result<EventOutcome> | undefined)[] = new Array(items.length);
      const keys = [...new Set(items.flatMap((i) => (i.claim ? [i.claim.key] : [])))];
      const existing = new Map<string, { request_hash: string; response: unknown }>();
      if (keys.length) {
        const rows = await tx
          .selectFrom('idempotency_keys')
          .select(['key', 'request_hash', 'response'])
          .where('club_id', '=', club.id)
          .where('key', 'in', keys)
          .execute();
        for (const r of rows) existing.set(r.key as string, { request_hash: r.request_hash as string, response: r.response });
      }
      const toApply: number[] = [];
      const firstByKey = new Map<string, number>();
      const followers: [number, number][] = [];
      items.forEach((it, i) => {
        if (!it.claim) return void toApply.push(i);
        const ex = existing.get(it.claim.key);
        if (ex && ex.response !== null) {
          results[i] = ex.request_hash === it.claim.requestHash ? ok(ex.response as EventOutcome) : fail('exists_with_different_body', 'this Idempotency-Key was used with another body');
          return;
        }
        const first = firstByKey.get(it.claim.key);
        if (first !== undefined) return void followers.push([i, first]);
        firstByKey.set(it.claim.key, i);
        toApply.push(i);
      });
      const messages: OutboxMessage[] = [];
      const outcomes = await this.apply(tx, club, toApply.map((i) => items[i]!.input), { outbox: messages });
      toApply.forEach((i, k) => {
        const o = outcomes[k]!;
        results[i] = o.status === 'failed' ? fail(o.code as never, o.detail, { eventId: o.eventId }) : ok(o);
      });
      for (const [i, first] of followers) {
        const same = items[i]!.claim!.requestHash === items[first]!.claim!.requestHash;
        results[i] = same ? results[first] : fail('exists_with_different_body', 'this Idempotency-Key was used with another body');
      }
      const store = toApply.filter((i) => items[i]!.claim && results[i]!.ok);
      if (!store.length) await enqueue(tx, messages);
      else {
        // The outbox messages left (refunds') ride on this statement (a data-modifying CTE).
        const stored = await sql<{ key: string }>`
          ${messages.length ? sql`with o as (${outboxInsert(messages)})` : sql``}
          insert into idempotency_keys (club_id, key, request_hash, status_code, response)
          select ${club.id}, k, h, 201, r::jsonb from unnest(${store.map((i) => items[i]!.claim!.key)}::text[], ${store.map((i) => items[i]!.claim!.requestHash)}::text[],
                                                      ${store.map((i) => JSON.stringify((results[i] as { value: unknown }).value))}::text[]) as x(k, h, r)
          on conflict (club_id, key) do nothing returning key`.execute(tx);
        // A concurrent transaction claimed one of these keys meanwhile: redo one by one.
        if (stored.rows.length !== store.length) throw new Error('idempotency key claimed concurrently');
      }
      return results as Result<EventOutcome>[];
    });
  }

  /** Applies events inside `tx`. Exposed for group commit, which batches single requests. */
  async apply(tx: Tx, club: Club, inputs: EventInput[], o: { outbox?: OutboxMessage[] } = {}): Promise<EventOutcome[]> {
    const now = this.clock.now();
    const outcomes: EventOutcome[] = inputs.map((e) => ({ eventId: e.eventId, status: 'failed' }));
    const failWith = (i: number, code: string, detail?: string) => Object.assign(outcomes[i]!, { status: 'failed', code, ...(detail ? { detail } : {}) });

    // Members, in one query (it carries the facts the rules need, the catalogue version too).
    const resolve = await this.members.resolveRefs(tx, club.id, inputs.map((e) => e.member));
    const invalid = this.validate ? await this.validate(tx, club, inputs, inputs.map((e) => resolve(e.member))) : null;
    // The same eventId twice in one batch: the later one follows the first's final outcome.
    const seen = new Map<string, { index: number; hash: string }>();
    const followers: { index: number; first: number; same: boolean }[] = [];
    const prepared: Prepared[] = [];
    inputs.forEach((input, index) => {
      const hash = eventHash(input);
      const earlier = seen.get(input.eventId);
      if (earlier) return void followers.push({ index, first: earlier.index, same: earlier.hash === hash });
      seen.set(input.eventId, { index, hash });
      const invalidity = invalid?.[index];
      if (invalidity) return failWith(index, invalidity.code, invalidity.detail);
      const occurredAt = input.occurredAt ? new Date(input.occurredAt) : now;
      if (occurredAt.getTime() > now.getTime() + MAX_FUTURE_SKEW_MS) return failWith(index, 'validation_failed', 'occurredAt is in the future');
      const member = resolve(input.member);
      if (!member) return 'mobile' in input.member && !normalizeMobile(input.member.mobile) ? failWith(index, 'invalid_mobile', `"${input.member.mobile}" is not an Iranian mobile number`) : failWith(index, 'member_not_found');
      if (member.status !== 'active') return failWith(index, 'member_inactive');
      prepared.push({ index, input, id: newId('evt'), hash, occurredAt, memberId: member.id, member });
    });

    const plain = prepared.filter((p) => p.input.type !== 'refund');
    const refunds = prepared.filter((p) => p.input.type === 'refund');
    const outbox: OutboxMessage[] = [];
    // The earn function's deferred writes (activity counters): with the ledger's.
    const writes: RawBuilder<unknown>[] = [];

    // Purchases and custom events: set-based.
    if (plain.length) {
      const inserted = await this.insertEvents(tx, club.id, plain);
      const fresh = plain.filter((p) => inserted.has(p.input.eventId));
      await this.duplicates(tx, club.id, plain.filter((p) => !inserted.has(p.input.eventId)), outcomes);
      const awards = await this.earn(
        tx,
        fresh.map((p) => ({ club, memberId: p.memberId, member: p.member, event: { ...p.input, id: p.id, occurredAt: p.occurredAt } })),
        (...w) => void writes.push(...w),
      );
      const credits: Credit[] = [];
      fresh.forEach((p, k) => {
        let points = 0;
        // One entry and one lot per event and unit, however many rules fired: their share is
        // kept in the entry's meta (`awards`), which `ledger.earnedBy` reads back per rule.
        // (An entry per award made 100 rules cost a third more ledger rows than 1 rule.)
        const byUnit = new Map<Unit, Award[]>();
        for (const a of awards[k] ?? []) {
          if (!(a.points > 0)) continue;
          const list = byUnit.get(a.unit);
          if (list) list.push(a);
          else byUnit.set(a.unit, [a]);
        }
        for (const [unit, list] of byUnit) {
          const pending = p.input.type === 'purchase' && unit === 'points' ? club.pendingDays : 0;
          const amount = list.reduce((s, a) => s + a.points, 0);
          const one = list.length === 1 ? list[0]! : null;
          credits.push({
            memberId: p.memberId,
            unit,
            amount,
            kind: 'earn',
            source: SYSTEM.issued,
            eventId: p.id,
            availableAt: new Date(p.occurredAt.getTime() + pending * 86400_000),
            expiresAt: unit === 'points' && club.expiryMonths > 0 ? expiryInstant(p.occurredAt, club.expiryMonths, club.timeZone) : null,
            memo: one ? (one.memo ?? null) : list.map((a) => a.memo).filter((m) => m).join(' · ') || null,
            ruleVersion: one ? (one.ruleVersion ?? null) : null,
            ...(one ? {} : { meta: { awards: list.map((a) => ({ rule: a.ruleVersion ?? null, points: a.points, memo: a.memo ?? null })) } }),
          });
          if (unit === 'points') points += amount;
        }
        outcomes[p.index] = { eventId: p.input.eventId, status: 'created', id: p.id, memberId: p.memberId, points };
        if (points > 0) outbox.push({ clubId: club.id, topic: 'points.earned', payload: { memberId: p.memberId, eventId: p.id, externalId: p.input.eventId, type: p.input.type, points } });
      });
      // The earn's deferred writes and these events' outbox messages ride on the ledger's
      // statement: every per-member row concurrent batches queue on (balances, counters) is
      // written there, so its lock is held from there to the commit only. (Before the refunds
      // below, too: a refund in this batch must see what its purchase counted.)
      if (outbox.length) writes.push(outboxInsert(outbox.splice(0)));
      await this.ledger.credit(tx, club.id, credits, writes.splice(0));
    }

    // Refunds: one at a time, each under its member's balance lock.
    for (const p of refunds) {
      // Locking the purchase row serialises refunds of the same purchase.
      const purchase = await tx
        .selectFrom('events')
        .select(['id', 'type', 'member_id', 'amount_rials'])
        .where('club_id', '=', club.id)
        .where('external_id', '=', p.input.refundOf!)
        .forUpdate()
        .executeTakeFirst();
      if (!purchase) {
        failWith(p.index, 'event_not_found', `no purchase with eventId "${p.input.refundOf}"`);
        continue;
      }
      if (purchase.type !== 'purchase') {
        failWith(p.index, 'not_a_purchase');
        continue;
      }
      if (purchase.member_id !== p.memberId) {
        failWith(p.index, 'refund_member_mismatch', 'the refund names another member than its purchase');
        continue;
      }
      const dup = await tx.selectFrom('events').select('id').where('club_id', '=', club.id).where('external_id', '=', p.input.eventId).executeTakeFirst();
      if (dup) {
        await this.duplicates(tx, club.id, [p], outcomes);
        continue;
      }
      const refundedBefore = Number(
        (await sql<{ s: number }>`select coalesce(sum(amount_rials), 0)::bigint as s from events where club_id = ${club.id} and refund_of = ${purchase.id}`.execute(tx)).rows[0]?.s ?? 0,
      );
      if (refundedBefore + (p.input.amountRials ?? 0) > Number(purchase.amount_rials)) {
        failWith(p.index, 'refund_exceeds_purchase', `purchase ${Number(purchase.amount_rials)} rials, refunded before ${refundedBefore}`);
        continue;
      }
      const inserted = await this.insertEvents(tx, club.id, [p], purchase.id);
      if (!inserted.size) {
        await this.duplicates(tx, club.id, [p], outcomes);
        continue;
      }
      const rev = await this.ledger.reverseForRefund(tx, {
        clubId: club.id,
        memberId: p.memberId,
        purchaseEventId: purchase.id,
        refundEventId: p.id,
        purchaseRials: Number(purchase.amount_rials),
        refundRials: p.input.amountRials ?? 0,
      });
      for (const hook of this.refundHooks)
        await hook(tx, {
          club, memberId: p.memberId, purchaseEventId: purchase.id, purchaseExternalId: p.input.refundOf!, purchaseRials: Number(purchase.amount_rials),
          refundEventId: p.id, refundRials: p.input.amountRials ?? 0, refundedBeforeRials: refundedBefore, occurredAt: p.occurredAt,
        });
      outcomes[p.index] = { eventId: p.input.eventId, status: 'created', id: p.id, memberId: p.memberId, points: -rev.points, reversed: rev.points, unrecovered: rev.unrecovered };
      if (rev.points > 0 || rev.unrecovered > 0)
        outbox.push({ clubId: club.id, topic: 'points.reversed', payload: { memberId: p.memberId, eventId: p.id, purchaseEventId: purchase.id, points: rev.points, unrecovered: rev.unrecovered } });
    }

    for (const f of followers) {
      const first = outcomes[f.first]!;
      outcomes[f.index] = !f.same
        ? { eventId: first.eventId, status: 'failed', code: 'exists_with_different_body', detail: 'this eventId appears earlier in the batch with another body' }
        : first.status === 'failed'
          ? { ...first }
          : { ...first, status: 'exists' };
    }

    // The messages left (refunds'): the caller may write them with its own last statement (group commit does).
    if (o.outbox) o.outbox.push(...outbox);
    else await enqueue(tx, outbox);
    return outcomes;
  }

  private async insertEvents(tx: Tx, clubId: string, ps: Prepared[], refundOf: string | null = null): Promise<Set<string>> {
    const rows = await sql<{ external_id: string }>`
      insert into events (id, club_id, external_id, type, member_id, amount_rials, occurred_at, attributes, refund_of, body_hash)
      select id, ${clubId}, ext, type, member, amount, occurred::timestamptz, attrs::jsonb, ${refundOf}, hash
      from unnest(${ps.map((p) => p.id)}::text[], ${ps.map((p) => p.input.eventId)}::text[], ${ps.map((p) => p.input.type)}::text[],
                  ${ps.map((p) => p.memberId)}::text[], ${ps.map((p) => p.input.amountRials ?? null)}::bigint[],
                  ${ps.map((p) => p.occurredAt.toISOString())}::text[],
                  ${ps.map((p) => JSON.stringify({ ...(p.input.attributes ?? {}), ...(p.input.items ? { items: p.input.items } : {}), ...(p.input.channel ? { channel: p.input.channel } : {}), ...(p.input.store ? { store: p.input.store } : {}) }))}::text[],
                  ${ps.map((p) => p.hash)}::text[])
           as x(id, ext, type, member, amount, occurred, attrs, hash)
      on conflict (club_id, external_id) do nothing
      returning external_id`.execute(tx);
    return new Set(rows.rows.map((r) => r.external_id));
  }

  /** Events already stored: same body → `exists` with the first outcome's points; other body → 409. */
  private async duplicates(tx: Tx, clubId: string, ps: Prepared[], outcomes: EventOutcome[]) {
    if (!ps.length) return;
    const rows = await sql<{ id: string; external_id: string; member_id: string; body_hash: string; points: number }>`
      select e.id, e.external_id, e.member_id, e.body_hash,
             coalesce((select sum(l.amount) from journal_lines l join journal_entries j on j.id = l.entry_id
                       where j.club_id = e.club_id and j.event_id = e.id and l.member_id is not null and l.unit = 'points'), 0)::bigint as points
      from events e where e.club_id = ${clubId} and e.external_id = any(${ps.map((p) => p.input.eventId)}::text[])`.execute(tx);
    const byExt = new Map(rows.rows.map((r) => [r.external_id, r]));
    for (const p of ps) {
      const r = byExt.get(p.input.eventId);
      outcomes[p.index] =
        r && r.body_hash === p.hash
          ? { eventId: p.input.eventId, status: 'exists', id: r.id, memberId: r.member_id, points: Number(r.points) }
          : { eventId: p.input.eventId, status: 'failed', code: 'exists_with_different_body', detail: 'this eventId was sent before with another body' };
    }
  }
}
