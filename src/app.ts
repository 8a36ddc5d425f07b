/**
 * Wires modules into one application: services, routes, the worker's jobs. No config is
 * read here — the composition roots (main.ts, cli) pass everything in — so tests build the
 * same app over any database with `buildApp(deps)` and call it with `app.inject()`.
 */
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics, Counter } from 'prom-client';
import { sql } from 'kysely';
import type { Database } from './platform/db.js';
import type { Clock } from './platform/clock.js';
import type { Secrets } from './platform/crypto.js';
import { createHttp, type App } from './platform/http/app.js';
import type { SmsChannel } from './platform/sms.js';
import { ClubService, clubRoutes } from './modules/clubs/index.js';
import { AccessService, accessRoutes } from './modules/access/index.js';
import { MemberService, memberRoutes } from './modules/members/index.js';
import { LedgerService, ledgerRoutes } from './modules/ledger/index.js';
import { EventService, eventRoutes } from './modules/events/index.js';
import { Notifier } from './modules/messaging/index.js';
import { RewardService, rewardRoutes, burnsRefundHook } from './modules/rewards/index.js';
import { WebhookSender } from './platform/webhooks.js';
import { RulesService, ruleRoutes, activitySums, lastActiveDays, rulesRefundHook, reopenReferral, storedEvent, COUNTERS_FACT, COUNTERS_FACT_SQL, CATALOG_FACT, CATALOG_FACT_SQL } from './modules/rules/index.js';
import { TierService, tierRoutes } from './modules/tiers/index.js';
import { ReferralService, referralRoutes, referralRefundHook } from './modules/referrals/index.js';
import { OccasionService, occasionRoutes } from './modules/occasions/index.js';
import { FestivalService, festivalIdOfUnit, festivalRoutes, festivalRefundHook } from './modules/festivals/index.js';
import { GameService, gameRoutes } from './modules/gamification/index.js';
import { AnalyticsService, analyticsRoutes } from './modules/analytics/index.js';
import { serveWeb } from './platform/http/web.js';

export interface AppDeps {
  database: Database;
  secrets: Secrets;
  clock: Clock;
  logger: Logger;
  sms: SmsChannel;
  /** Serve the built web console and member app (web/dist) when present. */
  web?: boolean;
}

export interface Services {
  clubs: ClubService;
  access: AccessService;
  members: MemberService;
  ledger: LedgerService;
  events: EventService;
  notifier: Notifier;
  webhooks: WebhookSender;
  rewards: RewardService;
  rules: RulesService;
  tiers: TierService;
  referrals: ReferralService;
  occasions: OccasionService;
  festivals: FestivalService;
  games: GameService;
}

export interface Vafa {
  app: App;
  services: Services;
  metrics: Registry;
  /** Every route with the roles it allows (absent = public): the access-matrix test reads it. */
  routes: RouteEntry[];
}

export interface RouteEntry {
  method: string;
  url: string;
  allow: readonly string[] | undefined;
}

export function buildServices(deps: Omit<AppDeps, 'web'>): Services {
  const { db } = deps.database;
  const clubs = new ClubService(db);
  const members = new MemberService(db, deps.secrets);
  const access = new AccessService(db, clubs, deps.sms, deps.clock, (clubId, mobile) => members.findOrEnrolByMobile(clubId, mobile));
  const ledger = new LedgerService(db, deps.clock, (tx, clubId, memberId) => members.exists(tx, clubId, memberId));
  // Group commit: one group transaction in flight per club on PGlite (its one connection
  // would only queue a second, and groups grow while one commits), two on PostgreSQL (one
  // group's SQL runs while the next is built and sent: see docs/ARCHITECTURE.md).
  const events = new EventService(db, deps.clock, members, ledger, undefined, { maxBatch: 200, maxInflight: 4, maxInflightPerGroup: deps.database.engine === 'postgres' ? 2 : 1 });
  const notifier = new Notifier(db, clubs, deps.sms);
  const webhooks = new WebhookSender(db, deps.secrets, deps.clock);
  const rewards = new RewardService({ db, clock: deps.clock, secrets: deps.secrets, sms: deps.sms, clubs, members, ledger, webhooks });
  // The earning engine (issue 3): rules replace the base rate; tiers and referrals tell the
  // rules catalogue when their settings change (late-bound: rules is built after them).
  const catalogChanged = (tx: Parameters<RulesService['bumpCatalog']>[0], clubId: string) => rules.bumpCatalog(tx, clubId);
  const tiers = new TierService(db, deps.clock, members, { sums: activitySums, lastActive: lastActiveDays }, catalogChanged);
  const referrals = new ReferralService(db, ledger, catalogChanged);
  const rules: RulesService = new RulesService(db, deps.clock, tiers, referrals);
  // The earn path reads a member's counters with the member (one round trip fewer per batch).
  members.addFact(COUNTERS_FACT, COUNTERS_FACT_SQL);
  members.addFact(CATALOG_FACT, CATALOG_FACT_SQL);
  // Festivals (issue 5) wrap the rules: festival score for participants, counters, badges.
  const festivals = new FestivalService({
    db, clock: deps.clock, secrets: deps.secrets, clubs, members, ledger,
    // Draw prizes that name a reward are fulfilled as redemptions of it (keyed: a retry is a replay).
    redeemPrize: (clubId, memberId, rewardId, key) => rewards.redeem(clubId, memberId, { rewardId }, { actor: 'system:festivals', idempotency: { key, requestHash: key } }),
  });
  const games = new GameService(db, deps.clock);
  events.setEarn(games.composeEarn(festivals.composeEarn(rules.earn)));
  // A refund undoes what its purchase caused, in the refund's transaction (docs/ARCHITECTURE.md, Refunds).
  ledger.beforeRead((clubId, unit) => (festivalIdOfUnit(unit) ? festivals.settle(clubId) : Promise.resolve()));
  events.onRefund(festivalRefundHook({ ledger, purchaseOf: storedEvent, applyQueued: (tx, clubId, memberId) => festivals.applyQueuedInTx(tx, clubId, { memberId }) }));
  events.onRefund(referralRefundHook({ ledger, settings: (tx, clubId) => referrals.loadSettings(tx, clubId), reopened: reopenReferral }));
  events.onRefund(rulesRefundHook(ledger));
  events.onRefund((tx, r) => tiers.reconsiderAfterRefund(tx, r.club, r.memberId)); // after the measure is corrected
  events.onRefund(burnsRefundHook(rewards));
  rewards.setDrawTicketHook(festivals.drawTicketHook);
  events.setValidate(rules.validateEvents);
  const occasions = new OccasionService(db, deps.clock, clubs, ledger, deps.sms);
  return { clubs, access, members, ledger, events, notifier, webhooks, rewards, rules, tiers, referrals, occasions, festivals, games };
}

export async function buildApp(deps: AppDeps): Promise<Vafa> {
  const services = buildServices(deps);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'vafa_' });
  const app = await createHttp({
    logger: deps.logger,
    metrics,
    authenticate: (t) => services.access.authenticate(t),
    ready: async () => {
      await sql`select 1 from schema_migrations limit 1`.execute(deps.database.db);
      return true;
    },
  });
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, allow: route.config?.allow });
  });
  const eventsCounter = new Counter({ name: 'vafa_events_total', help: 'Events posted, by outcome', labelNames: ['status'], registers: [metrics] });
  app.addHook('onResponse', async (req, reply) => {
    if (req.routeOptions.url === '/api/v1/events') eventsCounter.inc({ status: String(reply.statusCode) });
  });

  const { db } = deps.database;
  const { clubs, access, members, ledger, events } = services;
  clubRoutes(app, clubs);
  accessRoutes(app, access, db);
  memberRoutes(app, members);
  ledgerRoutes(app, {
    ledger,
    db,
    memberInClub: async (clubId, id) => (await members.exists(db, clubId, id)) !== null,
    club: (id) => clubs.get(id),
  });
  eventRoutes(app, events, clubs);
  rewardRoutes(app, { rewards: services.rewards, members });
  analyticsRoutes(app, new AnalyticsService(db, deps.clock), clubs);
  ruleRoutes(app, services.rules, clubs, db);
  tierRoutes(app, services.tiers, clubs, members);
  referralRoutes(app, services.referrals, members, { clubs, clock: deps.clock });
  occasionRoutes(app, services.occasions, clubs);
  festivalRoutes(app, { festivals: services.festivals, clubs, members });
  gameRoutes(app, services.games, clubs);
  if (deps.web) await serveWeb(app);
  return { app, services, metrics, routes };
}
