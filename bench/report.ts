/**
 * Presentation: the console table, the targets (PASS/FAIL, never an exit code) and the SVG
 * chart of achieved throughput and p99 latency against offered load.
 */
import type { LoadResult } from './load.js';
import type { BaselineResult } from './baseline.js';
import type { CpuUse } from './machine.js';

export interface ScenarioResult {
  engine: 'postgres' | 'pglite';
  scenario: 'warmup' | 'single' | 'closed' | 'batch' | 'hot';
  name: string;
  load: LoadResult;
  peakRssMb: number;
  cpu: CpuUse;
  /** CPU ms spent per event answered, by process */
  cpuMsPerEvent: { server: number | null; postgres: number | null; generator: number };
  /**
   * events/s this machine could reach if nothing else ran on it and the work stayed
   * CPU-bound: cores ÷ (CPU per event of server + PostgreSQL + load generator); for PGlite
   * also at most one core for the (single-threaded) server. A projection for a shared,
   * noisy box; it ignores disk flushes and lock waits.
   */
  cpuCeilingPerSec: number | null;
  walBytesPerEvent: number | null;
  dbBytesPerEvent: number | null;
  commitsPerEvent: number | null;
  outboxBacklog: number | null;
  /** with --trace-sql: the statements the server sent during the scenario */
  sql?: { statementsPerEvent: number; dbBusyShare: number; top: { statement: string; perEvent: number; meanMs: number; totalMs: number }[] } | null;
}

export interface EngineRun {
  engine: 'postgres' | 'pglite';
  version: string;
  setupMs: number;
  members: number;
  coldStartMs: number;
  coldStartExistingMs: number | null;
  selfReportedReadyMs: number | null;
  rssAtReadyMb: number | null;
  scenarios: ScenarioResult[];
  vmHwmMb: number;
  serverExit: number | null;
  sustainable: { ratePerSec: number | null; rule: string };
}

export interface Target {
  id: string;
  issue: 2 | 3 | 5 | 6;
  what: string;
  goal: string;
  measured: string;
  pass: boolean | null;
}

const pad = (s: unknown, n: number) => String(s).padStart(n);
const padr = (s: unknown, n: number) => String(s).padEnd(n);
const fmt = (x: number | null | undefined, d = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));

export function scenarioTable(rows: ScenarioResult[]): string {
  const head = `${padr('engine', 9)}${padr('scenario', 26)}${pad('offered/s', 10)}${pad('events/s', 10)}${pad('p50', 8)}${pad('p95', 8)}${pad('p99', 8)}${pad('max', 9)}${pad('late', 7)}${pad('drop', 7)}${pad('err', 6)}${pad('RSS MB', 8)}${pad('srv cpu', 8)}${pad('pg cpu', 8)}${pad('gen', 6)}${pad('other', 6)}${pad('µs/ev s', 9)}${pad('µs/ev pg', 9)}${pad('ceiling', 9)}`;
  const lines = [head, '-'.repeat(head.length)];
  for (const r of rows) {
    const l = r.load;
    lines.push(
      `${padr(r.engine, 9)}${padr(r.name, 26)}${pad(l.offeredPerSec === null ? 'closed' : fmt(l.offeredPerSec), 10)}${pad(fmt(l.eventsPerSec), 10)}` +
        `${pad(fmt(l.latencyMs.p50, 1), 8)}${pad(fmt(l.latencyMs.p95, 1), 8)}${pad(fmt(l.latencyMs.p99, 1), 8)}${pad(fmt(l.latencyMs.max, 0), 9)}` +
        `${pad(l.late, 7)}${pad(l.dropped + l.timeouts, 7)}${pad(l.errors, 6)}${pad(fmt(r.peakRssMb), 8)}` +
        `${pad(fmt(r.cpu.serverCores, 2), 8)}${pad(fmt(r.cpu.postgresCores, 2), 8)}${pad(fmt(r.cpu.generatorCores, 2), 6)}${pad(fmt(r.cpu.otherCores, 2), 6)}` +
        `${pad(fmt(r.cpuMsPerEvent.server === null ? null : r.cpuMsPerEvent.server * 1000), 9)}${pad(fmt(r.cpuMsPerEvent.postgres === null ? null : r.cpuMsPerEvent.postgres * 1000), 9)}${pad(fmt(r.cpuCeilingPerSec), 9)}`,
    );
  }
  lines.push('latencies in ms (open loop: from the scheduled send time); cpu in cores busy (2 = both cores); µs/ev = CPU µs per event, server process / all postgres processes;\nceiling = events/s the 2 cores would allow for that CPU per event if nothing else ran (a projection for a shared machine; ignores flushes and locks)');
  return lines.join('\n');
}

export function baselineTable(rows: BaselineResult[]): string {
  const head = `${padr('baseline', 12)}${pad('conns', 6)}${pad('events/tx', 10)}${pad('RT/event', 9)}${pad('events/s', 10)}${pad('mean ms', 9)}${pad('p99 ms', 8)}${pad('errors', 7)}${pad('µs/ev cl', 9)}${pad('µs/ev pg', 9)}${pad('ceiling', 9)}${pad('other', 7)}`;
  const lines = [head, '-'.repeat(head.length)];
  for (const r of rows)
    lines.push(`${padr(r.form, 12)}${pad(r.connections, 6)}${pad(r.eventsPerEnvelope, 10)}${pad(fmt(r.roundTripsPerEvent, r.roundTripsPerEvent < 1 ? 3 : 0), 9)}${pad(fmt(r.eventsPerSec), 10)}${pad(fmt(r.latencyMs?.mean, 2), 9)}${pad(fmt(r.latencyMs?.p99, 1), 8)}${pad(r.errors, 7)}${pad(fmt(r.cpuMsPerEvent ? r.cpuMsPerEvent.client * 1000 : null), 9)}${pad(fmt(r.cpuMsPerEvent?.postgres == null ? null : r.cpuMsPerEvent.postgres * 1000), 9)}${pad(fmt(r.cpuCeilingPerSec ?? null), 9)}${pad(fmt(r.otherCores ?? null, 2), 7)}`);
  return lines.join('\n');
}

export function targetsTable(ts: Target[]): string {
  const lines: string[] = [];
  for (const t of ts) {
    const mark = t.pass === null ? ' n/a ' : t.pass ? ' PASS' : ' FAIL';
    lines.push(`${mark}  [issue ${t.issue}] ${padr(t.what, 52)} goal ${padr(t.goal, 12)} measured ${t.measured}`);
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------------------ chart

interface Series {
  engine: string;
  color: string;
  points: { offered: number; achieved: number; p99: number }[];
  closedMax: number | null;
  baseline: number | null;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function chartSvg(series: Series[], meta: { title: string; subtitle: string; p99Goal: number }): string {
  const W = 1010, H = 430, top = 70, bottom = 60, panelW = 400, gap = 110, left = 70;
  const ph = H - top - bottom;
  const maxOffered = Math.max(100, ...series.flatMap((s) => s.points.map((p) => p.offered)));
  const maxY = Math.max(100, ...series.flatMap((s) => [...s.points.map((p) => Math.max(p.achieved, p.offered)), s.closedMax ?? 0, s.baseline ?? 0]));
  const niceMax = (v: number) => {
    const e = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * e >= v) return m * e;
    return 10 * e;
  };
  const xMax = niceMax(maxOffered * 1.05);
  const yMax = niceMax(maxY * 1.05);
  const x1 = (v: number) => left + (v / xMax) * panelW;
  const y1 = (v: number) => top + ph - (v / yMax) * ph;
  const l2 = left + panelW + gap;
  const x2 = (v: number) => l2 + (v / xMax) * panelW;
  const latMin = 1, latMax = 10_000;
  const y2 = (ms: number) => top + ph - ((Math.log10(Math.min(latMax, Math.max(latMin, ms))) - Math.log10(latMin)) / (Math.log10(latMax) - Math.log10(latMin))) * ph;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  o.push(`<text x="${left}" y="24" font-size="16" font-weight="600">${esc(meta.title)}</text>`);
  o.push(`<text x="${left}" y="44" fill="#555">${esc(meta.subtitle)}</text>`);
  const ticks = (max: number) => Array.from({ length: 6 }, (_, i) => (max * i) / 5);
  // Panel 1: achieved vs offered.
  for (const t of ticks(xMax)) {
    o.push(`<line x1="${x1(t)}" y1="${top}" x2="${x1(t)}" y2="${top + ph}" stroke="#eee"/><text x="${x1(t)}" y="${top + ph + 16}" text-anchor="middle" fill="#444">${t.toLocaleString('en-US')}</text>`);
    o.push(`<line x1="${x2(t)}" y1="${top}" x2="${x2(t)}" y2="${top + ph}" stroke="#eee"/><text x="${x2(t)}" y="${top + ph + 16}" text-anchor="middle" fill="#444">${t.toLocaleString('en-US')}</text>`);
  }
  for (const t of ticks(yMax)) o.push(`<line x1="${left}" y1="${y1(t)}" x2="${left + panelW}" y2="${y1(t)}" stroke="#eee"/><text x="${left - 6}" y="${y1(t) + 4}" text-anchor="end" fill="#444">${t.toLocaleString('en-US')}</text>`);
  for (const t of [1, 10, 100, 1000, 10000]) o.push(`<line x1="${l2}" y1="${y2(t)}" x2="${l2 + panelW}" y2="${y2(t)}" stroke="#eee"/><text x="${l2 - 6}" y="${y2(t) + 4}" text-anchor="end" fill="#444">${t.toLocaleString('en-US')}</text>`);
  o.push(`<rect x="${left}" y="${top}" width="${panelW}" height="${ph}" fill="none" stroke="#999"/>`);
  o.push(`<rect x="${l2}" y="${top}" width="${panelW}" height="${ph}" fill="none" stroke="#999"/>`);
  o.push(`<line x1="${x1(0)}" y1="${y1(0)}" x2="${x1(Math.min(xMax, yMax))}" y2="${y1(Math.min(xMax, yMax))}" stroke="#bbb" stroke-dasharray="4 4"/>`);
  o.push(`<text x="${left + panelW / 2}" y="${H - 18}" text-anchor="middle">offered load (events/s)</text>`);
  o.push(`<text x="${l2 + panelW / 2}" y="${H - 18}" text-anchor="middle">offered load (events/s)</text>`);
  o.push(`<text transform="translate(18 ${top + ph / 2}) rotate(-90)" text-anchor="middle">achieved (events/s)</text>`);
  o.push(`<text transform="translate(${l2 - 52} ${top + ph / 2}) rotate(-90)" text-anchor="middle">p99 latency (ms, log)</text>`);
  o.push(`<line x1="${l2}" y1="${y2(meta.p99Goal)}" x2="${l2 + panelW}" y2="${y2(meta.p99Goal)}" stroke="#c00" stroke-dasharray="6 3"/><text x="${l2 + panelW - 4}" y="${y2(meta.p99Goal) - 4}" text-anchor="end" fill="#c00">p99 goal ${meta.p99Goal} ms</text>`);
  let legendY = top + 14;
  for (const s of series) {
    const pts = [...s.points].sort((a, b) => a.offered - b.offered);
    if (pts.length) {
      o.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${x1(p.offered).toFixed(1)},${y1(p.achieved).toFixed(1)}`).join(' ')}"/>`);
      for (const p of pts) o.push(`<circle cx="${x1(p.offered).toFixed(1)}" cy="${y1(p.achieved).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
      o.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${x2(p.offered).toFixed(1)},${y2(p.p99).toFixed(1)}`).join(' ')}"/>`);
      for (const p of pts) o.push(`<circle cx="${x2(p.offered).toFixed(1)}" cy="${y2(p.p99).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    }
    if (s.closedMax) o.push(`<line x1="${left}" y1="${y1(s.closedMax)}" x2="${left + panelW}" y2="${y1(s.closedMax)}" stroke="${s.color}" stroke-dasharray="2 3"/><text x="${left + 4}" y="${y1(s.closedMax) - 4}" fill="${s.color}">${esc(s.engine)} closed-loop max ${Math.round(s.closedMax).toLocaleString('en-US')}/s</text>`);
    if (s.baseline) o.push(`<line x1="${left}" y1="${y1(s.baseline)}" x2="${left + panelW}" y2="${y1(s.baseline)}" stroke="#777" stroke-dasharray="8 3"/><text x="${left + panelW - 4}" y="${y1(s.baseline) + 14}" text-anchor="end" fill="#555">raw-SQL baseline (tx form) ${Math.round(s.baseline).toLocaleString('en-US')}/s</text>`);
    o.push(`<rect x="${left + 10}" y="${legendY - 4}" width="10" height="10" fill="${s.color}"/><text x="${left + 26}" y="${legendY + 5}">${esc(s.engine)}</text>`);
    legendY += 16;
  }
  o.push(`<text x="${left}" y="${top - 8}" font-weight="600">Throughput</text><text x="${l2}" y="${top - 8}" font-weight="600">Tail latency (from scheduled send time)</text>`);
  o.push('</svg>');
  return o.join('\n');
}
