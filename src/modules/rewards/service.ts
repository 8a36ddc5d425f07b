/**
 * Rewards use cases, one transaction each. Concurrent redemptions of one reward share a
 * transaction (group commit, see batcher.ts and redeemGroup): their keys are claimed and the
 * reward read, their members read, locked (one advisory lock per member: limits are counted
 * under it) and their limits counted in one statement each; then the points move through
 * the ledger for the whole group at once (ledger/many.ts) — held until fulfilment for
 * products and digital services, spent at once for types fulfilled in the same transaction
 * — and codes, then redemptions, audit rows, outbox messages and stored responses are
 * written set-based for the group, in the same statement that takes the stock, LAST, once
 * for the group — the reward's row is the one hot spot, so it is locked for as short a time
 * as possible: until commit. Each request keeps its own outcome and is answered after its
 * group's commit.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../platform/db.js';
import { inTx } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import type { Secrets } from '../../platform/crypto.js';
import { newId } from '../../platform/ids.js';
import { idempotent, type IdempotencyClaim } from '../../platform/idempotency.js';
import { expiryInstant } from '../../platform/jalali.js';
import { enqueue, type ClaimedMessage } from '../../platform/outbox.js';
import { formatNumber } from '../../platform/persian.js';
import { fail, ok, type Result } from '../../platform/result.js';
import type { SmsChannel } from '../../platform/sms.js';
import { enqueueWebhook, getWebhookEndpoint, setWebhookEndpoint, type WebhookOutcome, type WebhookSender } from '../../platform/webhooks.js';
import type { Club, ClubService } from '../clubs/index.js';
import { SYSTEM, type Allocation, type DebitAsk, type DebitLeg, type EntryDraft, type LedgerService } from '../ledger/index.js';
import type { Member, MemberService } from '../members/index.js';
import {
  burnReversal,
  codeFromPattern,
  fatigueCurve,
  ineligibility,
  isDeferred,
  normaliseCode,
  orderCatalogue,
  periodRange,
  posQuote,
  usesCodes,
  walletRate,
  windowInstants,
  type FatiguePoint,
  type Freshness,
  type PosLimits,
  type Reward,
  type RewardCreate,
  type RewardPatch,
} from './domain.js';
import { Batcher } from './batcher.js';
import {
  assignPoolCodes,
  openGroup,
  lockStock,
  donationTotals,
  findRedemption,
  findReward,
  giveBackStock,
  insertIssuedCodes,
  insertPoolCodes,
  listRewards,
  memberHistory,
  poolCounts,
  reservePoolCodes,
  takenCountsMany,
  takenPerMember,
  toReward,
  transition,
  type RedemptionRow,
  type RewardRow,
  writeGroup,
  type NewRedemption,
} from './store.js';

export interface Ctx {
  actor: string;
  requestId?: string;
  idempotency?: IdempotencyClaim | null;
}

export interface RedeemInput {
  rewardId: string;
  /** bundle: which option */
  choice?: string;
  /** donation: how many units of the reward's cost */
  quantity?: number;
  /** product: where to send it */
  delivery?: { recipient: string; mobile?: string; address: string; postalCode?: string; city?: string };
}

export interface RedemptionView {
  id: string;
  memberId: string;
  rewardId: string;
  bundleId: string | null;
  type: string;
  status: RedemptionRow['status'];
  fulfilment: RedemptionRow['fulfilment'];
  points: number;
  copayRials: number;
  quantity: number;
  code: string | null;
  codeExpiresAt: string | null;
  delivery: Record<string, unknown> | null;
  walletRials?: number;
  createdAt: string;
  updatedAt: string;
}

export interface RewardSettings {
  pos: { maxPercent: number; minPoints: number; pointValueRials: number | null };
  returnKeepsExpiry: boolean;
  fulfilmentWebhookUrl: string | null;
}

/** A draw ticket is entered by the festivals module through this hook (same transaction). */
export type DrawTicketHook = (tx: Tx, r: { clubId: string; memberId: string; festivalId: string | null; tickets: number; redemptionId: string }) => Promise<Result<unknown>>;

/**
 * A redemption request. The reward it takes stock from (`rewardId`: the offer, or a bundle's
 * chosen option) is read by its group, in the group's transaction; a bundle is read before
 * (its options decide which reward that is). The member is read with its group.
 */
interface Request {
  club: Club;
  memberId: string;
  input: RedeemInput;
  rewardId: string;
  bundle: RewardRow | null;
}

interface Prepared {
  club: Club;
  clubId: string;
  memberId: string;
  member: { status: string; tier: string | null; groups: string[]; mobile: string };
  input: RedeemInput;
  reward: RewardRow;
  bundle: RewardRow | null;
  priced: RewardRow;
  quantity: number;
  points: number;
  copay: number;
  config: Reward['config'];
  deferred: boolean;
  ttlSeconds: number;
  now: Date;
}

export const FULFILMENT_PURPOSE = 'rewards.fulfilment';
const DIGITAL_CALLBACK = 'rewards.digital';
const NOTICE_TOPIC = 'rewards.notice';
/**
 * How long points stay held. A product's order has no deadline to ship: its hold is
 * resolved by shipping (capture) or cancelling (release), never by the ledger's hold-expiry
 * job, so its expiry is set beyond any order's life (a hundred years). A digital delivery's
 * hold covers the fulfilment webhook's retries.
 */
export const HOLD_TTL_SECONDS = { product: 100 * 365 * 86400, digital: 7 * 86400, immediate: 900 } as const;

export interface RewardDeps {
  db: Db;
  clock: Clock;
  secrets: Secrets;
  sms: SmsChannel;
  clubs: ClubService;
  members: MemberService;
  ledger: LedgerService;
  webhooks: WebhookSender;
}

/** The stock could not cover an optimistic group: roll back and redo it with the stock row locked. */
class StockShort extends Error {
  constructor() {
    super('stock short for the group');
  }
}

/** A generated code written with the group clashed with one issued before: roll back and redo, drawing codes apart. */
class CodeClash extends Error {
  constructor() {
    super('a generated code clashed');
  }
}

/**
 * How a group runs. First try: optimistic stock (taken in the group's last statement) and
 * generated codes written in that same statement. `lockedStock`: the stock row locked up
 * front (near sell-out). `separateCodes`: generated codes inserted before, redrawn on a clash.
 */
type GroupMode = { lockedStock: boolean; separateCodes: boolean };

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

export class RewardService {
  private drawHook: DrawTicketHook | null = null;
  /**
   * Groups of a reward in flight: at light load up to four, so a newcomer seldom waits for a
   * slot; under heavy load (groups of 8 and more) two — one taking its locks and points while
   * the other holds the reward's stock row through its commit. A stocked reward's commits are
   * serial on that row, so more groups in flight would only queue there, each paying its own
   * commit, and split the waiting requests into smaller groups.
   */
  private readonly batcher = new Batcher<{ q: Request; ctx: Ctx }, Result<RedemptionView>>((items) => this.redeemBatch(items), { maxBatch: 64, maxInflight: 4, gatherMs: 4, busy: { size: 8, inflight: 2 } });
  private readonly db: Db;
  private readonly clock: Clock;

  constructor(private readonly d: RewardDeps) {
    this.db = d.db;
    this.clock = d.clock;
    d.webhooks.on(DIGITAL_CALLBACK, (o) => this.onDigitalOutcome(o));
  }

  /** The festivals module plugs draw tickets in here. */
  setDrawTicketHook(fn: DrawTicketHook) {
    this.drawHook = fn;
  }

  private async club(clubId: string): Promise<Club> {
    const c = await this.d.clubs.get(clubId);
    if (!c) throw new Error(`club ${clubId} vanished`);
    return c;
  }

  // ======================================================================== catalogue

  async create(clubId: string, input: RewardCreate, ctx: Ctx): Promise<Result<Reward>> {
    const club = await this.club(clubId);
    const checked = await this.checkRefs(clubId, input.type, input.config);
    if (!checked.ok) return checked;
    const w = windowInstants(input.availableFrom, input.availableUntil, club.timeZone);
    if (w.from && w.until && w.until <= w.from) return fail('validation_failed', 'availableUntil is before availableFrom');
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, clubId, ctx.idempotency ?? null, 201, async () => {
        const id = newId('rwd');
        const now = this.clock.now();
        const row = (await tx
          .insertInto('rewards')
          .values({
            id, club_id: clubId, type: input.type, title_fa: input.title.fa, title_en: input.title.en, description_fa: input.description.fa, description_en: input.description.en,
            image_url: input.imageUrl, cost_points: input.costPoints, copay_rials: input.copayRials, stock: input.stock,
            limit_count: input.limit?.count ?? null, limit_period: input.limit?.period ?? null,
            audience_tiers: input.audience.tiers, audience_groups: input.audience.groups,
            available_from: w.from, available_until: w.until, config: JSON.stringify(input.config), created_at: now, updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow()) as RewardRow;
        const reward = toReward(row, club.timeZone);
        await audit(tx, { clubId, actor: ctx.actor, action: 'reward.created', target: id, after: reward, requestId: ctx.requestId });
        await enqueue(tx, [{ clubId, topic: 'reward.created', payload: { rewardId: id, type: input.type } }]);
        return ok(reward);
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  private async checkRefs(clubId: string, type: string, config: RewardCreate['config']): Promise<Result<true>> {
    if (config.partnerId) {
      const p = await this.db.selectFrom('partners').select('id').where('club_id', '=', clubId).where('id', '=', config.partnerId).executeTakeFirst();
      if (!p) return fail('partner_not_found', `no partner ${config.partnerId}`);
    }
    if (type === 'bundle' && config.options) {
      const rows = await listRewards(this.db, clubId, { ids: config.options });
      if (rows.length !== new Set(config.options).size) return fail('reward_not_found', 'a bundle option is not a reward of this club');
      if (rows.some((r) => r.type === 'bundle')) return fail('validation_failed', 'a bundle cannot contain a bundle');
    }
    return ok(true);
  }

  async update(clubId: string, id: string, patch: RewardPatch, ctx: Ctx): Promise<Result<Reward>> {
    const club = await this.club(clubId);
    const before = await findReward(this.db, clubId, id);
    if (!before) return fail('reward_not_found');
    if (patch.config) {
      const c = await this.checkRefs(clubId, before.type, patch.config);
      if (!c.ok) return c;
    }
    const set: Record<string, unknown> = { updated_at: this.clock.now() };
    if (patch.title) Object.assign(set, { title_fa: patch.title.fa, title_en: patch.title.en });
    if (patch.description) Object.assign(set, { description_fa: patch.description.fa, description_en: patch.description.en });
    if (patch.imageUrl !== undefined) set.image_url = patch.imageUrl;
    if (patch.costPoints !== undefined) set.cost_points = patch.costPoints;
    if (patch.copayRials !== undefined) set.copay_rials = patch.copayRials;
    if (patch.stock !== undefined) set.stock = patch.stock;
    if (patch.limit !== undefined) Object.assign(set, { limit_count: patch.limit?.count ?? null, limit_period: patch.limit?.period ?? null });
    if (patch.audience) Object.assign(set, { audience_tiers: patch.audience.tiers, audience_groups: patch.audience.groups });
    if (patch.availableFrom !== undefined) set.available_from = windowInstants(patch.availableFrom, null, club.timeZone).from;
    if (patch.availableUntil !== undefined) set.available_until = windowInstants(null, patch.availableUntil, club.timeZone).until;
    if (patch.config) set.config = JSON.stringify(patch.config);
    return inTx(this.db, async (tx) => {
      const row = (await tx.updateTable('rewards').set(set).where('club_id', '=', clubId).where('id', '=', id).returningAll().executeTakeFirst()) as RewardRow | undefined;
      if (!row) return fail('reward_not_found');
      const after = toReward(row, club.timeZone);
      await audit(tx, { clubId, actor: ctx.actor, action: 'reward.updated', target: id, before: toReward(before, club.timeZone), after, requestId: ctx.requestId });
      await enqueue(tx, [{ clubId, topic: 'reward.updated', payload: { rewardId: id } }]);
      return ok(after);
    });
  }

  /** Adds (or with a negative n removes) stock without racing redemptions. */
  async addStock(clubId: string, id: string, n: number, ctx: Ctx): Promise<Result<Reward>> {
    const club = await this.club(clubId);
    return inTx(this.db, async (tx) => {
      const r = await sql<RewardRow>`update rewards set stock = coalesce(stock, 0) + ${n}, updated_at = ${this.clock.now()}
        where club_id = ${clubId} and id = ${id} and coalesce(stock, 0) + ${n} >= 0 returning *`.execute(tx);
      const row = r.rows[0];
      if (!row) return (await findReward(tx, clubId, id)) ? fail('validation_failed', 'stock would go below zero') : fail('reward_not_found');
      await audit(tx, { clubId, actor: ctx.actor, action: 'reward.stock_added', target: id, after: { added: n, stock: Number(row.stock) }, requestId: ctx.requestId });
      return ok(toReward(row, club.timeZone));
    });
  }

  async archive(clubId: string, id: string, ctx: Ctx): Promise<Result<Reward>> {
    const club = await this.club(clubId);
    return inTx(this.db, async (tx) => {
      const now = this.clock.now();
      const row = (await tx.updateTable('rewards').set({ status: 'archived', archived_at: now, updated_at: now }).where('club_id', '=', clubId).where('id', '=', id).returningAll().executeTakeFirst()) as RewardRow | undefined;
      if (!row) return fail('reward_not_found');
      await audit(tx, { clubId, actor: ctx.actor, action: 'reward.archived', target: id, requestId: ctx.requestId });
      await enqueue(tx, [{ clubId, topic: 'reward.archived', payload: { rewardId: id } }]);
      return ok(toReward(row, club.timeZone));
    });
  }

  async get(clubId: string, id: string): Promise<Result<Reward & { codes?: Record<string, number> }>> {
    const club = await this.club(clubId);
    const row = await findReward(this.db, clubId, id);
    if (!row) return fail('reward_not_found');
    const reward = toReward(row, club.timeZone);
    return ok(usesCodes(row.type) ? { ...reward, codes: await poolCounts(this.db, clubId, id) } : reward);
  }

  async list(clubId: string, opts: { status?: string; type?: string } = {}): Promise<Reward[]> {
    const club = await this.club(clubId);
    return (await listRewards(this.db, clubId, opts)).map((r) => toReward(r, club.timeZone));
  }

  /** Adds codes to a coupon / voucher pool in batches; duplicates are skipped. */
  async uploadCodes(clubId: string, rewardId: string, codes: { code: string; expiresAt?: Date | null }[], ctx: Ctx): Promise<Result<{ added: number; skipped: number }>> {
    const row = await findReward(this.db, clubId, rewardId);
    if (!row) return fail('reward_not_found');
    if (!usesCodes(row.type)) return fail('validation_failed', `a ${row.type} reward has no codes`);
    const clean = codes.map((c) => ({ id: newId('cpn'), code: normaliseCode(c.code), expiresAt: c.expiresAt ?? null })).filter((c) => /^[A-Z0-9_-]{4,64}$/.test(c.code));
    let added = 0;
    for (let i = 0; i < clean.length; i += 5000) added += await insertPoolCodes(this.db, clubId, rewardId, clean.slice(i, i + 5000));
    await audit(this.db, { clubId, actor: ctx.actor, action: 'reward.codes_uploaded', target: rewardId, after: { added, skipped: codes.length - added }, requestId: ctx.requestId });
    return ok({ added, skipped: codes.length - added });
  }

  // ======================================================================== member's catalogue

  /** Rewards this member can see now, fresh ones first (R4), with why one is not redeemable. */
  async catalogueFor(clubId: string, memberId: string): Promise<Result<{ items: (Reward & { freshness: Freshness; timesTaken: number; redeemable: boolean; reason: string | null; donated?: { points: number; donors: number } })[] }>> {
    const club = await this.club(clubId);
    const m = await this.d.members.get(clubId, memberId);
    if (!m.ok) return m;
    const now = this.clock.now();
    const rows = await listRewards(this.db, clubId, { status: 'active' });
    const history = await memberHistory(this.db, clubId, memberId);
    const donations = await donationTotals(this.db, clubId, rows.filter((r) => r.type === 'donation').map((r) => r.id));
    const points = (await this.d.ledger.balance(clubId, memberId, 'points')).available;
    const visible = rows
      .map((r) => ({ r, why: ineligibility(this.facts(r), this.memberFacts(m.value), now) }))
      // Out of the window or audience: not shown at all. Out of stock: shown, not redeemable.
      .filter((x) => x.why === null || x.why === 'reward_out_of_stock');
    const entries = visible.map(({ r, why }) => {
      const h = history.get(r.id);
      const cost = Number(r.cost_points);
      const reason = why ?? (cost > points ? 'insufficient_points' : null);
      return {
        ...toReward(r, club.timeZone),
        rotatedAt: r.available_from ? new Date(r.available_from) : new Date(r.created_at),
        timesTaken: h?.times ?? 0,
        lastTakenAt: h?.last ?? null,
        redeemable: reason === null,
        reason,
        ...(r.type === 'donation' ? { donated: donations.get(r.id) ?? { points: 0, donors: 0 } } : {}),
      };
    });
    const items = orderCatalogue(entries, now).map(({ rotatedAt: _r, lastTakenAt: _l, ...rest }) => rest);
    return ok({ items });
  }

  private facts(r: RewardRow) {
    return {
      type: r.type,
      status: r.status,
      stock: r.stock === null ? null : Number(r.stock),
      availableFrom: r.available_from ? new Date(r.available_from) : null,
      availableUntil: r.available_until ? new Date(r.available_until) : null,
      audience: { tiers: r.audience_tiers ?? [], groups: r.audience_groups ?? [] },
    };
  }

  private memberFacts(m: Member) {
    return { status: m.status, tier: m.tier, groups: m.groups };
  }

  // ======================================================================== redemption

  /** Concurrent reads of one reward share one query (no caching beyond the requests in flight). */
  private readonly rewardReads = new Map<string, Promise<RewardRow | null>>();
  private readReward(clubId: string, id: string): Promise<RewardRow | null> {
    const k = `${clubId}:${id}`;
    let p = this.rewardReads.get(k);
    if (!p) {
      p = findReward(this.db, clubId, id).finally(() => this.rewardReads.delete(k));
      this.rewardReads.set(k, p);
    }
    return p;
  }

  /**
   * Which rewards are bundles, by `club:id` (a reward's type never changes): a reward known
   * not to be one goes straight to its group, which reads it — no read per request.
   */
  private readonly isBundle = new Map<string, boolean>();

  async redeem(clubId: string, memberId: string, input: RedeemInput, ctx: Ctx): Promise<Result<RedemptionView>> {
    const k = `${clubId}:${input.rewardId}`;
    if (this.isBundle.get(k) === false) {
      const club = await this.club(clubId);
      return this.batcher.submit(k, { q: { club, memberId, input, rewardId: input.rewardId, bundle: null }, ctx });
    }
    const [club, offer] = await Promise.all([this.club(clubId), this.readReward(clubId, input.rewardId)]);
    if (!offer) return fail('reward_not_found');
    if (this.isBundle.size >= 10_000) this.isBundle.clear();
    this.isBundle.set(k, offer.type === 'bundle');
    let rewardId = offer.id;
    let bundle: RewardRow | null = null;
    if (offer.type === 'bundle') {
      const options = (typeof offer.config === 'string' ? JSON.parse(offer.config) : offer.config).options as string[];
      if (!input.choice || !options.includes(input.choice)) return fail('bundle_choice_required', `choose one of ${options.join(', ')}`, { options });
      bundle = offer;
      rewardId = input.choice;
    }
    return this.batcher.submit(`${clubId}:${rewardId}`, { q: { club, memberId, input, rewardId, bundle }, ctx });
  }

  /** A request made ready against its member's facts (read for the whole group), or why not. */
  private prepare(q: Request, reward: RewardRow, member: Prepared['member'] | undefined, now: Date): Result<Prepared> {
    const { club, memberId, input, bundle } = q;
    if (!member) return fail('member_not_found');
    for (const r of bundle ? [bundle, reward] : [reward]) {
      // A bundle's options are sold through the bundle: only their stock and archive state count.
      const facts = r === reward && bundle ? { ...this.facts(r), availableFrom: null, availableUntil: null, audience: { tiers: [], groups: [] } } : this.facts(r);
      const why = ineligibility(facts, member, now);
      if (why) return fail(why);
    }
    if (reward.type === 'draw_ticket' && !this.drawHook) return fail('not_available_yet', 'draw tickets are redeemable once festivals are connected');
    if (reward.type === 'product' && !input.delivery) return fail('delivery_required');
    const priced = bundle ?? reward;
    const quantity = reward.type === 'donation' || reward.type === 'draw_ticket' ? (input.quantity ?? 1) : 1;
    const points = Number(priced.cost_points) * quantity;
    const copay = Number(priced.copay_rials) * quantity;
    const config = typeof reward.config === 'string' ? JSON.parse(reward.config) : (reward.config as Reward['config']);
    const deferred = isDeferred(reward.type);
    const ttlSeconds = reward.type === 'product' ? HOLD_TTL_SECONDS.product : reward.type === 'digital' ? HOLD_TTL_SECONDS.digital : HOLD_TTL_SECONDS.immediate;
    return ok({ club, clubId: club.id, memberId, member, input, reward, bundle, priced, quantity, points, copay, config, deferred, ttlSeconds, now });
  }

  /** Figures of the redemption group commit (groups, redemptions, fallbacks). */
  get redemptionStats() {
    return this.batcher.stats;
  }

  /**
   * A group of redemptions of one reward in ONE transaction. Optimistic first: the stock is
   * taken last, in one conditional UPDATE for the whole group, so the reward's row is locked
   * only from there to the commit. If the stock cannot cover the group (near sell-out), the
   * transaction rolls back and the group runs again with the stock row locked up front, so
   * exactly what is left is given out — never more.
   */
  private async redeemBatch(items: { q: Request; ctx: Ctx }[]): Promise<Result<RedemptionView>[]> {
    const mode: GroupMode = { lockedStock: false, separateCodes: false };
    for (;;) {
      try {
        return await this.redeemGroup(items, mode);
      } catch (e) {
        // Each fallback is taken at most once: neither of them throws its own error again.
        if (e instanceof StockShort && !mode.lockedStock) mode.lockedStock = true;
        else if (e instanceof CodeClash && !mode.separateCodes) mode.separateCodes = true;
        else throw e;
      }
    }
  }

  /**
   * Statements per group (N redemptions), whatever N: BEGIN, claim the keys, read the reward
   * and take the per-member advisory locks (1, +1 if any replay), members' facts (1), [stock
   * row locked: near sell-out only], [limit counts (1): only for a reward with a limit; else
   * each redemption's rank is counted in the last statement], [pooled codes reserved (1)],
   * the ledger's debits for the group (4, ledger/many.ts; a round more only when a member
   * redeems twice in the group or the stock or codes run out inside it), [pooled codes
   * assigned (1)], [type postings: wallet credits, settlements, webhooks], generated codes +
   * redemptions + audit + outbox + keys stored + stock (1), COMMIT: 9 for an unlimited coupon
   * with generated codes (was 11), 0.9 per redemption in groups of 10.
   *
   * Lock order: per-member advisory locks (sorted), [the stock row], the members' balance
   * rows in member order (taken by the ledger), the stock row (optimistic mode), coupon
   * codes (SKIP LOCKED: never waits).
   */
  private async redeemGroup(requests: { q: Request; ctx: Ctx }[], mode: GroupMode): Promise<Result<RedemptionView>[]> {
    const { lockedStock } = mode;
    const n = requests.length;
    const { club, rewardId } = requests[0]!.q;
    const clubId = club.id;
    const out: (Result<RedemptionView> | undefined)[] = new Array(n);
    const items: { p: Prepared; ctx: Ctx }[] = new Array(n);
    const later: number[] = []; // a key used twice in one group: the repeat runs after the group, alone (then it replays)
    const now = this.clock.now();
    const r = await inTx(this.db, async (tx) => {
      out.fill(undefined);
      later.length = 0;
      // 1. Idempotency keys, all at once.
      const seenKeys = new Set<string>();
      const claims: { key: string; requestHash: string }[] = [];
      requests.forEach((it, i) => {
        const c = it.ctx.idempotency;
        if (!c) return;
        if (seenKeys.has(c.key)) return void later.push(i);
        seenKeys.add(c.key);
        claims.push(c);
      });
      // 1+2. Keys claimed, the reward read, then one advisory lock per member (sorted): one
      //      redemption per member at a time, limits are counted under it. Every member of
      //      the group is locked, also those whose request turns out a replay or ineligible.
      const opened = await openGroup(tx, clubId, rewardId, claims, requests.filter((_, i) => !later.includes(i)).map((it) => it.q.memberId));
      const claimed = opened.keys;
      const reward = opened.reward;
      const config = (reward ? (typeof reward.config === 'string' ? JSON.parse(reward.config) : reward.config) : {}) as Reward['config'];
      const fresh: number[] = [];
      requests.forEach((it, i) => {
        if (later.includes(i)) return;
        const c = it.ctx.idempotency;
        const s = c ? claimed.get(c.key)! : { state: 'new' as const };
        if (s.state === 'conflict') out[i] = fail('exists_with_different_body', 'this Idempotency-Key was used with another body');
        else if (s.state === 'replay') out[i] = ok(s.response as RedemptionView);
        else fresh.push(i);
      });
      // The group's members in one read; each request checked against its member.
      if (!reward) {
        for (const i of fresh) out[i] = requests[i]!.q.bundle ? fail('reward_not_found', 'the chosen option no longer exists') : fail('reward_not_found');
        return fail('reward_not_found'); // rolls the claims back
      }
      const facts = fresh.length ? await this.d.members.facts(tx, clubId, [...new Set(fresh.map((i) => requests[i]!.q.memberId))]) : new Map();
      const live: number[] = [];
      for (const i of fresh) {
        const pr = this.prepare(requests[i]!.q, reward, facts.get(requests[i]!.q.memberId), now);
        if (!pr.ok) out[i] = pr;
        else {
          items[i] = { p: pr.value, ctx: requests[i]!.ctx };
          live.push(i);
        }
      }
      // Members in id order: the ledger's lock order across members.
      live.sort((a, b) => (items[a]!.p.memberId < items[b]!.p.memberId ? -1 : items[a]!.p.memberId > items[b]!.p.memberId ? 1 : a - b));
      if (!live.length) return fail('validation_failed', 'nothing in this group can go through'); // rolls the claims back; every item has its own answer
      let stockLeft: number | null = null;
      // Near sell-out (the stock as this transaction read it cannot cover the group), or after
      // an optimistic try fell short: the stock row is locked now and exactly what is left is given.
      if (reward.stock !== null && (lockedStock || Number(reward.stock) < live.length)) stockLeft = (await lockStock(tx, clubId, reward.id)) ?? null;
      // 3. Limits: the counts of every (member, reward or bundle) in one statement — only when
      //    there is a limit to check; else each redemption's rank (nth) is counted as it is
      //    written (writeGroup, countNth), one round trip fewer.
      const countNth = !live.some((i) => items[i]!.p.priced.limit_count);
      const counts = countNth
        ? live.map(() => ({ inPeriod: 0, ever: 0 }))
        : await takenCountsMany(tx, clubId, live.map((i) => {
            const { memberId, priced } = items[i]!.p;
            return { memberId, rewardId: priced.id, periodStart: priced.limit_period ? periodRange(priced.limit_period as never, now, club.timeZone).start : null };
          }));
      const takenInGroup = new Map<string, number>();
      // 4. Pooled codes: reserve as many as could be needed before any points move.
      const pool = usesCodes(reward.type) && config.codes?.source !== 'pattern';
      const reserved = pool ? await reservePoolCodes(tx, clubId, reward.id, live.length) : [];
      const validUntil = usesCodes(reward.type) && config.codes?.validDays ? new Date(now.getTime() + config.codes.validDays * 86_400_000) : null;
      // 5. Checks per redemption, then the ledger for many members at once (ledger/many.ts):
      //    points and co-payment of each redemption go through together or not at all.
      //    Redemptions are taken in rounds, each the longest run (in member order) that fits
      //    what is left of the stock and the codes and names no member twice, so every check
      //    sees the outcome of the redemptions before it — as if they had run one by one.
      //    Usually the whole group is one round.
      type Done = { i: number; id: string; nth: number; hold: { id: string | null; allocations: Allocation[] } | null; copayHoldId: string | null; detail: Record<string, unknown> };
      const done: Done[] = [];
      const cap = Math.min(stockLeft ?? Infinity, pool ? reserved.length : Infinity);
      const order = [...live.entries()]; // [k, i]: k indexes counts
      let next = 0;
      let spCount = 0;
      while (next < order.length) {
        const round: { k: number; i: number; id: string; before: number; ask: DebitAsk }[] = [];
        const inRound = new Set<string>();
        while (next < order.length) {
          const [k, i] = order[next]!;
          const { p, ctx } = items[i]!;
          const { memberId, priced, points, copay, deferred, ttlSeconds } = p;
          // Decided after this round's outcome: a second redemption of a member, or one past what may be left.
          if (inRound.has(memberId) || (round.length && done.length + round.length >= cap)) break;
          next++;
          if (stockLeft !== null && done.length >= stockLeft) {
            out[i] = fail('reward_out_of_stock');
            continue;
          }
          const mk = `${memberId}\u0000${priced.id}`;
          const before = takenInGroup.get(mk) ?? 0;
          const c = counts[k]!;
          if (priced.limit_count && c.inPeriod + before + 1 > priced.limit_count) {
            out[i] = fail('member_limit_reached', `${c.inPeriod + before} of ${priced.limit_count} per ${priced.limit_period}`, { limit: priced.limit_count, period: priced.limit_period });
            continue;
          }
          if (pool && done.length >= reserved.length) {
            out[i] = fail('reward_out_of_stock', 'no codes left in the pool');
            continue;
          }
          const id = newId('rdm');
          const legs: DebitLeg[] = [];
          const hold = (reference: string) => (deferred ? { reference, ttlSeconds } : null);
          if (points > 0) legs.push({ unit: 'points', amount: points, hold: hold(`redemption:${id}`), memo: `reward ${p.reward.id}`, meta: { redemptionId: id, rewardId: p.reward.id } });
          if (copay > 0) legs.push({ unit: 'rials', amount: copay, hold: hold(`redemption:${id}`), memo: `reward ${p.reward.id} co-payment`, meta: { redemptionId: id } });
          round.push({ k, i, id, before, ask: { memberId, legs, actor: ctx.actor } });
          inRound.add(memberId);
          // A draw ticket's hook may fail after the points moved: it runs alone, in a savepoint.
          if (p.reward.type === 'draw_ticket') break;
        }
        if (!round.length) continue;
        const sp = round.length === 1 && items[round[0]!.i]!.p.reward.type === 'draw_ticket' ? `rdm_${spCount++}` : null;
        if (sp) await sql.raw(`savepoint ${sp}`).execute(tx);
        const debited = await this.d.ledger.debitManyInTx(tx, clubId, round.map((x) => x.ask));
        for (const [r, x] of round.entries()) {
          const { p } = items[x.i]!;
          const d = debited[r]!;
          if (!d.ok) {
            out[x.i] = d.unit === 'rials' && d.result.ok === false && d.result.code === 'insufficient_points' ? fail('insufficient_wallet', d.result.detail, d.result.extra) : d.result;
            continue;
          }
          const pointsLeg = p.points > 0 ? d.legs[0]! : null;
          const copayLeg = p.copay > 0 ? d.legs[p.points > 0 ? 1 : 0]! : null;
          if (sp) {
            const t = await this.drawHook!(tx, { clubId, memberId: p.memberId, festivalId: p.config.festivalId ?? null, tickets: p.quantity, redemptionId: x.id });
            if (!t.ok) {
              await sql.raw(`rollback to savepoint ${sp}`).execute(tx);
              out[x.i] = t as Result<never>;
              continue;
            }
          }
          const detail: Record<string, unknown> = { allocations: pointsLeg?.allocations ?? [], title: { fa: p.reward.title_fa, en: p.reward.title_en } };
          if (p.reward.type === 'wallet_credit') {
            const rate = walletRate(p.config, p.member.tier, club.pointValueRials);
            detail.walletRials = p.points * rate;
            detail.rateRials = rate;
          }
          if (p.reward.type === 'partner_voucher') detail.partner = { id: p.config.partnerId, settlementRials: p.config.settlementRials ?? 0 };
          if (p.reward.type === 'donation') detail.cause = p.config.cause;
          takenInGroup.set(`${p.memberId}\u0000${p.priced.id}`, x.before + 1);
          done.push({ i: x.i, id: x.id, nth: counts[x.k]!.ever + x.before, hold: pointsLeg ? { id: pointsLeg.holdId, allocations: pointsLeg.allocations } : null, copayHoldId: copayLeg?.holdId ?? null, detail });
        }
      }
      if (!done.length) return fail('reward_out_of_stock', 'nothing in this group went through'); // rolls back the claims; every item has its own answer
      // 6. Codes for the group.
      let issued: { id: string; code: string; memberId: string; redemptionId: string }[] | undefined;
      const codes = new Map<string, { code: string; expiresAt: Date | null }>();
      if (pool) {
        const got = await assignPoolCodes(tx, clubId, reward.id, done.map((d, k) => ({ codeId: reserved[k]!, memberId: items[d.i]!.p.memberId, redemptionId: d.id })), now, validUntil);
        for (const [id, c] of got) codes.set(id, c);
        if (codes.size !== done.length) throw new Error(`reserved codes of ${reward.id} were taken under their lock`);
      } else if (usesCodes(reward.type) && !mode.separateCodes) {
        // Drawn here, written with the group's last statement; a clash with an earlier code
        // (all but impossible with a sound pattern) redoes the group with separateCodes.
        const drawn = new Set<string>();
        issued = done.map((d) => {
          const code = codeFromPattern(config.codes!.pattern!, randomBytes(64));
          if (drawn.has(code)) throw new CodeClash(); // a tiny pattern: the separate path redraws, bounded
          drawn.add(code);
          codes.set(d.id, { code, expiresAt: validUntil });
          return { id: newId('cpn'), code, memberId: items[d.i]!.p.memberId, redemptionId: d.id };
        });
      } else if (usesCodes(reward.type)) {
        let want = done;
        for (let attempt = 0; attempt < 8 && want.length; attempt++) {
          const drawn = new Set<string>();
          const rows = want.map((d) => {
            let code: string;
            do code = codeFromPattern(config.codes!.pattern!, randomBytes(64));
            while (drawn.has(code));
            drawn.add(code);
            return { id: newId('cpn'), code, memberId: items[d.i]!.p.memberId, redemptionId: d.id };
          });
          const fresh = await insertIssuedCodes(tx, clubId, reward.id, rows, now, validUntil);
          rows.forEach((row) => fresh.has(row.code) && codes.set(row.redemptionId, { code: row.code, expiresAt: validUntil }));
          want = want.filter((d) => !codes.has(d.id));
        }
        if (want.length) throw new Error(`pattern ${config.codes?.pattern} is exhausted`);
      }
      // 7. The redemptions as they will be written (nothing is read back: the view is built from these).
      const rows = new Map<string, NewRedemption>();
      for (const d of done) {
        const { p, ctx } = items[d.i]!;
        const code = codes.get(d.id) ?? null;
        rows.set(d.id, {
          id: d.id, member_id: p.memberId, reward_id: p.reward.id, bundle_id: p.bundle?.id ?? null, type: p.reward.type, status: p.deferred ? 'pending' : 'fulfilled',
          fulfilment: p.reward.type === 'product' ? 'ordered' : null, points: p.points, copay_rials: p.copay, quantity: p.quantity, nth: d.nth,
          hold_id: d.hold?.id ?? null, copay_hold_id: d.copayHoldId, code: code?.code ?? null, code_expires_at: code?.expiresAt?.toISOString() ?? null,
          delivery: (p.input.delivery as Record<string, unknown> | undefined) ?? null, detail: d.detail, actor: ctx.actor,
        });
      }
      // 8. What the type posts, for the whole group at once.
      const wallet = done.filter((d) => items[d.i]!.p.reward.type === 'wallet_credit');
      if (wallet.length) {
        await this.d.ledger.credit(tx, clubId, wallet.map((d) => {
          const { p, ctx } = items[d.i]!;
          return {
            memberId: p.memberId, unit: 'rials' as const, amount: d.detail.walletRials as number, kind: 'convert' as const, source: SYSTEM.conversion,
            availableAt: now, expiresAt: null, memo: `reward ${p.reward.id}`, actor: ctx.actor, meta: { redemptionId: d.id, points: p.points, rateRials: d.detail.rateRials },
          };
        }));
      }
      const settled = done.filter((d) => items[d.i]!.p.reward.type === 'partner_voucher' && (items[d.i]!.p.config.settlementRials ?? 0) > 0);
      if (settled.length) await this.d.ledger.post(tx, settled.map((d) => this.settlementEntry(clubId, items[d.i]!.p.config.partnerId!, items[d.i]!.p.config.settlementRials!, { redemptionId: d.id }, items[d.i]!.ctx.actor)));
      for (const d of done) {
        const { p } = items[d.i]!;
        if (p.reward.type !== 'digital') continue;
        await enqueueWebhook(tx, clubId, {
          purpose: FULFILMENT_PURPOSE,
          event: 'reward.fulfilment_requested',
          data: { redemptionId: d.id, rewardId: p.reward.id, memberId: p.memberId, mobile: p.member.mobile, fulfilment: p.config.fulfilment ?? {}, title: { fa: p.reward.title_fa, en: p.reward.title_en } },
          callback: DIGITAL_CALLBACK,
          context: { redemptionId: d.id },
        }, now);
      }
      for (const d of done) out[d.i] = ok(this.view({ ...rows.get(d.id)!, club_id: clubId, created_at: now, updated_at: now } as unknown as RedemptionRow));
      // 9. Keys: responses of the successes stored, claims of the failures dropped.
      const stored: { key: string; response: unknown }[] = [];
      const dropped: string[] = [];
      for (const i of fresh) {
        const c = requests[i]!.ctx.idempotency;
        if (!c) continue;
        const o = out[i]!;
        if (o.ok) stored.push({ key: c.key, response: o.value });
        else dropped.push(c.key);
      }
      // 10. Redemptions, audit, outbox, keys and — last — the group's stock: one statement, so
      //     the reward's row stays locked only from there to this commit.
      const written = await writeGroup(tx, clubId, {
        rewardId: reward.id,
        now,
        redemptions: [...rows.values()],
        audit: done.map((d) => {
          const { p, ctx } = items[d.i]!;
          return { actor: ctx.actor, target: d.id, requestId: ctx.requestId ?? null, after: { rewardId: p.reward.id, bundleId: p.bundle?.id ?? null, memberId: p.memberId, points: p.points, copay: p.copay, status: rows.get(d.id)!.status } };
        }),
        outbox: done.map((d) => {
          const { p } = items[d.i]!;
          return { topic: 'reward.redeemed', payload: { redemptionId: d.id, rewardId: p.reward.id, memberId: p.memberId, type: p.reward.type, points: p.points, status: rows.get(d.id)!.status } };
        }),
        stored,
        dropped,
        stock: reward.stock !== null ? done.length : null,
        countNth,
        issued: issued && { codes: issued, expiresAt: validUntil },
      });
      if (written === 'stock_short') {
        if (stockLeft !== null) throw new Error(`stock of ${reward.id} moved under its lock`);
        throw new StockShort();
      }
      if (written === 'clash') throw new CodeClash();
      return ok(done.length);
    });
    // A failed transaction: every item already has its own answer (all failed), or — alone — the failure is the answer.
    if (!r.ok && n === 1 && !out[0]) out[0] = r as Result<RedemptionView>;
    // The group has committed: nothing below may throw (the batcher would redo committed items).
    for (const i of later) {
      try {
        out[i] = (await this.redeemBatch([requests[i]!]))[0]!;
      } catch {
        out[i] = fail('internal_error', 'the repeated request could not be answered; retry it with the same Idempotency-Key');
      }
    }
    return out.map((o) => o ?? fail('reward_out_of_stock'));
  }

  private async captureAll(tx: Tx, clubId: string, row: RedemptionRow, lctx: { actor: string; requestId?: string }): Promise<Result<true>> {
    for (const h of [row.hold_id, row.copay_hold_id]) {
      if (!h) continue;
      const c = await this.d.ledger.captureInTx(tx, clubId, h, lctx);
      if (!c.ok) return c;
    }
    return ok(true);
  }

  private async releaseAll(tx: Tx, clubId: string, row: RedemptionRow, lctx: { actor: string; requestId?: string }): Promise<Result<true>> {
    for (const h of [row.hold_id, row.copay_hold_id]) {
      if (!h) continue;
      const c = await this.d.ledger.releaseInTx(tx, clubId, h, lctx);
      if (!c.ok) return c;
    }
    return ok(true);
  }

  /** The club owes the partner: a balanced rial entry between two system accounts. */
  private async postSettlement(tx: Tx, clubId: string, partnerId: string, rials: number, meta: Record<string, unknown>, actor: string) {
    await this.d.ledger.post(tx, [this.settlementEntry(clubId, partnerId, rials, meta, actor)]);
  }

  private settlementEntry(clubId: string, partnerId: string, rials: number, meta: Record<string, unknown>, actor: string): EntryDraft {
    return {
      id: newId('jnl'), clubId, kind: 'adjust', memberId: null, actor, memo: 'partner settlement', meta: { partnerId, ...meta },
      lines: [
        { account: 'system:partner-settlement', memberId: null, unit: 'rials', amount: -rials },
        { account: `partner:${partnerId}`, memberId: null, unit: 'rials', amount: rials },
      ],
      lots: [],
    };
  }

  private view(r: RedemptionRow): RedemptionView {
    const detail = (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) ?? {};
    const delivery = typeof r.delivery === 'string' ? JSON.parse(r.delivery) : r.delivery;
    return {
      id: r.id, memberId: r.member_id, rewardId: r.reward_id, bundleId: r.bundle_id, type: r.type, status: r.status, fulfilment: r.fulfilment,
      points: Number(r.points), copayRials: Number(r.copay_rials), quantity: r.quantity, code: r.code, codeExpiresAt: iso(r.code_expires_at),
      delivery: delivery ?? null, ...(detail.walletRials !== undefined ? { walletRials: Number(detail.walletRials) } : {}),
      createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)!,
    };
  }

  async getRedemption(clubId: string, id: string, memberId?: string): Promise<Result<RedemptionView>> {
    const r = await findRedemption(this.db, clubId, id);
    if (!r || (memberId && r.member_id !== memberId)) return fail('redemption_not_found');
    return ok(this.view(r));
  }

  async listRedemptions(clubId: string, q: { memberId?: string; rewardId?: string; status?: string; before?: string; limit: number }): Promise<{ items: RedemptionView[]; nextCursor: string | null }> {
    let s = this.db.selectFrom('redemptions').selectAll().where('club_id', '=', clubId);
    if (q.memberId) s = s.where('member_id', '=', q.memberId);
    if (q.rewardId) s = s.where('reward_id', '=', q.rewardId);
    if (q.status) s = s.where('status', '=', q.status);
    if (q.before) s = s.where('id', '<', q.before);
    const rows = (await s.orderBy('id', 'desc').limit(q.limit).execute()) as RedemptionRow[];
    return { items: rows.map((r) => this.view(r)), nextCursor: rows.length === q.limit ? rows.at(-1)!.id : null };
  }

  /**
   * Product fulfilment: ordered → shipped (points captured) → delivered, or cancelled from
   * any of them. Cancelling before shipping releases the hold; after, the points come back
   * as new lots (keeping their original expiry where the club allows). Stock goes back.
   */
  async fulfil(clubId: string, id: string, to: 'shipped' | 'delivered' | 'cancelled', ctx: Ctx & { memberId?: string; tracking?: string; reason?: string }): Promise<Result<RedemptionView>> {
    const club = await this.club(clubId);
    const settings = await this.settings(clubId);
    const lctx = { actor: ctx.actor, requestId: ctx.requestId };
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, clubId, ctx.idempotency ?? null, 200, async (): Promise<Result<RedemptionView>> => {
        const cur = await findRedemption(tx, clubId, id);
        if (!cur || (ctx.memberId && cur.member_id !== ctx.memberId)) return fail('redemption_not_found');
        if (ctx.memberId && !(to === 'cancelled' && cur.status === 'pending')) return fail('redemption_invalid_transition', 'members may cancel only what has not shipped');
        const now = this.clock.now();
        let next: RedemptionRow | null = null;
        if (to === 'shipped' || to === 'delivered') {
          if (cur.type !== 'product') return fail('redemption_invalid_transition', `a ${cur.type} has no shipping`);
          const from = to === 'shipped' ? ['ordered'] : ['ordered', 'shipped'];
          next = await transition(tx, clubId, id, { fulfilment: from }, { status: 'fulfilled', fulfilment: to, detail: ctx.tracking ? { tracking: ctx.tracking } : {} }, now);
          if (!next) return cur.fulfilment === to ? ok(this.view(cur)) : fail('redemption_invalid_transition', `it is ${cur.fulfilment}`);
          if (cur.status === 'pending') {
            const c = await this.captureAll(tx, clubId, next, lctx);
            if (!c.ok) return c;
          }
        } else {
          const cancellable = cur.status === 'pending' || (cur.status === 'fulfilled' && ['product', 'coupon', 'partner_voucher', 'digital'].includes(cur.type));
          if (!cancellable) return cur.status === 'cancelled' ? ok(this.view(cur)) : fail('redemption_invalid_transition', `a ${cur.status} ${cur.type} cannot be cancelled`);
          if (usesCodes(cur.type)) {
            const voided = await sql`update coupon_codes set status = 'void' where club_id = ${clubId} and redemption_id = ${id} and status = 'assigned' returning id`.execute(tx);
            if (cur.code && voided.rows.length === 0) return fail('coupon_used', 'the code was already used at a till');
          }
          next = await transition(tx, clubId, id, { status: [cur.status] }, { status: 'cancelled', ...(cur.type === 'product' ? { fulfilment: 'cancelled' } : {}), detail: { cancelledBy: ctx.actor, reason: ctx.reason ?? null } }, now);
          if (!next) return fail('redemption_invalid_transition', 'it changed meanwhile');
          if (cur.status === 'pending') {
            const rel = await this.releaseAll(tx, clubId, cur, lctx);
            if (!rel.ok) return rel;
          } else {
            const ret = await this.returnPoints(tx, club, settings.returnKeepsExpiry, cur, lctx);
            if (!ret.ok) return ret;
            const detail = (typeof cur.detail === 'string' ? JSON.parse(cur.detail) : cur.detail) as { partner?: { id: string; settlementRials: number } };
            if (detail.partner?.settlementRials) await this.postSettlement(tx, clubId, detail.partner.id, -detail.partner.settlementRials, { redemptionId: id, cancelled: true }, ctx.actor);
          }
          await giveBackStock(tx, clubId, cur.reward_id);
        }
        await audit(tx, { clubId, actor: ctx.actor, action: `redemption.${to}`, target: id, before: { status: cur.status, fulfilment: cur.fulfilment }, after: { status: next.status, fulfilment: next.fulfilment }, requestId: ctx.requestId });
        await enqueue(tx, [{ clubId, topic: `reward.${to}`, payload: { redemptionId: id, memberId: cur.member_id, rewardId: cur.reward_id, points: Number(cur.points) } }]);
        await this.notice(tx, clubId, cur.member_id, noticeText(club, to, cur));
        return ok(this.view(next));
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  /** Captured points back to the member as new lots; rial co-payment back to the wallet. */
  private async returnPoints(tx: Tx, club: Club, keepExpiry: boolean, cur: RedemptionRow, lctx: { actor: string; requestId?: string }): Promise<Result<true>> {
    const detail = (typeof cur.detail === 'string' ? JSON.parse(cur.detail) : cur.detail) as { allocations?: Allocation[] };
    const now = this.clock.now();
    const fresh = club.expiryMonths > 0 ? expiryInstant(now, club.expiryMonths, club.timeZone) : null;
    if (Number(cur.points) > 0 && detail.allocations?.length) {
      const r = await this.d.ledger.returnRedeemedInTx(tx, club.id, cur.member_id, { allocations: detail.allocations, keepExpiry, expiresAt: fresh, memo: `redemption ${cur.id} cancelled`, meta: { redemptionId: cur.id } }, lctx);
      if (!r.ok) return r;
    }
    if (Number(cur.copay_rials) > 0) {
      await this.d.ledger.credit(tx, club.id, [{ memberId: cur.member_id, unit: 'rials', amount: Number(cur.copay_rials), kind: 'release', source: SYSTEM.redeemed, availableAt: now, expiresAt: null, memo: `redemption ${cur.id} co-payment returned`, actor: lctx.actor }]);
    }
    return ok(true);
  }

  /**
   * The final outcome of a digital fulfilment webhook. Delivered → capture; given up →
   * release the hold, stock back, the member told. The conditional transition makes a
   * repeated outcome (at-least-once delivery) a no-op: points come back exactly once.
   */
  private async onDigitalOutcome(o: WebhookOutcome): Promise<void> {
    const id = String(o.context.redemptionId ?? '');
    const club = await this.club(o.clubId);
    const lctx = { actor: 'system:fulfilment' };
    const r = await inTx(this.db, async (tx) => {
      const now = this.clock.now();
      const next = await transition(tx, o.clubId, id, { status: ['pending'] }, { status: o.delivered ? 'fulfilled' : 'failed', detail: { webhook: { attempts: o.attempts, status: o.status, error: o.error } } }, now);
      if (!next) return ok(false); // already resolved (a repeat, or cancelled meanwhile)
      const res = o.delivered ? await this.captureAll(tx, o.clubId, next, lctx) : await this.releaseAll(tx, o.clubId, next, lctx);
      if (!res.ok) return res;
      if (!o.delivered) await giveBackStock(tx, o.clubId, next.reward_id);
      await audit(tx, { clubId: o.clubId, actor: lctx.actor, action: o.delivered ? 'redemption.fulfilled' : 'redemption.failed', target: id, after: { attempts: o.attempts, status: o.status, error: o.error } });
      await enqueue(tx, [{ clubId: o.clubId, topic: o.delivered ? 'reward.fulfilled' : 'reward.failed', payload: { redemptionId: id, memberId: next.member_id, rewardId: next.reward_id, points: Number(next.points) } }]);
      await this.notice(tx, o.clubId, next.member_id, noticeText(club, o.delivered ? 'fulfilled' : 'failed', next));
      return ok(true);
    });
    if (!r.ok) throw new Error(`fulfilment outcome for ${id}: ${r.code} ${r.detail ?? ''}`);
  }

  private async notice(tx: Tx, clubId: string, memberId: string, text: string | null) {
    if (text) await enqueue(tx, [{ clubId, topic: NOTICE_TOPIC, payload: { memberId, text }, availableAt: this.clock.now() }]);
  }

  /**
   * Outbox handler for the module's own member notices (Persian SMS, transactional, only
   * to active members who accept SMS). Returns false for other topics.
   */
  async handleOutbox(m: ClaimedMessage): Promise<boolean> {
    if (m.topic !== NOTICE_TOPIC) return false;
    const member = await this.d.members.get(m.clubId, String(m.payload.memberId ?? ''));
    if (!member.ok || member.value.status !== 'active' || !member.value.consent.sms) return true;
    await this.d.sms.send({ clubId: m.clubId, to: member.value.mobile, text: String(m.payload.text), kind: 'transactional' });
    return true;
  }

  // ======================================================================== coupons at the till

  async validateCoupon(clubId: string, raw: string, db: Executor = this.db): Promise<Result<{ code: string; rewardId: string; memberId: string | null; title: { fa: string; en: string }; expiresAt: string | null; status: string }>> {
    const code = normaliseCode(raw);
    const r = await sql<{ code: string; reward_id: string; member_id: string | null; status: string; expires_at: Date | null; title_fa: string; title_en: string }>`
      select c.code, c.reward_id, c.member_id, c.status, c.expires_at, r.title_fa, r.title_en
      from coupon_codes c join rewards r on r.club_id = c.club_id and r.id = c.reward_id
      where c.club_id = ${clubId} and c.code = ${code}`.execute(db);
    const row = r.rows[0];
    if (!row || row.status === 'available' || row.status === 'void') return fail('coupon_not_found');
    if (row.status === 'used') return fail('coupon_used');
    if (row.expires_at && new Date(row.expires_at) <= this.clock.now()) return fail('coupon_expired', `expired at ${iso(row.expires_at)}`);
    return ok({ code: row.code, rewardId: row.reward_id, memberId: row.member_id, title: { fa: row.title_fa, en: row.title_en }, expiresAt: iso(row.expires_at), status: row.status });
  }

  /** Consumes a code once: of two tills racing, the conditional UPDATE lets one win. */
  async consumeCoupon(clubId: string, raw: string, ctx: Ctx & { purchaseEventId?: string }): Promise<Result<{ code: string; rewardId: string; memberId: string | null; usedAt: string }>> {
    const code = normaliseCode(raw);
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, clubId, ctx.idempotency ?? null, 200, async () => {
        const now = this.clock.now();
        const u = await sql<{ reward_id: string; member_id: string | null; redemption_id: string | null }>`
          update coupon_codes set status = 'used', used_at = ${now}, used_by = ${ctx.actor}
          where club_id = ${clubId} and code = ${code} and status = 'assigned' and (expires_at is null or expires_at > ${now})
          returning reward_id, member_id, redemption_id`.execute(tx);
        const row = u.rows[0];
        if (!row) {
          const why = await this.validateCoupon(clubId, code, tx);
          return why.ok ? fail('coupon_used') : why;
        }
        await audit(tx, { clubId, actor: ctx.actor, action: 'coupon.consumed', target: code, after: { rewardId: row.reward_id, memberId: row.member_id, purchaseEventId: ctx.purchaseEventId ?? null }, requestId: ctx.requestId });
        await enqueue(tx, [{ clubId, topic: 'coupon.consumed', payload: { code, rewardId: row.reward_id, memberId: row.member_id, redemptionId: row.redemption_id } }]);
        return ok({ code, rewardId: row.reward_id, memberId: row.member_id, usedAt: now.toISOString() });
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  // ======================================================================== points at the till

  private async posLimits(club: Club): Promise<PosLimits> {
    const s = await this.settings(club.id);
    return { maxPercent: s.pos.maxPercent, minPoints: s.pos.minPoints, pointValueRials: s.pos.pointValueRials ?? club.pointValueRials };
  }

  async quote(clubId: string, memberId: string, basketRials: number, wantPoints?: number) {
    const club = await this.club(clubId);
    const limits = await this.posLimits(club);
    const bal = await this.d.ledger.balance(clubId, memberId, 'points');
    const q = posQuote(basketRials, bal.available, limits, wantPoints);
    return { memberId, basketRials, availablePoints: bal.available, points: q.points, discountRials: q.discountRials, payRials: basketRials - q.discountRials, maxRials: q.capRials, pointValueRials: limits.pointValueRials, maxPercent: limits.maxPercent, minPoints: limits.minPoints, reason: q.reason };
  }

  /** Burns points as a discount on this basket, linked to the purchase's eventId. */
  async burn(clubId: string, memberId: string, input: { basketRials: number; points?: number; purchaseEventId?: string }, ctx: Ctx) {
    const club = await this.club(clubId);
    const limits = await this.posLimits(club);
    // "As many as allowed" is read before the transaction; the ledger re-checks under the lock.
    const availableBefore = input.points === undefined ? (await this.d.ledger.balance(clubId, memberId, 'points')).available : 0;
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, clubId, ctx.idempotency ?? null, 201, async () => {
        // The cap comes from the basket; the ledger checks the points under the member's lock.
        const q = posQuote(input.basketRials, Number.MAX_SAFE_INTEGER, limits, input.points);
        if (input.points !== undefined && input.points > q.points) return fail('validation_failed', `at most ${q.points} points (${limits.maxPercent}% of the basket)`, { maxPoints: q.points });
        let points = q.points;
        if (input.points === undefined) points = Math.min(points, availableBefore);
        if (points <= 0) return fail('insufficient_points', 'no points to burn');
        if (points < limits.minPoints) return fail('pos_below_minimum', `at least ${limits.minPoints} points`);
        const id = newId('brn');
        const s = await this.d.ledger.spendInTx(tx, clubId, memberId, { points, memo: 'paid at the till', meta: { burnId: id, purchaseEventId: input.purchaseEventId ?? null } }, { actor: ctx.actor, requestId: ctx.requestId });
        if (!s.ok) return s;
        const discountRials = points * limits.pointValueRials;
        await tx.insertInto('pos_burns').values({
          id, club_id: clubId, member_id: memberId, purchase_event_id: input.purchaseEventId ?? null, basket_rials: input.basketRials, points, discount_rials: discountRials,
          allocations: JSON.stringify(s.value.allocations), entry_id: s.value.entryId, status: 'burned', actor: ctx.actor, created_at: this.clock.now(), updated_at: this.clock.now(),
        }).execute();
        await audit(tx, { clubId, actor: ctx.actor, action: 'pos.burned', target: id, after: { memberId, points, discountRials, purchaseEventId: input.purchaseEventId ?? null }, requestId: ctx.requestId });
        await enqueue(tx, [{ clubId, topic: 'pos.burned', payload: { burnId: id, memberId, points, discountRials, purchaseEventId: input.purchaseEventId ?? null } }]);
        return ok({ burnId: id, memberId, points, discountRials, payRials: input.basketRials - discountRials, balance: s.value.balance, purchaseEventId: input.purchaseEventId ?? null });
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  /** Gives a burn's points back (all, or in proportion to a partial refund), as new lots with their original expiry. */
  async reverseBurn(clubId: string, burnId: string, input: { refundRials?: number; purchaseRials?: number }, ctx: Ctx) {
    const club = await this.club(clubId);
    const settings = await this.settings(clubId);
    const r = await inTx(this.db, async (tx) => idempotent(tx, clubId, ctx.idempotency ?? null, 200, () => this.reverseBurnIn(tx, club, settings, burnId, input, ctx)));
    return r.ok ? ok(r.value.value) : r;
  }

  private async reverseBurnIn(tx: Tx, club: Club, settings: RewardSettings, burnId: string, input: { refundRials?: number; purchaseRials?: number }, ctx: Ctx) {
    const clubId = club.id;
    const b = await tx.selectFrom('pos_burns').selectAll().where('club_id', '=', clubId).where('id', '=', burnId).forUpdate().executeTakeFirst();
    if (!b) return fail('burn_not_found');
    const purchaseRials = input.purchaseRials ?? Number(b.basket_rials);
    const give = burnReversal({ burnPoints: Number(b.points), purchaseRials, refundedRials: input.refundRials ?? purchaseRials, reversedBefore: Number(b.reversed_points) });
    if (give === 0) return ok({ burnId, points: 0, reversedPoints: Number(b.reversed_points), status: b.status as string });
    const allocations = sliceAllocations(typeof b.allocations === 'string' ? JSON.parse(b.allocations) : b.allocations, Number(b.reversed_points), give);
    const fresh = club.expiryMonths > 0 ? expiryInstant(this.clock.now(), club.expiryMonths, club.timeZone) : null;
    const ret = await this.d.ledger.returnRedeemedInTx(tx, clubId, b.member_id, { allocations, keepExpiry: settings.returnKeepsExpiry, expiresAt: fresh, memo: `burn ${burnId} reversed`, meta: { burnId } }, { actor: ctx.actor, requestId: ctx.requestId });
    if (!ret.ok) return ret;
    const reversed = Number(b.reversed_points) + give;
    const status = reversed >= Number(b.points) ? 'reversed' : 'partially_reversed';
    await tx.updateTable('pos_burns').set({ reversed_points: reversed, status, updated_at: this.clock.now() }).where('club_id', '=', clubId).where('id', '=', burnId).execute();
    await audit(tx, { clubId, actor: ctx.actor, action: 'pos.burn_reversed', target: burnId, after: { points: give, reversed, status }, requestId: ctx.requestId });
    await enqueue(tx, [{ clubId, topic: 'pos.burn_reversed', payload: { burnId, memberId: b.member_id, points: give } }]);
    return ok({ burnId, points: give, reversedPoints: reversed, status });
  }

  /**
   * For the events module's refund path, in the refund's own transaction: reverses every
   * burn linked to the refunded purchase's eventId, in proportion to what was refunded.
   * `club` and `settings` come in because nothing may use another connection mid-transaction.
   */
  async reverseBurnsForRefund(tx: Tx, r: { club: Club; purchaseEventId: string; purchaseRials: number; refundedRials: number; actor?: string }): Promise<number> {
    const settings = await this.settingsIn(tx, r.club.id);
    const burns = await tx.selectFrom('pos_burns').select('id').where('club_id', '=', r.club.id).where('purchase_event_id', '=', r.purchaseEventId).orderBy('id').execute();
    let points = 0;
    for (const b of burns) {
      const x = await this.reverseBurnIn(tx, r.club, settings, b.id as string, { refundRials: r.refundedRials, purchaseRials: r.purchaseRials }, { actor: r.actor ?? 'system:refund' });
      if (x.ok) points += x.value.points;
    }
    return points;
  }

  async reverseForPurchase(clubId: string, input: { purchaseEventId: string; refundRials?: number; purchaseRials?: number }, ctx: Ctx): Promise<Result<{ purchaseEventId: string; burns: number; points: number }>> {
    const club = await this.club(clubId);
    const settings = await this.settings(clubId);
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, clubId, ctx.idempotency ?? null, 200, async () => {
        const burns = await tx.selectFrom('pos_burns').select(['id', 'basket_rials']).where('club_id', '=', clubId).where('purchase_event_id', '=', input.purchaseEventId).orderBy('id').execute();
        if (!burns.length) return fail('burn_not_found', `no burn for purchase ${input.purchaseEventId}`);
        let points = 0;
        for (const b of burns) {
          const purchaseRials = input.purchaseRials ?? Number(b.basket_rials);
          const x = await this.reverseBurnIn(tx, club, settings, b.id as string, { purchaseRials, refundRials: input.refundRials ?? purchaseRials }, ctx);
          if (!x.ok) return x;
          points += x.value.points;
        }
        return ok({ purchaseEventId: input.purchaseEventId, burns: burns.length, points });
      }),
    );
    return r.ok ? ok(r.value.value) : r;
  }

  // ======================================================================== freshness for operators

  async fatigue(clubId: string, rewardId: string): Promise<Result<{ rewardId: string; redemptions: number; members: number; curve: FatiguePoint[] }>> {
    const row = await findReward(this.db, clubId, rewardId);
    if (!row) return fail('reward_not_found');
    const t = await takenPerMember(this.db, clubId, rewardId);
    return ok({ rewardId, redemptions: t.counts.reduce((s, n) => s + n, 0), members: t.counts.length, curve: fatigueCurve(t.counts, t.catalogueUsers) });
  }

  // ======================================================================== settings and partners

  settings(clubId: string): Promise<RewardSettings> {
    return this.settingsIn(this.db, clubId);
  }

  private async settingsIn(db: Executor, clubId: string): Promise<RewardSettings> {
    const s = await db.selectFrom('reward_settings').selectAll().where('club_id', '=', clubId).executeTakeFirst();
    const hook = await getWebhookEndpoint(db, clubId, FULFILMENT_PURPOSE);
    return {
      pos: { maxPercent: s?.pos_max_percent ?? 50, minPoints: Number(s?.pos_min_points ?? 0), pointValueRials: s?.pos_point_value_rials ? Number(s.pos_point_value_rials) : null },
      returnKeepsExpiry: s?.return_keeps_expiry ?? true,
      fulfilmentWebhookUrl: hook?.url ?? null,
    };
  }

  async updateSettings(clubId: string, patch: { pos?: Partial<RewardSettings['pos']>; returnKeepsExpiry?: boolean; fulfilmentWebhookUrl?: string; rotateWebhookSecret?: boolean }, ctx: Ctx): Promise<Result<RewardSettings & { webhookSecret?: string }>> {
    const before = await this.settings(clubId);
    let secret: string | null = null;
    await this.db.transaction().execute(async (tx) => {
      const pos = { ...before.pos, ...(patch.pos ?? {}) };
      const values = { club_id: clubId, pos_max_percent: pos.maxPercent, pos_min_points: pos.minPoints, pos_point_value_rials: pos.pointValueRials, return_keeps_expiry: patch.returnKeepsExpiry ?? before.returnKeepsExpiry, updated_at: this.clock.now() };
      await tx.insertInto('reward_settings').values(values).onConflict((oc) => oc.column('club_id').doUpdateSet(values)).execute();
      if (patch.fulfilmentWebhookUrl) secret = (await setWebhookEndpoint(tx, this.d.secrets, clubId, FULFILMENT_PURPOSE, patch.fulfilmentWebhookUrl, patch.rotateWebhookSecret ?? false)).secret;
      await audit(tx, { clubId, actor: ctx.actor, action: 'rewards.settings_updated', target: clubId, before, after: { ...patch, rotateWebhookSecret: undefined }, requestId: ctx.requestId });
    });
    const after = await this.settings(clubId);
    return ok(secret ? { ...after, webhookSecret: secret } : after);
  }

  async createPartner(clubId: string, input: { name: { fa: string; en?: string }; contact?: string }, ctx: Ctx) {
    const id = newId('ptn');
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx.insertInto('partners').values({ id, club_id: clubId, name_fa: input.name.fa, name_en: input.name.en ?? '', contact: input.contact ?? null }).execute();
        await audit(tx, { clubId, actor: ctx.actor, action: 'partner.created', target: id, after: input, requestId: ctx.requestId });
      });
    } catch (e) {
      if ((e as { code?: string }).code === '23505') return fail('conflict', 'a partner with that name exists');
      throw e;
    }
    return ok({ id, name: { fa: input.name.fa, en: input.name.en ?? '' }, contact: input.contact ?? null, owedRials: 0 });
  }

  /** Partners with what the club owes each (derived from the ledger's partner accounts). */
  async listPartners(clubId: string) {
    const rows = await this.db.selectFrom('partners').selectAll().where('club_id', '=', clubId).orderBy('name_fa').execute();
    const owed = new Map((await this.d.ledger.systemBalances(clubId)).filter((b) => b.account.startsWith('partner:') && b.unit === 'rials').map((b) => [b.account.slice(8), b.balance]));
    return rows.map((r) => ({ id: r.id as string, name: { fa: r.name_fa as string, en: r.name_en as string }, contact: r.contact as string | null, owedRials: owed.get(r.id as string) ?? 0 }));
  }

  /** The club paid the partner: owed goes down by the amount (a new entry). */
  async settlePartner(clubId: string, partnerId: string, amountRials: number, ctx: Ctx): Promise<Result<{ partnerId: string; paidRials: number; owedRials: number }>> {
    const r = await inTx(this.db, async (tx) =>
      idempotent(tx, clubId, ctx.idempotency ?? null, 201, async () => {
        const p = await tx.selectFrom('partners').select('id').where('club_id', '=', clubId).where('id', '=', partnerId).forUpdate().executeTakeFirst();
        if (!p) return fail('partner_not_found');
        await this.d.ledger.post(tx, [{
          id: newId('jnl'), clubId, kind: 'adjust', memberId: null, actor: ctx.actor, memo: 'partner paid', meta: { partnerId },
          lines: [
            { account: `partner:${partnerId}`, memberId: null, unit: 'rials', amount: -amountRials },
            { account: 'system:partner-paid', memberId: null, unit: 'rials', amount: amountRials },
          ],
          lots: [],
        }]);
        await audit(tx, { clubId, actor: ctx.actor, action: 'partner.paid', target: partnerId, after: { amountRials }, requestId: ctx.requestId });
        return ok({ partnerId, paidRials: amountRials, owedRials: 0 });
      }),
    );
    if (!r.ok) return r;
    const owed = (await this.listPartners(clubId)).find((x) => x.id === partnerId)?.owedRials ?? 0;
    return ok({ ...r.value.value, owedRials: owed });
  }
}

/** The part of a burn's allocations from point `skip` on, `take` points long (for partial reversals). */
export function sliceAllocations(allocations: Allocation[], skip: number, take: number): Allocation[] {
  const out: Allocation[] = [];
  let pos = 0;
  for (const a of allocations) {
    const start = Math.max(skip, pos);
    const end = Math.min(skip + take, pos + a.amount);
    if (end > start) out.push({ lotId: a.lotId, amount: end - start });
    pos += a.amount;
  }
  return out;
}

/** What a member is told, in Persian (transactional SMS). */
function noticeText(club: Club, what: string, r: RedemptionRow): string | null {
  const detail = (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as { title?: { fa: string } };
  const title = detail.title?.fa ?? 'جایزه';
  const pts = formatNumber(Number(r.points), 'fa');
  switch (what) {
    case 'failed':
      return `${club.name.fa}: تحویل «${title}» ممکن نشد. ${pts} امتیاز شما بازگردانده شد.`;
    case 'fulfilled':
      return `${club.name.fa}: «${title}» برای شما فعال شد.`;
    case 'shipped':
      return `${club.name.fa}: «${title}» برای شما ارسال شد.`;
    case 'cancelled':
      return `${club.name.fa}: درخواست «${title}» لغو شد و ${pts} امتیاز به حساب شما بازگشت.`;
    default:
      return null;
  }
}
