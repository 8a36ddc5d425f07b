/**
 * Run a suite on both engines: PGlite (in memory, per test file) and the run's throw-away
 * PostgreSQL database. Tests isolate themselves by creating their own club (tenant).
 */
import { readFileSync } from 'node:fs';
import { describe, inject } from 'vitest';
import pino from 'pino';
import { openPglite, openPostgres, type Database } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { makeSecrets } from '../src/platform/crypto.js';
import { ManualClock, systemClock, type Clock } from '../src/platform/clock.js';
import { LogSmsChannel } from '../src/platform/sms.js';
import { buildApp, type Vafa } from '../src/app.js';

export type Engine = 'pglite' | 'postgres';

export const pgUrl = (): string | null => inject('pgUrl');

export function engines(): Engine[] {
  return pgUrl() ? ['pglite', 'postgres'] : ['pglite'];
}

const pgliteShared = new Map<string, Promise<Database>>();

/** One database handle per engine per test file (PGlite start-up costs seconds). */
export async function openEngine(engine: Engine, opts: { poolMax?: number } = {}): Promise<Database> {
  if (engine === 'postgres') return openPostgres(pgUrl()!, { max: opts.poolMax ?? 10 });
  let p = pgliteShared.get('mem');
  if (!p) {
    const snapshot = inject('pgliteSnapshot');
    p = snapshot
      ? openPglite(undefined, new Blob([readFileSync(snapshot)])).then(async (d) => {
          await migrate(d); // a no-op unless the snapshot is older than the migrations
          return d;
        })
      : openPglite().then(async (d) => {
          await migrate(d);
          return d;
        });
    pgliteShared.set('mem', p);
  }
  const d = await p;
  // Closing the shared PGlite is the file's last act; tests call close() freely.
  return { ...d, close: async () => undefined };
}

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export interface TestVafa extends Vafa {
  database: Database;
  clock: Clock;
  sms: LogSmsChannel;
  close(): Promise<void>;
}

export async function testVafa(engine: Engine, opts: { clock?: Clock; poolMax?: number } = {}): Promise<TestVafa> {
  const database = await openEngine(engine, opts);
  const clock = opts.clock ?? systemClock;
  const sms = new LogSmsChannel(silentLogger);
  const vafa = await buildApp({ database, secrets: makeSecrets('test-secret'), clock, logger: silentLogger, sms });
  await vafa.app.ready();
  return {
    ...vafa,
    database,
    clock,
    sms,
    async close() {
      await vafa.app.close();
      await database.close();
    },
  };
}

/** describe.each over the engines available in this run. */
export function describeEngines(name: string, fn: (engine: Engine) => void) {
  for (const engine of engines()) describe(`${name} [${engine}]`, () => fn(engine));
}

export { ManualClock };
