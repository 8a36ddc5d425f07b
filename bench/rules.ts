/**
 * What earning rules cost (issue 3): the pure evaluation per event, and the whole earn path
 * (batches of events through EventService in one transaction each) with 1, 10 and 100
 * active rules per club — every rule a `purchase` rule with a condition, the worst case,
 * since rules of other triggers are not even looked at. Prints; asserts nothing.
 *
 * Besides wall-clock throughput (noisy on a shared box) it records, per configuration, the
 * CPU time this process spent inside the earn function (process.cpuUsage, µs per event) and
 * the statements the earn function sent per batch (pg / PGlite query methods wrapped while
 * it runs): figures other work on the machine hardly moves. Configurations run interleaved,
 * in rotating order, several rounds; medians.
 *
 *   node --import tsx bench/rules.ts                      # PGlite in memory
 *   node --import tsx bench/rules.ts --postgres           # a throw-away PostgreSQL database
 *   node --import tsx bench/rules.ts --all-fire           # also the worst case: every rule fires
 *   BENCH_EVENTS=4000 BENCH_BATCH=100 BENCH_ROUNDS=3 …
 *
 * `npm run bench -- --only rules` runs it on PostgreSQL beside the raw-SQL batch baseline.
 */
import pg from 'pg';
import pino from 'pino';
import { PGlite } from '@electric-sql/pglite';
import { openPglite, openPostgres, type Database } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { makeSecrets } from '../src/platform/crypto.js';
import { systemClock } from '../src/platform/clock.js';
import { LogSmsChannel } from '../src/platform/sms.js';
import { buildServices } from '../src/app.js';
import { compileRule, evaluate, type CompiledRule } from '../src/modules/rules/domain.js';
import type { EarnFn } from '../src/modules/events/index.js';
import type { Club } from '../src/modules/clubs/index.js';
import { insertMembers } from './seed.js';

const logger = pino({ level: 'silent' });

/**
 * Rule i of n. Rule 0 is the club's spend rule and fires for every purchase; the others are
 * targeted, as real clubs' rules are (a store, a category, a group, a weekday campaign), so
 * an event fires one or two of them whatever n is. A third of the rules carry a monthly
 * per-member cap (their usage rows are locked and written in the batch).
 */
export function ruleDef(i: number, allFire = false) {
  const kinds = [
    { condition: `event.store == "s${i % 100}"`, amount: 'event.amount / 50000' },
    { condition: `event.items.exists(x, x.category == "cat${i % 100}")`, amount: 'event.items.filter(x, x.category == "cat' + (i % 100) + '").map(x, x.amount).sum() / 50000' },
    { condition: `"group${i % 100}" in member.groups`, amount: '5' },
    { condition: `context.weekday == ${i % 7} && event.channel == "ch${i % 100}"`, amount: 'event.amount / 100000' },
  ];
  const k = i === 0 ? { condition: 'event.amount >= 50000', amount: 'event.amount / 20000 * 10' } : kinds[i % kinds.length]!;
  return {
    name: { fa: `قانون ${i}` },
    trigger: 'purchase',
    condition: allFire ? 'event.amount >= 0' : k.condition,
    effects: [{ type: 'award' as const, unit: 'points', amount: k.amount }],
    priority: i % 10,
    ...(i % 3 === 1 ? { limits: { perMember: [{ period: 'month' as const, maxPoints: 100_000 }] } } : {}),
  };
}

const eventOf = (j: number, memberId: string, run = '') => ({
  eventId: `${run}e${j}`, type: 'purchase', member: { id: memberId }, amountRials: 100_000 + (j % 50) * 10_000,
  store: `s${(j * 7) % 100}`, channel: `ch${(j * 13) % 100}`, items: [{ sku: 'sku', category: `cat${(j * 11) % 100}`, quantity: 1, amountRials: 120_000 }],
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

export interface PureRow {
  rules: number;
  /** CPU µs per evaluated event (process.cpuUsage, median of rounds) */
  cpuUsPerEvent: number;
  cpuUsPer10Rules: number;
  /** the same with the earn path's compact trace (only fired and live rules traced) */
  compactCpuUsPerEvent: number;
  compactCpuUsPer10Rules: number;
}

/** The pure engine: evaluate() alone, in process, with the catalogue's own ordering. */
export function pureBench(rounds = 5): PureRow[] {
  const rows: PureRow[] = [];
  for (const n of [1, 10, 100]) {
    const rules: CompiledRule[] = [];
    for (let i = 0; i < n; i++) {
      const c = compileRule(ruleDef(i), { id: `r${String(i).padStart(3, '0')}`, version: 1 });
      if (!c.ok) throw new Error(c.detail);
      rules.push(c.rule);
    }
    rules.sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : a.version - b.version));
    const member = { id: 'm', tier: null, tierMultiplier: 1, groups: ['group1', 'group42'], joinedAt: new Date('2024-01-01'), counters: { purchase: 3 } };
    const usage = () => ({ points: 0, times: 0 });
    const iters = n === 100 ? 2000 : 10000;
    const events = Array.from({ length: 500 }, (_, k) => ({ ...eventOf(k, 'm'), amountRials: 100_000 + (k % 50) * 10_000, occurredAt: new Date(1_746_000_000_000 + k * 60_000), attributes: {} }));
    const measure = (compact: boolean) => {
      const run = (k: number) => evaluate({ rules, event: events[k % events.length]!, member, club: { timeZone: 'Asia/Tehran' }, usage, compact });
      for (let k = 0; k < 1000; k++) run(k);
      const samples: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const c0 = process.cpuUsage();
        for (let k = 0; k < iters; k++) run(k);
        const c = process.cpuUsage(c0);
        samples.push((c.user + c.system) / iters);
      }
      return median(samples);
    };
    const us = measure(false);
    const compact = measure(true);
    rows.push({ rules: n, cpuUsPerEvent: r1(us), cpuUsPer10Rules: r1(us / Math.max(1, n / 10)), compactCpuUsPerEvent: r1(compact), compactCpuUsPer10Rules: r1(compact / Math.max(1, n / 10)) });
  }
  return rows;
}

/** Counts the statements sent while `on` is set (pg and PGlite query methods wrapped). */
function statementCounter() {
  const state = { on: false, n: 0 };
  const protos = [pg.Client.prototype, PGlite.prototype] as unknown as { query: (...a: unknown[]) => unknown }[];
  const originals = protos.map((p) => p.query);
  protos.forEach((p, i) => {
    const original = originals[i]!;
    p.query = function (this: unknown, ...args: unknown[]) {
      if (state.on) state.n++;
      return original.apply(this, args);
    };
  });
  return { state, restore: () => protos.forEach((p, i) => (p.query = originals[i]!)) };
}

/** p50 and p99 (nearest rank) of a list of ms, rounded to 0.1. */
function percentiles(xs: number[]): { p50: number; p99: number } {
  const v = [...xs].sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))] ?? 0;
  return { p50: r1(at(0.5)), p99: r1(at(0.99)) };
}

export interface PathRow {
  /** -1: the foundation's base-rate earn function (no engine); 0: the engine with no rules */
  rules: number;
  label: string;
  eventsPerSec: number;
  /** CPU µs per event in this process inside the earn function (medians over rounds) */
  earnCpuUsPerEvent: number;
  /** statements the earn function sent per batch */
  earnStatementsPerBatch: number;
  pointsPerEvent: number;
  /** latency of one ingestBatch call (a transaction of `batch` events), all rounds pooled, ms */
  batchMs: { p50: number; p99: number };
}

export interface RulesBenchResult {
  engine: 'postgres' | 'pglite';
  batch: number;
  eventsPerConfig: number;
  rounds: number;
  allFire: boolean;
  pure: PureRow[];
  path: PathRow[];
  /** 1 − throughput(100 rules) ÷ throughput(1 rule), percent (target ≤ 20) */
  lossPercent100vs1: number | null;
  /** the same from the earn function's CPU per event alone: (cpu100 − cpu1) ÷ whole µs/event at 1 rule */
  cpuLossPercent100vs1: number | null;
}

/**
 * The earn path with 1, 10, 100 rules (and the two base-rate references unless allFire):
 * every configuration its own club and 200 members; rounds interleaved in rotating order.
 */
export async function pathBench(database: Database, o: { events: number; batch: number; rounds: number; allFire: boolean; log?: (s: string) => void }): Promise<Omit<RulesBenchResult, 'pure'>> {
  const services = buildServices({ database, secrets: makeSecrets('bench'), clock: systemClock, logger, sms: new LogSmsChannel(logger) });
  const configs = o.allFire ? [1, 10, 100] : [-1, 0, 1, 10, 100];
  const { baseRateEarn } = await import('../src/modules/events/index.js');
  const counter = statementCounter();
  const stamp = Date.now().toString(36);
  try {
    const setups = new Map<number, { club: Club; members: string[]; earn: EarnFn }>();
    const cpu = new Map<number, { us: number; events: number; statements: number; batches: number }>();
    for (const n of configs) {
      const club = await services.clubs.create({ slug: `bench-rules-${n + 1}-${o.allFire ? 'all' : 'some'}-${stamp}`, name: { fa: 'محک' }, pendingDays: 0 });
      if (!club.ok) throw new Error(club.code);
      for (let i = 0; i < n; i++) {
        const r = await services.rules.create(club.value, ruleDef(i, o.allFire), { actor: 'bench' });
        if (!r.ok) throw new Error(`${r.code} ${r.detail}`);
      }
      const members = await insertMembers(database, club.value.id, 200);
      // Groups as the rules target them (members inserted set-based carry none).
      for (let g = 0; g < 100; g++) {
        const ids = members.filter((_, i) => i % 100 === g);
        await database.db.updateTable('members').set({ groups: [`group${g}`] } as never).where('id', 'in', ids).execute();
      }
      const inner: EarnFn = n === -1 ? baseRateEarn : services.rules.earn;
      const acc = { us: 0, events: 0, statements: 0, batches: 0 };
      cpu.set(n, acc);
      // `later` passed on, as the product's wrappers do: the counters ride on the ledger's statement.
      const earn: EarnFn = async (tx, inputs, later) => {
        const c0 = process.cpuUsage();
        const s0 = counter.state.n;
        counter.state.on = true;
        try {
          return await inner(tx, inputs, later);
        } finally {
          counter.state.on = false;
          const c = process.cpuUsage(c0);
          acc.us += c.user + c.system;
          acc.events += inputs.length;
          acc.statements += counter.state.n - s0;
          acc.batches++;
        }
      };
      setups.set(n, { club: club.value, members, earn });
    }
    const use = (n: number) => {
      services.events.setEarn(setups.get(n)!.earn);
      if (n === -1) services.events.setValidate(async (_tx, _club, inputs) => inputs.map(() => null));
      else services.events.setValidate(services.rules.validateEvents);
    };
    let seq = 0;
    const batchOf = (n: number) => {
      const s = setups.get(n)!;
      return Array.from({ length: o.batch }, () => {
        const j = seq++;
        return eventOf(j, s.members[j % s.members.length]!, `${stamp}-`);
      });
    };
    // Warm: JIT, catalogue, caches.
    for (const n of configs) {
      use(n);
      for (let w = 0; w < 3; w++) await services.events.ingestBatch(setups.get(n)!.club, batchOf(n), null);
    }
    const eps = new Map<number, number[]>();
    const usPerEv = new Map<number, number[]>();
    const stPerBatch = new Map<number, number[]>();
    const points = new Map<number, number>();
    const callMs = new Map<number, number[]>();
    const batches = Math.max(1, Math.ceil(o.events / o.batch));
    for (let round = 0; round < o.rounds; round++) {
      const order = [...configs.slice(round % configs.length), ...configs.slice(0, round % configs.length)];
      for (const n of order) {
        use(n);
        const acc = cpu.get(n)!;
        Object.assign(acc, { us: 0, events: 0, statements: 0, batches: 0 });
        const t = performance.now();
        let p = 0;
        for (let b = 0; b < batches; b++) {
          const c0 = performance.now();
          const r = await services.events.ingestBatch(setups.get(n)!.club, batchOf(n), null);
          (callMs.get(n) ?? callMs.set(n, []).get(n)!).push(performance.now() - c0);
          if (!r.ok) throw new Error(r.code);
          p += r.value.summary.points ?? 0;
        }
        const s = (performance.now() - t) / 1000;
        (eps.get(n) ?? eps.set(n, []).get(n)!).push((batches * o.batch) / s);
        (usPerEv.get(n) ?? usPerEv.set(n, []).get(n)!).push(acc.us / acc.events);
        (stPerBatch.get(n) ?? stPerBatch.set(n, []).get(n)!).push(acc.statements / acc.batches);
        points.set(n, p / (batches * o.batch));
      }
      o.log?.(`    round ${round + 1}/${o.rounds}: ${configs.map((n) => `${n < 0 ? 'base' : n}→${Math.round(eps.get(n)!.at(-1)!)}/s`).join(' ')}`);
    }
    const path: PathRow[] = configs.map((n) => ({
      rules: n,
      label: n === -1 ? 'foundation base rate (no engine)' : n === 0 ? 'engine, no rules (base rate)' : `${n} rule${n === 1 ? '' : 's'}`,
      eventsPerSec: Math.round(median(eps.get(n)!)),
      earnCpuUsPerEvent: r1(median(usPerEv.get(n)!)),
      earnStatementsPerBatch: r1(median(stPerBatch.get(n)!)),
      pointsPerEvent: r1(points.get(n)!),
      batchMs: percentiles(callMs.get(n)!),
    }));
    const at = (n: number) => path.find((r) => r.rules === n)!;
    // Per-round ratios, then the median: robust to drift between rounds.
    const ratios = eps.get(100)!.map((v, i) => 1 - v / eps.get(1)![i]!);
    const lossPercent100vs1 = r1(100 * median(ratios));
    const wholeUs1 = 1e6 / at(1).eventsPerSec;
    const cpuLossPercent100vs1 = r1((100 * (at(100).earnCpuUsPerEvent - at(1).earnCpuUsPerEvent)) / (wholeUs1 + at(100).earnCpuUsPerEvent - at(1).earnCpuUsPerEvent));
    return { engine: database.engine, batch: o.batch, eventsPerConfig: batches * o.batch, rounds: o.rounds, allFire: o.allFire, path, lossPercent100vs1, cpuLossPercent100vs1 };
  } finally {
    counter.restore();
  }
}

export function printRules(r: RulesBenchResult, log: (s: string) => void) {
  log('  rule evaluation, in process (pure engine, CPU time):');
  for (const p of r.pure) log(`    ${String(p.rules).padStart(3)} rules: ${p.cpuUsPerEvent.toFixed(1).padStart(7)} µs/event  (${p.cpuUsPer10Rules.toFixed(1)} µs per 10 rules; target ≤ 50) — compact trace, as the earn path runs it: ${p.compactCpuUsPerEvent.toFixed(1)} µs/event (${p.compactCpuUsPer10Rules.toFixed(1)} per 10 rules)`);
  if (!r.path.length) return;
  log(`  earn path on ${r.engine}, batches of ${r.batch}, ${r.eventsPerConfig} events per configuration and round, ${r.rounds} interleaved rounds, medians — ${r.allFire ? 'WORST CASE: every rule fires on every event' : 'targeted rules (1–3 fire per event)'}:`);
  for (const p of r.path) log(`    ${p.label.padEnd(34)} ${String(p.eventsPerSec).padStart(6)} events/s  earn fn: ${p.earnCpuUsPerEvent.toFixed(1).padStart(6)} µs CPU/event, ${p.earnStatementsPerBatch} statements/batch  (${p.pointsPerEvent} points/event)  batch call p50 ${p.batchMs.p50} / p99 ${p.batchMs.p99} ms`);
  log(`    100 rules vs 1 rule: ${r.lossPercent100vs1}% lower throughput (target ≤ 20%); by the earn function's CPU alone ${r.cpuLossPercent100vs1}%`);
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--pure')) {
    printRules({ engine: 'pglite', batch: 0, eventsPerConfig: 0, rounds: 0, allFire: false, path: [], lossPercent100vs1: null, cpuLossPercent100vs1: null, pure: pureBench() }, console.log);
    return;
  }
  const events = Number(process.env.BENCH_EVENTS ?? 4000);
  const batch = Number(process.env.BENCH_BATCH ?? 100);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const pure = pureBench();
  let drop: (() => Promise<void>) | null = null;
  const open = async (): Promise<Database> => {
    if (argv.includes('--postgres') || process.env.DATABASE_URL) {
      if (process.env.DATABASE_URL) return openPostgres(process.env.DATABASE_URL, { max: 4 });
      const { createDatabase, dropDatabases } = await import('./pgadmin.js');
      drop = dropDatabases;
      return openPostgres(await createDatabase(`vafa_bench_rules_${Date.now()}_${process.pid}`), { max: 4 });
    }
    return openPglite();
  };
  try {
    for (const allFire of argv.includes('--all-fire') ? [false, true] : [false]) {
      const database = await open();
      try {
        await migrate(database);
        const path = await pathBench(database, { events, batch, rounds, allFire, log: console.log });
        printRules({ ...path, pure }, console.log);
      } finally {
        await database.close();
      }
    }
  } finally {
    if (drop) await (drop as () => Promise<void>)();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
