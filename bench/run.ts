/**
 * `npm run bench` — earn throughput and latency of the real server over HTTP, on
 * PostgreSQL and PGlite, against a raw-SQL baseline of the same writes, in one run.
 *
 *   npm run bench                          full run (~6 min)
 *   npm run bench -- --quick               ~1 min subset
 *   npm run bench -- --only single,batch   named scenarios (single, closed, batch, hot,
 *                                          baseline, pgbench, roundtrips, rules, festivals)
 *   npm run bench -- --engines postgres    postgres | pglite | both (default)
 *   npm run bench -- --members 10000 --step-seconds 10 --profile --trace-sql
 *   npm run bench -- --wait-quiet 300     wait (≤ 300 s) until other work on the machine uses
 *                                          < --quiet-cores (default 0.25) cores
 *   npm run bench -- --only gcsweep       in-process group-commit tuning sweep (by name only)
 *   npm run bench -- --chart-only          redraw throughput.svg from latest.json
 *   npm run bench -- --server-import bench/patches/group-commit-next-turn.ts
 *                                          measure a proposed src/ change, preloaded into the server
 *
 * --profile runs the PostgreSQL server with --cpu-prof and prints where its CPU went.
 * Writes bench/results/latest.json and bench/results/throughput.svg. A benchmark, not a
 * test: targets are printed PASS/FAIL and never fail the process.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { closedLoop, drain, openLoop, purchases, type LoadResult, type Target as HttpTarget } from './load.js';
import { backgroundLoad, cpuSnapshot, cpuUse, fsyncRate, fsyncTail, machineInfo } from './machine.js';
import { backendPids, createDatabase, dbCounters, dropDatabases, outboxBacklog, pgAvailable, serverInfo, type PgServerInfo } from './pgadmin.js';
import { openEngine, seed } from './seed.js';
import { ROOT, startServer, stopAllServers, type RunningServer } from './server.js';
import { hasPgbench, prepareBaseline, runBaseline, runPgbench, type BaselineResult } from './baseline.js';
import { measureRoundTrips, type RoundTrips } from './roundtrips.js';
import { baselineTable, chartSvg, scenarioTable, targetsTable, type EngineRun, type ScenarioResult, type Target } from './report.js';
import { summariseProfile, type ProfileSummary } from './profile.js';
import { groupCommitSweep, type SweepPoint } from './gc-sweep.js';
import { sqlDelta, type SqlTrace } from './server.js';
import { pathBench, printRules, pureBench, type RulesBenchResult } from './rules.js';
import { runFestivals, type FestivalFigures } from './festivals.js';
import { openPostgres } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { spawn } from 'node:child_process';

/** Runs bench/redemption.ts in a child process and passes its report through. */
function runRedemptionBench(env: Record<string, string>, log: (s: string) => void): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/redemption.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      for (const line of b.toString().split('\n')) if (line.trim()) log(`  ${line}`);
    });
    child.on('close', () => resolve(out));
  });
}

// ------------------------------------------------------------------------------ options

const SCENARIOS = ['single', 'closed', 'batch', 'hot', 'baseline', 'pgbench', 'roundtrips', 'rules', 'festivals', 'redemption', 'gcsweep'] as const;
/** Run only when named in --only. */
const BY_NAME_ONLY: readonly string[] = ['gcsweep'];
type Scenario = (typeof SCENARIOS)[number];
type Engine = 'postgres' | 'pglite';

function parseArgs(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    if (i >= 0) return argv[i + 1];
    const eq = argv.find((a) => a.startsWith(`${name}=`));
    return eq ? eq.slice(name.length + 1) : undefined;
  };
  const quick = argv.includes('--quick');
  const onlyRaw = get('--only');
  const only = onlyRaw ? new Set(onlyRaw.split(',').map((s) => s.trim()).filter(Boolean)) : null;
  for (const s of only ?? []) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario "${s}"; known: ${SCENARIOS.join(', ')}`);
  const enginesRaw = get('--engines') ?? 'both';
  const engines: Engine[] = enginesRaw === 'both' ? ['postgres', 'pglite'] : (enginesRaw.split(',') as Engine[]);
  const stepMs = Number(get('--step-seconds') ?? (quick ? 3 : 10)) * 1000;
  return {
    quick,
    only,
    engines,
    profile: argv.includes('--profile'),
    traceSql: argv.includes('--trace-sql'),
    serverImports: (get('--server-import') ?? '').split(',').filter(Boolean),
    members: Number(get('--members') ?? (quick ? 2000 : 10_000)),
    stepMs,
    warmupMs: quick ? 1500 : 4000,
    ladder: {
      postgres: quick ? [500, 1500] : [250, 500, 1000, 1500, 2000, 3000],
      pglite: quick ? [250] : [100, 250, 500, 800, 1000, 1500],
    } as Record<Engine, number[]>,
    openConnections: 64,
    closedConns: quick ? [32] : [32, 64],
    batchConns: { postgres: quick ? [1] : [1, 4], pglite: [1] } as Record<Engine, number[]>,
    hotConns: 32,
    baselineConns: 20, // = the server's pool (openPostgres default max)
    baselineBatchConns: quick ? [1] : [1, 4],
    roundTrips: quick ? { singles: 50, batches: 1, concurrentMs: 1000 } : { singles: 300, batches: 3, concurrentMs: 5000 },
    /** issue 3: the earn path with 1, 10, 100 rules, in process on PostgreSQL */
    rules: { events: Number(get('--rules-events') ?? (quick ? 1000 : 2000)), batch: 100, rounds: quick ? 3 : 5 },
    /** issue 5: leaderboard and draw over N participants, festival scoring on the earn path */
    festivals: { participants: Number(get('--festival-participants') ?? (quick ? 100_000 : 1_000_000)), events: 1000, rounds: quick ? 4 : 24 },
    has: (s: Scenario) => (only ? only.has(s) : !BY_NAME_ONLY.includes(s)),
    waitQuietS: argv.includes('--wait-quiet') ? Number(get('--wait-quiet') ?? 300) || 300 : 0,
    quietCores: Number(get('--quiet-cores') ?? 0.25),
  };
}
type Options = ReturnType<typeof parseArgs>;

// ------------------------------------------------------------------------------ helpers

const log = (s = '') => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RUN = `b${Date.now().toString(36)}`;

/** The commit the tree is on (read from .git, no git command); the tree may hold more. */
function headCommit(): string | null {
  try {
    const head = readFileSync(path.join(ROOT, '.git/HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    try {
      return readFileSync(path.join(ROOT, '.git', ref), 'utf8').trim();
    } catch {
      const packed = readFileSync(path.join(ROOT, '.git/packed-refs'), 'utf8');
      return packed.split('\n').find((l) => l.endsWith(` ${ref}`))?.split(' ')[0] ?? null;
    }
  } catch {
    return null;
  }
}

function versionOf(pkg: string): string {
  try {
    const req = createRequire(path.join(ROOT, 'package.json'));
    let dir = path.dirname(req.resolve(pkg));
    for (let i = 0; i < 6; i++) {
      try {
        const j = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
        if (j.name === pkg) return j.version;
      } catch {
        /* keep climbing */
      }
      dir = path.dirname(dir);
    }
  } catch {
    /* not installed */
  }
  return 'unknown';
}

interface Ctx {
  engine: Engine;
  server: RunningServer;
  target: HttpTarget;
  memberIds: string[];
  dbUrl: string | null;
}

async function measure(ctx: Ctx, scenario: ScenarioResult['scenario'], name: string, run: () => Promise<LoadResult>): Promise<ScenarioResult> {
  const pg = ctx.engine === 'postgres' && ctx.dbUrl;
  const c0 = pg ? await dbCounters(ctx.dbUrl!) : null;
  const t0 = await ctx.server.sqlSnapshot();
  ctx.server.memory.begin(name);
  const a = cpuSnapshot(ctx.server.pid, ctx.engine === 'postgres');
  const load = await run();
  const b = cpuSnapshot(ctx.server.pid, ctx.engine === 'postgres');
  const pids = pg ? await backendPids(ctx.dbUrl!) : null;
  const mem = ctx.server.memory.end();
  const trace = sqlDelta(t0, await ctx.server.sqlSnapshot());
  const c1 = pg ? await dbCounters(ctx.dbUrl!) : null;
  const cpu = cpuUse(a, b, pids);
  const ev = Math.max(1, load.eventsOk);
  const perEvent = (cores: number | null) => (cores === null ? null : Math.round(((cores * cpu.wallMs) / ev) * 1000) / 1000);
  const srvMs = perEvent(cpu.serverCores);
  const pgMs = perEvent(cpu.postgresCores);
  const genMs = perEvent(cpu.generatorCores)!;
  const allMs = (srvMs ?? 0) + (pgMs ?? 0) + genMs;
  let ceiling = allMs > 0 && load.eventsOk > 0 ? (cpu.cores * 1000) / allMs : null;
  if (ceiling !== null && ctx.engine === 'pglite' && srvMs) ceiling = Math.min(ceiling, 1000 / srvMs);
  const r: ScenarioResult = {
    engine: ctx.engine,
    scenario,
    name,
    load,
    peakRssMb: mem.peakRssMb,
    cpu,
    cpuMsPerEvent: { server: srvMs, postgres: pgMs, generator: genMs },
    cpuCeilingPerSec: ceiling === null ? null : Math.round(ceiling),
    walBytesPerEvent: c0 && c1 ? Math.round((c1.walBytes - c0.walBytes) / ev) : null,
    dbBytesPerEvent: c0 && c1 ? Math.round((c1.dbBytes - c0.dbBytes) / ev) : null,
    commitsPerEvent: c0 && c1 ? Math.round(((c1.commits - c0.commits) / ev) * 1000) / 1000 : null,
    outboxBacklog: pg ? await outboxBacklog(ctx.dbUrl!) : null,
    sql: trace ? sqlSummary(trace, load.eventsOk) : null,
  };
  const l = r.load;
  log(
    `  ${name.padEnd(24)} ${String(l.eventsPerSec).padStart(7)} events/s  p50 ${l.latencyMs.p50} p99 ${l.latencyMs.p99} max ${Math.round(l.latencyMs.max)} ms` +
      `  late ${l.late} dropped ${l.dropped} timeouts ${l.timeouts} errors ${l.errors}  RSS ${r.peakRssMb} MB` +
      `  cpu srv ${cpu.serverCores?.toFixed(2) ?? '–'} pg ${cpu.postgresCores?.toFixed(2) ?? '–'} gen ${cpu.generatorCores.toFixed(2)} other ${cpu.otherCores?.toFixed(2) ?? '–'}` +
      (r.walBytesPerEvent !== null ? `  WAL ${r.walBytesPerEvent} B/ev (cluster-wide)` : '') +
      (r.commitsPerEvent !== null ? `  ${r.commitsPerEvent} commits/ev` : '') +
      (l.longestPauseMs !== undefined ? `  longest pause between answers ${l.longestPauseMs} ms` : ''),
  );
  for (const e of l.errorSamples.slice(0, 2)) log(`      error sample: ${e}`);
  if (r.sql) log(`      SQL: ${r.sql.statementsPerEvent} statements per event; the database was busy ${Math.round(r.sql.dbBusyShare * 100)} % of the time (≥ 1 statement in flight)`);
  // Work the server accepted but had not answered would burden the next scenario.
  if (l.timeouts > 0 || l.dropped > 0 || l.late > l.requests / 10) {
    const ms = await drain(ctx.target, purchases(`${RUN}-${ctx.engine}-drain-${name.replace(/\W+/g, '')}`, ctx.memberIds));
    log(`      (the server needed ${ms} ms to drain)`);
  }
  await sleep(500);
  return r;
}

function sqlSummary(t: SqlTrace, events: number): NonNullable<ScenarioResult['sql']> {
  const ev = Math.max(1, events);
  const n = t.statements.reduce((s, x) => s + x.count, 0);
  return {
    statementsPerEvent: Math.round((n / ev) * 1000) / 1000,
    dbBusyShare: Math.round((t.dbBusyMs / Math.max(1, t.wallMs)) * 1000) / 1000,
    top: t.statements.slice(0, 25).map((x) => ({ statement: x.statement, perEvent: Math.round((x.count / ev) * 1000) / 1000, meanMs: x.meanMs, totalMs: x.totalMs })),
  };
}

const saturated = (l: LoadResult) => l.offeredPerSec !== null && (l.eventsPerSec < 0.95 * l.offeredPerSec || l.dropped > 0 || l.timeouts > 0 || l.errors > 0);

// ------------------------------------------------------------------------------ one engine

async function benchEngine(engine: Engine, o: Options, pgUrl: string | null, tmpRoot: string): Promise<{ run: EngineRun; roundTrips: RoundTrips | null; profile: ProfileSummary | null; sweep: SweepPoint[] | null; dataDir: string }> {
  const dataDir = path.join(tmpRoot, engine);
  mkdirSync(dataDir, { recursive: true });
  log(`\n== ${engine} ==`);
  // Setup in-process, then close: the child owns the database (PGlite has one owner).
  const db = await openEngine(engine, engine === 'postgres' ? pgUrl! : path.join(dataDir, 'pglite'));
  const seeded = await seed(db, o.members);
  await db.close();
  log(`  setup: club, API key, ${o.members.toLocaleString('en-US')} members in ${seeded.setupMs} ms (${seeded.engineVersion.split(' on ')[0]})`);

  let roundTrips: RoundTrips | null = null;
  if (engine === 'postgres' && o.has('roundtrips')) {
    roundTrips = await measureRoundTrips(pgUrl!, seeded.clubId, seeded.memberIds, { ...o.roundTrips, run: `${RUN}-rt` });
    log(`  round trips (in-process, sequential): single event ${roundTrips.single.statementsPerEvent} statements, ${roundTrips.single.meanMsPerEvent} ms/event; batch of 1000: ${roundTrips.batch.statementsPerCall} statements, ${roundTrips.batch.msPerCall} ms (${roundTrips.batch.eventsPerSec.toLocaleString('en-US')} events/s)`);
  }

  let sweep: SweepPoint[] | null = null;
  if (o.has('gcsweep')) {
    const h = await openEngine(engine, engine === 'postgres' ? pgUrl! : path.join(dataDir, 'pglite'), 20);
    try {
      sweep = await groupCommitSweep(h, seeded.clubId, seeded.memberIds, { inflight: [1, 2, 4, 8], connections: [8, 64], durationMs: o.quick ? 2000 : 4000, run: `${RUN}-gc` });
    } finally {
      await h.close();
    }
    if (!sweep) log('  group-commit sweep: this EventService has no committer options to tune');
    else for (const p of sweep) log(`  group commit maxInflight=${p.maxInflight} c=${p.connections}: ${p.eventsPerSec} events/s, ${p.eventsPerTransaction ?? '?'} events/tx, p50 ${p.latencyMs.p50} p99 ${p.latencyMs.p99} ms (in-process)`);
  }

  const profDir = o.profile ? path.join(os.tmpdir(), `vafa-bench-cpuprof-${RUN}-${engine}`) : undefined;
  const traceFile = o.traceSql ? path.join(tmpRoot, `sql-trace-${engine}.json`) : undefined;
  const server = await startServer({ engine, databaseUrl: pgUrl ?? undefined, dataDir, cpuProfDir: profDir, sqlTraceFile: traceFile, imports: o.serverImports });
  if (o.serverImports.length) log(`  server started with experimental patches: ${o.serverImports.join(', ')}`);
  log(`  server pid ${server.pid} ready in ${server.coldStartMs} ms (self-reported ${server.selfReportedReadyMs ?? '?'} ms, after its imports), RSS ${server.rssAtReadyMb ?? '?'} MB, ${server.url}`);
  const ctx: Ctx = { engine, server, target: { host: '127.0.0.1', port: server.port, apiKey: seeded.apiKey }, memberIds: seeded.memberIds, dbUrl: pgUrl };
  const scenarios: ScenarioResult[] = [];
  let sustainable: number | null = null;
  let hwm = 0;
  let exitCode: number | null = null;
  const rule = 'highest offered rate with achieved ≥ 95 % of offered, no drops, timeouts or errors, p99 ≤ 30 ms';
  try {
    if (o.has('single')) {
      await measure(ctx, 'warmup', 'warm-up', () =>
        openLoop({ target: ctx.target, rate: o.ladder[engine][0]!, durationMs: o.warmupMs, connections: o.openConnections, make: purchases(`${RUN}-${engine}-w`, ctx.memberIds) }),
      );
      for (const rate of o.ladder[engine]) {
        const r = await measure(ctx, 'single', `single open ${rate}/s`, () =>
          openLoop({ target: ctx.target, rate, durationMs: o.stepMs, connections: o.openConnections, make: purchases(`${RUN}-${engine}-o${rate}`, ctx.memberIds) }),
        );
        scenarios.push(r);
        if (!saturated(r.load) && r.load.latencyMs.p99 <= 30) sustainable = rate;
        if (saturated(r.load)) {
          log('  (saturated: the ladder stops here)');
          break;
        }
      }
    }
    if (o.has('closed'))
      for (const c of o.closedConns)
        scenarios.push(await measure(ctx, 'closed', `single closed c=${c}`, () => closedLoop({ target: ctx.target, connections: c, durationMs: o.stepMs, make: purchases(`${RUN}-${engine}-c${c}`, ctx.memberIds) })));
    if (o.has('batch'))
      for (const c of o.batchConns[engine])
        scenarios.push(await measure(ctx, 'batch', `batch 1000 c=${c}`, () => closedLoop({ target: ctx.target, connections: c, durationMs: o.stepMs, make: purchases(`${RUN}-${engine}-b${c}`, ctx.memberIds, { batch: 1000 }) })));
    if (o.has('hot'))
      scenarios.push(await measure(ctx, 'hot', `hot member c=${o.hotConns}`, () => closedLoop({ target: ctx.target, connections: o.hotConns, durationMs: o.stepMs, make: purchases(`${RUN}-${engine}-h`, ctx.memberIds, { hotMember: ctx.memberIds[0] }) })));
  } finally {
    exitCode = await server.stop(); // samples memory one last time before SIGTERM
    hwm = server.memory.lastHwm;
  }
  if (exitCode !== 0) log(`  server exited with ${exitCode}:\n${server.stderrTail()}`);
  let profile: ProfileSummary | null = null;
  if (profDir) {
    const f = readdirSync(profDir).find((x) => x.endsWith('.cpuprofile'));
    if (f) {
      profile = summariseProfile(path.join(profDir, f), ROOT, server.coldStartMs + 500);
      log(`  cpu profile: ${path.join(profDir, f)}`);
    }
  }
  // Cold start on an existing data folder / migrated database (issue 6: ≤ 3 s).
  const again = await startServer({ engine, databaseUrl: pgUrl ?? undefined, dataDir, imports: o.serverImports });
  const coldStartExistingMs = again.coldStartMs;
  await again.stop();
  log(`  cold start on the existing ${engine === 'pglite' ? 'data folder' : 'database'}: ${coldStartExistingMs} ms; peak RSS (VmHWM) ${Math.round(hwm)} MB`);
  return {
    run: {
      engine,
      version: seeded.engineVersion,
      setupMs: seeded.setupMs,
      members: o.members,
      coldStartMs: server.coldStartMs,
      coldStartExistingMs,
      selfReportedReadyMs: server.selfReportedReadyMs,
      rssAtReadyMb: server.rssAtReadyMb,
      scenarios,
      vmHwmMb: Math.round(hwm * 10) / 10,
      serverExit: exitCode,
      sustainable: { ratePerSec: sustainable, rule },
    },
    roundTrips,
    profile,
    sweep,
    dataDir,
  };
}

// ------------------------------------------------------------------------------ baseline

async function benchBaseline(o: Options, baseUrl: string): Promise<BaselineResult[]> {
  log('\n== raw-SQL baseline (PostgreSQL, same driver, same schema, no server running) ==');
  const db = await prepareBaseline(baseUrl, o.members);
  const out: BaselineResult[] = [];
  const show = (r: BaselineResult) => log(`  ${r.form.padEnd(8)} c=${String(r.connections).padEnd(3)} ${String(r.eventsPerSec).padStart(7)} events/s  (${r.events} events, mean ${r.latencyMs?.mean ?? '–'} ms per transaction, errors ${r.errors}${r.otherCores != null ? `, other work ${r.otherCores} cores` : ''})`);
  if (o.has('baseline')) {
    for (const form of ['tx', 'cte'] as const) {
      const r = await runBaseline(db, form, { connections: o.baselineConns, durationMs: o.stepMs, run: `${RUN}-${form}` });
      out.push(r);
      show(r);
    }
    for (const c of o.baselineBatchConns) {
      const r = await runBaseline(db, 'batch', { connections: c, durationMs: o.stepMs, batch: 1000, run: `${RUN}-batch${c}` });
      out.push(r);
      show(r);
    }
  }
  if (o.has('pgbench')) {
    const v = await hasPgbench();
    if (!v) log('  pgbench: not installed, skipped');
    else {
      const r = await runPgbench(db, { connections: o.baselineConns, durationMs: o.stepMs, members: o.members });
      out.push(r);
      show(r);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------ targets

function evaluate(runs: EngineRun[], base: BaselineResult[], rules: RulesBenchResult | null = null, festivals: FestivalFigures | null = null): { targets: Target[]; ratios: Record<string, number | null> } {
  const pgRun = runs.find((r) => r.engine === 'postgres');
  const liteRun = runs.find((r) => r.engine === 'pglite');
  const best = (r: EngineRun | undefined, s: ScenarioResult['scenario']) => {
    const xs = r?.scenarios.filter((x) => x.scenario === s) ?? [];
    return xs.length ? Math.max(...xs.map((x) => x.load.eventsPerSec)) : null;
  };
  const singleBest = (r: EngineRun | undefined) => {
    const xs = [best(r, 'closed'), ...(r?.scenarios.filter((x) => x.scenario === 'single' && !saturated(x.load)).map((x) => x.load.eventsPerSec) ?? [])].filter((x): x is number => x !== null);
    return xs.length ? Math.max(...xs) : null;
  };
  const p99At = (r: EngineRun | undefined, rate: number) => r?.scenarios.find((x) => x.scenario === 'single' && x.load.offeredPerSec === rate)?.load.latencyMs.p99 ?? null;
  const baseTx = base.find((b) => b.form === 'tx')?.eventsPerSec ?? null;
  const baseCte = base.find((b) => b.form === 'cte')?.eventsPerSec ?? null;
  const basePgbench = base.find((b) => b.form === 'pgbench')?.eventsPerSec ?? null;
  const baseBatch = base.filter((b) => b.form === 'batch').reduce<number | null>((m, b) => Math.max(m ?? 0, b.eventsPerSec), null);
  const pgSingle = singleBest(pgRun);
  const pgBatch = best(pgRun, 'batch');
  const ratio = (a: number | null, b: number | null) => (a !== null && b ? Math.round((a / b) * 100) / 100 : null);
  const ceil = (r: EngineRun | undefined, sc: ScenarioResult['scenario']) => {
    const xs = (r?.scenarios ?? []).filter((x) => x.scenario === sc && x.cpuCeilingPerSec !== null).map((x) => x.cpuCeilingPerSec!);
    return xs.length ? Math.max(...xs) : null;
  };
  const baseCeil = (form: BaselineResult['form']) => {
    const xs = base.filter((b) => b.form === form && b.cpuCeilingPerSec).map((b) => b.cpuCeilingPerSec!);
    return xs.length ? Math.max(...xs) : null;
  };
  const ratios = {
    ceilingSingleVsTx: ratio(ceil(pgRun, 'closed'), baseCeil('tx')),
    ceilingBatchVsBatch: ratio(ceil(pgRun, 'batch'), baseCeil('batch')),
    singleVsTx: ratio(pgSingle, baseTx),
    singleVsCte: ratio(pgSingle, baseCte),
    singleVsPgbench: ratio(pgSingle, basePgbench),
    batchVsBatch: ratio(pgBatch, baseBatch),
  };
  const t = (id: string, issue: 2 | 3 | 5 | 6, what: string, goal: string, value: number | null, ok: (v: number) => boolean, unit = ''): Target => ({
    id, issue, what, goal, measured: value === null ? 'not measured' : `${value.toLocaleString('en-US')}${unit}`, pass: value === null ? null : ok(value),
  });
  const lite = singleBest(liteRun);
  const targets: Target[] = [
    t('pg-single', 2, 'PostgreSQL single events over HTTP', '≥ 1,500/s', pgSingle, (v) => v >= 1500, '/s'),
    t('pg-p99-500', 2, 'PostgreSQL p99 at 500 events/s offered', '≤ 30 ms', p99At(pgRun, 500), (v) => v <= 30, ' ms'),
    t('pg-batch', 2, 'PostgreSQL batch ingestion', '≥ 10,000/s', pgBatch, (v) => v >= 10_000, '/s'),
    t('ratio-single', 2, 'engine ÷ baseline, single (vs tx form)', '≥ 0.5', ratios.singleVsTx, (v) => v >= 0.5),
    t('ratio-batch', 2, 'engine ÷ baseline, batch', '≥ 0.5', ratios.batchVsBatch, (v) => v >= 0.5),
    t('pglite-single', 6, 'PGlite single events over HTTP', '≥ 800/s', lite, (v) => v >= 800, '/s'),
    t('pglite-batch', 6, 'PGlite batch ingestion', '≥ 10,000/s', best(liteRun, 'batch'), (v) => v >= 10_000, '/s'),
    ...runs.map((r) => t(`rss-${r.engine}`, 6, `${r.engine} server peak RSS (VmHWM)`, '< 512 MB', r.vmHwmMb, (v) => v < 512, ' MB')),
    t('i6-single', 6, 'next: PostgreSQL single events (group commit)', '≥ 3,000/s', pgSingle, (v) => v >= 3000, '/s'),
    t('i6-p99-1000', 6, 'next: PostgreSQL p99 at 1,000/s offered', '≤ 25 ms', p99At(pgRun, 1000), (v) => v <= 25, ' ms'),
    t('i6-batch', 6, 'next: PostgreSQL batch ingestion', '≥ 20,000/s', pgBatch, (v) => v >= 20_000, '/s'),
    t('i6-batch-ratio', 6, 'next: batch ÷ raw batch baseline', '≥ 0.8', ratios.batchVsBatch, (v) => v >= 0.8),
    ...runs.map((r) => t(`cold-${r.engine}`, 6, `${r.engine} cold start on existing data`, '≤ 3,000 ms', r.coldStartExistingMs, (v) => v <= 3000, ' ms')),
  ];
  if (rules) {
    const per10 = Math.max(...rules.pure.filter((p) => p.rules >= 10).map((p) => p.cpuUsPer10Rules));
    targets.push(
      t('rules-100-vs-1', 3, 'earn throughput lost with 100 rules vs 1 (PostgreSQL)', '≤ 20 %', rules.lossPercent100vs1, (v) => v <= 20, ' %'),
      t('rules-cpu-100-vs-1', 3, '  the same by the earn function\'s CPU alone', '≤ 20 %', rules.cpuLossPercent100vs1, (v) => v <= 20, ' %'),
      t('rules-eval-per-10', 3, 'rule evaluation per event per 10 rules, in process', '≤ 50 µs', per10, (v) => v <= 50, ' µs'),
    );
  }
  if (festivals) {
    const part = (rows: { name: string; overPercent: number | null }[] | undefined) => rows?.find((r) => r.name.startsWith('+ festival, members take part'))?.overPercent ?? null;
    targets.push(
      t('festival-earn-batch', 5, 'festival scoring on the earn path, batches (participants)', '≤ +15 %', part(festivals.earn?.batch), (v) => v <= 15, ' %'),
      t('festival-earn-single', 5, 'festival scoring on the earn path, single events', '≤ +15 %', part(festivals.earn?.single), (v) => v <= 15, ' %'),
      t('festival-draw', 5, `draw of 10 winners over ${festivals.participants.toLocaleString('en-US')} entries`, '≤ 2,000 ms', festivals.draw?.drawMs ?? null, (v) => v <= 2000, ' ms'),
      t('festival-top100', 5, `leaderboard top-100 p95, ${festivals.participants.toLocaleString('en-US')} participants`, '≤ 20 ms', festivals.leaderboard?.topMs.p95 ?? null, (v) => v <= 20, ' ms'),
      t('festival-my-rank', 5, `my-rank p95, ${festivals.participants.toLocaleString('en-US')} participants`, '≤ 20 ms', festivals.leaderboard?.rankMs.p95 ?? null, (v) => v <= 20, ' ms'),
    );
  }
  return { targets, ratios };
}

// ------------------------------------------------------------------------------ chart

interface ChartInput {
  engines: EngineRun[];
  baseline: BaselineResult[];
  startedAt: string;
  machine: { cores: number; cpuModel: string; node: string };
  synchronousCommit: string;
  stepMs: number;
  quick: boolean;
}

/** Offered load vs achieved and p99 for the single-event ladder; false when there is none. */
function writeChart(file: string, c: ChartInput): boolean {
  const series = c.engines.map((r) => ({
    engine: r.engine === 'postgres' ? `PostgreSQL ${r.version.split(' ')[1] ?? ''}`.trim() : 'PGlite',
    color: r.engine === 'postgres' ? '#1f6feb' : '#d97706',
    points: r.scenarios.filter((s) => s.scenario === 'single').map((s) => ({ offered: s.load.offeredPerSec!, achieved: s.load.eventsPerSec, p99: s.load.latencyMs.p99 })),
    closedMax: r.scenarios.filter((s) => s.scenario === 'closed').reduce<number | null>((m, s) => Math.max(m ?? 0, s.load.eventsPerSec), null),
    baseline: r.engine === 'postgres' ? (c.baseline.find((b) => b.form === 'tx')?.eventsPerSec ?? null) : null,
  }));
  if (!series.some((s) => s.points.length)) return false;
  writeFileSync(file, chartSvg(series, {
    title: 'Vafa: single purchase events over HTTP (POST /api/v1/events), open loop',
    subtitle: `${c.startedAt.slice(0, 10)} · ${c.machine.cores} cores ${c.machine.cpuModel} · node ${c.machine.node} · synchronous_commit=${c.synchronousCommit} · ${c.stepMs / 1000} s per step${c.quick ? ' (quick)' : ''}`,
    p99Goal: 30,
  }));
  return true;
}

// ------------------------------------------------------------------------------ main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const resultsDir = path.join(ROOT, 'bench/results');
  if (process.argv.includes('--chart-only')) {
    // Redraw throughput.svg from latest.json without running anything.
    const r = JSON.parse(readFileSync(path.join(resultsDir, 'latest.json'), 'utf8'));
    const ok = writeChart(path.join(resultsDir, 'throughput.svg'), { engines: r.engines, baseline: r.baseline, startedAt: r.startedAt, machine: r.machine, synchronousCommit: r.postgresSettings?.synchronous_commit ?? '?', stepMs: r.options.stepMs, quick: r.mode === 'quick' });
    log(ok ? 'wrote bench/results/throughput.svg from latest.json' : 'latest.json has no single-event ladder to draw');
    return;
  }
  mkdirSync(resultsDir, { recursive: true });
  const started = new Date();
  const t0 = performance.now();
  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'vafa-bench-'));
  const machine = machineInfo();
  if (o.waitQuietS) {
    const since = performance.now();
    let said = -Infinity;
    for (;;) {
      const busy = await backgroundLoad(3000);
      if (busy === null || busy < o.quietCores) break;
      if (performance.now() - since > o.waitQuietS * 1000) {
        log(`still ${busy.toFixed(2)} cores busy after ${o.waitQuietS} s of waiting; running anyway`);
        break;
      }
      if (performance.now() - said > 30_000) {
        log(`waiting for a quiet machine: ${busy.toFixed(2)} cores busy with other work`);
        said = performance.now();
      }
    }
  }
  const background = await backgroundLoad(1000);
  const fsync = o.quick ? null : fsyncRate(os.tmpdir());
  const flushTail = o.quick ? null : fsyncTail(os.tmpdir(), 20_000);
  log(`vafa bench ${o.quick ? '(quick) ' : ''}— ${started.toISOString()} — ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryMb} MB, node ${machine.node}`);
  if (fsync) log(`disk flush rate (pg_test_fsync, one 8 kB write): fdatasync ${fsync.fdatasyncPerSec}/s — the ceiling of one durable commit at a time`);
  if (flushTail)
    log(`disk flush latency over 20 s (${flushTail.flushes.toLocaleString('en-US')} flushes of 8 kB): p50 ${flushTail.p50Ms} ms, p99.9 ${flushTail.p999Ms} ms, max ${flushTail.maxMs} ms, ${flushTail.over50Ms} over 50 ms${flushTail.maxMs > 30 ? ' — a flush that slow stalls every durable commit behind it, and alone can decide a p99' : ''}`);
  log(`background load before the run: ${background?.toFixed(2) ?? '?'} cores busy (loadavg ${machine.loadavg.join(' ')})${background !== null && background > 0.3 ? '  ⚠ other work on this machine will skew the figures' : ''}`);

  /** Between sections: until the work the previous one left behind (PostgreSQL's checkpoint,
   * autovacuum) is done — under --quiet-cores, at most 60 s. */
  const settle = async () => {
    const since = performance.now();
    for (;;) {
      const busy = await backgroundLoad(2000);
      if (busy === null || busy < o.quietCores || performance.now() - since > 60_000) return;
    }
  };
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await stopAllServers();
    await dropDatabases().catch((e) => log(`could not drop bench databases: ${(e as Error).message}`));
    rmSync(tmpRoot, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

  const runs: EngineRun[] = [];
  let base: BaselineResult[] = [];
  let roundTrips: RoundTrips | null = null;
  const profiles: Partial<Record<Engine, ProfileSummary>> = {};
  const sweeps: Partial<Record<Engine, SweepPoint[]>> = {};
  let pgInfo: PgServerInfo | null = null;
  let rules: RulesBenchResult | null = null;
  let festivals: FestivalFigures | null = null;
  let redemption: string | null = null;
  try {
    const wantsPg = o.engines.includes('postgres') || o.has('baseline') || o.has('pgbench');
    const pgDown = wantsPg ? await pgAvailable() : 'not requested';
    if (wantsPg && pgDown) log(`\n!! PostgreSQL does not answer (${pgDown}): PostgreSQL and baseline scenarios skipped.`);
    for (const engine of o.engines) {
      if (engine === 'postgres' && pgDown) continue;
      const engineScenarios = ['single', 'closed', 'batch', 'hot', 'gcsweep', ...(engine === 'postgres' ? ['roundtrips'] : [])] as Scenario[];
      if (!engineScenarios.some((s) => o.has(s))) continue;
      const url = engine === 'postgres' ? await createDatabase(`vafa_bench_${RUN}`) : null;
      if (url) pgInfo = await serverInfo(url);
      const r = await benchEngine(engine, o, url, tmpRoot);
      runs.push(r.run);
      roundTrips ??= r.roundTrips;
      if (r.profile) profiles[engine] = r.profile;
      if (r.sweep) sweeps[engine] = r.sweep;
    }
    if (!pgDown && (o.has('baseline') || o.has('pgbench'))) {
      const url = await createDatabase(`vafa_bench_${RUN}_base`);
      pgInfo ??= await serverInfo(url);
      base = await benchBaseline(o, url);
    }
    // Issue 4: its own server and database (bench/redemption.ts), run as a child; its report
    // (200/s open loop, the hot reward, the same-run raw-SQL baselines) goes to this log.
    // Before the festivals: their 1,000,000-row seed leaves PostgreSQL checkpointing and
    // vacuuming for a minute after, which showed in the redemption tail (p99 52 vs 46 ms).
    if (o.has('redemption')) {
      await settle();
      log('\n== redemption (issue 4; real HTTP, PostgreSQL: bench/redemption.ts) ==');
      redemption = await runRedemptionBench(o.quick ? { DURATION_S: '5' } : {}, log);
    }
    // Issue 3 and 5, in process on PostgreSQL; last, since the festivals bench drops the
    // run's databases when it ends.
    if (o.has('rules')) {
      await settle();
      log('\n== earning rules: 1, 10 and 100 active rules per club (issue 3; in process, PostgreSQL) ==');
      const pure = pureBench();
      if (!(await pgAvailable())) {
        const url = await createDatabase(`vafa_bench_${RUN}_rules`);
        pgInfo ??= await serverInfo(url);
        const database = await openPostgres(url, { max: 4 });
        try {
          await migrate(database);
          rules = { ...(await pathBench(database, { ...o.rules, allFire: false, log })), pure };
        } finally {
          await database.close();
        }
      } else rules = { engine: 'postgres', batch: o.rules.batch, eventsPerConfig: 0, rounds: 0, allFire: false, path: [], lossPercent100vs1: null, cpuLossPercent100vs1: null, pure };
      printRules(rules, log);
    }
    if (o.has('festivals')) {
      await settle();
      log(`\n== festivals (issue 5; in process, PostgreSQL, ${o.festivals.participants.toLocaleString('en-US')} participants) ==`);
      festivals = await runFestivals({ ...o.festivals, log });
    }
  } finally {
    await cleanup();
  }

  // ---------------------------------------------------------------- report
  const { targets, ratios } = evaluate(runs, base, rules, festivals);
  const all = runs.flatMap((r) => r.scenarios);
  log('\n== results ==');
  if (pgInfo) log(`PostgreSQL ${pgInfo.version}: synchronous_commit=${pgInfo.settings.synchronous_commit}, fsync=${pgInfo.settings.fsync}, wal_sync_method=${pgInfo.settings.wal_sync_method}, commit_delay=${pgInfo.settings.commit_delay}`);
  for (const r of runs) log(`${r.engine}: ${r.version.split(' on ')[0]}; max sustainable single-event rate (${r.sustainable.rule}): ${r.sustainable.ratePerSec ?? 'none of the rates tried'}${r.sustainable.ratePerSec ? '/s' : ''}`);
  if (all.length) log(`\n${scenarioTable(all)}`);
  const walRows = all.filter((r) => r.walBytesPerEvent !== null && r.scenario !== 'warmup');
  if (walRows.length) {
    log('\nPostgreSQL per event (commits and size: this database; WAL: the whole server, which other work shares):');
    for (const r of walRows) log(`  ${r.name.padEnd(24)} ${String(r.commitsPerEvent).padStart(6)} commits  ${String(r.dbBytesPerEvent).padStart(6)} B on disk  ${String(r.walBytesPerEvent).padStart(7)} B WAL  outbox backlog after: ${r.outboxBacklog}`);
  }
  if (base.length) log(`\n${baselineTable(base)}`);
  if (roundTrips) {
    log(`\nround trips per event (in-process EventService on PostgreSQL, sequential): single ${roundTrips.single.statementsPerEvent} statements, ${roundTrips.single.meanMsPerEvent} ms/event`);
    for (const s of roundTrips.single.statements) log(`  ${s.statement.padEnd(48)} ×${s.perEvent}  mean ${s.meanMs} ms  (${Math.round(s.shareOfTime * 100)} % of DB time)`);
    const cc = roundTrips.concurrent;
    log(`  ${cc.connections} concurrent single events (in-process): ${cc.statementsPerEvent} statements per event, ${cc.eventsPerTransaction ?? '?'} events per transaction, ${cc.eventsPerSec.toLocaleString('en-US')} events/s`);
    for (const s of cc.statements) log(`    ${s.statement.padEnd(46)} ×${s.perEvent}  mean ${s.meanMs} ms  (${Math.round(s.shareOfTime * 100)} %)`);
    log(`  batch of 1000: ${roundTrips.batch.statementsPerCall} statements per call, ${roundTrips.batch.msPerCall} ms per call, ${roundTrips.batch.eventsPerSec.toLocaleString('en-US')} events/s in-process`);
    for (const s of roundTrips.batch.statements) log(`    ${s.statement.padEnd(46)} mean ${s.meanMs} ms  (${Math.round(s.shareOfTime * 100)} %)`);
  }
  for (const [engine, profile] of Object.entries(profiles)) {
    log(`\nserver CPU profile (${engine} run, ${profile.sampledMs} ms after start-up; main thread idle ${profile.idlePercent} %; self time as % of busy time):`);
    for (const g of profile.groups.slice(0, 12)) log(`  ${g.name.padEnd(44)} ${String(g.percent).padStart(5)} %`);
    log('  top functions:');
    for (const f of profile.functions.slice(0, 15)) log(`    ${f.name.padEnd(70)} ${String(f.percent).padStart(5)} %`);
  }
  if (rules?.path.length) {
    const rawBatch = base.find((b) => b.form === 'batch' && b.connections === 1)?.eventsPerSec ?? null;
    log(`\nearning rules (in process, batches of ${rules.batch}, PostgreSQL) beside the raw-SQL batch baseline${rawBatch ? ` (${rawBatch.toLocaleString('en-US')} events/s, 1000 per tx, 1 connection)` : ' (not measured in this run)'}:`);
    for (const p of rules.path) log(`  ${p.label.padEnd(34)} ${String(p.eventsPerSec).padStart(6)} events/s${rawBatch ? `  ÷ baseline ${(p.eventsPerSec / rawBatch).toFixed(2)}` : ''}  earn fn ${p.earnCpuUsPerEvent} µs CPU/event, ${p.earnStatementsPerBatch} statements/batch, batch call p50 ${p.batchMs?.p50 ?? '–'} / p99 ${p.batchMs?.p99 ?? '–'} ms`);
    log(`  100 rules vs 1: ${rules.lossPercent100vs1} % lower throughput (by earn CPU alone ${rules.cpuLossPercent100vs1} %); evaluation ${rules.pure.map((x) => `${x.rules}: ${x.cpuUsPerEvent} µs`).join(', ')} per event`);
  }
  if (festivals) {
    log('\nfestivals (in process, PostgreSQL):');
    if (festivals.leaderboard) log(`  top-100 p50/p95 ${festivals.leaderboard.topMs.p50}/${festivals.leaderboard.topMs.p95} ms; my rank ${festivals.leaderboard.rankMs.p50}/${festivals.leaderboard.rankMs.p95} ms; member app call ${festivals.leaderboard.appCallMs.p50}/${festivals.leaderboard.appCallMs.p95} ms (${festivals.participants.toLocaleString('en-US')} participants)`);
    if (festivals.draw) log(`  draw ${festivals.draw.drawMs} ms over ${festivals.draw.entries.toLocaleString('en-US')} entries (snapshot ${festivals.draw.snapshotMs} ms)`);
    for (const [label, rows] of [['single', festivals.earn?.single], ['batch', festivals.earn?.batch]] as const)
      for (const r of rows ?? []) log(`  earn ${label.padEnd(6)} ${r.name.padEnd(40)} ${r.msPerEvent} ms/event${r.overPercent === null ? '' : ` (${r.overPercent >= 0 ? '+' : ''}${r.overPercent} %)`}  CPU ${r.cpuUsPerEvent} µs/event${r.statementsPerBatch !== null ? `, ${r.statementsPerBatch} statements/batch` : ''}`);
  }
  log(`\nengine ÷ baseline: single vs tx ${ratios.singleVsTx ?? '–'}, vs 1-round-trip cte ${ratios.singleVsCte ?? '–'}, vs pgbench ${ratios.singleVsPgbench ?? '–'}; batch vs batch ${ratios.batchVsBatch ?? '–'}`);
  log(`engine ÷ baseline by CPU ceiling (robust to other load on the machine): single (closed loop) vs tx ${ratios.ceilingSingleVsTx ?? '–'}; batch vs batch ${ratios.ceilingBatchVsBatch ?? '–'}`);
  log('\n== targets (informative; the run never fails on them) ==');
  log(targetsTable(targets));

  const svgPath = path.join(resultsDir, 'throughput.svg');
  const charted = writeChart(svgPath, { engines: runs, baseline: base, startedAt: started.toISOString(), machine, synchronousCommit: pgInfo?.settings.synchronous_commit ?? '?', stepMs: o.stepMs, quick: o.quick });
  const result = {
    run: RUN,
    startedAt: started.toISOString(),
    durationS: Math.round((performance.now() - t0) / 1000),
    mode: o.quick ? 'quick' : 'full',
    note: process.env.VAFA_BENCH_NOTE ?? null,
    options: { ...o, has: undefined, only: o.only ? [...o.only] : null },
    machine: { ...machine, backgroundCoresBusy: background, fsync, flushTail },
    versions: {
      vafaCommit: headCommit(),
      node: process.version,
      postgres: pgInfo?.version ?? null,
      pglite: versionOf('@electric-sql/pglite'),
      pg: versionOf('pg'),
      kysely: versionOf('kysely'),
      fastify: versionOf('fastify'),
    },
    postgresSettings: pgInfo?.settings ?? null,
    engines: runs,
    baseline: base,
    ratios,
    roundTrips,
    profiles,
    groupCommitSweep: sweeps,
    rules,
    festivals,
    targets,
  };
  const jsonPath = path.join(resultsDir, 'latest.json');
  writeFileSync(jsonPath, JSON.stringify(result, null, 2));
  log(`\nwrote ${path.relative(ROOT, jsonPath)}${charted ? ` and ${path.relative(ROOT, svgPath)}` : ''} in ${result.durationS} s`);
}

main().catch(async (e) => {
  console.error(e);
  await dropDatabases().catch(() => undefined);
  process.exit(1);
});
