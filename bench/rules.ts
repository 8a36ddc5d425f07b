/**
 * What earning rules cost: the pure evaluation per event, and the whole earn path (batches
 * of events through EventService in one transaction each) with 1, 10 and 100 active rules
 * per club — every rule a `purchase` rule with a condition, the worst case, since rules of
 * other triggers are not even looked at. Prints; asserts nothing.
 *
 *   node --import tsx bench/rules.ts            # PGlite in memory
 *   DATABASE_URL=postgres://… node --import tsx bench/rules.ts
 */
import pino from 'pino';
import { openPglite, openPostgres } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { makeSecrets } from '../src/platform/crypto.js';
import { systemClock } from '../src/platform/clock.js';
import { LogSmsChannel } from '../src/platform/sms.js';
import { buildServices } from '../src/app.js';
import { compileRule, evaluate, type CompiledRule } from '../src/modules/rules/domain.js';

const logger = pino({ level: 'silent' });
const EVENTS = Number(process.env.BENCH_EVENTS ?? 4000);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);

/**
 * Rule i of n. Rule 0 is the club's spend rule and fires for every purchase; the others are
 * targeted, as real clubs' rules are (a store, a category, a group, a weekday campaign), so
 * an event fires one or two of them whatever n is. A third of the rules carry a monthly
 * per-member cap (their usage rows are locked and written in the batch).
 */
function ruleDef(i: number, allFire = false) {
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

const eventOf = (j: number, memberId: string) => ({
  eventId: `e${j}`, type: 'purchase', member: { id: memberId }, amountRials: 100_000 + (j % 50) * 10_000,
  store: `s${(j * 7) % 100}`, channel: `ch${(j * 13) % 100}`, items: [{ sku: 'sku', category: `cat${(j * 11) % 100}`, quantity: 1, amountRials: 120_000 }],
});

function pureBench() {
  const rows: string[] = [];
  for (const n of [1, 10, 100]) {
    const rules: CompiledRule[] = []; // ids in the engine's order, as the service's catalogue keeps them
    for (let i = 0; i < n; i++) {
      const c = compileRule(ruleDef(i), { id: `r${String(i).padStart(3, '0')}`, version: 1 });
      if (!c.ok) throw new Error(c.detail);
      rules.push(c.rule);
    }
    rules.sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : a.version - b.version));
    const member = { id: 'm', tier: null, tierMultiplier: 1, groups: ['group1', 'group42'], joinedAt: new Date('2024-01-01'), counters: { purchase: 3 } };
    const usage = () => ({ points: 0, times: 0 });
    const iters = n === 100 ? 2000 : 10000;
    const run = (k: number) =>
      evaluate({
        rules,
        event: { ...eventOf(k, 'm'), occurredAt: new Date(1_746_000_000_000 + k * 60_000), attributes: {} },
        member,
        club: { timeZone: 'Asia/Tehran' },
        usage,
      });
    for (let k = 0; k < 500; k++) run(k);
    const t = process.hrtime.bigint();
    for (let k = 0; k < iters; k++) run(k);
    const us = Number(process.hrtime.bigint() - t) / 1000 / iters;
    rows.push(`  ${String(n).padStart(3)} rules: ${us.toFixed(1).padStart(7)} µs/event  (${(us / Math.max(1, n / 10)).toFixed(1)} µs per 10 rules)`);
  }
  return rows;
}

async function pathBench(allFire: boolean) {
  const database = process.env.DATABASE_URL ? await openPostgres(process.env.DATABASE_URL, { max: 4 }) : await openPglite();
  await migrate(database);
  const services = buildServices({ database, secrets: makeSecrets('bench'), clock: systemClock, logger, sms: new LogSmsChannel(logger) });
  const rows: string[] = [];
  const results: Record<string, number> = {};
  const configs = allFire ? [1, 10, 100] : [-1, 0, 1, 10, 100];
  for (const n of configs) {
    // -1: the foundation's own base-rate earn function, no rules engine at all.
    if (n === -1) {
      const { baseRateEarn } = await import('../src/modules/events/index.js');
      services.events.setEarn(baseRateEarn);
      services.events.setValidate(async (_tx, _club, inputs) => inputs.map(() => null));
    } else {
      services.events.setEarn(services.rules.earn);
      services.events.setValidate(services.rules.validateEvents);
    }
    const club = await services.clubs.create({ slug: `bench-rules-${n + 1}-${allFire ? 'all' : 'some'}-${Date.now()}`, name: { fa: 'محک' }, pendingDays: 0 });
    if (!club.ok) throw new Error(club.code);
    for (let i = 0; i < n; i++) {
      const r = await services.rules.create(club.value, ruleDef(i, allFire), { actor: 'bench' });
      if (!r.ok) throw new Error(`${r.code} ${r.detail}`);
    }
    const members: string[] = [];
    for (let i = 0; i < 200; i++) {
      const m = await services.members.create(club.value.id, { mobile: `0935${String(i).padStart(7, '0')}`, groups: [`group${i % 100}`] }, { actor: 'bench' });
      if (!m.ok) throw new Error(m.code);
      members.push(m.value.id);
    }
    const batch = (b: number) =>
      Array.from({ length: BATCH }, (_, k) => {
        const j = b * BATCH + k;
        return eventOf(j, members[j % members.length]!);
      });
    await services.events.ingestBatch(club.value, batch(10_000), null); // warm: catalogue, caches
    const batches = Math.ceil(EVENTS / BATCH);
    const t = process.hrtime.bigint();
    let points = 0;
    for (let b = 0; b < batches; b++) {
      const r = await services.events.ingestBatch(club.value, batch(b), null);
      if (!r.ok) throw new Error(r.code);
      points += r.value.summary.points ?? 0;
    }
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    const eps = (batches * BATCH) / s;
    results[n] = eps;
    const label = n === -1 ? 'foundation base rate (no engine)' : n === 0 ? 'engine, no rules (base rate)' : `${n} rules`;
    rows.push(`  ${label.padEnd(34)} ${eps.toFixed(0).padStart(6)} events/s  (${((s * 1e6) / (batches * BATCH)).toFixed(0)} µs/event, ${(points / (batches * BATCH)).toFixed(1)} points/event)`);
  }
  rows.push(`  100 rules vs 1 rule: ${(100 * (1 - results[100]! / results[1]!)).toFixed(1)}% lower throughput (target ≤ 20%)`);
  await database.close();
  return { engine: database.engine, rows };
}

const pure = pureBench();
console.log('rule evaluation, in process (pure engine):');
for (const r of pure) console.log(r);
for (const allFire of [false, true]) {
  const path = await pathBench(allFire);
  console.log(`earn path on ${path.engine}, batches of ${BATCH}, ${EVENTS} events per configuration, ${allFire ? 'WORST CASE: every rule fires on every event (n awards = n ledger entries per event)' : 'targeted rules (1–3 fire per event)'}:`);
  for (const r of path.rows) console.log(r);
}
