/**
 * The real Vafa server as a child process, started as `npm start` starts it (package.json's
 * "start": the bundle built from src/, see scripts/server-build.mjs), its memory
 * sampled every 100 ms from /proc/<pid>/status, stopped with SIGTERM (graceful shutdown,
 * which also lets --cpu-prof write its profile).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { procMemMb } from './machine.js';
import { build, staleReason } from '../scripts/server-build.mjs';
import { BENCH_SECRET } from './seed.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

const children = new Set<ChildProcess>();

/** Ctrl-C: no server child may outlive the bench. */
export async function stopAllServers(): Promise<void> {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ServerOptions {
  engine: 'postgres' | 'pglite';
  databaseUrl?: string;
  dataDir: string;
  cpuProfDir?: string;
  /** modules preloaded into the server with --import (experiments: bench/patches/*) */
  imports?: string[];
  /** preload bench/sql-trace.ts and keep its summary in this file */
  sqlTraceFile?: string;
  extraEnv?: Record<string, string>;
}

export interface RunningServer {
  pid: number;
  url: string;
  port: number;
  /** spawn → /readyz answers 200 */
  coldStartMs: number;
  /** what the server says about itself ("ready in N ms"), timed from after its imports */
  selfReportedReadyMs: number | null;
  /** VmRSS right after ready, before any load */
  rssAtReadyMb: number | null;
  memory: MemorySampler;
  /** cumulative SQL statement counts and times (with sqlTraceFile), or null */
  sqlSnapshot(): Promise<SqlTrace | null>;
  stderrTail(): string;
  stop(): Promise<number | null>;
}

export interface SqlTrace {
  wallMs: number;
  dbBusyMs: number;
  statements: { statement: string; count: number; totalMs: number; meanMs: number; maxMs: number }[];
}

/** What happened between two cumulative snapshots. */
export function sqlDelta(a: SqlTrace | null, b: SqlTrace | null): SqlTrace | null {
  if (!b) return null;
  const before = new Map((a?.statements ?? []).map((s) => [s.statement, s]));
  const statements = b.statements
    .map((s) => {
      const p = before.get(s.statement);
      const count = s.count - (p?.count ?? 0);
      const totalMs = s.totalMs - (p?.totalMs ?? 0);
      return { statement: s.statement, count, totalMs, meanMs: count ? Math.round((totalMs / count) * 1000) / 1000 : 0, maxMs: s.maxMs };
    })
    .filter((s) => s.count > 0)
    .sort((x, y) => y.totalMs - x.totalMs);
  return { wallMs: b.wallMs - (a?.wallMs ?? 0), dbBusyMs: b.dbBusyMs - (a?.dbBusyMs ?? 0), statements };
}

export class MemorySampler {
  private timer: NodeJS.Timeout;
  private marks = new Map<string, { peakRss: number; samples: number }>();
  private current: string | null = null;
  peakRss = 0;
  lastHwm = 0;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }
  private sample() {
    const m = procMemMb(this.pid);
    if (!m) return;
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.lastHwm = m.hwm;
    if (this.current) {
      const s = this.marks.get(this.current)!;
      s.peakRss = Math.max(s.peakRss, m.rss);
      s.samples++;
    }
  }
  /** Starts attributing samples to a scenario. */
  begin(name: string) {
    this.sample();
    this.current = name;
    if (!this.marks.has(name)) this.marks.set(name, { peakRss: 0, samples: 0 });
  }
  end(): { peakRssMb: number; samples: number } {
    this.sample();
    const s = this.current ? this.marks.get(this.current) : undefined;
    this.current = null;
    return { peakRssMb: Math.round((s?.peakRss ?? 0) * 10) / 10, samples: s?.samples ?? 0 };
  }
  stop() {
    this.sample();
    clearInterval(this.timer);
  }
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const port = await freePort();
  // Build now if src/ changed, so the timed start is a start, not a build.
  if (staleReason('main')) await build(['main']);
  const args: string[] = [];
  // Preloads are TypeScript: they need tsx's loader. Patches reach into src/ modules, so
  // with them the server runs src/ through tsx too (the bundle holds its own copies).
  if (o.sqlTraceFile || o.imports?.length) args.push('--import', 'tsx');
  if (o.cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`);
  if (o.sqlTraceFile) args.push('--import', pathToFileURL(path.join(ROOT, 'bench/sql-trace.ts')).href);
  for (const m of o.imports ?? []) args.push('--import', pathToFileURL(path.resolve(ROOT, m)).href);
  args.push(...npmStartArgs());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    VAFA_DEMO: '0',
    LOG_LEVEL: 'warn',
    VAFA_DATA_DIR: o.dataDir,
    VAFA_SECRET: BENCH_SECRET,
    NODE_ENV: 'production',
    ...(o.sqlTraceFile ? { VAFA_BENCH_SQL_TRACE: o.sqlTraceFile } : {}),
    ...(o.imports?.length ? { VAFA_FROM_SOURCE: '1' } : {}),
    ...(o.extraEnv ?? {}),
  };
  if (o.engine === 'postgres') env.DATABASE_URL = o.databaseUrl;
  else delete env.DATABASE_URL;
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.length > 20_000) stdout = stdout.slice(-10_000);
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exited = code))));
  const url = `http://127.0.0.1:${port}`;
  // Ready when /readyz answers 200 (migrations applied, database reachable).
  for (;;) {
    if (exited !== undefined) throw new Error(`vafa exited with ${exited} before ready:\n${stderr.slice(-3000)}\n${stdout.slice(-2000)}`);
    if (performance.now() - t0 > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`vafa not ready after 60 s:\n${stderr.slice(-3000)}`);
    }
    if ((await probe(`${url}/readyz`)) === 200) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const coldStartMs = Math.round(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 50));
  const self = /ready in (\d+) ms/.exec(stdout);
  const memory = new MemorySampler(child.pid!);
  return {
    pid: child.pid!,
    url,
    port,
    coldStartMs,
    selfReportedReadyMs: self ? Number(self[1]) : null,
    rssAtReadyMb: (() => {
      const m = procMemMb(child.pid!);
      return m ? Math.round(m.rss * 10) / 10 : null;
    })(),
    memory,
    stderrTail: () => stderr.slice(-3000),
    async sqlSnapshot() {
      if (!o.sqlTraceFile || exited !== undefined) return null;
      const before = (() => {
        try {
          return readFileSync(o.sqlTraceFile!, 'utf8');
        } catch {
          return '';
        }
      })();
      child.kill('SIGUSR2');
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 20));
        try {
          const now = readFileSync(o.sqlTraceFile!, 'utf8');
          if (now && now !== before) return JSON.parse(now) as SqlTrace;
        } catch {
          /* being written */
        }
      }
      return null;
    },
    async stop() {
      memory.stop();
      if (exited !== undefined) return exited;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exit;
      clearTimeout(t);
      return code;
    },
  };
}

/** package.json's "start" script ("node <args>") as node arguments: what `npm start` runs. */
export function npmStartArgs(): string[] {
  const start: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const [cmd, ...rest] = start.trim().split(/\s+/);
  if (cmd !== 'node') throw new Error(`bench/server.ts expects "start": "node …" in package.json, found "${start}"`);
  return rest.map((a) => (a.startsWith('-') ? a : path.resolve(ROOT, a)));
}

function probe(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
  });
}
