/**
 * Festival figures on PostgreSQL (prints numbers, asserts nothing):
 *
 *   1. leaderboard top-100 and "my rank" with 1,000,000 participants   (target ≤ 20 ms each)
 *   2. a draw of 10 winners over 1,000,000 weighted entries, reading the snapshot included
 *      (target ≤ 2 s); the snapshot itself and the public document's verification alongside
 *   3. festival scoring's added cost on the earn path                    (target ≤ 15 %)
 *
 *   node --import tsx bench/festivals.ts [--participants 1000000] [--events 1000] [--rounds 24] [--only big|earn]
 *   (rounds interleave the configurations; each round runs events/4 single events and
 *   events/100 batches of 100 per configuration: medians of 24 such samples; with 3 runs
 *   of 12 the medians still swung ±10 % on this box)
 *   npm run bench -- --only festivals     the same inside the bench run (figures in latest.json)
 *
 * Uses a throw-away database on the server at VAFA_BENCH_PG_ADMIN_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), dropped at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import pino from 'pino';
import { sql } from 'kysely';
import { buildServices, type Services } from '../src/app.js';
import { openPostgres, type Database } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { makeSecrets } from '../src/platform/crypto.js';
import { ManualClock } from '../src/platform/clock.js';
import { LogSmsChannel } from '../src/platform/sms.js';
import type { Club } from '../src/modules/clubs/index.js';
import type { EarnFn, EventInput } from '../src/modules/events/index.js';
import { drawWinners, verifyDraw } from '../src/modules/festivals/index.js';
import { readEntryList, standingOf, topStandings } from '../src/modules/festivals/store.js';
import { createDatabase, dropDatabases, pgAvailable, serverInfo } from './pgadmin.js';
import { insertMembers } from './seed.js';

export interface FestivalOptions {
  participants: number;
  events: number;
  rounds: number;
  /** `big` (leaderboard + draw) or `earn` (the earn path) alone. */
  only?: 'big' | 'earn';
  log?: (s: string) => void;
}

export interface EarnRow {
  name: string;
  msPerEvent: number;
  /** vs the base configuration, percent */
  overPercent: number | null;
  /** CPU µs per event of this process (the server's share: HTTP aside, all of ingestion) */
  cpuUsPerEvent: number;
  /** statements per ingestBatch call (one transaction) */
  statementsPerBatch: number | null;
  /**
   * CPU µs per event of the PostgreSQL backends serving this run (from /proc/<pid>/schedstat,
   * ns resolution; null when the server is not on this machine). Unlike the wall-clock ms it
   * does not take in commit flushes or other processes' load, so it shows the festival
   * statements' own cost on a shared, busy machine.
   */
  serverCpuUsPerEvent?: number | null;
}

export interface FestivalFigures {
  participants: number;
  leaderboard: { topMs: { p50: number; p95: number }; rankMs: { p50: number; p95: number }; appCallMs: { p50: number; p95: number } } | null;
  draw: { entries: number; snapshotMs: number; drawMs: number; readMs: number; pureMs: number; warmMs: number } | null;
  earn: {
    events: number;
    rounds: number;
    single: EarnRow[];
    batch: EarnRow[];
    /** the festival wrapper's own time per participant event, ms, and as % of base */
    wrapperOwn: { single: { ms: number; percent: number }; batch: { ms: number; percent: number } };
    /** The queue's applier, per festival score row it applied (ledger entries, standings, ranks), timed apart from the earn path. */
    applier: { rows: number; msPerRow: number; cpuUsPerRow: number; serverCpuUsPerRow: number };
  } | null;
}

let out: (s: string) => void = console.log;
const ms = (t0: number) => performance.now() - t0;
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const median = (xs: number[]) => pct(xs, 50);
const r2 = (x: number) => Math.round(x * 100) / 100;
const line = (label: string, value: string, target?: string, pass?: boolean) =>
  out(`  ${label.padEnd(58)} ${value.padStart(16)}${target ? `   target ${target}  ${pass ? 'PASS' : 'FAIL'}` : ''}`);

async function timed<T>(n: number, fn: (i: number) => Promise<T>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(ms(t0));
  }
  return out;
}

/** The whole festivals bench on a throw-away PostgreSQL database (dropped at the end). */
export async function runFestivals(o: FestivalOptions): Promise<FestivalFigures | null> {
  out = o.log ?? console.log;
  const figures: FestivalFigures = { participants: o.participants, leaderboard: null, draw: null, earn: null };
  const down = await pgAvailable();
  if (down) {
    out(`PostgreSQL not available (${down}); nothing measured.`);
    return null;
  }
  const url = await createDatabase(`vafa_bench_fst_${Date.now()}_${process.pid}`);
  const database = await openPostgres(url, { max: 4 });
  try {
    await migrate(database);
    const info = await serverInfo(url);
    out(`festivals bench — ${info.version.split(' ').slice(0, 2).join(' ')}, ${os.cpus().length} vCPU, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    const clock = new ManualClock(new Date('2025-04-05T08:00:00Z')); // 1404/01/16, inside the festival window
    const logger = pino({ level: 'silent' });
    const services = buildServices({ database, secrets: makeSecrets('vafa-bench-secret'), clock, logger, sms: new LogSmsChannel(logger) });
    if (!o.only || o.only === 'big') Object.assign(figures, await big(database, services, clock, o.participants));
    if (!o.only || o.only === 'earn') figures.earn = await earnPath(database, services, o.events, o.rounds);
  } finally {
    await database.close();
    await dropDatabases();
  }
  return figures;
}

async function newClub(services: Services, slug: string): Promise<Club> {
  const r = await services.clubs.create({ slug, name: { fa: 'باشگاه سنجش', en: 'Bench club' }, pendingDays: 0 });
  if (!r.ok) throw new Error(r.code);
  return r.value;
}

async function newFestival(services: Services, club: Club, extra: Record<string, unknown> = {}) {
  const f = await services.festivals.create(club, {
    name: { fa: 'جشنوارهٔ سنجش', en: 'Bench festival' },
    window: { from: '1404/01/15', to: '1404/01/31' },
    audience: { groups: [], tiers: [] },
    enrolment: 'opt_in',
    indicators: [{ eventType: 'purchase', score: 1, per: { rials: 100_000 }, minAmountRials: 0 }],
    categories: [{ key: 'purchases', eventType: 'purchase', measure: 'count' }],
    staking: null,
    topPerformers: [],
    ...extra,
  } as never, { actor: 'bench' });
  if (!f.ok) throw new Error(f.code);
  return f.value;
}

// ─────────────────────────────────────────── 1 + 2: a million participants

async function big(database: Database, services: Services, clock: ManualClock, PARTICIPANTS: number): Promise<Pick<FestivalFigures, 'leaderboard' | 'draw'>> {
  const { db } = database;
  const club = await newClub(services, 'fst-big');
  const f = await newFestival(services, club);
  out(`\nseeding ${PARTICIPANTS.toLocaleString('en')} members, participants and standings (set-based SQL)…`);
  let t0 = performance.now();
  // Ids end in md5 hex, like UUIDv7's random tail, so the rank shards spread evenly.
  await sql`insert into members (id, club_id, mobile, referral_code, joined_via)
    select 'mbr_bench' || md5(i::text), ${club.id}, '+98912' || lpad(i::text, 7, '0'), 'BF' || i, 'bench'
    from generate_series(1, ${PARTICIPANTS}) i`.execute(db);
  await sql`insert into festival_participants (club_id, festival_id, member_id, entry_code, mobile_masked, via)
    select ${club.id}, ${f.id}, 'mbr_bench' || md5(i::text), 'b' || lpad(i::text, 7, '0'), '0912***' || right(lpad(i::text, 7, '0'), 4), 'opt_in'
    from generate_series(1, ${PARTICIPANTS}) i`.execute(db);
  // A skewed score distribution (most members low, a long tail), as festivals have.
  await sql`insert into festival_standings (club_id, festival_id, category, member_id, value, seq, ref)
    select ${club.id}, ${f.id}, 'score', 'mbr_bench' || md5(i::text), 1 + floor(20000 * power(random(), 3))::bigint, nextval('festival_standing_seq'),
           '0912***' || right(lpad(i::text, 7, '0'), 4) || '#b' || lpad(i::text, 7, '0')
    from generate_series(1, ${PARTICIPANTS}) i`.execute(db);
  await services.festivals.rebuildRanks(club.id, f.id);
  await sql`analyze`.execute(db);
  out(`  seeded in ${fmt(ms(t0) / 1000)} s`);

  out(`\n1. leaderboard, ${PARTICIPANTS.toLocaleString('en')} participants (PostgreSQL)`);
  const ids = (await sql<{ member_id: string }>`select member_id from festival_participants where club_id = ${club.id} and festival_id = ${f.id} order by random() limit 300`.execute(db)).rows.map((r) => r.member_id);
  await timed(20, () => topStandings(db, club.id, f.id, 'score', 100)); // warm
  const top = await timed(200, () => topStandings(db, club.id, f.id, 'score', 100));
  line('top-100 query p50 / p95', `${fmt(median(top))} / ${fmt(pct(top, 95))} ms`, '≤ 20 ms', pct(top, 95) <= 20);
  await timed(20, (i) => standingOf(db, club.id, f.id, 'score', ids[i]!));
  const rank = await timed(300, (i) => standingOf(db, club.id, f.id, 'score', ids[i]!));
  line('my-rank query p50 / p95', `${fmt(median(rank))} / ${fmt(pct(rank, 95))} ms`, '≤ 20 ms', pct(rank, 95) <= 20);
  const whole = await timed(100, (i) => services.festivals.leaderboard(club.id, f.id, { limit: 100, memberId: ids[i]! }));
  line('the member app call (festival + top-100 + my rank) p50 / p95', `${fmt(median(whole))} / ${fmt(pct(whole, 95))} ms`);
  const check = await services.festivals.leaderboard(club.id, f.id, { limit: 1, memberId: ids[0]! });
  const brute = (await sql<{ n: number }>`select count(*)::int as n from festival_standings where club_id = ${club.id} and festival_id = ${f.id} and category = 'score'
      and value > (select value from festival_standings where club_id = ${club.id} and festival_id = ${f.id} and category = 'score' and member_id = ${ids[0]!})`.execute(db)).rows[0]!.n;
  t0 = performance.now();
  await sql`select count(*) from festival_standings where club_id = ${club.id} and festival_id = ${f.id} and category = 'score' and value > 10`.execute(db);
  line('(for comparison: my rank by count(*) over the index)', `${fmt(ms(t0))} ms`);
  if (!check.ok || check.value.me?.rank !== brute + 1) throw new Error(`rank structure disagrees with a recount: ${JSON.stringify(check)} vs ${brute + 1}`);

  out(`\n2. draw: 10 winners over ${PARTICIPANTS.toLocaleString('en')} weighted entries (PostgreSQL)`);
  const cutoff = new Date(clock.now().getTime() + 3600_000);
  const d = await services.festivals.scheduleDraw(club, f.id, {
    kind: 'final', title: { fa: 'قرعه‌کشی نهایی', en: 'Final draw' }, cutoffAt: cutoff.toISOString(), drawAt: new Date(cutoff.getTime() + 60_000).toISOString(),
    winners: 10, minScore: 1, chances: { basis: 'score', pointsPerChance: 1 }, excludePastWinners: true, prizes: [],
  }, { actor: 'bench' });
  if (!d.ok) throw new Error(d.code);
  clock.set(new Date(cutoff.getTime() + 1000));
  t0 = performance.now();
  const snap = await services.festivals.runDraw(club, d.value.id, { actor: 'bench' });
  const snapMs = ms(t0);
  if (!snap.ok || snap.value.status !== 'snapshotted') throw new Error(`snapshot: ${JSON.stringify(snap)}`);
  line(`snapshot at the cut-off (${snap.value.entryCount!.toLocaleString('en')} entries, active check, digest)`, `${fmt(snapMs / 1000)} s`);
  clock.set(new Date(cutoff.getTime() + 61_000));
  t0 = performance.now();
  const drawn = await services.festivals.runDraw(club, d.value.id, { actor: 'bench' });
  const drawMs = ms(t0);
  if (!drawn.ok || drawn.value.status !== 'drawn') throw new Error(`draw: ${JSON.stringify(drawn)}`);
  line('draw: read the snapshot, 10 winners, record, outbox (one tx)', `${fmt(drawMs)} ms`, '≤ 2 s', drawMs <= 2000);
  t0 = performance.now();
  const entries = (await readEntryList(db, club.id, d.value.id))!;
  const readMs = ms(t0);
  t0 = performance.now();
  drawWinners({ seedHex: '00'.repeat(32), entries, winners: 10, drawId: d.value.id });
  const pureMs = ms(t0);
  line('  of which: reading the frozen list (one stored text, parsed)', `${fmt(readMs)} ms`);
  line('  of which: drawWinners (validate, digest, Fenwick, 10 ranks)', `${fmt(pureMs)} ms`);
  const again = await timed(3, async () => {
    const list = (await readEntryList(db, club.id, d.value.id))!;
    drawWinners({ seedHex: '00'.repeat(32), entries: list, winners: 10, drawId: d.value.id });
  });
  line('read + draw again, warm (median of 3)', `${fmt(median(again))} ms`);
  t0 = performance.now();
  const doc = await services.festivals.publishedDraw(d.value.id);
  const docMs = ms(t0);
  t0 = performance.now();
  const v = doc.ok ? verifyDraw(doc.value) : null;
  line('public document built / verified (vafa draw verify logic)', `${fmt(docMs)} / ${fmt(ms(t0))} ms`);
  if (!v?.valid) throw new Error(`published draw does not verify: ${v?.problems.join('; ')}`);
  const q = (xs: number[]) => ({ p50: r2(median(xs)), p95: r2(pct(xs, 95)) });
  return {
    leaderboard: { topMs: q(top), rankMs: q(rank), appCallMs: q(whole) },
    draw: { entries: snap.value.entryCount!, snapshotMs: Math.round(snapMs), drawMs: Math.round(drawMs), readMs: Math.round(readMs), pureMs: Math.round(pureMs), warmMs: Math.round(median(again)) },
  };
}

// ─────────────────────────────────────────── 3: the earn path

async function earnPath(database: Database, services: Services, EVENTS: number, ROUNDS: number): Promise<NonNullable<FestivalFigures['earn']>> {
  out(`\n3. earn path: ${EVENTS} purchases per run, ${ROUNDS} interleaved rounds, medians (PostgreSQL)`);
  const club = await newClub(services, 'fst-earn');
  // Festival score only (the common case); a performance category adds one standing per event.
  const f = await newFestival(services, club, { categories: [] });
  // One member set per configuration, so every set's ledger history grows alike.
  const all = await insertMembers(database, club.id, 1500);
  const [inside, outside, gamers] = [all.slice(0, 500), all.slice(500, 1000), all.slice(1000)];
  // The base runs in a club of its own that has no festival (so no festival work at all,
  // not even the member look-up's column of joined festivals), on the same tables.
  const plainClub = await newClub(services, 'fst-earn-base');
  const plain = await insertMembers(database, plainClub.id, 500);
  // Participants through the service's own enrolment (real entry codes).
  for (const id of [...inside, ...gamers]) {
    const r = await services.festivals.join(club, id, f.id, { actor: 'bench' });
    if (!r.ok) throw new Error(r.code);
  }
  const g = services.games;
  await g.createBadge(club, { code: 'month5', name: { fa: 'پنج خرید', en: '' }, criteria: 'counts.purchase >= 5', period: 'month', repeatable: true, rewardPoints: 0 }, { actor: 'bench' });
  await g.createStreak(club, { code: 'buyer', name: { fa: 'خرید روزانه', en: '' }, eventType: 'purchase', unit: 'day' }, { actor: 'bench' });
  await g.createChallenge(club, { code: 'ten', name: { fa: 'ده خرید', en: '' }, eventType: 'purchase', measure: 'count', target: 10, window: { from: '1404/01/15', to: '1404/01/31' }, rewardPoints: 0 }, { actor: 'bench' });

  const rules = services.rules.earn as EarnFn;
  // The festival wrapper's own time = its total minus the inner function's (the rest of a
  // participant's extra cost is the ledger posting the festival-unit entries).
  const own = { inner: 0, outer: 0, events: 0 };
  const ownBy: Record<'single' | 'batch', { inner: number; outer: number; events: number }> = { single: { inner: 0, outer: 0, events: 0 }, batch: { inner: 0, outer: 0, events: 0 } };
  let mode: 'single' | 'batch' = 'single';
  // (Both pass `later` on, as every wrapper must: the writes it takes ride on the ledger's statement.)
  const innerTimed: EarnFn = async (tx, inputs, later) => {
    const t0 = performance.now();
    const r = await rules(tx, inputs, later);
    own.inner += ms(t0);
    ownBy[mode].inner += ms(t0);
    return r;
  };
  const festivalTimed = services.festivals.composeEarn(innerTimed);
  const outerTimed: EarnFn = async (tx, inputs, later) => {
    const t0 = performance.now();
    const r = await festivalTimed(tx, inputs, later);
    own.outer += ms(t0);
    own.events += inputs.length;
    ownBy[mode].outer += ms(t0);
    ownBy[mode].events += inputs.length;
    return r;
  };
  const configs: [string, EarnFn, string[], Club][] = [
    ['base (rules engine only, a club without festivals)', rules, plain, plainClub],
    ['+ festival, members take part', outerTimed, inside, club],
    ['+ festival, members do not take part', services.festivals.composeEarn(rules), outside, club],
    ['+ festival + badges/streak/challenge', g.composeEarn(services.festivals.composeEarn(rules)), gamers, club],
  ];
  let seq = 0;
  const events = (members: string[], n: number): EventInput[] =>
    Array.from({ length: n }, (_, i) => ({ eventId: `e${++seq}`, type: 'purchase', member: { id: members[seq % members.length]! }, amountRials: 250_000 + (i % 9) * 100_000 }));

  const single: Record<string, number[]> = {};
  const batch: Record<string, number[]> = {};
  const cpuSingle: Record<string, number[]> = {};
  const cpuBatch: Record<string, number[]> = {};
  const stBatch: Record<string, number[]> = {};
  const counter = statementCounter();
  const serverCpu = backendCpu(database);
  const srvSingle: Record<string, number[]> = {};
  const srvBatch: Record<string, number[]> = {};
  const singles = Math.max(50, Math.floor(EVENTS / 4));
  // Festival score is applied behind the earn path (festivals/service.ts applyQueued): at the
  // end of each round the queue is drained, timed apart, so its cost is on the table too.
  const applier = { ms: 0, rows: 0, cpuUs: 0, srvUs: 0 };
  const drain = async () => {
    const s0 = await serverCpu.read();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const n = await services.festivals.applyAllQueued();
    if (!n) return;
    applier.ms += ms(t0);
    applier.rows += n;
    const c = process.cpuUsage(c0);
    applier.cpuUs += c.user + c.system;
    applier.srvUs += serverCpu.since(s0, await serverCpu.read()) ?? 0;
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so no configuration always runs first (or after another).
      for (const [name, fn, members, where] of [...configs.slice(round % configs.length), ...configs.slice(0, round % configs.length)]) {
        services.events.setEarn(fn);
        mode = 'single';
        let s0cpu = await serverCpu.read();
        let t0 = performance.now();
        let c0 = process.cpuUsage();
        for (const e of events(members, singles)) {
          const r = await services.events.ingestOne(where, e, null);
          if (!r.ok) throw new Error(r.code);
        }
        (single[name] ??= []).push(ms(t0) / singles);
        let c = process.cpuUsage(c0);
        (cpuSingle[name] ??= []).push((c.user + c.system) / singles);
        let srv = serverCpu.since(s0cpu, await serverCpu.read());
        if (srv !== null) (srvSingle[name] ??= []).push(srv / singles);
        mode = 'batch';
        const batches = Math.max(1, Math.floor(EVENTS / 100));
        s0cpu = await serverCpu.read();
        t0 = performance.now();
        c0 = process.cpuUsage();
        const s0 = counter.n;
        counter.on = true;
        for (let b = 0; b < batches; b++) {
          const r = await services.events.ingestBatch(where, events(members, 100), null);
          if (!r.ok) throw new Error(r.code);
        }
        counter.on = false;
        (batch[name] ??= []).push(ms(t0) / (batches * 100));
        c = process.cpuUsage(c0);
        (cpuBatch[name] ??= []).push((c.user + c.system) / (batches * 100));
        srv = serverCpu.since(s0cpu, await serverCpu.read());
        if (srv !== null) (srvBatch[name] ??= []).push(srv / (batches * 100));
        (stBatch[name] ??= []).push((counter.n - s0) / batches);
      }
      // Once per round, after every configuration ran (the configuration that follows the
      // drain rotates with the order, so none always pays for its after-effects).
      await drain();
    }
  } finally {
    counter.restore();
  }
  services.events.setEarn(g.composeEarn(services.festivals.composeEarn(rules)));
  const base = configs[0]![0];
  const rows = (table: Record<string, number[]>, cpu: Record<string, number[]>, st: Record<string, number[]> | null, srv: Record<string, number[]>): EarnRow[] =>
    configs.map(([name]) => {
      const m = median(table[name]!);
      return {
        name, msPerEvent: r2(m), overPercent: name === base ? null : Math.round(((m / median(table[base]!)) - 1) * 1000) / 10, cpuUsPerEvent: Math.round(median(cpu[name]!)),
        statementsPerBatch: st ? r2(median(st[name]!)) : null, serverCpuUsPerEvent: srv[name]?.length ? Math.round(median(srv[name]!)) : null,
      };
    });
  const result: NonNullable<FestivalFigures['earn']> = {
    events: EVENTS, rounds: ROUNDS, single: rows(single, cpuSingle, null, srvSingle), batch: rows(batch, cpuBatch, stBatch, srvBatch),
    wrapperOwn: { single: { ms: 0, percent: 0 }, batch: { ms: 0, percent: 0 } }, applier: { rows: 0, msPerRow: 0, cpuUsPerRow: 0, serverCpuUsPerRow: 0 },
  };
  for (const [label, list] of [['single events (one transaction each)', result.single], ['batches of 100 events', result.batch]] as const) {
    out(`  ${label}:`);
    for (const r of list) {
      const isFestival = r.name.startsWith('+ festival') && !r.name.includes('badges');
      const over = r.overPercent ?? 0;
      line(`  ${r.name}`, `${fmt(r.msPerEvent)} ms/event${r.overPercent === null ? '' : ` (${over >= 0 ? '+' : ''}${over.toFixed(0)} %)`}`, isFestival ? '≤ +15 %' : undefined, over <= 15);
      const baseRow = list[0]!;
      const srvOver = r.serverCpuUsPerEvent != null && baseRow.serverCpuUsPerEvent && r !== baseRow ? ` (${r.serverCpuUsPerEvent >= baseRow.serverCpuUsPerEvent ? '+' : ''}${(((r.serverCpuUsPerEvent / baseRow.serverCpuUsPerEvent) - 1) * 100).toFixed(0)} %)` : '';
      const inOver = r !== baseRow && baseRow.cpuUsPerEvent ? ` (${r.cpuUsPerEvent >= baseRow.cpuUsPerEvent ? '+' : ''}${(((r.cpuUsPerEvent / baseRow.cpuUsPerEvent) - 1) * 100).toFixed(0)} %)` : '';
      out(`      in-process CPU ${r.cpuUsPerEvent} µs/event${inOver}${r.serverCpuUsPerEvent != null ? `, PostgreSQL backends' CPU ${r.serverCpuUsPerEvent} µs/event${srvOver}` : ''}${r.statementsPerBatch !== null ? `, ${r.statementsPerBatch} statements per batch of 100` : ''}`);
    }
  }
  for (const [m, table] of [['single', single], ['batch', batch]] as const) {
    const o = ownBy[m];
    const ownMs = (o.outer - o.inner) / o.events;
    result.wrapperOwn[m] = { ms: Math.round(ownMs * 1000) / 1000, percent: Math.round((ownMs / median(table[base]!)) * 1000) / 10 };
    line(`festival wrapper's own work, participants, ${m === 'single' ? 'single events' : 'batches'}`, `${fmt(ownMs)} ms/event (${((ownMs / median(table[base]!)) * 100).toFixed(0)} % of base)`);
  }
  const perRow = applier.rows ? applier.ms / applier.rows : 0;
  result.applier = { rows: applier.rows, msPerRow: Math.round(perRow * 1000) / 1000, cpuUsPerRow: applier.rows ? Math.round(applier.cpuUs / applier.rows) : 0, serverCpuUsPerRow: applier.rows ? Math.round(applier.srvUs / applier.rows) : 0 };
  line('festival score applied behind the earn path (queue drained)', `${fmt(perRow)} ms/event`);
  out(`      ${applier.rows} queued rows in batches of up to 2000: in-process CPU ${result.applier.cpuUsPerRow} µs/event, PostgreSQL backends' CPU ${result.applier.serverCpuUsPerRow} µs/event`);
  out('  (the earn path queues a participant\'s festival score; the ledger entries and the standings are written by the applier)');
  return result;
}

/**
 * CPU time of the database's client backends (this run's pool), from /proc/<pid>/schedstat
 * (ns on CPU). Works when PostgreSQL runs on this machine; otherwise `read` gives null. A
 * backend the pool opens between two reads counts from zero.
 */
function backendCpu(database: Database) {
  const read = async (): Promise<Map<number, number> | null> => {
    try {
      const pids = (await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`.execute(database.db)).rows;
      const m = new Map<number, number>();
      for (const { pid } of pids) m.set(pid, Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]));
      return m;
    } catch {
      return null;
    }
  };
  /** µs of backend CPU between two reads. */
  const since = (a: Map<number, number> | null, b: Map<number, number> | null): number | null => {
    if (!a || !b) return null;
    let ns = 0;
    for (const [pid, t] of b) ns += t - (a.get(pid) ?? 0);
    return ns / 1000;
  };
  return { read, since };
}

/** Counts the statements pg sends while `on` is set. */
function statementCounter() {
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const original = proto.query;
  const state = { on: false, n: 0, restore: () => { proto.query = original; } };
  proto.query = function (this: unknown, ...args: unknown[]) {
    if (state.on) state.n++;
    return original.apply(this, args);
  };
  return state;
}

async function main() {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const only = argv.includes('--only') ? (argv[argv.indexOf('--only') + 1] as 'big' | 'earn') : undefined;
  await runFestivals({ participants: arg('--participants', 1_000_000), events: arg('--events', 1000), rounds: arg('--rounds', 24), only });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch(async (e) => {
    console.error(e);
    await dropDatabases().catch(() => undefined);
    process.exitCode = 1;
  });
}
