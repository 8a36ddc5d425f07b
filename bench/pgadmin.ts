/**
 * Throw-away PostgreSQL databases for one bench run (created at the start, dropped at the
 * end, also on Ctrl-C), and the server facts the results must carry: version, durability.
 */
import pg from 'pg';

export const ADMIN_URL = process.env.VAFA_BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const urlFor = (name: string) => ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);

export async function pgAvailable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

const created = new Set<string>();

export async function createDatabase(name: string): Promise<string> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(`create database ${name}`);
    created.add(name);
  } finally {
    await c.end();
  }
  return urlFor(name);
}

export async function dropDatabases(): Promise<void> {
  if (!created.size) return;
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    for (const name of created) {
      await c.query(`drop database if exists ${name} with (force)`);
      created.delete(name);
    }
  } finally {
    await c.end();
  }
}

export interface PgServerInfo {
  version: string;
  settings: Record<string, string>;
}

const SETTINGS = ['synchronous_commit', 'fsync', 'wal_sync_method', 'full_page_writes', 'commit_delay', 'commit_siblings', 'shared_buffers', 'max_connections', 'wal_buffers', 'max_wal_size', 'checkpoint_timeout'];

export async function serverInfo(url: string): Promise<PgServerInfo> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const version = (await c.query('show server_version')).rows[0].server_version as string;
    const rows = (await c.query('select name, setting, unit from pg_settings where name = any($1)', [SETTINGS])).rows as { name: string; setting: string; unit: string | null }[];
    const settings: Record<string, string> = {};
    for (const r of rows) settings[r.name] = r.unit && !/^\d/.test(r.unit) ? `${r.setting} ${r.unit}` : r.unit ? `${r.setting} × ${r.unit}` : r.setting;
    return { version, settings };
  } finally {
    await c.end();
  }
}

/** WAL position, commits and tuple writes of one database: to divide by events. */
export interface DbCounters {
  /** cluster-wide: includes whatever else the server is doing */
  walBytes: number;
  /** this database's size on disk */
  dbBytes: number;
  commits: number;
  rollbacks: number;
}

export async function dbCounters(url: string): Promise<DbCounters> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = (await c.query(`
      select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint as wal, pg_database_size(current_database())::bigint as size,
             xact_commit::bigint as commits, xact_rollback::bigint as rollbacks
      from pg_stat_database where datname = current_database()`)).rows[0];
    return { walBytes: Number(r.wal), dbBytes: Number(r.size), commits: Number(r.commits), rollbacks: Number(r.rollbacks) };
  } finally {
    await c.end();
  }
}

export async function outboxBacklog(url: string): Promise<number | null> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query('select count(*)::bigint as n from outbox where dispatched_at is null')).rows[0].n);
  } catch {
    return null;
  } finally {
    await c.end();
  }
}

/** Backend pids serving one database (to attribute PostgreSQL CPU on a shared server). */
export async function backendPids(url: string): Promise<Set<number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const rows = (await c.query('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).rows as { pid: number }[];
    return new Set(rows.map((r) => Number(r.pid)));
  } finally {
    await c.end();
  }
}
