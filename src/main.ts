/**
 * The composition root: reads the environment, opens PGlite (default) or PostgreSQL,
 * applies migrations, seeds the demo club on first start, and serves API + web + worker on
 * one port. Ctrl-C drains requests, stops the worker and closes the database.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from './platform/config.js';
import { openPglite, openPostgres } from './platform/db.js';
import { migrate } from './platform/migrate.js';
import { makeSecrets } from './platform/crypto.js';
import { systemClock } from './platform/clock.js';
import { LogSmsChannel } from './platform/sms.js';
import { buildApp, buildServices } from './app.js';
import { startWorker } from './worker.js';
import { seedDemoClub, SeedClock, writeDemoHistory, type DemoCredentials } from './demo.js';

const startedAt = performance.now();
const config = loadConfig();
const logger = pino({ level: config.logLevel, base: { app: 'vafa' } });

const database = config.databaseUrl ? await openPostgres(config.databaseUrl, { prepare: config.pgPreparedStatements }) : await openPglite(path.join(config.dataDir, 'pglite'));
const applied = await migrate(database);
if (applied.length) logger.info({ applied }, 'migrations applied');

const secrets = makeSecrets(config.secret);
const sms = new LogSmsChannel(logger);
const vafa = await buildApp({ database, secrets, clock: systemClock, logger, sms, web: true });

// First start: a demo club, its credentials kept beside the data so later starts can show them.
const credFile = path.join(config.dataDir, 'demo-credentials.json');
let demo: DemoCredentials | null = existsSync(credFile) ? JSON.parse(readFileSync(credFile, 'utf8')) : null;
let writeHistory: (() => Promise<void>) | null = null;
if (config.demo && !demo && !(await vafa.services.clubs.bySlug('demo'))) {
  logger.info('first start: seeding the demo club (a few seconds)…');
  const seeded = await seedDemoClub(vafa.services, { now: new Date(), members: config.demoMembers, db: database.db });
  demo = seeded.credentials;
  writeFileSync(credFile, JSON.stringify(demo, null, 2), { mode: 0o600 });
  // Its ~90 days of history are written once the server is up, by services of their own on a
  // clock the seed moves back in time (live requests keep the system time).
  writeHistory = () => {
    const clock = new SeedClock();
    return writeDemoHistory(seeded, { services: buildServices({ database, secrets, clock, logger, sms }), clock }).then(
      () => logger.info('demo history written'),
      (err: unknown) => logger.error({ err }, 'demo history failed'),
    );
  };
}

const address = await vafa.app.listen({ port: config.port, host: config.host });
const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
const ready = { url, engine: database.engine, readyMs: Math.round(performance.now() - startedAt), demo };
logger.info(ready, 'vafa ready');
// The worker starts once the demo's history is written: it would otherwise expire and draw
// today what that history dates in the past.
let worker: ReturnType<typeof startWorker> | null = null;
const startJobs = () => {
  if (!closing) worker = startWorker(database.db, systemClock, vafa.services, logger, { jobsEveryMs: config.jobsEveryMs });
};
process.stdout.write(`
  وفا · Vafa is running (${database.engine}${database.engine === 'pglite' ? ` in ${path.join(config.dataDir, 'pglite')}` : ''}, ready in ${ready.readyMs} ms)

  Operator console  ${url}/admin
  Member app        ${url}/app
  API reference     ${url}/docs      (OpenAPI: ${url}/openapi.json)
  Health / metrics  ${url}/healthz  ${url}/metrics
${demo ? `
  Demo club "${demo.club}" — owner sign-in: ${demo.owner.username} / ${demo.owner.password}
  Demo API key:  ${demo.apiKey}
  Try:  curl -s -H "Authorization: Bearer ${demo.apiKey}" ${url}/api/v1/members?limit=3
  Member app sign-in: mobile ${demo.sampleMember.mobile} (the one-time code is printed in this log)
` : ''}
`);

let closing = false;
if (writeHistory) void writeHistory().then(startJobs);
else startJobs();
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  const force = setTimeout(() => process.exit(1), 10_000).unref();
  await vafa.app.close();
  await worker?.stop();
  await database.close();
  clearTimeout(force);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
