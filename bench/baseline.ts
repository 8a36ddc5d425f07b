/**
 * The raw-SQL baseline: the minimum writes of one earn, on the real schema (the project's
 * migrations applied to a separate database), through the same driver (`pg`), with the
 * same number of connections as the server's pool (20):
 *
 *   one event = one transaction: insert the event row, upsert the member balance
 *   (returning it, for the line's balance_after), insert the journal entry, insert its two
 *   lines (one multi-row insert), insert the lot.
 *
 * Three forms:
 *  - `tx`    BEGIN + 5 parameterised statements + COMMIT: 7 round trips, as an ORM would;
 *  - `cte`   the same five writes as ONE statement (data-modifying CTEs), autocommit:
 *            1 round trip — the floor for "one durable commit per event" with this driver;
 *  - `batch` 1000 events per transaction, one unnest insert per table.
 * Plus pgbench (C, libpq) running the `tx` form from a script file, when installed.
 *
 * No reads (no member look-up, no idempotency row, no outbox): that is the point of a floor.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { openPostgres } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { newId } from '../src/platform/ids.js';
import { mulberry32, summarise, type LatencySummary } from './load.js';
import { cpuSnapshot, cpuUse } from './machine.js';
import { backendPids } from './pgadmin.js';

export interface BaselineDb {
  url: string;
  clubId: string;
  memberIds: string[];
}

export async function prepareBaseline(url: string, members: number): Promise<BaselineDb> {
  const database = await openPostgres(url, { max: 2 });
  try {
    await migrate(database);
    const clubId = newId('clb');
    const c = database.db;
    await sql`insert into clubs (id, slug, name_fa) values (${clubId}, 'baseline', 'خط پایه')`.execute(c);
    const memberIds = Array.from({ length: members }, () => newId('mbr'));
    return { url, clubId, memberIds };
  } finally {
    await database.close();
  }
}

export interface BaselineResult {
  form: 'tx' | 'cte' | 'batch' | 'pgbench';
  connections: number;
  eventsPerEnvelope: number;
  durationMs: number;
  events: number;
  eventsPerSec: number;
  roundTripsPerEvent: number;
  latencyMs: LatencySummary | null;
  errors: number;
  note?: string;
  /** CPU per event of the baseline client (this process) and PostgreSQL, and the ceiling they imply */
  cpuMsPerEvent?: { client: number; postgres: number | null };
  cpuCeilingPerSec?: number | null;
  /** cores busy with work that is neither this process nor the baseline's backends */
  otherCores?: number | null;
}

const DAY = 86400_000;

function eventFactory(run: string, memberIds: string[]) {
  const rnd = mulberry32(0xba5e);
  let seq = 0;
  return () => {
    const ext = `${run}-${seq++}`;
    const amount = 10_000 * (5 + Math.floor(rnd() * 500));
    return {
      id: newId('evt'),
      ext,
      member: memberIds[Math.floor(rnd() * memberIds.length)]!,
      amount,
      points: Math.floor(amount / 10_000),
      entry: newId('jnl'),
      lot: newId('lot'),
    };
  };
}

const SQL = {
  event: `insert into events (id, club_id, external_id, type, member_id, amount_rials, occurred_at, attributes, body_hash)
          values ($1, $2, $3, 'purchase', $4, $5, $6, '{"channel":"pos"}', $7)`,
  balance: `insert into member_balances (club_id, member_id, unit, balance, updated_at) values ($1, $2, 'points', $3, now())
            on conflict (club_id, member_id, unit) do update set balance = member_balances.balance + excluded.balance, updated_at = now()
            returning balance`,
  entry: `insert into journal_entries (id, club_id, kind, member_id, event_id, memo, created_at) values ($1, $2, 'earn', $3, $4, 'base rate', $5)`,
  lines: `insert into journal_lines (entry_id, line_no, club_id, account, member_id, unit, amount, balance_after, created_at)
          values ($1, 1, $2, 'system:issued', null, 'points', $3, null, $4), ($1, 2, $2, $5, $5, 'points', $6, $7, $4)`,
  lot: `insert into lots (id, club_id, member_id, unit, entry_id, event_id, amount, remaining, available_at, expires_at, created_at)
        values ($1, $2, $3, 'points', $4, $5, $6, $6, $7, $8, $9)`,
  cte: `with ev as (
          insert into events (id, club_id, external_id, type, member_id, amount_rials, occurred_at, attributes, body_hash)
          values ($1, $2, $3, 'purchase', $4, $5, $6, '{"channel":"pos"}', $7)),
        bal as (
          insert into member_balances (club_id, member_id, unit, balance, updated_at) values ($2, $4, 'points', $8::bigint, now())
          on conflict (club_id, member_id, unit) do update set balance = member_balances.balance + excluded.balance, updated_at = now()
          returning balance),
        je as (
          insert into journal_entries (id, club_id, kind, member_id, event_id, memo, created_at) values ($9, $2, 'earn', $4, $1, 'base rate', $6)),
        jl as (
          insert into journal_lines (entry_id, line_no, club_id, account, member_id, unit, amount, balance_after, created_at)
          select $9, v.n, $2, case when v.n = 1 then 'system:issued' else $4 end, case when v.n = 1 then null else $4 end, 'points',
                 case when v.n = 1 then -$8::bigint else $8::bigint end, case when v.n = 1 then null else bal.balance end, $6
          from bal, (values (1), (2)) as v(n)),
        lot as (
          insert into lots (id, club_id, member_id, unit, entry_id, event_id, amount, remaining, available_at, expires_at, created_at)
          values ($10, $2, $4, 'points', $9, $1, $8::bigint, $8::bigint, $11, $12, $6))
        select balance from bal`,
};

/** Closed loop on `connections` dedicated clients for `durationMs`. */
export async function runBaseline(db: BaselineDb, form: 'tx' | 'cte' | 'batch', o: { connections: number; durationMs: number; batch?: number; run: string }): Promise<BaselineResult> {
  const next = eventFactory(o.run, db.memberIds);
  const clients = await Promise.all(
    Array.from({ length: o.connections }, async () => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      return c;
    }),
  );
  const lat: number[] = [];
  let events = 0;
  let errors = 0;
  const batch = o.batch ?? 1000;
  const start = performance.now();
  const end = start + o.durationMs;
  const club = db.clubId;
  const cpu0 = cpuSnapshot(null, true);
  const one = async (c: pg.Client) => {
    const e = next();
    const now = new Date();
    const available = new Date(now.getTime() + 14 * DAY);
    const expires = new Date(now.getTime() + 365 * DAY);
    if (form === 'cte') {
      await c.query(SQL.cte, [e.id, club, e.ext, e.member, e.amount, now, 'h', e.points, e.entry, e.lot, available, expires]);
      return 1;
    }
    await c.query('begin');
    try {
      await c.query(SQL.event, [e.id, club, e.ext, e.member, e.amount, now, 'h']);
      const bal = Number((await c.query(SQL.balance, [club, e.member, e.points])).rows[0].balance);
      await c.query(SQL.entry, [e.entry, club, e.member, e.id, now]);
      await c.query(SQL.lines, [e.entry, club, -e.points, now, e.member, e.points, bal]);
      await c.query(SQL.lot, [e.lot, club, e.member, e.entry, e.id, e.points, available, expires, now]);
      await c.query('commit');
    } catch (err) {
      await c.query('rollback');
      throw err;
    }
    return 1;
  };
  const many = async (c: pg.Client) => {
    const es = Array.from({ length: batch }, next);
    const now = new Date();
    const available = new Date(now.getTime() + 14 * DAY).toISOString();
    const expires = new Date(now.getTime() + 365 * DAY).toISOString();
    // Balance deltas per member, in a fixed order (no deadlocks between concurrent batches).
    const per = new Map<string, number>();
    for (const e of es) per.set(e.member, (per.get(e.member) ?? 0) + e.points);
    const ms = [...per.keys()].sort();
    await c.query('begin');
    try {
      await c.query(
        `insert into events (id, club_id, external_id, type, member_id, amount_rials, occurred_at, attributes, body_hash)
         select id, $1, ext, 'purchase', m, a, $2, '{"channel":"pos"}', 'h' from unnest($3::text[], $4::text[], $5::text[], $6::bigint[]) as x(id, ext, m, a)`,
        [club, now, es.map((e) => e.id), es.map((e) => e.ext), es.map((e) => e.member), es.map((e) => e.amount)],
      );
      const rows = (await c.query(
        `insert into member_balances (club_id, member_id, unit, balance, updated_at)
         select $1, m, 'points', d, now() from unnest($2::text[], $3::bigint[]) as x(m, d) order by m
         on conflict (club_id, member_id, unit) do update set balance = member_balances.balance + excluded.balance, updated_at = now()
         returning member_id, balance`,
        [club, ms, ms.map((m) => per.get(m)!)],
      )).rows as { member_id: string; balance: string | number }[];
      // Running balance per line, as the engine keeps it: final minus what comes after.
      const running = new Map(rows.map((r) => [r.member_id, Number(r.balance) - per.get(r.member_id)!]));
      const after = es.map((e) => {
        const b = running.get(e.member)! + e.points;
        running.set(e.member, b);
        return b;
      });
      await c.query(
        `insert into journal_entries (id, club_id, kind, member_id, event_id, memo, created_at)
         select id, $1, 'earn', m, ev, 'base rate', $2 from unnest($3::text[], $4::text[], $5::text[]) as x(id, m, ev)`,
        [club, now, es.map((e) => e.entry), es.map((e) => e.member), es.map((e) => e.id)],
      );
      await c.query(
        `insert into journal_lines (entry_id, line_no, club_id, account, member_id, unit, amount, balance_after, created_at)
         select entry, no, $1, account, member, 'points', amount, after, $2
         from unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::bigint[], $8::bigint[]) as x(entry, no, account, member, amount, after)`,
        [
          club, now,
          es.flatMap((e) => [e.entry, e.entry]),
          es.flatMap(() => [1, 2]),
          es.flatMap((e) => ['system:issued', e.member]),
          es.flatMap((e) => [null, e.member]),
          es.flatMap((e) => [-e.points, e.points]),
          es.flatMap((e, k) => [null, after[k]!]),
        ],
      );
      await c.query(
        `insert into lots (id, club_id, member_id, unit, entry_id, event_id, amount, remaining, available_at, expires_at, created_at)
         select id, $1, m, 'points', entry, ev, a, a, $2::timestamptz, $3::timestamptz, $4 from unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[]) as x(id, m, entry, ev, a)`,
        [club, available, expires, now, es.map((e) => e.lot), es.map((e) => e.member), es.map((e) => e.entry), es.map((e) => e.id), es.map((e) => e.points)],
      );
      await c.query('commit');
    } catch (err) {
      await c.query('rollback');
      throw err;
    }
    return batch;
  };
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const n = await (form === 'batch' ? many(c) : one(c));
          events += n;
          lat.push(performance.now() - t);
        } catch (err) {
          errors++;
          if (errors < 3) console.error(`  baseline ${form}: ${(err as Error).message}`);
        }
      }
    }),
  );
  const elapsed = performance.now() - start;
  const cpu1 = cpuSnapshot(null, true);
  const cpu = cpuUse(cpu0, cpu1, await backendPids(db.url));
  await Promise.all(clients.map((c) => c.end()));
  const per = (cores: number | null) => (cores === null || !events ? null : Math.round(((cores * cpu.wallMs) / events) * 1000) / 1000);
  const clientMs = per(cpu.generatorCores) ?? 0;
  const pgMs = per(cpu.postgresCores);
  return {
    form,
    connections: o.connections,
    eventsPerEnvelope: form === 'batch' ? batch : 1,
    durationMs: Math.round(elapsed),
    events,
    eventsPerSec: Math.round((events / elapsed) * 1000),
    roundTripsPerEvent: form === 'tx' ? 7 : form === 'cte' ? 1 : 7 / batch,
    latencyMs: summarise(lat),
    errors,
    cpuMsPerEvent: { client: clientMs, postgres: pgMs },
    cpuCeilingPerSec: events && clientMs + (pgMs ?? 0) > 0 ? Math.round((cpu.cores * 1000) / (clientMs + (pgMs ?? 0))) : null,
    otherCores: cpu.otherCores === null ? null : Math.round(cpu.otherCores * 100) / 100,
  };
}

// ------------------------------------------------------------------------------ pgbench

export const PGBENCH_SCRIPT = `-- Vafa bench: the minimum writes of one earn (the "tx" form), one transaction per event.
-- Every parameter is cast: with -M extended pgbench sends them untyped. (pgbench would read
-- ':issued' inside a literal as a variable, so the system account comes in as -D issued=…)
\\set m random(1, :members)
\\set a random(1, 1000000000000000)
\\set amt random(5, 504)
BEGIN;
INSERT INTO events (id, club_id, external_id, type, member_id, amount_rials, occurred_at, attributes, body_hash)
  VALUES ('evt_pgb' || :client_id::text || '_' || :a::text, :club::text, 'pgb-' || :client_id::text || '-' || :a::text, 'purchase',
          'mbr_pgb' || :m::text, :amt::bigint * 10000, now(), '{"channel":"pos"}', 'h');
INSERT INTO member_balances (club_id, member_id, unit, balance, updated_at) VALUES (:club::text, 'mbr_pgb' || :m::text, 'points', :amt::bigint, now())
  ON CONFLICT (club_id, member_id, unit) DO UPDATE SET balance = member_balances.balance + excluded.balance, updated_at = now()
  RETURNING balance AS bal \\gset
INSERT INTO journal_entries (id, club_id, kind, member_id, event_id, memo, created_at)
  VALUES ('jnl_pgb' || :client_id::text || '_' || :a::text, :club::text, 'earn', 'mbr_pgb' || :m::text, 'evt_pgb' || :client_id::text || '_' || :a::text, 'base rate', now());
INSERT INTO journal_lines (entry_id, line_no, club_id, account, member_id, unit, amount, balance_after, created_at)
  VALUES ('jnl_pgb' || :client_id::text || '_' || :a::text, 1, :club::text, :issued::text, null, 'points', -(:amt::bigint), null, now()),
         ('jnl_pgb' || :client_id::text || '_' || :a::text, 2, :club::text, 'mbr_pgb' || :m::text, 'mbr_pgb' || :m::text, 'points', :amt::bigint, :bal::bigint, now());
INSERT INTO lots (id, club_id, member_id, unit, entry_id, event_id, amount, remaining, available_at, expires_at, created_at)
  VALUES ('lot_pgb' || :client_id::text || '_' || :a::text, :club::text, 'mbr_pgb' || :m::text, 'points', 'jnl_pgb' || :client_id::text || '_' || :a::text,
          'evt_pgb' || :client_id::text || '_' || :a::text, :amt::bigint, :amt::bigint, now() + interval '14 days', now() + interval '365 days', now());
COMMIT;
`;

export async function hasPgbench(): Promise<string | null> {
  return new Promise((resolve) => {
    const p = spawn('pgbench', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', () => resolve(null));
    p.on('exit', (code) => resolve(code === 0 ? out.trim() : null));
  });
}

export async function runPgbench(db: BaselineDb, o: { connections: number; durationMs: number; members: number }): Promise<BaselineResult & { command: string; script: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vafa-pgbench-'));
  const file = path.join(dir, 'earn.sql');
  writeFileSync(file, PGBENCH_SCRIPT);
  const u = new URL(db.url);
  const args = [
    '-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres'),
    '-n', '-M', 'extended', '-c', String(o.connections), '-j', String(Math.min(o.connections, os.cpus().length)),
    '-T', String(Math.max(1, Math.round(o.durationMs / 1000))), '-D', `club=${db.clubId}`, '-D', `members=${o.members}`, '-D', 'issued=system:issued',
    '-f', file, u.pathname.slice(1),
  ];
  const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
    const p = spawn('pgbench', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.stderr.on('data', (d: Buffer) => (text += d.toString()));
    p.on('exit', (code) => resolve({ code, text }));
  });
  rmSync(dir, { recursive: true, force: true });
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out.text)?.[1] ?? /tps = ([\d.]+)/.exec(out.text)?.[1] ?? NaN);
  const latAvg = Number(/latency average = ([\d.]+) ms/.exec(out.text)?.[1] ?? NaN);
  const done = Number(/number of transactions actually processed: (\d+)/.exec(out.text)?.[1] ?? 0);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out.text)?.[1] ?? 0);
  if (out.code !== 0 || !Number.isFinite(tps)) console.error(`  pgbench failed (${out.code}):\n${out.text.slice(-1500)}`);
  return {
    form: 'pgbench',
    connections: o.connections,
    eventsPerEnvelope: 1,
    durationMs: o.durationMs,
    events: done,
    eventsPerSec: Math.round(tps),
    roundTripsPerEvent: 7,
    latencyMs: Number.isFinite(latAvg) ? { count: done, p50: NaN, p90: NaN, p95: NaN, p99: NaN, p999: NaN, max: NaN, mean: latAvg } : null,
    errors: failed + (out.code === 0 ? 0 : 1),
    note: 'pgbench -M extended, the tx form from a script file; latency is pgbench\'s average',
    command: `pgbench ${args.join(' ')}`,
    script: PGBENCH_SCRIPT,
  };
}
