/**
 * Load generators over node:http with a keep-alive Agent.
 *
 * Open loop (`openLoop`): requests are due at fixed times (start + i / rate) whatever the
 * server does, and each latency is measured from its *scheduled* send time, not from when
 * it was actually written. A server that stalls therefore shows the full queueing delay it
 * caused (no coordinated omission). A request that could not even be sent because too many
 * were outstanding is counted as dropped; one sent more than `lateMs` after its due time
 * (generator or connection pool behind) is counted as late; non-2xx and socket errors are
 * errors. Requests still unanswered at the end of the grace period count as timeouts and
 * enter the percentiles with their (lower-bound) age.
 *
 * Closed loop (`closedLoop`): C connections, each sending its next request as soon as the
 * previous one answered: the server's maximum throughput at that concurrency. Latency is
 * service time (closed loops cannot see queueing delay; that is what the open loop is for).
 */
import http from 'node:http';

export interface Target {
  host: string;
  port: number;
  apiKey: string;
}

export interface Request {
  path: string;
  body: string;
  idempotencyKey: string;
  /** events carried by this request (1 for /events, up to 1000 for /events/batch) */
  events: number;
}

export interface Outcome {
  status: number; // 0 = socket error
  /** performance.now() when the request got its socket */
  socketAt: number;
  doneAt: number;
  body?: string;
}

export function makeAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo', keepAliveMsecs: 10_000 });
}

export function send(agent: http.Agent, t: Target, r: Request, keepBody: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    let socketAt = 0;
    const req = http.request(
      {
        host: t.host,
        port: t.port,
        path: r.path,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(r.body),
          authorization: `Bearer ${t.apiKey}`,
          'idempotency-key': r.idempotencyKey,
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        if (keepBody || !ok) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            if (body.length < 4000) body += d;
          });
          res.on('end', () => resolve({ status, socketAt, doneAt: performance.now(), body }));
        } else {
          res.on('end', () => resolve({ status, socketAt, doneAt: performance.now() }));
          res.resume();
        }
      },
    );
    req.on('socket', () => {
      socketAt = performance.now();
    });
    req.on('error', (e) => resolve({ status: 0, socketAt, doneAt: performance.now(), body: String(e.message) }));
    req.end(r.body);
  });
}

// ------------------------------------------------------------------------------ statistics

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export function summarise(latencies: number[]): LatencySummary {
  const a = Float64Array.from(latencies).sort();
  const n = a.length;
  const q = (p: number) => (n ? a[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]! : NaN);
  let sum = 0;
  for (const x of a) sum += x;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { count: n, p50: r(q(0.5)), p90: r(q(0.9)), p95: r(q(0.95)), p99: r(q(0.99)), p999: r(q(0.999)), max: r(n ? a[n - 1]! : NaN), mean: r(n ? sum / n : NaN) };
}

export interface LoadResult {
  mode: 'open' | 'closed';
  offeredPerSec: number | null;
  connections: number;
  durationMs: number;
  /** wall time from the first (scheduled) send to the last answer */
  elapsedMs: number;
  requests: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  statusCounts: Record<string, number>;
  late: number;
  dropped: number;
  timeouts: number;
  eventsOk: number;
  /** events answered 2xx per second of elapsed time */
  eventsPerSec: number;
  requestsPerSec: number;
  latencyMs: LatencySummary;
  /** time a request waited for a free connection (open loop) */
  queueWaitMs?: LatencySummary;
  /**
   * Open loop: the longest time during which requests were in flight and none was answered.
   * At a steady rate answers come every few ms; a pause of 100+ ms is a stall (session 8:
   * one slow disk flush holds every durable commit behind it) and alone can decide the p99.
   */
  longestPauseMs?: number;
}

function tally(status: number, counts: Record<string, number>) {
  const k = String(status);
  counts[k] = (counts[k] ?? 0) + 1;
}

export interface OpenLoopOptions {
  target: Target;
  rate: number; // requests per second
  durationMs: number;
  connections: number;
  make: (i: number) => Request;
  maxInFlight?: number;
  lateMs?: number;
  graceMs?: number;
}

export async function openLoop(o: OpenLoopOptions): Promise<LoadResult> {
  const agent = makeAgent(o.connections);
  const maxInFlight = o.maxInFlight ?? 4000;
  const lateMs = o.lateMs ?? 10;
  const graceMs = o.graceMs ?? 5000;
  const total = Math.max(1, Math.round((o.rate * o.durationMs) / 1000));
  const interval = 1000 / o.rate;
  const lat: number[] = [];
  const wait: number[] = [];
  const counts: Record<string, number> = {};
  const errorSamples: string[] = [];
  let ok = 0, errors = 0, late = 0, dropped = 0, eventsOk = 0, inFlight = 0, lastDone = 0, sent = 0;
  let busySince = 0, longestPause = 0;
  const pending = new Set<number>();
  const start = performance.now() + 20;
  let i = 0;
  await new Promise<void>((finish) => {
    const tick = () => {
      const now = performance.now();
      while (i < total) {
        const due = start + i * interval;
        if (due > now) break;
        const idx = i++;
        if (inFlight >= maxInFlight) {
          dropped++;
          continue;
        }
        const req = o.make(idx);
        if (inFlight === 0) busySince = performance.now();
        inFlight++;
        sent++;
        pending.add(due);
        void send(agent, o.target, req, false).then((r) => {
          inFlight--;
          pending.delete(due);
          longestPause = Math.max(longestPause, r.doneAt - Math.max(lastDone, busySince));
          lastDone = r.doneAt;
          lat.push(r.doneAt - due);
          const w = (r.socketAt || r.doneAt) - due;
          wait.push(w);
          if (w > lateMs) late++;
          tally(r.status, counts);
          if (r.status >= 200 && r.status < 300) {
            ok++;
            eventsOk += req.events;
          } else {
            errors++;
            if (errorSamples.length < 5) errorSamples.push(`${r.status} ${r.body?.slice(0, 300) ?? ''}`);
          }
        });
      }
      if (i < total) {
        const next = start + i * interval - performance.now();
        setTimeout(tick, Math.max(0, Math.min(next, 5)));
      } else finish();
    };
    setTimeout(tick, 20);
  });
  // Drain what is in flight, up to the grace period.
  const endSchedule = start + (total - 1) * interval;
  while (inFlight > 0 && performance.now() - endSchedule < graceMs) await new Promise((r) => setTimeout(r, 5));
  const cut = performance.now();
  const timeouts = inFlight;
  for (const due of pending) lat.push(cut - due);
  agent.destroy();
  const elapsed = Math.max(lastDone, timeouts ? cut : 0) - start;
  return {
    mode: 'open',
    offeredPerSec: o.rate,
    connections: o.connections,
    durationMs: o.durationMs,
    elapsedMs: Math.round(elapsed),
    requests: sent,
    ok,
    errors,
    errorSamples,
    statusCounts: counts,
    late,
    dropped,
    timeouts,
    eventsOk,
    eventsPerSec: Math.round((eventsOk / elapsed) * 1000),
    requestsPerSec: Math.round((ok / elapsed) * 1000),
    latencyMs: summarise(lat),
    queueWaitMs: summarise(wait),
    longestPauseMs: Math.round(longestPause),
  };
}

export interface ClosedLoopOptions {
  target: Target;
  connections: number;
  durationMs: number;
  make: (i: number) => Request;
}

export async function closedLoop(o: ClosedLoopOptions): Promise<LoadResult> {
  const agent = makeAgent(o.connections);
  const lat: number[] = [];
  const counts: Record<string, number> = {};
  const errorSamples: string[] = [];
  let ok = 0, errors = 0, eventsOk = 0, n = 0;
  const start = performance.now();
  const end = start + o.durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const req = o.make(n++);
      const t = performance.now();
      const r = await send(agent, o.target, req, false);
      lat.push(r.doneAt - t);
      tally(r.status, counts);
      if (r.status >= 200 && r.status < 300) {
        ok++;
        eventsOk += req.events;
      } else {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(`${r.status} ${r.body?.slice(0, 300) ?? ''}`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.connections }, worker));
  const elapsed = performance.now() - start;
  agent.destroy();
  return {
    mode: 'closed',
    offeredPerSec: null,
    connections: o.connections,
    durationMs: o.durationMs,
    elapsedMs: Math.round(elapsed),
    requests: n,
    ok,
    errors,
    errorSamples,
    statusCounts: counts,
    late: 0,
    dropped: 0,
    timeouts: 0,
    eventsOk,
    eventsPerSec: Math.round((eventsOk / elapsed) * 1000),
    requestsPerSec: Math.round((ok / elapsed) * 1000),
    latencyMs: summarise(lat),
  };
}

/**
 * After an overloaded step the server may still be working through what it accepted:
 * send one request at a time until two in a row answer within `okMs`, so the next step
 * starts from an idle server. Returns the time it took.
 */
export async function drain(target: Target, make: (i: number) => Request, okMs = 100, maxMs = 60_000): Promise<number> {
  const agent = makeAgent(1);
  const t0 = performance.now();
  let good = 0;
  for (let i = 0; good < 2 && performance.now() - t0 < maxMs; i++) {
    const a = performance.now();
    const r = await send(agent, target, make(i), false);
    good = r.status >= 200 && r.status < 300 && r.doneAt - a < okMs ? good + 1 : 0;
  }
  agent.destroy();
  return Math.round(performance.now() - t0);
}

// ------------------------------------------------------------------------------ payloads

/** Purchase events with unique ids, spread over the members (or all on one). */
export function purchases(run: string, memberIds: string[], opts: { batch?: number; hotMember?: string } = {}) {
  let seq = 0;
  const rnd = mulberry32(0x7afa);
  const one = () => {
    const id = `${run}-${seq++}`;
    const member = opts.hotMember ?? memberIds[Math.floor(rnd() * memberIds.length)]!;
    const amount = 10_000 * (5 + Math.floor(rnd() * 500)); // 50,000 … 5,050,000 rials → 5 … 505 points
    return { id, json: `{"eventId":"${id}","type":"purchase","member":{"id":"${member}"},"amountRials":${amount},"channel":"pos","store":"S-${1 + Math.floor(rnd() * 40)}"}` };
  };
  return (_i: number): Request => {
    if (!opts.batch) {
      const e = one();
      return { path: '/api/v1/events', body: e.json, idempotencyKey: e.id, events: 1 };
    }
    const parts: string[] = [];
    for (let k = 0; k < opts.batch; k++) parts.push(one().json);
    return { path: '/api/v1/events/batch', body: `{"events":[${parts.join(',')}]}`, idempotencyKey: `${run}-b${seq}`, events: opts.batch };
  };
}

export function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
