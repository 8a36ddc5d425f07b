/**
 * Sets a database up for a bench run, in-process and before the server starts (PGlite has
 * one owner, so the child must find everything ready): migrations, a club through the real
 * ClubService, an integration API key through the real AccessService, and N members
 * inserted set-based (members are not what we measure; the per-member audit row and
 * outbox message of the create use case would make setup slower than the run).
 */
import pino from 'pino';
import { sql } from 'kysely';
import { buildServices } from '../src/app.js';
import { openPglite, openPostgres, type Database } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { makeSecrets } from '../src/platform/crypto.js';
import { systemClock } from '../src/platform/clock.js';
import { LogSmsChannel } from '../src/platform/sms.js';
import { newId } from '../src/platform/ids.js';

export const BENCH_SECRET = 'vafa-bench-secret-not-for-production-0000';

export interface Seeded {
  clubId: string;
  apiKey: string;
  memberIds: string[];
  engineVersion: string;
  setupMs: number;
}

export async function openEngine(engine: 'postgres' | 'pglite', where: string, max = 4): Promise<Database> {
  return engine === 'postgres' ? openPostgres(where, { max }) : openPglite(where);
}

export async function seed(database: Database, members: number, slug = 'bench'): Promise<Seeded> {
  const t0 = performance.now();
  await migrate(database);
  const logger = pino({ level: 'silent' });
  const services = buildServices({ database, secrets: makeSecrets(BENCH_SECRET), clock: systemClock, logger, sms: new LogSmsChannel(logger) });
  const club = await services.clubs.create({
    slug,
    name: { fa: 'باشگاه سنجش', en: 'Bench club' },
    earnRate: { points: 1, perRials: 10_000 },
    pointValueRials: 1_000,
    expiryMonths: 12,
    pendingDays: 14,
  });
  if (!club.ok) throw new Error(`bench club: ${club.code} ${club.detail ?? ''}`);
  const key = await services.access.createApiKey(club.value.id, { name: 'bench POS', role: 'integration' }, 'system:bench');
  const memberIds = await insertMembers(database, club.value.id, members);
  // As the member importer does after a bulk load: without statistics the planner takes the
  // freshly loaded club for a few rows and scans it for every member look-up.
  await sql`analyze`.execute(database.db);
  const version = (await sql<{ v: string }>`select version() as v`.execute(database.db)).rows[0]!.v;
  return { clubId: club.value.id, apiKey: key.key, memberIds, engineVersion: version, setupMs: Math.round(performance.now() - t0) };
}

/** N active members, 70 % with SMS consent (so the outbox worker has real work), in chunks. */
export async function insertMembers(database: Database, clubId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  const chunk = 5000;
  for (let from = 0; from < n; from += chunk) {
    const part: { id: string; mobile: string; ref: string; sms: boolean }[] = [];
    for (let i = from; i < Math.min(n, from + chunk); i++) {
      const id = newId('mbr');
      ids.push(id);
      part.push({ id, mobile: `+98912${String(i).padStart(7, '0')}`, ref: `BN${String(i).padStart(8, '0')}`, sms: i % 10 < 7 });
    }
    await sql`insert into members (id, club_id, mobile, referral_code, consent_sms, joined_via)
      select id, ${clubId}, mobile, ref, sms, 'bench'
      from unnest(${part.map((p) => p.id)}::text[], ${part.map((p) => p.mobile)}::text[], ${part.map((p) => p.ref)}::text[], ${part.map((p) => p.sms)}::bool[])
           as x(id, mobile, ref, sms)`.execute(database.db);
  }
  return ids;
}
