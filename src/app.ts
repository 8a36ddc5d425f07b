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
}

export interface Vafa {
  app: App;
  services: Services;
  metrics: Registry;
}

export function buildServices(deps: Omit<AppDeps, 'web'>): Services {
  const { db } = deps.database;
  const clubs = new ClubService(db);
  const members = new MemberService(db, deps.secrets);
  const access = new AccessService(db, clubs, deps.sms, deps.clock, (clubId, mobile) => members.findOrEnrolByMobile(clubId, mobile));
  const ledger = new LedgerService(db, deps.clock, (tx, clubId, memberId) => members.exists(tx, clubId, memberId));
  const events = new EventService(db, deps.clock, members, ledger);
  const notifier = new Notifier(db, clubs, deps.sms);
  return { clubs, access, members, ledger, events, notifier };
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
  if (deps.web) await serveWeb(app);
  return { app, services, metrics };
}
