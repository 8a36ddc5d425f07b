/**
 * Festival use cases: define festivals, enrol members (opt-in or automatic), stake points for
 * chances, schedule and run verifiable draws, leaderboards and top performers. Each use case
 * is one transaction; the ledger and the rewards module join ours through their in-transaction
 * doors (spendInTx, the draw-ticket hook).
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import type { Db, Tx } from '../../platform/db.js';
import { inTx } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import type { Secrets } from '../../platform/crypto.js';
import { newId } from '../../platform/ids.js';
import { idempotent, type IdempotencyClaim } from '../../platform/idempotency.js';
import { zonedParts } from '../../platform/jalali.js';
import { enqueue, type OutboxMessage } from '../../platform/outbox.js';
import { fail, ok, type Result } from '../../platform/result.js';
import type { Club, ClubService } from '../clubs/index.js';
import type { EarnFn } from '../events/index.js';
import { SYSTEM, type Credit, type LedgerService } from '../ledger/index.js';
import type { Member, MemberService } from '../members/index.js';
import { commitment as commitmentOf, drawWinners, entriesDigest, newSeed, DRAW_FORMAT, type PublishedDraw } from './draw.js';
import {
  chancesFor,
  competitionRanks,
  entryCode,
  entryRef,
  festivalWindow,
  inAudience,
  parseInstant,
  phaseOf,
  prizeFor,
  SCORE_CATEGORY,
  shardOf,
  unitOf,
  topPerformerSms,
  winnerSms,
  checkPatch,
  type DrawCreate,
  type Festival,
  type FestivalCreate,
  type FestivalPatch,
  type FestivalPhase,
  type Prize,
} from './domain.js';
import { composeFestivalEarn, JOINED_FESTIVALS, type EarnFestival, type FestivalSource } from './earn.js';
import * as store from './store.js';

export interface Ctx {
  actor: string;
  requestId?: string;
  idempotency?: IdempotencyClaim | null;
}

export interface FestivalView extends Festival {
  phase: FestivalPhase;
}

export interface ParticipantView {
  festivalId: string;
  memberId: string;
  entryCode: string;
  entryRef: string;
  via: 'opt_in' | 'automatic';
  joinedAt: string;
  created: boolean;
}

export interface DrawView {
  id: string;
  festivalId: string;
  kind: 'stage' | 'final';
  title: { fa: string; en: string };
  cutoffAt: string;
  drawAt: string;
  winners: number;
  minScore: number;
  chances: { basis: 'score' | 'staked'; pointsPerChance: number };
  excludePastWinners: boolean;
  prizes: Prize[];
  commitment: string;
  committedAt: string;
  /** `cancelled`: its festival was cancelled before it was drawn (it never runs). */
  status: 'scheduled' | 'snapshotted' | 'drawn' | 'cancelled';
  snapshotAt: string | null;
  entryCount: number | null;
  totalChances: number | null;
  entriesDigest: string | null;
  drawnAt: string | null;
  /** The public page's data, readable without signing in. */
  publicUrl: string;
}

export interface LeaderboardView {
  festivalId: string;
  category: string;
  ranked: number;
  items: { rank: number; ref: string; value: number; memberId?: string }[];
  me?: { memberId: string; value: number; rank: number | null; ref: string | null };
}

export interface StakeView {
  stakeId: string;
  festivalId: string;
  drawId: string;
  source: 'stake' | 'reward';
  points: number;
  chances: number;
  entryId: string | null;
  /** The member's club points after the stake. */
  balance?: number;
}

export interface FestivalDeps {
  db: Db;
  clock: Clock;
  secrets: Secrets;
  clubs: ClubService;
  members: MemberService;
  ledger: LedgerService;
  /**
   * Fulfils a prize that names a reward, through the rewards module's door (a redemption of
   * that reward for the winner; the key makes a retry return the first outcome). Absent:
   * prizes are only announced (outbox `draw.won`).
   */
  redeemPrize?: (clubId: string, memberId: string, rewardId: string, idempotencyKey: string) => Promise<Result<{ id: string }>>;
  randomBytes?: (n: number) => Buffer;
  /** How long another process's new festival may take to reach this one's earn path. */
  cacheTtlMs?: number;
}

const toIso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** ISO 8601 in the club's zone with its offset (`2025-03-26T12:00:00+03:30`), for published documents. */
export function isoInZone(instant: Date, tz: string): string {
  const p = zonedParts(instant, tz);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const offsetMin = Math.round((wall - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${p.isoDate}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export class FestivalService implements FestivalSource {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly random: (n: number) => Buffer;
  private readonly cache = new Map<string, { at: number; festivals: EarnFestival[] }>();
  private readonly cacheTtlMs: number;

  constructor(private readonly d: FestivalDeps) {
    // The earn path learns who takes part with the member, not by a statement of its own —
    // while the club runs a festival (as this process last saw; not seen yet: asked).
    d.members.addFact(JOINED_FESTIVALS, store.JOINED_FESTIVALS_FACT, (clubId) => {
      const hit = this.cache.get(clubId);
      if (!hit) return true;
      const now = this.clock.now();
      return hit.festivals.some((f) => f.endsAt > now);
    });
    this.db = d.db;
    this.clock = d.clock;
    this.random = d.randomBytes ?? nodeRandomBytes;
    this.cacheTtlMs = d.cacheTtlMs ?? 5_000;
  }

  // ───────────────────────────── the earn path ─────────────────────────────

  now(): Date {
    return this.clock.now();
  }

  /** Festivals of a club that have not ended, cached (read through the caller's transaction). */
  async forEarn(tx: Tx, clubId: string): Promise<EarnFestival[]> {
    const hit = this.cache.get(clubId);
    if (hit && Date.now() - hit.at < this.cacheTtlMs) return hit.festivals;
    const festivals = await store.festivalsForEarn(tx, clubId, this.clock.now());
    this.cache.set(clubId, { at: Date.now(), festivals });
    return festivals;
  }

  /** The festival EarnFn wrapper around the club's current earn function. */
  composeEarn(inner: EarnFn): EarnFn {
    return composeFestivalEarn(inner, this);
  }

  // ───────────────────────────── the score queue ─────────────────────────────

  /**
   * Applies a club's queued festival score: batches of `limit` rows, one transaction each,
   * until the queue is empty (rows that other appliers hold are theirs), or after one with
   * `once`. Returns the rows applied here.
   */
  async applyQueued(clubId: string, o: { limit?: number; once?: boolean } = {}): Promise<number> {
    const limit = o.limit ?? 2000;
    let total = 0;
    for (;;) {
      const r = await inTx(this.db, async (tx) => ok(await this.applyQueuedInTx(tx, clubId, { limit })));
      const n = r.ok ? r.value : 0;
      total += n;
      if (n < limit || o.once) return total;
    }
  }

  /** Every club's queued score (the worker's round); `once`: one transaction per club. */
  async applyAllQueued(o: { limit?: number; once?: boolean } = {}): Promise<number> {
    let total = 0;
    for (const clubId of await store.clubsWithQueuedScores(this.db)) total += await this.applyQueued(clubId, o);
    return total;
  }

  /**
   * Reads that show festival score (standings, ranks, a draw's snapshot, top performers)
   * call this first, so they never miss score that was acknowledged before they began: the
   * club's queue is applied, and rows up to the newest one seen here that another applier
   * held are waited for. One index probe when nothing is queued.
   */
  async settle(clubId: string): Promise<void> {
    const upTo = await store.lastQueuedId(this.db, clubId);
    if (upTo === null) return;
    await this.applyQueued(clubId);
    for (;;) {
      const r = await inTx(this.db, async (tx) => ok(await this.applyQueuedInTx(tx, clubId, { upTo })));
      if (!r.ok || r.value === 0) return;
    }
  }

  /**
   * Applies queued rows in the caller's transaction: the standings first (they say which
   * pairs still take part), then a `festival:<id>` ledger entry per event, as the earn path
   * posted them before the queue. With `memberId` (a refund), that member's rows, and with
   * `upTo` the rows up to that id, waiting for any that another applier holds.
   */
  async applyQueuedInTx(tx: Tx, clubId: string, o: { limit?: number; memberId?: string; upTo?: number } = {}): Promise<number> {
    const rows = await store.takeQueued(tx, clubId, o.limit ?? 2000, { ...(o.memberId ? { memberId: o.memberId } : {}), ...(o.upTo !== undefined ? { upTo: o.upTo } : {}) });
    if (!rows.length) return 0;
    const deltas: store.StandingDelta[] = [];
    // Rows come oldest first: their place is the order in which members reached their values.
    rows.forEach((r, order) => {
      const shard = shardOf(r.memberId);
      if (r.score > 0) deltas.push({ festivalId: r.festivalId, category: SCORE_CATEGORY, memberId: r.memberId, delta: r.score, shard, order });
      for (const [category, delta] of Object.entries(r.detail?.categories ?? {})) if (delta > 0) deltas.push({ festivalId: r.festivalId, category, memberId: r.memberId, delta, shard, order });
    });
    const taking = await store.applyStandings(tx, clubId, deltas);
    const credits: Credit[] = [];
    for (const r of rows) {
      if (!(r.score > 0) || !taking.has(`${r.festivalId}\u0000${r.memberId}`)) continue;
      const awards = r.detail?.awards ?? [{ rule: null, points: r.score, memo: store.INDICATOR_MEMO }];
      const one = awards.length === 1 ? awards[0]! : null;
      credits.push({
        memberId: r.memberId, unit: unitOf(r.festivalId), amount: r.score, kind: 'earn', source: SYSTEM.issued, eventId: r.eventId,
        availableAt: r.occurredAt, expiresAt: null,
        memo: one ? one.memo : awards.map((a) => a.memo).filter((m) => m).join(' · ') || null,
        ruleVersion: one ? one.rule : null,
        ...(one || !awards.length ? {} : { meta: { awards } }),
      });
    }
    if (credits.length) await this.d.ledger.credit(tx, clubId, credits);
    return rows.length;
  }

  // ───────────────────────────── festivals ─────────────────────────────

  async create(club: Club, input: FestivalCreate, ctx: Ctx): Promise<Result<FestivalView>> {
    const w = festivalWindow(input.window, club.timeZone);
    if (!w.ok) return fail('invalid_date', w.detail);
    const now = this.clock.now();
    if (w.value.endsAt <= now) return fail('festival_closed', 'the window is already over');
    const r = await inTx(this.db, (tx) =>
      idempotent(tx, club.id, ctx.idempotency ?? null, 201, async () => {
        const id = newId('fst');
        const row = await store.insertFestival(
          tx,
          {
            id,
            clubId: club.id,
            name: input.name,
            description: input.description ?? null,
            window: { from: input.window.from, to: input.window.to, fromIso: w.value.fromIso, toIso: w.value.toIso, startsAt: w.value.startsAt.toISOString(), endsAt: w.value.endsAt.toISOString() },
            audience: input.audience,
            enrolment: input.enrolment,
            indicators: input.indicators,
            categories: input.categories,
            staking: input.staking,
            topPerformers: input.topPerformers,
          },
          ctx.actor,
          now,
        );
        const view = this.view(store.toFestival(row), now);
        await audit(tx, { clubId: club.id, actor: ctx.actor, action: 'festival.created', target: id, after: view, requestId: ctx.requestId });
        await enqueue(tx, [{ clubId: club.id, topic: 'festival.created', payload: { festivalId: id, startsAt: view.window.startsAt, endsAt: view.window.endsAt } }]);
        return ok(view);
      }),
    );
    this.cache.delete(club.id);
    return r.ok ? ok(r.value.value) : r;
  }

  private view(f: Festival, now: Date): FestivalView {
    return { ...f, phase: phaseOf({ startsAt: new Date(f.window.startsAt), endsAt: new Date(f.window.endsAt), status: f.status }, now) };
  }

  async list(clubId: string): Promise<FestivalView[]> {
    const now = this.clock.now();
    return (await store.listFestivals(this.db, clubId)).map((r) => this.view(store.toFestival(r), now));
  }

  async get(clubId: string, id: string): Promise<Result<FestivalView>> {
    const row = await store.findFestival(this.db, clubId, id);
    return row ? ok(this.view(store.toFestival(row), this.clock.now())) : fail('festival_not_found');
  }

  /**
   * Edits a festival (name, description, window, audience, enrolment) under the rules of its
   * phase (domain `checkPatch`): before it starts anything may change; once started, the
   * start date and enrolment are fixed, the audience may only widen and the end may move but
   * not into the past; once over, only the words. A cancelled festival does not change.
   */
  async update(club: Club, id: string, patch: FestivalPatch, ctx: Ctx): Promise<Result<FestivalView>> {
    const r = await inTx(this.db, async (tx): Promise<Result<FestivalView>> => {
      const row = await store.findFestival(tx, club.id, id, true);
      if (!row) return fail('festival_not_found');
      const before = store.toFestival(row);
      if (before.status === 'cancelled') return fail('festival_cancelled');
      const now = this.clock.now();
      const phase = this.view(before, now).phase;
      const w = festivalWindow({ from: patch.window?.from ?? before.window.fromIso, to: patch.window?.to ?? before.window.toIso }, club.timeZone);
      if (!w.ok) return fail('invalid_date', w.detail);
      const audience = patch.audience ?? before.audience;
      const enrolment = patch.enrolment ?? before.enrolment;
      const today = zonedParts(now, club.timeZone).isoDate;
      const check = checkPatch(phase, before, { fromIso: w.value.fromIso, toIso: w.value.toIso, endsAt: w.value.endsAt, audience, enrolment }, now, today);
      if (!check.ok) return fail(check.code, check.detail);
      const windowChanged = w.value.fromIso !== before.window.fromIso || w.value.toIso !== before.window.toIso;
      const window = windowChanged
        ? { from: patch.window?.from ?? before.window.from, to: patch.window?.to ?? before.window.to, fromIso: w.value.fromIso, toIso: w.value.toIso, startsAt: w.value.startsAt.toISOString(), endsAt: w.value.endsAt.toISOString() }
        : before.window;
      const description = patch.description === undefined ? before.description : patch.description;
      const after = this.view(store.toFestival(await store.updateFestival(tx, club.id, id, { name: patch.name ?? before.name, description, window, audience, enrolment })), now);
      await audit(tx, { clubId: club.id, actor: ctx.actor, action: 'festival.updated', target: id, before: this.view(before, now), after, requestId: ctx.requestId });
      await enqueue(tx, [{ clubId: club.id, topic: 'festival.updated', payload: { festivalId: id, startsAt: after.window.startsAt, endsAt: after.window.endsAt, changed: Object.keys(patch) } }]);
      return ok(after);
    });
    this.cache.delete(club.id);
    return r;
  }

  /**
   * Cancels a festival that has not ended: from now on it scores nothing (the earn path reads
   * only active festivals), takes no members or stakes, and its undrawn draws never run (they
   * read `cancelled`). Points members staked on those draws go back to them as new lots,
   * expiring like freshly earned points. Drawn draws and their winners stand.
   */
  async cancel(club: Club, id: string, input: { reason: string }, ctx: Ctx): Promise<Result<FestivalView & { refunded: { stakes: number; points: number } }>> {
    const r = await inTx(this.db, (tx) =>
      idempotent(tx, club.id, ctx.idempotency ?? null, 200, async (): Promise<Result<FestivalView & { refunded: { stakes: number; points: number } }>> => {
        const row = await store.findFestival(tx, club.id, id, true);
        if (!row) return fail('festival_not_found');
        const before = store.toFestival(row);
        if (before.status === 'cancelled') return fail('festival_cancelled', 'the festival was already cancelled');
        const now = this.clock.now();
        if (now >= new Date(before.window.endsAt)) return fail('festival_closed', `the festival ended on ${before.window.to}; its results stand`);
        const after = this.view(store.toFestival(await store.setFestivalStatus(tx, club.id, id, 'cancelled')), now);
        // Stakes hold their draw FOR SHARE: wait for those in flight; later ones re-read the
        // festival under that lock and see `cancelled` once this commits.
        await store.lockUndrawnDraws(tx, club.id, id);
        const stakes = await store.undrawnStakes(tx, club.id, id);
        const expiresAt = club.expiryMonths > 0 ? new Date(now.getTime() + club.expiryMonths * 30 * 86_400_000) : null;
        let points = 0;
        for (const st of stakes) {
          const back = await this.d.ledger.returnRedeemedInTx(tx, club.id, st.member_id, {
            allocations: [{ lotId: '', amount: st.points }],
            keepExpiry: false,
            expiresAt,
            memo: 'بازگشت امتیاز شانس (لغو جشنواره)',
            meta: { festivalId: id, drawId: st.draw_id, stakeId: st.id, reason: 'festival_cancelled' },
          }, { actor: ctx.actor, requestId: ctx.requestId });
          if (!back.ok) return back;
          points += st.points;
        }
        await audit(tx, { clubId: club.id, actor: ctx.actor, action: 'festival.cancelled', target: id, before: { status: before.status }, after: { status: 'cancelled', reason: input.reason, refundedStakes: stakes.length, refundedPoints: points }, requestId: ctx.requestId });
        await enqueue(tx, [{ clubId: club.id, topic: 'festival.cancelled', payload: { festivalId: id, reason: input.reason, refundedStakes: stakes.length, refundedPoints: points } }]);
        return ok({ ...after, refunded: { stakes: stakes.length, points } });
      }),
    );
    this.cache.delete(club.id);
    return r.ok ? ok(r.value.value) : r;
  }

  /** A page of participants (filter, sort, total) for the console. */
  async participants(clubId: string, festivalId: string, o: { q?: string; via?: 'opt_in' | 'automatic'; sort: 'score' | 'joined'; limit: number; offset: number }) {
    await this.settle(clubId);
    if (!(await store.findFestival(this.db, clubId, festivalId))) return fail('festival_not_found');
    const page = await store.pageParticipants(this.db, clubId, festivalId, o);
    return ok({
      total: page.total,
      limit: o.limit,
      offset: o.offset,
      items: page.items.map((p) => ({ ...participantView(festivalId, p, false), score: p.score })).map(({ created: _c, ...rest }) => rest),
    });
  }

  // ───────────────────────────── enrolment ─────────────────────────────

  /** Opt-in (or an operator enrolling a member): the audience decides, the window must not be over. */
  async join(club: Club, memberId: string, festivalId: string, ctx: Ctx): Promise<Result<ParticipantView>> {
    const row = await store.findFestival(this.db, club.id, festivalId);
    if (!row) return fail('festival_not_found');
    const f = store.toFestival(row);
    if (f.status === 'cancelled') return fail('festival_cancelled');
    if (this.view(f, this.clock.now()).phase === 'closed') return fail('festival_closed', `the festival ended on ${f.window.to}`);
    const existing = await store.findParticipant(this.db, club.id, festivalId, memberId);
    if (existing) return ok(participantView(festivalId, existing, false));
    const m = await this.d.members.get(club.id, memberId);
    if (!m.ok) return m;
    if (m.value.status !== 'active') return fail('member_inactive');
    if (!inAudience(f.audience, m.value)) return fail('not_in_audience', `this festival is for ${describeAudience(f)}`);
    const r = await inTx(this.db, (tx) =>
      idempotent(tx, club.id, ctx.idempotency ?? null, 201, async () => {
        const p = await this.enrol(tx, club.id, festivalId, [m.value], f.enrolment === 'automatic' ? 'automatic' : 'opt_in');
        const mine = p.get(memberId);
        if (!mine) {
          const again = await store.findParticipant(tx, club.id, festivalId, memberId);
          return ok(participantView(festivalId, again!, false));
        }
        await enqueue(tx, [{ clubId: club.id, topic: 'festival.joined', payload: { festivalId, memberId, entryRef: mine.entryRef } }]);
        // An operator or a system enrolling someone is an operator action: audited.
        if (!ctx.actor.startsWith('member:')) await audit(tx, { clubId: club.id, actor: ctx.actor, action: 'festival.member_enrolled', target: festivalId, after: { memberId, entryRef: mine.entryRef }, requestId: ctx.requestId });
        return ok({ ...mine, created: true });
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  /** Inserts participants with fresh entry codes; a code that clashes is drawn again. */
  private async enrol(tx: Tx, clubId: string, festivalId: string, members: Pick<Member, 'id' | 'mobileMasked'>[], via: 'opt_in' | 'automatic'): Promise<Map<string, ParticipantView>> {
    const out = new Map<string, ParticipantView>();
    const now = this.clock.now();
    let todo = members;
    for (let attempt = 0; attempt < 6 && todo.length; attempt++) {
      const rows = todo.map((m) => ({ memberId: m.id, entryCode: entryCode(this.random), mobileMasked: m.mobileMasked, via }));
      const inserted = await store.insertParticipants(tx, clubId, festivalId, rows, now);
      for (const r of rows) {
        if (inserted.has(r.memberId)) {
          out.set(r.memberId, { festivalId, memberId: r.memberId, entryCode: r.entryCode, entryRef: entryRef(r.mobileMasked, r.entryCode), via, joinedAt: now.toISOString(), created: true });
        }
      }
      // Not inserted: already a participant, or (rarely) the code clashed — try those again.
      const skipped = todo.filter((m) => !inserted.has(m.id));
      const already = await store.participantIds(tx, clubId, festivalId, skipped.map((m) => m.id));
      todo = skipped.filter((m) => !already.has(m.id));
    }
    if (todo.length) throw new Error(`could not find free entry codes for ${todo.length} members`);
    return out;
  }

  /**
   * Automatic enrolment: every active member in the audience takes part. Incremental by
   * default (members who joined the club since the last sync; the member list pages newest
   * first); `full` walks the whole club, which also catches members who entered a group later.
   */
  async syncEnrolment(club: Club, festivalId: string, opts: { full?: boolean } = {}): Promise<Result<{ enrolled: number }>> {
    const row = await store.findFestival(this.db, club.id, festivalId);
    if (!row) return fail('festival_not_found');
    const f = store.toFestival(row);
    const startedAt = this.clock.now();
    if (f.enrolment !== 'automatic' || this.view(f, startedAt).phase === 'closed') return ok({ enrolled: 0 });
    const since = opts.full || !row.enrol_synced_at ? null : new Date(new Date(row.enrol_synced_at).getTime() - 60_000);
    const groups = f.audience.tiers.length === 0 && f.audience.groups.length > 0 ? f.audience.groups : [undefined];
    let enrolled = 0;
    for (const group of groups) {
      let cursor: string | undefined;
      for (;;) {
        const page = await this.d.members.list(club.id, { group, status: 'active', cursor, limit: 1000 });
        const fresh = since ? page.items.filter((m) => new Date(m.createdAt) >= since) : page.items;
        const candidates = fresh.filter((m) => m.status === 'active' && inAudience(f.audience, m));
        if (candidates.length) {
          const known = await store.participantIds(this.db, club.id, festivalId, candidates.map((m) => m.id));
          const todo = candidates.filter((m) => !known.has(m.id));
          if (todo.length) {
            const done = await inTx(this.db, async (tx) => ok(await this.enrol(tx, club.id, festivalId, todo, 'automatic')));
            enrolled += done.value.size;
          }
        }
        if (!page.nextCursor || fresh.length < page.items.length) break;
        cursor = page.nextCursor;
      }
    }
    await store.markEnrolSynced(this.db, club.id, festivalId, startedAt);
    return ok({ enrolled });
  }

  // ───────────────────────────── member views ─────────────────────────────

  /** Festivals a member can see: open or upcoming ones in the audience, and any they joined. */
  async memberFestivals(club: Club, memberId: string): Promise<Result<{ items: (FestivalView & { joined: boolean; canJoin: boolean; score: number })[] }>> {
    const m = await this.d.members.get(club.id, memberId);
    if (!m.ok) return m;
    const now = this.clock.now();
    await this.settle(club.id);
    const joined = await store.joinedFestivalIds(this.db, club.id, memberId);
    const scores = await store.scoresOf(this.db, club.id, memberId);
    const items = (await store.listFestivals(this.db, club.id))
      .map((r) => this.view(store.toFestival(r), now))
      .filter((f) => joined.has(f.id) || (f.phase !== 'closed' && f.status === 'active' && inAudience(f.audience, m.value)))
      .map((f) => ({ ...f, joined: joined.has(f.id), canJoin: !joined.has(f.id) && f.phase !== 'closed', score: scores.get(f.id) ?? 0 }));
    return ok({ items });
  }

  /** One member in one festival: entry, score and ranks per category, chances, draws and wins. */
  async standing(clubId: string, memberId: string, festivalId: string) {
    await this.settle(clubId);
    const row = await store.findFestival(this.db, clubId, festivalId);
    if (!row) return fail('festival_not_found');
    const f = this.view(store.toFestival(row), this.clock.now());
    const p = await store.findParticipant(this.db, clubId, festivalId, memberId);
    const ranks: Record<string, { value: number; rank: number | null; ranked: number }> = {};
    for (const category of [SCORE_CATEGORY, ...f.categories.map((c) => c.key)]) {
      const s = await store.standingOf(this.db, clubId, festivalId, category, memberId);
      ranks[category] = { value: s.value, rank: s.value > 0 ? s.above + 1 : null, ranked: s.ranked };
    }
    const stakes = await store.stakedChances(this.db, clubId, festivalId, memberId);
    const draws = [];
    for (const d of await store.listDraws(this.db, clubId, festivalId)) {
      const entry = d.status === 'snapshotted' || d.status === 'drawn' ? await store.entryOf(this.db, clubId, d.id, memberId) : null;
      draws.push({ ...this.drawView(d, f.status), myEntry: entry, stakedChances: stakes.find((s) => s.drawId === d.id)?.chances ?? 0 });
    }
    const wins = (await store.winsOf(this.db, clubId, festivalId, memberId)).map((w) => ({ drawId: w.draw_id, rank: w.rank, ref: w.ref, prize: store.parseJson(w.prize) }));
    return ok({
      festival: f,
      joined: p !== null,
      entryRef: p ? entryRef(p.mobile_masked, p.entry_code) : null,
      score: ranks[SCORE_CATEGORY]!.value,
      unit: f.unit,
      ranks,
      draws,
      wins,
    });
  }

  // ───────────────────────────── leaderboards ─────────────────────────────

  /**
   * Top N of a category and, for a member, their value and rank. Ranks are competition ranks
   * (equal values share a rank); the listing order among equals is who got there first.
   * Both reads are index range scans, whatever the number of participants.
   */
  async leaderboard(clubId: string, festivalId: string, opts: { category?: string; limit: number; memberId?: string; withMemberIds?: boolean }): Promise<Result<LeaderboardView>> {
    await this.settle(clubId);
    const row = await store.findFestival(this.db, clubId, festivalId);
    if (!row) return fail('festival_not_found');
    const f = store.toFestival(row);
    const category = opts.category ?? SCORE_CATEGORY;
    if (category !== SCORE_CATEGORY && !f.categories.some((c) => c.key === category)) return fail('category_not_found', `categories: ${[SCORE_CATEGORY, ...f.categories.map((c) => c.key)].join(', ')}`);
    const top = await store.topStandings(this.db, clubId, festivalId, category, opts.limit);
    const items = competitionRanks(top).map((t) => ({ rank: t.rank, ref: t.ref, value: t.value, ...(opts.withMemberIds ? { memberId: t.memberId } : {}) }));
    let ranked = 0;
    let me: LeaderboardView['me'];
    if (opts.memberId) {
      const s = await store.standingOf(this.db, clubId, festivalId, category, opts.memberId);
      const p = await store.findParticipant(this.db, clubId, festivalId, opts.memberId);
      ranked = s.ranked;
      me = { memberId: opts.memberId, value: s.value, rank: s.value > 0 ? s.above + 1 : null, ref: p ? entryRef(p.mobile_masked, p.entry_code) : null };
    } else {
      ranked = (await store.standingOf(this.db, clubId, festivalId, category, '')).ranked;
    }
    return ok({ festivalId, category, ranked, items, ...(me ? { me } : {}) });
  }

  /** Recomputes the rank structure from the standings (repair after a bulk load). */
  async rebuildRanks(clubId: string, festivalId: string): Promise<void> {
    await this.settle(clubId);
    await store.rebuildRanks(this.db, clubId, festivalId);
  }

  // ───────────────────────────── stakes ─────────────────────────────

  /**
   * "5 points = 1 chance": the member stakes club points for chances in the festival's next
   * draw that takes staked chances (or the one named). Only whole chances are bought; the
   * rest of the points stay with the member. One transaction: the ledger spends the points
   * (locking the member's balance first, its lock order), then the draw row is read FOR
   * SHARE — the snapshot takes it FOR UPDATE, so a stake is either in the list or refused.
   */
  async stake(club: Club, memberId: string, festivalId: string, input: { points: number; drawId?: string }, ctx: Ctx): Promise<Result<StakeView>> {
    const row = await store.findFestival(this.db, club.id, festivalId);
    if (!row) return fail('festival_not_found');
    const f = store.toFestival(row);
    const now = this.clock.now();
    const phase = this.view(f, now).phase;
    if (f.status === 'cancelled') return fail('festival_cancelled');
    if (phase === 'closed') return fail('festival_closed');
    if (phase === 'upcoming') return fail('festival_not_started', `the festival opens on ${f.window.from}`);
    if (!f.staking) return fail('staking_disabled');
    if (!(await store.findParticipant(this.db, club.id, festivalId, memberId))) return fail('not_participant', 'join the festival first');
    const ppc = f.staking.pointsPerChance;
    const chances = Math.floor(input.points / ppc);
    if (chances < 1) return fail('amount_below_minimum', `one chance costs ${ppc} points`, { pointsPerChance: ppc });
    const points = chances * ppc;
    const draw = await this.openDraw(this.db, club.id, festivalId, input.drawId ?? null, now);
    if (!draw.ok) return draw;

    const r = await inTx(this.db, (tx) =>
      idempotent(tx, club.id, ctx.idempotency ?? null, 201, async (): Promise<Result<StakeView>> => {
        const stakeId = newId('stk');
        const spent = await this.d.ledger.spendInTx(tx, club.id, memberId, { points, memo: `شانس قرعه‌کشی (${chances})`, meta: { festivalId, drawId: draw.value.id, stakeId } }, { actor: ctx.actor, requestId: ctx.requestId });
        if (!spent.ok) return spent;
        const locked = await this.openDraw(tx, club.id, festivalId, draw.value.id, this.clock.now(), 'share');
        if (!locked.ok) return locked;
        if ((await store.findFestival(tx, club.id, festivalId))?.status === 'cancelled') return fail('festival_cancelled');
        const s = (await store.insertStake(tx, club.id, { id: stakeId, festivalId, drawId: draw.value.id, memberId, source: 'stake', reference: null, points, chances, entryId: spent.value.entryId }, now))!;
        await enqueue(tx, [
          { clubId: club.id, topic: 'points.spent', payload: { memberId, points, unit: 'points', entryId: spent.value.entryId, reference: `festival-stake:${stakeId}` } },
          { clubId: club.id, topic: 'festival.staked', payload: { memberId, festivalId, drawId: draw.value.id, points, chances } },
        ]);
        return ok({ ...stakeView(s), balance: spent.value.balance });
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  /** The draw a stake goes to: the one named, or the next one on staked chances still before its cut-off. */
  private async openDraw(db: Db | Tx, clubId: string, festivalId: string, drawId: string | null, now: Date, lock: 'share' | false = false): Promise<Result<store.DrawRow>> {
    let d: store.DrawRow | undefined;
    if (drawId) {
      const found = await store.findDraw(db, clubId, drawId, lock);
      if (!found || found.festival_id !== festivalId) return fail('draw_not_found');
      d = found;
    } else {
      d = (await store.listDraws(db, clubId, festivalId)).find((x) => x.chance_basis === 'staked' && x.status === 'scheduled' && new Date(x.cutoff_at) > now);
      if (!d) return fail('no_open_draw');
    }
    if (d.chance_basis !== 'staked') return fail('no_open_draw', 'this draw counts festival score, not staked chances');
    if (d.status !== 'scheduled' || new Date(d.cutoff_at) <= now) return fail('draw_cutoff_passed');
    return ok(d);
  }

  /**
   * The rewards module's draw-ticket hook, in the redemption's transaction: the tickets
   * become chances in the festival's next draw on staked chances. The redemption holds the
   * points; the stake records only the chances.
   */
  readonly drawTicketHook = async (tx: Tx, r: { clubId: string; memberId: string; festivalId: string | null; tickets: number; redemptionId: string }): Promise<Result<unknown>> => {
    if (!r.festivalId) return fail('validation_failed', 'the draw-ticket reward names no festival (config.festivalId)');
    const row = await store.findFestival(tx, r.clubId, r.festivalId);
    if (!row) return fail('festival_not_found');
    const now = this.clock.now();
    if (row.status === 'cancelled') return fail('festival_cancelled');
    const phase = this.view(store.toFestival(row), now).phase;
    if (phase !== 'open') return fail(phase === 'closed' ? 'festival_closed' : 'festival_not_started');
    if (!(await store.findParticipant(tx, r.clubId, r.festivalId, r.memberId))) return fail('not_participant', 'join the festival first');
    const draw = await this.openDraw(tx, r.clubId, r.festivalId, null, now);
    if (!draw.ok) return draw;
    const locked = await this.openDraw(tx, r.clubId, r.festivalId, draw.value.id, now, 'share');
    if (!locked.ok) return locked;
    if ((await store.findFestival(tx, r.clubId, r.festivalId))?.status === 'cancelled') return fail('festival_cancelled');
    const s = await store.insertStake(tx, r.clubId, { id: newId('stk'), festivalId: r.festivalId, drawId: draw.value.id, memberId: r.memberId, source: 'reward', reference: r.redemptionId, points: 0, chances: r.tickets, entryId: null }, now);
    await enqueue(tx, [{ clubId: r.clubId, topic: 'festival.staked', payload: { memberId: r.memberId, festivalId: r.festivalId, drawId: draw.value.id, chances: r.tickets, redemptionId: r.redemptionId } }]);
    return ok(stakeView(s!));
  };

  // ───────────────────────────── draws ─────────────────────────────

  /** Schedules a draw: the seed is drawn now, stored encrypted, and only its SHA-256 is published. */
  async scheduleDraw(club: Club, festivalId: string, input: DrawCreate, ctx: Ctx): Promise<Result<DrawView>> {
    const row = await store.findFestival(this.db, club.id, festivalId);
    if (!row) return fail('festival_not_found');
    const f = store.toFestival(row);
    const now = this.clock.now();
    if (f.status === 'cancelled') return fail('festival_cancelled');
    if (this.view(f, now).phase === 'closed') return fail('festival_closed');
    const cutoff = parseInstant(input.cutoffAt, club.timeZone);
    if (!cutoff) return fail('invalid_date', `cutoffAt: ${input.cutoffAt}`);
    const drawAt = input.drawAt ? parseInstant(input.drawAt, club.timeZone) : cutoff;
    if (!drawAt) return fail('invalid_date', `drawAt: ${input.drawAt}`);
    if (drawAt < cutoff) return fail('validation_failed', 'drawAt is before cutoffAt');
    // The commitment proves something only if it is public before the list is final.
    if (cutoff <= now) return fail('draw_cutoff_passed', 'the cut-off must be in the future');
    if (input.chances.basis === 'staked' && !f.staking) return fail('staking_disabled', 'a draw on staked chances needs the festival to convert points to chances');
    const badPrize = input.prizes.find((p) => p.toRank > input.winners);
    if (badPrize) return fail('validation_failed', `prize ranks ${badPrize.fromRank}–${badPrize.toRank} go beyond ${input.winners} winners`);
    const seed = newSeed(this.random);
    const r = await inTx(this.db, (tx) =>
      idempotent(tx, club.id, ctx.idempotency ?? null, 201, async () => {
        const d = await store.insertDraw(tx, {
          id: newId('drw'),
          club_id: club.id,
          festival_id: festivalId,
          kind: input.kind,
          title_fa: input.title.fa,
          title_en: input.title.en,
          cutoff_at: cutoff,
          draw_at: drawAt,
          winner_count: input.winners,
          min_score: input.minScore,
          chance_basis: input.chances.basis,
          points_per_chance: input.chances.pointsPerChance,
          exclude_past_winners: input.excludePastWinners,
          prizes: input.prizes,
          seed_enc: this.d.secrets.encrypt(seed),
          commitment: commitmentOf(seed),
          committed_at: now,
          created_by: ctx.actor,
        });
        const view = this.drawView(d);
        await audit(tx, { clubId: club.id, actor: ctx.actor, action: 'festival.draw_scheduled', target: d.id, after: view, requestId: ctx.requestId });
        await enqueue(tx, [{ clubId: club.id, topic: 'draw.scheduled', payload: { drawId: d.id, festivalId, commitment: d.commitment, cutoffAt: view.cutoffAt } }]);
        return ok(view);
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  drawView(d: store.DrawRow, festivalStatus: 'active' | 'cancelled' = 'active'): DrawView {
    return {
      id: d.id,
      festivalId: d.festival_id,
      kind: d.kind,
      title: { fa: d.title_fa, en: d.title_en },
      cutoffAt: toIso(d.cutoff_at)!,
      drawAt: toIso(d.draw_at)!,
      winners: Number(d.winner_count),
      minScore: Number(d.min_score),
      chances: { basis: d.chance_basis, pointsPerChance: Number(d.points_per_chance) },
      excludePastWinners: d.exclude_past_winners,
      prizes: store.drawPrizes(d),
      commitment: d.commitment,
      committedAt: toIso(d.committed_at)!,
      status: festivalStatus === 'cancelled' && d.status !== 'drawn' ? 'cancelled' : d.status,
      snapshotAt: toIso(d.snapshot_at),
      entryCount: d.entry_count === null ? null : Number(d.entry_count),
      totalChances: d.total_chances === null ? null : Number(d.total_chances),
      entriesDigest: d.entries_digest,
      drawnAt: toIso(d.drawn_at),
      publicUrl: `/api/v1/public/draws/${d.id}`,
    };
  }

  async listDraws(clubId: string, festivalId: string): Promise<Result<{ items: DrawView[] }>> {
    const f = await store.findFestival(this.db, clubId, festivalId);
    if (!f) return fail('festival_not_found');
    return ok({ items: (await store.listDraws(this.db, clubId, festivalId)).map((d) => this.drawView(d, f.status)) });
  }

  /** Every draw of the club, newest cut-off first, with its festival (the console's draws page). */
  async clubDraws(clubId: string, o: { status?: DrawView['status']; festivalId?: string; limit: number; offset: number }): Promise<{ total: number; limit: number; offset: number; items: (DrawView & { festival: { id: string; name: { fa: string; en: string }; status: 'active' | 'cancelled' } })[] }> {
    const page = await store.listClubDraws(this.db, clubId, o);
    return {
      total: page.total,
      limit: o.limit,
      offset: o.offset,
      items: page.rows.map((d) => ({ ...this.drawView(d, d.festival_status), festival: { id: d.festival_id, name: { fa: d.festival_name_fa, en: d.festival_name_en }, status: d.festival_status } })),
    };
  }

  async getDraw(clubId: string, drawId: string): Promise<Result<DrawView & { winnerList: { rank: number; ref: string; memberId: string; chances: number; prize: Prize | null; fulfilment: string; redemptionId: string | null }[] }>> {
    const d = await store.findDraw(this.db, clubId, drawId);
    if (!d) return fail('draw_not_found');
    const winners = await store.listWinners(this.db, clubId, drawId);
    const festival = await store.findFestival(this.db, clubId, d.festival_id);
    return ok({
      ...this.drawView(d, festival?.status),
      winnerList: winners.map((w) => ({ rank: w.rank, ref: w.ref, memberId: w.member_id, chances: Number(w.chances), prize: store.parseJson<Prize | null>(w.prize), fulfilment: w.fulfilment, redemptionId: w.redemption_id })),
    });
  }

  /**
   * Moves a draw as far as the clock allows: at the cut-off, freeze the entry list (snapshot
   * + digest; no stakes after it); at its draw time, draw the
   * winners from the revealed seed and the frozen list, record prizes and tell the winners.
   * Running it again is harmless: each step happens once.
   */
  async runDraw(club: Club, drawId: string, ctx: Ctx): Promise<Result<DrawView>> {
    let d = await store.findDraw(this.db, club.id, drawId);
    if (!d) return fail('draw_not_found');
    if (d.status !== 'drawn' && (await store.findFestival(this.db, club.id, d.festival_id))?.status === 'cancelled') return fail('festival_cancelled', 'the festival was cancelled: its draws do not run');
    const now = this.clock.now();
    if (now < new Date(d.cutoff_at)) return fail('draw_not_due', `eligibility freezes at ${toIso(d.cutoff_at)}`);

    if (d.status === 'scheduled') {
      await this.settle(club.id); // score acknowledged before the snapshot is in it
      const inactive = await this.inactiveMembers(club.id);
      await inTx(this.db, async (tx) => {
        // FOR UPDATE waits for stakes in flight (they hold the row FOR SHARE), then shuts them out.
        const locked = await store.findDraw(tx, club.id, drawId, 'update');
        if (locked?.status !== 'scheduled') return ok(null);
        await store.snapshotEntries(tx, locked, inactive);
        const entries = await store.readEntries(tx, club.id, drawId);
        const total = entries.reduce((s, e) => s + e.chances, 0);
        const at = this.clock.now();
        await store.saveEntryList(tx, club.id, drawId, store.serialiseEntries(entries));
        await store.setDrawStatus(tx, club.id, drawId, 'snapshotted', { snapshot_at: at, entry_count: entries.length, total_chances: total, entries_digest: entriesDigest(entries) });
        await audit(tx, { clubId: club.id, actor: ctx.actor, action: 'festival.draw_snapshot', target: drawId, after: { entries: entries.length, totalChances: total }, requestId: ctx.requestId });
        return ok(null);
      });
      d = (await store.findDraw(this.db, club.id, drawId))!;
    }
    if (d.status === 'snapshotted' && this.clock.now() >= new Date(d.draw_at)) {
      const festival = await store.findFestival(this.db, club.id, d.festival_id);
      await inTx(this.db, async (tx) => {
        const locked = await store.findDraw(tx, club.id, drawId, 'update');
        if (locked?.status !== 'snapshotted') return ok(null);
        await this.draw(tx, club, locked, festival ? store.toFestival(festival) : null, ctx);
        return ok(null);
      });
      d = (await store.findDraw(this.db, club.id, drawId))!;
      await this.fulfilPrizes({ clubId: club.id, drawId });
    }
    return ok(this.drawView(d));
  }

  /**
   * Prizes that name a reward become redemptions in the rewards module, after the draw has
   * committed (its own transaction). Pending ones are retried by the worker's tick; the
   * idempotency key (draw + rank) makes a retry return the first outcome, never a second prize.
   */
  async fulfilPrizes(only?: { clubId: string; drawId: string }): Promise<number> {
    if (!this.d.redeemPrize) return 0;
    let done = 0;
    for (const w of await store.pendingPrizes(this.db, 100, only)) {
      const prize = store.parseJson<Prize | null>(w.prize);
      if (!prize?.rewardId) continue;
      const r = await this.d.redeemPrize(w.club_id, w.member_id, prize.rewardId, `draw-prize:${w.draw_id}:${w.rank}`);
      await store.setFulfilment(this.db, w.club_id, w.draw_id, w.rank, r.ok ? 'fulfilled' : 'failed', r.ok ? r.value.id : null, r.ok ? null : `${r.code}${r.detail ? `: ${r.detail}` : ''}`);
      if (r.ok) done++;
    }
    return done;
  }

  /**
   * Members who are not active (suspended, closed): they do not enter a draw. Read through the
   * members module's door just before the snapshot; usually a small minority, and one walk of
   * the member list at worst.
   */
  private async inactiveMembers(clubId: string): Promise<string[]> {
    const out: string[] = [];
    for (const status of ['suspended', 'closed'] as const) {
      let cursor: string | undefined;
      for (;;) {
        const page = await this.d.members.list(clubId, { status, cursor, limit: 1000 });
        for (const m of page.items) out.push(m.id);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
    }
    return out;
  }

  private async draw(tx: Tx, club: Club, d: store.DrawRow, festival: Festival | null, ctx: Ctx): Promise<void> {
    const entries = (await store.readEntryList(tx, club.id, d.id)) ?? (await store.readEntries(tx, club.id, d.id));
    const seedHex = this.d.secrets.decrypt(d.seed_enc);
    const result = drawWinners({ seedHex, entries, winners: Number(d.winner_count), drawId: d.id });
    if (d.entries_digest && result.digest !== d.entries_digest) throw new Error(`draw ${d.id}: the entry list changed after its snapshot`);
    const members = await store.membersOfRefs(tx, club.id, d.id, result.winners.map((w) => w.ref));
    const prizes = store.drawPrizes(d);
    const now = this.clock.now();
    const rows = result.winners.map((w) => ({ rank: w.rank, ref: w.ref, memberId: members.get(w.ref)!, chances: w.chances, prize: prizeFor(prizes, w.rank) }));
    await store.insertWinners(tx, club.id, d.id, d.festival_id, rows, now);
    await store.setDrawStatus(tx, club.id, d.id, 'drawn', { drawn_at: now });
    const messages: OutboxMessage[] = rows.map((w) => ({
      clubId: club.id,
      topic: 'draw.won',
      payload: {
        memberId: w.memberId,
        drawId: d.id,
        festivalId: d.festival_id,
        rank: w.rank,
        ref: w.ref,
        prize: w.prize ? { title: w.prize.title, rewardId: w.prize.rewardId ?? null } : null,
        // A template (transactional) line: operators filter «برنده» on promotional lines.
        sms: { kind: 'transactional', template: 'draw_won', text: winnerSms({ clubName: club.name.fa, drawTitle: d.title_fa, rank: w.rank, prize: w.prize?.title.fa ?? null, ref: w.ref }) },
      },
    }));
    messages.push({ clubId: club.id, topic: 'draw.drawn', payload: { drawId: d.id, festivalId: d.festival_id, winners: rows.length, entries: entries.length, publicUrl: `/api/v1/public/draws/${d.id}`, festival: festival?.name.fa ?? null } });
    await enqueue(tx, messages);
    await audit(tx, { clubId: club.id, actor: ctx.actor, action: 'festival.draw_run', target: d.id, after: { winners: rows.map((w) => ({ rank: w.rank, ref: w.ref })) }, requestId: ctx.requestId });
  }

  /**
   * The public draw document (docs/draws.md). Before the snapshot: the commitment and the
   * schedule; after it: the frozen list and its digest; after the draw: the seed and winners.
   * The seed is never in it before the draw.
   */
  async publishedDraw(drawId: string): Promise<Result<PublishedDraw & Record<string, unknown>>> {
    const d = await store.findDraw(this.db, null, drawId);
    if (!d) return fail('draw_not_found');
    const club = await this.d.clubs.get(d.club_id);
    const tz = club?.timeZone ?? 'Asia/Tehran';
    const at = (t: Date | null) => (t ? isoInZone(new Date(t), tz) : null);
    const festival = await store.findFestival(this.db, d.club_id, d.festival_id);
    const doc: Record<string, unknown> = {
      format: DRAW_FORMAT,
      drawId: d.id,
      /** The club's slug: the public page names the club and links its member app (?club=). */
      club: club?.slug ?? null,
      clubName: club ? { fa: club.name.fa, en: club.name.en } : null,
      festivalId: d.festival_id,
      festivalName: festival ? { fa: festival.name_fa, en: festival.name_en } : null,
      title: d.title_fa,
      titleEn: d.title_en,
      kind: d.kind,
      status: festival?.status === 'cancelled' && d.status !== 'drawn' ? 'cancelled' : d.status,
      commitment: d.commitment,
      commitmentPublishedAt: at(d.committed_at),
      cutoffAt: at(d.cutoff_at),
      drawAt: at(d.draw_at),
      rules: { minScore: Number(d.min_score), chances: { basis: d.chance_basis, pointsPerChance: Number(d.points_per_chance) }, excludePastWinners: d.exclude_past_winners },
      prizes: store.drawPrizes(d),
      winnerCount: Number(d.winner_count),
    };
    if (d.status === 'snapshotted' || d.status === 'drawn') {
      const entries = (await store.readEntryList(this.db, d.club_id, d.id)) ?? (await store.readEntries(this.db, d.club_id, d.id));
      Object.assign(doc, { snapshotAt: at(d.snapshot_at), entriesDigest: d.entries_digest, totalChances: Number(d.total_chances), entries });
    }
    if (d.status === 'drawn') {
      const winners = await store.listWinners(this.db, d.club_id, d.id);
      Object.assign(doc, { drawnAt: at(d.drawn_at), seedHex: this.d.secrets.decrypt(d.seed_enc), winners: winners.map((w) => ({ rank: w.rank, ref: w.ref, chances: Number(w.chances) })) });
    }
    return ok(doc as PublishedDraw & Record<string, unknown>);
  }

  // ───────────────────────────── top performers ─────────────────────────────

  /**
   * At period end, the first N of each configured category win, no draw. Order: value desc,
   * then who reached the value first, then member id (deterministic; docs/festivals.md).
   * Decided once; asking again returns the same list.
   */
  async decideTopPerformers(club: Club, festivalId: string, ctx: Ctx): Promise<Result<{ decidedAt: string | null; items: TopPerformerView[] }>> {
    const row = await store.findFestival(this.db, club.id, festivalId);
    if (!row) return fail('festival_not_found');
    const f = store.toFestival(row);
    if (this.view(f, this.clock.now()).phase !== 'closed') return fail('festival_not_over', `the festival ends at ${f.window.endsAt}`);
    await this.settle(club.id);
    await inTx(this.db, async (tx) => {
      const locked = await store.findFestival(tx, club.id, festivalId, true);
      if (!locked || locked.top_decided_at) return ok(null);
      const now = this.clock.now();
      const rows: { category: string; rank: number; memberId: string; value: number; seq: number; prize: unknown }[] = [];
      for (const rule of f.topPerformers) {
        const top = await store.topStandings(tx, club.id, festivalId, rule.category, rule.count);
        top.forEach((t, i) => rows.push({ category: rule.category, rank: i + 1, memberId: t.memberId, value: t.value, seq: t.seq, prize: rule.prize ?? null }));
      }
      await store.insertTopPerformers(tx, club.id, festivalId, rows, now);
      await enqueue(tx, rows.map((r) => ({
        clubId: club.id,
        topic: 'festival.top_performer',
        payload: {
          memberId: r.memberId, festivalId, category: r.category, rank: r.rank, value: r.value, prize: r.prize,
          sms: { kind: 'transactional', template: 'festival_top_performer', text: topPerformerSms({ clubName: club.name.fa, festivalName: f.name.fa, rank: r.rank, prize: (r.prize as { fa?: string } | null)?.fa ?? null }) },
        },
      })));
      await audit(tx, { clubId: club.id, actor: ctx.actor, action: 'festival.top_performers_decided', target: festivalId, after: rows.map((r) => ({ category: r.category, rank: r.rank, memberId: r.memberId, value: r.value })), requestId: ctx.requestId });
      return ok(null);
    });
    return this.topPerformers(club.id, festivalId);
  }

  async topPerformers(clubId: string, festivalId: string): Promise<Result<{ decidedAt: string | null; items: TopPerformerView[] }>> {
    const row = await store.findFestival(this.db, clubId, festivalId);
    if (!row) return fail('festival_not_found');
    const rows = await store.listTopPerformers(this.db, clubId, festivalId);
    return ok({
      decidedAt: toIso(row.top_decided_at),
      items: rows.map((r) => ({ category: r.category, rank: r.rank, memberId: r.member_id, ref: r.mobile_masked && r.entry_code ? entryRef(r.mobile_masked, r.entry_code) : null, value: Number(r.value), prize: store.parseJson(r.prize) })),
    });
  }

  // ───────────────────────────── scheduled work ─────────────────────────────

  /** The worker's festival job: due snapshots and draws, automatic enrolment, top performers. */
  async tick(): Promise<{ draws: number; enrolled: number; decided: number }> {
    const now = this.clock.now();
    const ctx: Ctx = { actor: 'system:festivals' };
    let draws = 0;
    let enrolled = 0;
    let decided = 0;
    for (const due of await store.dueDraws(this.db, now)) {
      const club = await this.d.clubs.get(due.club_id);
      if (!club) continue;
      const r = await this.runDraw(club, due.id, ctx);
      if (r.ok && r.value.status === 'drawn') draws++;
    }
    for (const f of await store.festivalsToSync(this.db, now, new Date(now.getTime() - 60_000))) {
      const club = await this.d.clubs.get(f.club_id);
      if (!club) continue;
      const r = await this.syncEnrolment(club, f.id);
      if (r.ok) enrolled += r.value.enrolled;
    }
    await this.fulfilPrizes();
    for (const f of await store.festivalsToDecide(this.db, now)) {
      const club = await this.d.clubs.get(f.club_id);
      if (!club) continue;
      const r = await this.decideTopPerformers(club, f.id, ctx);
      if (r.ok) decided++;
    }
    return { draws, enrolled, decided };
  }
}

export interface TopPerformerView {
  category: string;
  rank: number;
  memberId: string;
  ref: string | null;
  value: number;
  prize: unknown;
}

function participantView(festivalId: string, p: store.ParticipantRow, created: boolean): ParticipantView {
  return { festivalId, memberId: p.member_id, entryCode: p.entry_code, entryRef: entryRef(p.mobile_masked, p.entry_code), via: p.via, joinedAt: new Date(p.joined_at).toISOString(), created };
}

function stakeView(s: store.StakeRow): StakeView {
  return { stakeId: s.id, festivalId: s.festival_id, drawId: s.draw_id, source: s.source, points: Number(s.points), chances: Number(s.chances), entryId: s.entry_id };
}

function describeAudience(f: Festival): string {
  const parts = [...f.audience.groups.map((g) => `group ${g}`), ...f.audience.tiers.map((t) => `tier ${t}`)];
  return parts.join(', ') || 'everyone';
}
