/**
 * Configuration from the environment. Read only by the composition roots (src/main.ts and
 * the CLI); everything else receives values as arguments.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  secret: string;
  logLevel: string;
  demo: boolean;
  /** Size of the demo club seeded on first start. */
  demoMembers: number;
  /** PostgreSQL: prepare repeated statements per connection (off behind a pooler that cannot keep them). */
  pgPreparedStatements: boolean;
  /** How often the worker's scheduled jobs run (expiry, stale holds, occasions, due draws, tier reviews), ms. */
  jobsEveryMs: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.VAFA_DATA_DIR ?? './data');
  mkdirSync(dataDir, { recursive: true });
  return {
    port: env.PORT !== undefined ? Number(env.PORT) : 8080,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir,
    secret: env.VAFA_SECRET || secretFromDataDir(dataDir),
    logLevel: env.LOG_LEVEL ?? 'info',
    demo: env.VAFA_DEMO !== '0',
    demoMembers: Math.max(1, Number(env.VAFA_DEMO_MEMBERS ?? 300) || 300),
    pgPreparedStatements: env.VAFA_PG_PREPARE !== '0',
    jobsEveryMs: Math.max(1_000, Number(env.VAFA_JOBS_EVERY_MS ?? 30_000) || 30_000),
  };
}

/** First start without VAFA_SECRET: generate one into the data folder and keep it. */
function secretFromDataDir(dataDir: string): string {
  const file = path.join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
