/**
 * Redemption bench (issue 4): `node --import tsx bench/redemption.ts`. Prints figures, asserts
 * nothing (except that it says so loudly if stock was oversold).
 *
 * On a throw-away PostgreSQL database, with the real server as a child process (like
 * `npm start`, DATABASE_URL set) over real HTTP:
 *   A. open loop: 200 redemptions/s offered for DURATION_S (latency from each request's
 *      scheduled time, so a stall shows its full queueing delay), distinct members, a coupon
 *      reward with stock (one stock row) — p50/p99;
 *   B. hot reward: one stock row, 32 concurrent clients in a closed loop until the stock runs
 *      out — throughput, latency, and the oversell check;
 *   C. raw-SQL baselines of the same writes (spend + code + redemption + audit + outbox + keys +
 *      stock), straight over pg, no HTTP, no service code: C0 per redemption at 200/s open loop
 *      (latency floor of A), C1 per redemption by 32 clients on a hot reward (floor of B as the
 *      engine issues statements today), C2 the same writes for groups of 16 set-based;
 * and the server's peak RSS.
 * Env: VAFA_BENCH_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * DURATION_S (default 15), HOT_STOCK (default 5000).
 * Flag --trace-sql: the server runs with bench/sql-trace.ts preloaded; statements per
 * redemption (and COMMITs = transactions) are printed per scenario.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { openPostgres } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { makeSecrets } from '../src/platform/crypto.js';
import { systemClock } from '../src/platform/clock.js';
import { LogSmsChannel } from '../src/platform/sms.js';
import { buildServices } from '../src/app.js';
import { verifyLedger } from '../src/modules/ledger/index.js';
import { readFileSync } from 'node:fs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'vafa-bench-secret-not-for-production-0000';
const DURATION_S = Number(process.env.DURATION_S ?? 15);
const RATE = 200;
const CLIENTS = 32;
const HOT_STOCK = Number(process.env.HOT_STOCK ?? 5000);
const TRACE = process.argv.includes('--trace-sql');
/** --profile: the server runs under --cpu-prof; its self time by package and function is printed. */
const PROFILE = process.argv.includes('--profile');

type Trace = { statements: { statement: string; count: number; totalMs: number }[] };
/** Asks the traced server for a snapshot (SIGUSR2) and reads it. */
async function traceSnapshot(pid: number, file: string): Promise<Trace | null> {
  try {
    process.kill(pid, 'SIGUSR2');
  } catch {
    return null;
  }
  await new Promise((r) => setTimeout(r, 300));
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Trace;
  } catch {
    return null;
  }
}
/** Statements between two snapshots, per request: total, COMMITs, and the top shapes. */
function traceDiff(a: Trace | null, b: Trace | null, requests: number): string {
  if (!a || !b || !requests) return '   (no trace)';
  const before = new Map(a.statements.map((s) => [s.statement, s]));
  const rows = b.statements
    .map((s) => ({ statement: s.statement, count: s.count - (before.get(s.statement)?.count ?? 0), ms: s.totalMs - (before.get(s.statement)?.totalMs ?? 0) }))
    .filter((s) => s.count > 0)
    .sort((x, y) => y.count - x.count);
  const total = rows.reduce((t, r) => t + r.count, 0);
  const commits = rows.filter((r) => /^commit/i.test(r.statement)).reduce((t, r) => t + r.count, 0);
  return [
    `   SQL: ${(total / requests).toFixed(2)} statements per request, ${(commits / requests).toFixed(3)} commits per request (${commits ? (requests / commits).toFixed(1) : '–'} requests per transaction)`,
    ...rows.slice(0, 14).map((r) => `     ${(r.count / requests).toFixed(3).padStart(7)} /req  ${String(Math.round(r.ms)).padStart(6)} ms  ${r.statement}`),
  ].join('\n');
}

// ------------------------------------------------------------------ self-contained helpers
const ADMIN_URL = process.env.VAFA_BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const urlFor = (db: string) => ADMIN_URL.replace(/\/[^/]*$/, `/${db}`);
async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
const readProc = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return null;
  }
};
/** utime + stime in ms (USER_HZ = 100). */
function cpuMsOf(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
const procCpuMs = (pid: number) => {
  const s = readProc(`/proc/${pid}/stat`);
  return s ? cpuMsOf(s) : null;
};
function procMemMb(pid: number): { rss: number; hwm: number } | null {
  const s = readProc(`/proc/${pid}/status`);
  if (!s) return null;
  const kb = (n: string) => Number(new RegExp(`^${n}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function post(agent: http.Agent, port: number, key: string, p: string, body: unknown, idem: string): Promise<{ status: number; json: any }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: p, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${key}`, 'idempotency-key': idem } },
      (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => {
          let json: any = null;
          try {
            json = JSON.parse(data);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', () => resolve({ status: 0, json: null }));
    req.end(payload);
  });
}

async function main() {
  try {
    await admin(async () => undefined);
  } catch (e) {
    console.log(`PostgreSQL at ${ADMIN_URL} is not reachable (${(e as Error).message}); the redemption bench needs it.`);
    return;
  }
  const name = `vafa_bench_rdm_${Date.now()}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = urlFor(name);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vafa-bench-rdm-'));
  let child: ReturnType<typeof spawn> | null = null;
  try {
    // ---------------------------------------------------------------- seed (in this process)
    const database = await openPostgres(url, { max: 16 });
    await migrate(database);
    const logger = pino({ level: 'warn' });
    const services = buildServices({ database, secrets: makeSecrets(SECRET), clock: systemClock, logger, sms: new LogSmsChannel(logger) });
    const club = await services.clubs.create({ slug: 'bench-rewards', name: { fa: 'باشگاه بنچ', en: 'Bench' }, pendingDays: 0 });
    if (!club.ok) throw new Error(club.code);
    const clubId = club.value.id;
    const key = (await services.access.createApiKey(clubId, { name: 'bench', role: 'integration' }, 'bench')).key;
    const steadyMembers = RATE * DURATION_S;
    const hotMembers = 2000;
    const t0 = performance.now();
    const memberIds: string[] = [];
    const total = steadyMembers + hotMembers;
    for (let i = 0; i < total; i += 200) {
      memberIds.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(200, total - i) }, async (_, k) => {
            const m = await services.members.create(clubId, { mobile: `0912${String(1_000_000 + i + k).padStart(7, '0')}` }, { actor: 'bench' });
            if (!m.ok) throw new Error(m.code);
            const a = await services.ledger.adjust(clubId, m.value.id, { points: 100_000, reason: 'bench funds' }, { actor: 'bench' });
            if (!a.ok) throw new Error(a.code);
            return m.value.id;
          }),
        )),
      );
    }
    const mkReward = async (title: string, stock: number, pattern: string) => {
      const r = await services.rewards.create(clubId, {
        type: 'coupon', title: { fa: title, en: title }, description: { fa: '', en: '' }, imageUrl: null, costPoints: 100, copayRials: 0, stock,
        limit: null, audience: { tiers: [], groups: [] }, availableFrom: null, availableUntil: null, config: { codes: { source: 'pattern', pattern } },
      }, { actor: 'bench' });
      if (!r.ok) throw new Error(r.code);
      return r.value.id;
    };
    const steadyReward = await mkReward('steady', 1_000_000, 'ST-##########');
    const hotReward = await mkReward('hot', HOT_STOCK, 'HOT-##########');
    const baselineReward = await mkReward('baseline', HOT_STOCK, 'BL-##########');
    const groupReward = await mkReward('baseline-group', HOT_STOCK, 'BG-##########');
    const steadyBaseReward = await mkReward('baseline-steady', 1_000_000, 'BS-##########');
    const seedS = (performance.now() - t0) / 1000;
    const pgInfo = await admin(async (c) => ({
      version: (await c.query('show server_version')).rows[0].server_version as string,
      settings: Object.fromEntries((await c.query(`select name, setting from pg_settings where name in ('synchronous_commit', 'fsync')`)).rows.map((r) => [r.name, r.setting])),
    }));
    await database.close();

    // ---------------------------------------------------------------- the server, as npm start
    const port = await freePort();
    const traceFile = path.join(dataDir, 'sql-trace.json');
    const profDir = path.join(dataDir, 'prof');
    child = spawn(process.execPath, [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), '--import', 'tsx', ...(TRACE ? ['--import', path.join(ROOT, 'bench/sql-trace.ts')] : []), path.join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...(TRACE ? { VAFA_BENCH_SQL_TRACE: traceFile } : {}), PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: url, VAFA_DEMO: '0', LOG_LEVEL: 'warn', VAFA_DATA_DIR: dataDir, VAFA_SECRET: SECRET, NODE_ENV: 'production' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    const pid = child.pid!;
    let peakRss = 0;
    const sampler = setInterval(() => {
      const m = procMemMb(pid);
      if (m) peakRss = Math.max(peakRss, m.rss);
    }, 100);
    for (let i = 0; ; i++) {
      const ok = await new Promise<boolean>((r) => http.get({ host: '127.0.0.1', port, path: '/readyz' }, (res) => { res.resume(); r(res.statusCode === 200); }).on('error', () => r(false)));
      if (ok) break;
      if (i > 300) throw new Error(`server did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    // Warm-up: JIT, pool, caches.
    for (let i = 0; i < 50; i++) await post(agent, port, key, '/api/v1/pos/quote', { member: { id: memberIds[i] }, basketRials: 1_000_000 }, `w${i}`);

    const trace0 = TRACE ? await traceSnapshot(pid, traceFile) : null;
    // ---------------------------------------------------------------- A. open loop, 200/s
    const steady: { lat: number; status: number; code?: string }[] = [];
    {
      const start = performance.now() + 50;
      const inflight: Promise<void>[] = [];
      for (let i = 0; i < steadyMembers; i++) {
        const due = start + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        inflight.push(
          post(agent, port, key, `/api/v1/members/${memberIds[i]}/redemptions`, { rewardId: steadyReward }, `a-${i}`).then((r) => {
            steady.push({ lat: performance.now() - due, status: r.status, code: r.json?.code });
          }),
        );
      }
      await Promise.all(inflight);
    }
    const steadyOk = steady.filter((s) => s.status === 201).map((s) => s.lat);
    const trace1 = TRACE ? await traceSnapshot(pid, traceFile) : null;

    // ---------------------------------------------------------------- B. hot reward, 32 clients
    const hot: { lat: number; status: number; code?: string }[] = [];
    let hotWall = 0;
    let cpu0 = { server: 0 };
    let cpu1 = { server: 0 };
    let lastSuccessAt = 0;
    {
      const hotIds = memberIds.slice(steadyMembers);
      cpu0 = { server: procCpuMs(pid) ?? 0 };
      let next = 0;
      let stop = false;
      const t = performance.now();
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (!stop) {
            const i = next++;
            const s = performance.now();
            const r = await post(agent, port, key, `/api/v1/members/${hotIds[i % hotIds.length]}/redemptions`, { rewardId: hotReward }, `b-${i}`);
            hot.push({ lat: performance.now() - s, status: r.status, code: r.json?.code });
            if (r.status === 201) lastSuccessAt = performance.now();
            if (r.json?.code === 'reward_out_of_stock') stop = true;
          }
        }),
      );
      hotWall = (lastSuccessAt - t) / 1000;
      cpu1 = { server: procCpuMs(pid) ?? 0 };
    }
    const trace2 = TRACE ? await traceSnapshot(pid, traceFile) : null;
    const hotOk = hot.filter((h) => h.status === 201);
    clearInterval(sampler);
    const hwm = procMemMb(pid)?.hwm ?? peakRss;

    // ---------------------------------------------------------------- C. raw-SQL baselines
    const pool = new pg.Pool({ connectionString: url, max: CLIENTS });
    const baseIds = memberIds.slice(0, hotMembers);
    /** 32 clients in a closed loop until `fn` reports the stock gone. */
    async function closedLoop(fn: (c: pg.PoolClient, i: number) => Promise<number>): Promise<{ ok: number; wall: number; lat: number[]; out: number }> {
      let ok = 0;
      let out = 0;
      const lat: number[] = [];
      let next = 0;
      let stop = false;
      const t = performance.now();
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          const c = await pool.connect();
          try {
            while (!stop) {
              const i = next++;
              const s = performance.now();
              const got = await fn(c, i);
              lat.push(performance.now() - s);
              if (got > 0) ok += got;
              else {
                out++;
                stop = true;
              }
            }
          } finally {
            c.release();
          }
        }),
      );
      return { ok, wall: (performance.now() - t) / 1000, lat, out };
    }
    // C1. per redemption, hot reward.
    const base = await closedLoop((c, i) => rawRedemption(c, clubId, baseIds[i % baseIds.length]!, baselineReward, `c1-${i}`).then((x) => (x ? 1 : 0)));
    // C2. grouped: GROUP redemptions (distinct members) per transaction, set-based — what the
    // engine's group commit would cost with a set-based ledger spend (see docs/performance.md).
    const GROUP = 16;
    const grouped = await closedLoop((c, i) => rawGroup(c, clubId, Array.from({ length: GROUP }, (_, k) => baseIds[(i * GROUP + k) % baseIds.length]!), groupReward, `c2-${i}`));
    // C0. per redemption, open loop at RATE for DURATION_S: the latency floor of scenario A.
    const baseSteady: number[] = [];
    {
      const ids = memberIds.slice(hotMembers);
      const start = performance.now() + 50;
      const inflight: Promise<void>[] = [];
      const total = RATE * DURATION_S;
      for (let i = 0; i < total; i++) {
        const due = start + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        inflight.push(
          pool.connect().then(async (c) => {
            try {
              await rawRedemption(c, clubId, ids[i % ids.length]!, steadyBaseReward, `c0-${i}`);
              baseSteady.push(performance.now() - due);
            } finally {
              c.release();
            }
          }),
        );
      }
      await Promise.all(inflight);
    }
    await pool.end();

    // ---------------------------------------------------------------- checks and report
    const check = await openPostgres(url, { max: 2 });
    const stocks = (await check.db.selectFrom('rewards').select(['id', 'stock']).where('club_id', '=', clubId).execute()) as { id: string; stock: number }[];
    const hotStock = stocks.find((s) => s.id === hotReward)!.stock;
    const hotRedemptions = Number((await check.db.selectFrom('redemptions').select((eb) => eb.fn.countAll().as('n')).where('reward_id', '=', hotReward).executeTakeFirstOrThrow()).n);
    const pending = Number((await check.db.selectFrom('holds').select((eb) => eb.fn.countAll().as('n')).where('club_id', '=', clubId).where('status', '=', 'pending').executeTakeFirstOrThrow()).n);
    const verify = await verifyLedger(check.db, clubId);
    await check.close();

    const codes = (xs: { status: number; code?: string }[]) => Object.entries(xs.reduce<Record<string, number>>((m, x) => ((m[x.status === 201 ? '201' : `${x.status} ${x.code ?? ''}`] = (m[`${x.status === 201 ? '201' : `${x.status} ${x.code ?? ''}`}`] ?? 0) + 1), m), {})).map(([k, n]) => `${k}: ${n}`).join(', ');
    const mi = { cpuModel: os.cpus()[0]?.model ?? '?', cores: os.cpus().length, memoryMb: Math.round(os.totalmem() / 2 ** 20), node: process.version, loadavg: os.loadavg().map((x) => x.toFixed(2)) };
    console.log(`
Redemption bench — ${new Date().toISOString()}
machine: ${mi.cpuModel}, ${mi.cores} cores, ${mi.memoryMb} MB, ${mi.node}, load ${mi.loadavg.join(' ')}
PostgreSQL ${pgInfo.version} (synchronous_commit=${pgInfo.settings.synchronous_commit}, fsync=${pgInfo.settings.fsync}); seeded ${total} members in ${seedS.toFixed(1)} s

A. open loop, ${RATE} redemptions/s offered for ${DURATION_S} s over HTTP (coupon with a stock row; latency from scheduled send)
   requests ${steady.length}; ${codes(steady)}
   p50 ${ms(pct(steadyOk, 50))}   p90 ${ms(pct(steadyOk, 90))}   p99 ${ms(pct(steadyOk, 99))}   max ${ms(Math.max(...steadyOk))}   (target p99 ≤ 50 ms: ${pct(steadyOk, 99) <= 50 && steadyOk.length === steady.length ? 'PASS' : 'FAIL'})
${TRACE ? traceDiff(trace0, trace1, steady.length) : ''}

B. hot reward: one stock row of ${HOT_STOCK}, ${CLIENTS} concurrent clients until it ran out
   requests ${hot.length}; ${codes(hot)}
   ${(hotOk.length / hotWall).toFixed(0)} successful redemptions/s   p50 ${ms(pct(hotOk.map((h) => h.lat), 50))}   p99 ${ms(pct(hotOk.map((h) => h.lat), 99))}   (target ≥ 1,000/s: ${hotOk.length / hotWall >= 1000 ? 'PASS' : 'FAIL'})
${TRACE ? traceDiff(trace1, trace2, hot.length) : ''}
   server CPU ${((cpu1.server - cpu0.server) / hot.length).toFixed(2)} ms per request → one idle core would carry ≈ ${(1000 / Math.max((cpu1.server - cpu0.server) / hot.length, 0.001)).toFixed(0)} req/s of server work (PostgreSQL needs its own)
   oversell check: ${hotRedemptions} redemptions for stock ${HOT_STOCK}, stock left ${hotStock} → ${hotRedemptions === HOT_STOCK && hotStock === 0 ? 'ZERO OVERSELL' : '!!! OVERSOLD OR UNDERSOLD !!!'}

C. raw-SQL baselines, same database, same run: the writes of one redemption as the engine issues them (spend, code,
   redemption, audit, outbox, keys, stock), straight over pg, no HTTP, no service code
   C0 per redemption, open loop ${RATE}/s for ${DURATION_S} s: p50 ${ms(pct(baseSteady, 50))}   p99 ${ms(pct(baseSteady, 99))}   max ${ms(Math.max(...baseSteady))}
   C1 per redemption, ${CLIENTS} clients, hot reward of ${HOT_STOCK}: ${base.ok} in ${base.wall.toFixed(2)} s = ${(base.ok / base.wall).toFixed(0)}/s   p50 ${ms(pct(base.lat, 50))}   p99 ${ms(pct(base.lat, 99))}
   C2 grouped, ${GROUP} per transaction set-based, ${CLIENTS} clients, hot reward of ${HOT_STOCK}: ${grouped.ok} in ${grouped.wall.toFixed(2)} s = ${(grouped.ok / grouped.wall).toFixed(0)}/s   p50 ${ms(pct(grouped.lat, 50))} per group
   engine ÷ baseline (hot reward): ${(hotOk.length / hotWall / (base.ok / base.wall)).toFixed(2)} of C1, ${(hotOk.length / hotWall / (grouped.ok / grouped.wall)).toFixed(2)} of C2;   steady p99 ${ms(pct(steadyOk, 99))} vs C0 ${ms(pct(baseSteady, 99))}

server peak RSS ${Math.round(hwm)} MB (sampled max ${Math.round(peakRss)} MB)
ledger verify: ${verify.ok ? 'clean' : `${verify.problems.length} problems`}; pending holds left: ${pending}
`);
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await admin((c) => c.query(`drop database if exists ${name} with (force)`)).catch(() => undefined);
    if (PROFILE) {
      const { summariseProfile } = await import('./profile.js');
      const { readdirSync } = await import('node:fs');
      const dir = path.join(dataDir, 'prof');
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
        const s = summariseProfile(path.join(dir, f), ROOT, 5000);
        // VAFA_BENCH_PROFILE_OUT=dir keeps the raw profile (for inclusive times, a flame graph).
        if (process.env.VAFA_BENCH_PROFILE_OUT) (await import('node:fs')).copyFileSync(path.join(dir, f), path.join(process.env.VAFA_BENCH_PROFILE_OUT, f));
        console.log(`server CPU profile (${Math.round(s.sampledMs)} ms sampled, idle ${s.idlePercent.toFixed(0)} %)`);
        console.log(s.groups.slice(0, 14).map((g) => `  ${g.percent.toFixed(1).padStart(5)} %  ${g.name}`).join('\n'));
        console.log(s.functions.slice(0, 25).map((g) => `  ${g.percent.toFixed(1).padStart(5)} %  ${g.name}`).join('\n'));
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * One redemption's writes in one transaction, as the engine issues them for a lone coupon
 * redemption (statement per round trip): key claim, member facts, per-member lock, limit
 * count, the ledger's spend (member guard, balance row locked, lots locked, lots taken,
 * balance, entry + lines), the code, the redemption, audit, outbox, key stored, stock last.
 */
async function rawRedemption(c: pg.PoolClient, clubId: string, memberId: string, rewardId: string, tag: string): Promise<boolean> {
  const id = (p: string) => `${p}_${tag}_${Math.random().toString(36).slice(2, 10)}`;
  const e1 = id('jnl');
  const rdm = id('rdm');
  await c.query('begin');
  try {
    await c.query('insert into idempotency_keys (club_id, key, request_hash) values ($1, $2, $3) on conflict do nothing returning key', [clubId, tag, 'h']);
    await c.query('select id, status, tier, groups, mobile from members where club_id = $1 and id = any($2::text[])', [clubId, [memberId]]);
    await c.query('select pg_advisory_xact_lock(hashtext($1))', [`${clubId}:${memberId}`]);
    await c.query(`select count(*) from redemptions where club_id = $1 and member_id = $2 and reward_id = $3 and status in ('pending', 'fulfilled')`, [clubId, memberId, rewardId]);
    await c.query('select id, status from members where club_id = $1 and id = $2', [clubId, memberId]);
    await c.query(`insert into member_balances (club_id, member_id, unit, balance) values ($1, $2, 'points', 0) on conflict do nothing`, [clubId, memberId]);
    await c.query(`select balance from member_balances where club_id = $1 and member_id = $2 and unit = 'points' for update`, [clubId, memberId]);
    const lots = await c.query(`select id, remaining from lots where club_id = $1 and member_id = $2 and unit = 'points' and remaining > 0 order by id for update`, [clubId, memberId]);
    const lot = lots.rows[0];
    await c.query('update lots set remaining = remaining - 100 where club_id = $1 and id = $2', [clubId, lot.id]);
    await c.query(`update member_balances set balance = balance - 100 where club_id = $1 and member_id = $2 and unit = 'points' returning balance`, [clubId, memberId]);
    await c.query(`with e as (insert into journal_entries (id, club_id, kind, member_id) values ($1, $2, 'spend', $3) returning id)
      insert into journal_lines (entry_id, line_no, club_id, account, member_id, unit, amount) values ($1, 1, $2, $3, $3, 'points', -100), ($1, 2, $2, 'system:redeemed', null, 'points', 100)`, [e1, clubId, memberId]);
    await c.query(`insert into coupon_codes (id, club_id, reward_id, code, status, member_id, redemption_id, assigned_at) values ($1, $2, $3, $4, 'assigned', $5, $6, now()) on conflict do nothing returning code`, [id('cpn'), clubId, rewardId, `RAW-${tag}-${Math.random().toString(36).slice(2, 10)}`, memberId, rdm]);
    await c.query(`insert into redemptions (id, club_id, member_id, reward_id, type, status, points, detail) values ($1, $2, $3, $4, 'coupon', 'fulfilled', 100, $5) returning *`, [rdm, clubId, memberId, rewardId, JSON.stringify({ allocations: [{ lotId: lot.id, amount: 100 }] })]);
    await c.query(`insert into audit_log (club_id, actor, action, target, after) values ($1, 'raw', 'redemption.created', $2, '{}')`, [clubId, rdm]);
    await c.query(`insert into outbox (club_id, topic, payload) values ($1, 'reward.redeemed', '{}')`, [clubId]);
    await c.query(`update idempotency_keys set status_code = 201, response = '{}' where club_id = $1 and key = $2`, [clubId, tag]);
    const s = await c.query('update rewards set stock = stock - 1 where club_id = $1 and id = $2 and stock >= 1 returning stock', [clubId, rewardId]);
    if (s.rowCount !== 1) {
      await c.query('rollback');
      return false;
    }
    await c.query('commit');
    return true;
  } catch (e) {
    await c.query('rollback');
    throw e;
  }
}

/**
 * The same writes for a group of redemptions (distinct members) in one transaction, every
 * step one set-based statement: 16 round trips for the group, whatever its size. Returns how
 * many went through (0 = the stock is gone).
 */
async function rawGroup(c: pg.PoolClient, clubId: string, memberIds: string[], rewardId: string, tag: string): Promise<number> {
  const ms = [...new Set(memberIds)].sort();
  const n = ms.length;
  const rnd = () => Math.random().toString(36).slice(2, 10);
  const keys = ms.map((_, k) => `${tag}-${k}`);
  const rdms = ms.map(() => `rdm_${tag}_${rnd()}`);
  const entries = ms.map(() => `jnl_${tag}_${rnd()}`);
  await c.query('begin');
  try {
    await c.query('insert into idempotency_keys (club_id, key, request_hash) select $1, k, $3 from unnest($2::text[]) k on conflict do nothing returning key', [clubId, keys, 'h']);
    await c.query('select id, status, tier, groups, mobile from members where club_id = $1 and id = any($2::text[])', [clubId, ms]);
    await c.query('select count(pg_advisory_xact_lock(h)) from (select distinct hashtext($1 || \':\' || m) h from unnest($2::text[]) m order by 1) s', [clubId, ms]);
    await c.query(`select x.m, c.n from unnest($2::text[]) x(m) cross join lateral (select count(*) n from redemptions r where r.club_id = $1 and r.member_id = x.m and r.reward_id = $3 and r.status in ('pending', 'fulfilled')) c`, [clubId, ms, rewardId]);
    await c.query(`select member_id, balance from member_balances where club_id = $1 and member_id = any($2::text[]) and unit = 'points' order by member_id for update`, [clubId, ms]);
    const lots = await c.query(`select id, member_id, remaining from lots where club_id = $1 and member_id = any($2::text[]) and unit = 'points' and remaining > 0 order by member_id, id for update`, [clubId, ms]);
    const lotOf = new Map<string, string>();
    for (const l of lots.rows) if (!lotOf.has(l.member_id) && Number(l.remaining) >= 100) lotOf.set(l.member_id, l.id);
    const lotIds = ms.map((m) => lotOf.get(m)!);
    await c.query('update lots set remaining = remaining - 100 from unnest($2::text[]) u(id) where lots.club_id = $1 and lots.id = u.id', [clubId, lotIds]);
    await c.query(`update member_balances set balance = balance - 100 where club_id = $1 and member_id = any($2::text[]) and unit = 'points' returning member_id, balance`, [clubId, ms]);
    await c.query(`with e as (insert into journal_entries (id, club_id, kind, member_id) select e, $1, 'spend', m from unnest($2::text[], $3::text[]) x(e, m) returning id)
      insert into journal_lines (entry_id, line_no, club_id, account, member_id, unit, amount)
      select e, l, $1, case when l = 1 then m else 'system:redeemed' end, case when l = 1 then m end, 'points', case when l = 1 then -100 else 100 end
      from unnest($2::text[], $3::text[]) x(e, m), generate_series(1, 2) l`, [clubId, entries, ms]);
    await c.query(`insert into coupon_codes (id, club_id, reward_id, code, status, member_id, redemption_id, assigned_at)
      select 'cpn_' || r, $1, $2, 'RAWG-' || r, 'assigned', m, r, now() from unnest($3::text[], $4::text[]) x(r, m) on conflict do nothing returning code`, [clubId, rewardId, rdms, ms]);
    await c.query(`insert into redemptions (id, club_id, member_id, reward_id, type, status, points, detail)
      select r, $1, m, $2, 'coupon', 'fulfilled', 100, '{}' from unnest($3::text[], $4::text[]) x(r, m) returning *`, [clubId, rewardId, rdms, ms]);
    await c.query(`insert into audit_log (club_id, actor, action, target, after) select $1, 'raw', 'redemption.created', r, '{}' from unnest($2::text[]) r`, [clubId, rdms]);
    await c.query(`insert into outbox (club_id, topic, payload) select $1, 'reward.redeemed', '{}' from unnest($2::text[]) r`, [clubId, rdms]);
    await c.query(`update idempotency_keys set status_code = 201, response = '{}' where club_id = $1 and key = any($2::text[])`, [clubId, keys]);
    const s = await c.query('update rewards set stock = stock - $3 where club_id = $1 and id = $2 and stock >= $3 returning stock', [clubId, rewardId, n]);
    if (s.rowCount !== 1) {
      await c.query('rollback');
      return 0;
    }
    await c.query('commit');
    return n;
  } catch (e) {
    await c.query('rollback');
    throw e;
  }
}

await main();
