/**
 * Where one event's time goes, below HTTP: the real EventService, in this process, on the
 * PostgreSQL bench database, with every statement the driver sends counted and timed
 * (pg.Client.prototype.query wrapped — nothing in src/ changes). Sequential, one event at a
 * time: the round trips per event, and what each one costs, COMMIT (the WAL flush) included.
 */
import pg from 'pg';
import pino from 'pino';
import { buildServices } from '../src/app.js';
import { openPostgres } from '../src/platform/db.js';
import { makeSecrets } from '../src/platform/crypto.js';
import { systemClock } from '../src/platform/clock.js';
import { LogSmsChannel } from '../src/platform/sms.js';
import { hashJson } from '../src/platform/crypto.js';
import type { EventInput } from '../src/modules/events/index.js';
import { BENCH_SECRET } from './seed.js';
import { mulberry32 } from './load.js';

export interface StatementCost {
  statement: string;
  perEvent: number;
  meanMs: number;
  shareOfTime: number;
}

export interface RoundTrips {
  single: { events: number; statementsPerEvent: number; meanMsPerEvent: number; statements: StatementCost[] };
  /** 32 concurrent single events in-process: what group commit (when present) makes of them */
  concurrent: { connections: number; events: number; statementsPerEvent: number; eventsPerSec: number; eventsPerTransaction: number | null; statements: StatementCost[] };
  batch: { events: number; statementsPerCall: number; statementsPerEvent: number; msPerCall: number; eventsPerSec: number; statements: StatementCost[] };
}

function label(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  const m = /^(begin|commit|rollback)\b/i.exec(t);
  if (m) return m[1]!.toUpperCase();
  const ins = /^insert into "?(\w+)"?/i.exec(t);
  if (ins) return `insert ${ins[1]}${/on conflict .* do update/i.test(t) ? ' (upsert)' : /on conflict/i.test(t) ? ' (on conflict do nothing)' : ''}`;
  const upd = /^update "?(\w+)"?/i.exec(t);
  if (upd) return `update ${upd[1]}`;
  const sel = /^select .*? from "?(\w+)"?/i.exec(t);
  if (sel) return `select ${sel[1]}`;
  return t.slice(0, 50);
}

export async function measureRoundTrips(url: string, clubId: string, memberIds: string[], o: { singles: number; batches: number; concurrentMs: number; run: string }): Promise<RoundTrips> {
  const database = await openPostgres(url, { max: 4 });
  const logger = pino({ level: 'silent' });
  const services = buildServices({ database, secrets: makeSecrets(BENCH_SECRET), clock: systemClock, logger, sms: new LogSmsChannel(logger) });
  const club = (await services.clubs.get(clubId))!;
  const rnd = mulberry32(42);
  let seq = 0;
  const event = (): EventInput => ({
    eventId: `${o.run}-${seq++}`,
    type: 'purchase',
    member: { id: memberIds[Math.floor(rnd() * memberIds.length)]! },
    amountRials: 10_000 * (5 + Math.floor(rnd() * 500)),
    channel: 'pos',
  });

  const log: { label: string; ms: number }[] = [];
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const original = proto.query;
  let recording = false;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text ?? '';
    const r = original.apply(this, args);
    if (recording && r && typeof (r as Promise<unknown>).then === 'function') {
      const t0 = performance.now();
      const l = label(text);
      return (r as Promise<unknown>).then((v) => {
        log.push({ label: l, ms: performance.now() - t0 });
        return v;
      });
    }
    return r;
  };
  const summarize = (events: number, total: number): StatementCost[] => {
    const by = new Map<string, { n: number; ms: number }>();
    for (const e of log) {
      const s = by.get(e.label) ?? { n: 0, ms: 0 };
      s.n++;
      s.ms += e.ms;
      by.set(e.label, s);
    }
    return [...by].map(([statement, s]) => ({ statement, perEvent: Math.round((s.n / events) * 1000) / 1000, meanMs: Math.round((s.ms / s.n) * 1000) / 1000, shareOfTime: Math.round((s.ms / total) * 1000) / 1000 }));
  };
  try {
    // Warm up: JIT, the club cache, the pool's connections.
    for (let i = 0; i < 50; i++) {
      const e = event();
      await services.events.ingestOne(club, e, { key: e.eventId, requestHash: hashJson(e) });
    }
    recording = true;
    log.length = 0;
    let t0 = performance.now();
    for (let i = 0; i < o.singles; i++) {
      const e = event();
      const r = await services.events.ingestOne(club, e, { key: e.eventId, requestHash: hashJson(e) });
      if (!r.ok) throw new Error(`ingestOne: ${r.code}`);
    }
    const singleMs = performance.now() - t0;
    const single = { events: o.singles, statementsPerEvent: log.length / o.singles, meanMsPerEvent: Math.round((singleMs / o.singles) * 1000) / 1000, statements: summarize(o.singles, log.reduce((s, e) => s + e.ms, 0)) };

    log.length = 0;
    const gc = () => (services.events as unknown as { groupCommitStats?: { batches: number; events: number } | null }).groupCommitStats ?? null;
    const g0 = gc() ? { ...gc()! } : null;
    t0 = performance.now();
    let done = 0;
    const C = 32;
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (performance.now() - t0 < o.concurrentMs) {
          const e = event();
          const r = await services.events.ingestOne(club, e, { key: e.eventId, requestHash: hashJson(e) });
          if (!r.ok) throw new Error(`ingestOne: ${r.code}`);
          done++;
        }
      }),
    );
    const concMs = performance.now() - t0;
    const g1 = gc();
    const commits = log.filter((l) => l.label === 'COMMIT').length;
    const concurrent = {
      connections: C,
      events: done,
      statementsPerEvent: Math.round((log.length / done) * 1000) / 1000,
      eventsPerSec: Math.round((done / concMs) * 1000),
      eventsPerTransaction: g0 && g1 ? Math.round(((g1.events - g0.events) / Math.max(1, g1.batches - g0.batches)) * 10) / 10 : commits ? Math.round((done / commits) * 10) / 10 : null,
      statements: summarize(done, log.reduce((s, e) => s + e.ms, 0)),
    };

    log.length = 0;
    t0 = performance.now();
    for (let b = 0; b < o.batches; b++) {
      const es = Array.from({ length: 1000 }, event);
      const r = await services.events.ingestBatch(club, es, { key: `${o.run}-batch-${b}`, requestHash: hashJson(es) });
      if (!r.ok) throw new Error(`ingestBatch: ${r.code}`);
    }
    const batchMs = performance.now() - t0;
    const n = o.batches * 1000;
    const batch = {
      events: n,
      statementsPerCall: log.length / o.batches,
      statementsPerEvent: Math.round((log.length / n) * 10000) / 10000,
      msPerCall: Math.round(batchMs / o.batches),
      eventsPerSec: Math.round((n / batchMs) * 1000),
      statements: summarize(n, log.reduce((s, e) => s + e.ms, 0)),
    };
    return { single, concurrent, batch };
  } finally {
    recording = false;
    proto.query = original;
    await database.close();
  }
}
