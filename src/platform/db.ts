/**
 * One Postgres dialect, two engines: PGlite (embedded, default) and PostgreSQL.
 * Kysely 0.28 (the last that runs on Node 20) has no PGlite dialect, so PGlite sits behind
 * a one-connection "pool" that Kysely's PostgresDialect drives like pg's Pool.
 */
import { Kysely, PostgresDialect, sql, type RawBuilder, type Transaction } from 'kysely';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Tx = Transaction<any>;
export type Executor = Db | Tx;

export interface Database {
  readonly engine: 'pglite' | 'postgres';
  readonly db: Db;
  /** Runs a multi-statement SQL script (migrations) outside Kysely's parameterised path. */
  execScript(text: string): Promise<void>;
  close(): Promise<void>;
  /** PGlite only: the whole data directory as a tarball (tests start from a migrated copy). */
  snapshot?(): Promise<Blob>;
}

// Points and rials are BIGINT; every figure we keep fits in 2^53, so both engines hand
// them out as JS numbers. Ledger code still checks Number.isSafeInteger at the edge.
const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (v) => Number(v));
pg.types.setTypeParser(1700 /* numeric */, (v) => Number(v));
pg.types.setTypeParser(1082 /* date */, (v) => v); // keep 'YYYY-MM-DD', never a local-midnight Date

/**
 * Statements that come back are prepared once per connection and then only bound and run:
 * PostgreSQL skips parsing them (they are still planned for their parameters each time, see
 * openPostgres). Kysely sends the same text for the same query shape, so a text seen a few
 * times is the hot path's. Texts are counted process-wide and at most `maxPrepared` get a
 * name, so shapes that vary (IN lists of every length) cannot fill the server's memory, and
 * statements with more than `maxParams` parameters (such lists) are left out altogether;
 * statements without parameters (BEGIN, COMMIT, DDL, scripts) are never prepared.
 */
export const preparedStatements = { minUses: 3, maxPrepared: 256, maxCounted: 4096, maxParams: 32 };
const textUses = new Map<string, number>();
const preparedNames = new Map<string, string>();

export function preparedName(text: string): string | null {
  const known = preparedNames.get(text);
  if (known) return known;
  if (preparedNames.size >= preparedStatements.maxPrepared) return null;
  const uses = (textUses.get(text) ?? 0) + 1;
  if (uses < preparedStatements.minUses) {
    if (textUses.size < preparedStatements.maxCounted || textUses.has(text)) textUses.set(text, uses);
    return null;
  }
  textUses.delete(text);
  const name = `vafa_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
  preparedNames.set(text, name);
  return name;
}

/** Forgets which texts were counted and named (tests). Names are hashes of the text, so a
 * connection that prepared a statement before finds the same name again. */
export function forgetPreparedNames(): void {
  textUses.clear();
  preparedNames.clear();
}

class PreparingClient extends pg.Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: any, values?: any, callback?: any): any {
    // Many parameters means a list spelled out ($1 … $n), whose text changes with its length:
    // such shapes would take names from the hot path's statements.
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0 && values.length <= preparedStatements.maxParams && callback === undefined) {
      const name = preparedName(config);
      if (name) return super.query({ name, text: config, values });
    }
    return super.query(config, values, callback);
  }
}

export async function openPostgres(url: string, opts: { max?: number; prepare?: boolean } = {}): Promise<Database> {
  // Custom plans always: a generic plan cannot see how few rows `= any($n)` picks and would
  // scan the whole club (member_counters: 1.7 ms instead of 0.04 ms at 10,000 members).
  // Unnamed statements (prepare: false) are planned for their parameters anyway; and a
  // pooler such as PgBouncer refuses the `options` start-up parameter, so it goes only with
  // prepared statements.
  const prepare = opts.prepare !== false;
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 20, ...(prepare ? { Client: PreparingClient, options: '-c plan_cache_mode=force_custom_plan' } : {}) });
  // Fail fast on an unreachable server with a clear message.
  const c = await pool.connect();
  c.release();
  const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  return {
    engine: 'postgres',
    db,
    async execScript(text) {
      const client = await pool.connect();
      try {
        await client.query(text);
      } finally {
        client.release();
      }
    },
    async close() {
      await db.destroy(); // ends the pool
    },
  };
}

type PgliteResult = { rows: unknown[]; affectedRows?: number };

/** pg.Pool look-alike over PGlite's single connection: connect() waits its turn. */
class PglitePool {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly pglite: PGlite) {}

  async connect() {
    let release!: () => void;
    const turn = new Promise<void>((r) => (release = r));
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    await previous;
    const pglite = this.pglite;
    let released = false;
    return {
      async query(text: string, params: unknown[] = []) {
        const r = (await pglite.query(text, params as unknown[])) as PgliteResult;
        const command = /^\s*(insert|update|delete|merge|select)/i.exec(text)?.[1]?.toUpperCase();
        return { command, rowCount: r.affectedRows ?? r.rows.length, rows: r.rows };
      },
      release() {
        if (!released) {
          released = true;
          release();
        }
      },
    };
  }

  async end() {
    await this.tail;
  }
}

/**
 * PGlite's postgres lives in the process's WebAssembly heap, and its shared buffers are
 * resident from the start: initdb's default of 128 MB grows the heap past its 128 MB floor
 * to ~190 MB. 64 MB keeps it at the floor: with the bundled `npm start`, peak RSS under
 * `npm run bench -- --only single,closed,batch --engines pglite` went from 610 MB (tsx,
 * 128 MB) to 470 MB; pages that don't fit are read back from the OS page cache (batch CPU
 * per event within the bench's noise; 32 MB took ~1.7× in one run). Durability is untouched: WAL and data
 * files are written as before (PGlite's own defaults, incl. its -F, are kept as they are).
 * Also applies to the throw-away instance PGlite starts for initdb on a new data folder.
 */
const PGLITE_SETTINGS = ['shared_buffers=64MB'];

export async function openPglite(dataDir?: string, loadDataDir?: Blob): Promise<Database> {
  const pglite = new PGlite({
    ...(dataDir ? { dataDir } : {}),
    ...(loadDataDir ? { loadDataDir } : {}),
    startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS.flatMap((s) => ['-c', s])],
    parsers: {
      [pgliteTypes.INT8]: (v: string) => Number(v),
      [pgliteTypes.NUMERIC]: (v: string) => Number(v),
      [pgliteTypes.DATE]: (v: string) => v,
    },
  });
  await pglite.waitReady;
  const pool = new PglitePool(pglite);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db: Db = new Kysely({ dialect: new PostgresDialect({ pool: pool as any }) });
  return {
    engine: 'pglite',
    db,
    async execScript(text) {
      const c = await pool.connect();
      try {
        await pglite.exec(text);
      } finally {
        c.release();
      }
    },
    async close() {
      await db.destroy();
      await pglite.close();
    },
    snapshot: () => pglite.dumpDataDir('none'),
  };
}

// ---------------------------------------------------------------------------------------
// Errors and transactions

export const isUniqueViolation = (e: unknown, constraint?: string): boolean =>
  pgCode(e) === '23505' && (!constraint || (e as { constraint?: string }).constraint === constraint);

export function pgCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

/** A use case's failed Result rolls its transaction back without being an exception. */
class Abort {
  constructor(readonly result: unknown) {}
}

/**
 * Runs fn in one transaction. If fn returns a failed Result ({ ok: false }) the
 * transaction rolls back and that Result is returned; thrown errors propagate. Retries a
 * few times on serialization failures and deadlocks, which are infrastructure, not bugs.
 */
export async function inTx<T extends { ok: boolean }>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction().execute(async (tx) => {
        const r = await fn(tx);
        if (!r.ok) throw new Abort(r);
        return r;
      });
    } catch (e) {
      if (e instanceof Abort) return e.result as T;
      if (attempt < 4 && RETRYABLE.has(pgCode(e) ?? '')) continue;
      throw e;
    }
  }
}

/**
 * Data-modifying statements (INSERT / UPDATE / DELETE, each without a WITH of its own) as the
 * CTEs `w0 as (…), w1 as (…)` of one statement: `with ${asCtes(ws)} <main>`. They run in
 * that statement, all on its snapshot (none sees another's rows), so they must be
 * independent of each other and of the main statement. `writes` must not be empty.
 */
export function asCtes(writes: RawBuilder<unknown>[]): RawBuilder<unknown> {
  return sql.join(writes.map((w, i) => sql`${sql.raw(`w${i}`)} as (${w})`), sql`, `);
}

/** Runs independent writes (see asCtes) as ONE statement: one round trip however many. */
export async function runWrites(ex: Executor, writes: RawBuilder<unknown>[]): Promise<void> {
  if (writes.length === 0) return;
  if (writes.length === 1) await writes[0]!.execute(ex);
  else await sql`with ${asCtes(writes)} select 1`.execute(ex);
}

export { sql };
