/**
 * The CLI's composition root: the same environment as `npm start` (DATABASE_URL or PGlite in
 * VAFA_DATA_DIR, VAFA_SECRET), the same services, no HTTP server.
 */
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../platform/config.js';
import { openPglite, openPostgres, type Database } from '../platform/db.js';
import { migrate } from '../platform/migrate.js';
import { makeSecrets, type Secrets } from '../platform/crypto.js';
import { systemClock } from '../platform/clock.js';
import { LogSmsChannel } from '../platform/sms.js';
import { buildServices, type Services } from '../app.js';

export interface CliContext {
  database: Database;
  services: Services;
  secrets: Secrets;
  close(): Promise<void>;
}

let opened: Promise<CliContext> | null = null;

export function cliContext(): Promise<CliContext> {
  opened ??= (async () => {
    const config = loadConfig();
    const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
    const database = config.databaseUrl ? await openPostgres(config.databaseUrl, { max: 4, prepare: config.pgPreparedStatements }) : await openPglite(path.join(config.dataDir, 'pglite'));
    await migrate(database);
    const secrets = makeSecrets(config.secret);
    const services = buildServices({ database, secrets, clock: systemClock, logger, sms: new LogSmsChannel(logger) });
    return { database, services, secrets, close: () => database.close() };
  })();
  return opened;
}

/** An error the user can act on: printed without a stack, exit code 1 (2 for usage). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export async function clubIdOf(ctx: CliContext, slugOrId: string): Promise<string> {
  const club = slugOrId.startsWith('clb_') ? await ctx.services.clubs.get(slugOrId) : await ctx.services.clubs.bySlug(slugOrId);
  if (!club) throw new CliError(`no club "${slugOrId}"`);
  return club.id;
}

export const print = (json: boolean, value: unknown, human: () => string) => {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
};

/** Closes the database if a command opened it (PGlite flushes its files on close). */
export async function closeCliContext(): Promise<void> {
  if (opened) await (await opened).close();
}
