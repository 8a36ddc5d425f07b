/**
 * Preloaded into the server child with `--import ./bench/sql-trace.ts` (bench flag
 * --trace-sql): wraps the query methods of `pg` and PGlite, so every statement the server
 * sends is counted and timed, without a line changed in src/. On exit it writes a summary
 * (per statement shape: count, total and mean time) to $VAFA_BENCH_SQL_TRACE, a JSON file.
 * Time is measured from call to result: for PGlite that is the engine's own work; for pg it
 * includes the round trip and any wait for locks.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

const out = process.env.VAFA_BENCH_SQL_TRACE;
const stats = new Map<string, { n: number; ms: number; maxMs: number }>();
let inFlightSince = 0;
let busyMs = 0;
let inFlight = 0;

export function shape(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 90);
}

function wrap(proto: { query: (...a: unknown[]) => unknown }) {
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '');
    const t0 = performance.now();
    if (inFlight++ === 0) inFlightSince = t0;
    const r = original.apply(this, args);
    const done = () => {
      const now = performance.now();
      const k = shape(text);
      const s = stats.get(k) ?? { n: 0, ms: 0, maxMs: 0 };
      s.n++;
      s.ms += now - t0;
      s.maxMs = Math.max(s.maxMs, now - t0);
      stats.set(k, s);
      if (--inFlight === 0) busyMs += now - inFlightSince;
    };
    if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(done, done);
    else done();
    return r;
  };
}

if (out) {
  wrap(pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown });
  wrap(PGlite.prototype as unknown as { query: (...a: unknown[]) => unknown });
  const started = performance.now();
  const dump = () => {
    // Fold the interval still open into the total, so cumulative snapshots stay exact.
    if (inFlight > 0) {
      const now = performance.now();
      busyMs += now - inFlightSince;
      inFlightSince = now;
    }
    const rows = [...stats].map(([statement, s]) => ({ statement, count: s.n, totalMs: Math.round(s.ms), meanMs: Math.round((s.ms / s.n) * 1000) / 1000, maxMs: Math.round(s.maxMs) }));
    rows.sort((a, b) => b.totalMs - a.totalMs);
    writeFileSync(out, JSON.stringify({ wallMs: Math.round(performance.now() - started), dbBusyMs: Math.round(busyMs), statements: rows }, null, 2));
  };
  process.on('exit', dump);
  // main.ts exits from its SIGTERM handler; a dump on demand helps long runs.
  process.on('SIGUSR2', dump);
}
