/**
 * What the bench knows about the machine: cores, memory, CPU time per process (from /proc),
 * so each scenario can say where its CPU went (server, PostgreSQL, load generator, other).
 * Linux only; elsewhere the CPU figures are null.
 */
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import os from 'node:os';

const TICK_MS = 10; // USER_HZ is 100 on every Linux we run on (getconf CLK_TCK)

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** utime + stime of one process, in ms; null when it is gone. */
export function procCpuMs(pid: number): number | null {
  const s = read(`/proc/${pid}/stat`);
  if (!s) return null;
  // comm may hold spaces: fields after the last ')'.
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS; // fields 14 and 15 (1-based) of the full line
}

/**
 * CPU ms of every process named `postgres` (postmaster, backends, walwriter…), by pid.
 * Kept per pid because backends come and go (pool idle timeouts): a difference of sums
 * would lose a closed backend's whole history; a per-pid difference loses only its last
 * moments.
 */
export function postgresCpuByPid(): Map<number, number> | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const out = new Map<number, number>();
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const s = read(`/proc/${e}/stat`);
    if (!s) continue;
    const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    if (comm !== 'postgres') continue;
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    out.set(Number(e), (Number(f[11]) + Number(f[12])) * TICK_MS);
  }
  return out.size ? out : null;
}

/** Whole-machine busy and total CPU ms (all cores) from /proc/stat. */
export function machineCpuMs(): { busy: number; total: number } | null {
  const s = read('/proc/stat');
  if (!s) return null;
  const f = s.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy * TICK_MS, total: (busy + idle + iowait) * TICK_MS };
}

/** VmRSS and VmHWM of a process, in MB. */
export function procMemMb(pid: number): { rss: number; hwm: number } | null {
  const s = read(`/proc/${pid}/status`);
  if (!s) return null;
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

export interface CpuSnapshot {
  at: number;
  server: number | null;
  postgres: Map<number, number> | null;
  self: number;
  machine: { busy: number; total: number } | null;
}

export function cpuSnapshot(serverPid: number | null, withPostgres: boolean): CpuSnapshot {
  const u = process.cpuUsage();
  return {
    at: performance.now(),
    server: serverPid ? procCpuMs(serverPid) : null,
    postgres: withPostgres ? postgresCpuByPid() : null,
    self: (u.user + u.system) / 1000,
    machine: machineCpuMs(),
  };
}

/** CPU use between two snapshots, as "cores busy" (1.0 = one core fully used). */
export interface CpuUse {
  wallMs: number;
  serverCores: number | null;
  postgresCores: number | null;
  generatorCores: number;
  machineCores: number | null;
  otherCores: number | null;
  cores: number;
}

/**
 * `onlyPids`: count PostgreSQL CPU only for these backends (the ones serving the bench's
 * database); the server at 127.0.0.1 is shared with other work. Without it, every
 * postgres process counts (background writers included).
 */
export function cpuUse(a: CpuSnapshot, b: CpuSnapshot, onlyPids?: Set<number> | null): CpuUse {
  const wall = b.at - a.at;
  const d = (x: number | null, y: number | null) => (x === null || y === null ? null : (y - x) / wall);
  const server = d(a.server, b.server);
  let postgres: number | null = null;
  if (a.postgres && b.postgres) {
    let ms = 0;
    for (const [pid, v] of b.postgres) if (!onlyPids || onlyPids.has(pid)) ms += v - (a.postgres.get(pid) ?? 0);
    postgres = ms / wall;
  }
  const generator = (b.self - a.self) / wall;
  const cores = os.cpus().length;
  const machine = a.machine && b.machine ? ((b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total)) * cores : null;
  const other = machine === null ? null : machine - (server ?? 0) - (postgres ?? 0) - generator;
  return { wallMs: wall, serverCores: server, postgresCores: postgres, generatorCores: generator, machineCores: machine, otherCores: other, cores };
}

/** Busy cores over a short window before a run: other sessions on a shared box skew figures. */
export async function backgroundLoad(ms = 1000): Promise<number | null> {
  const a = machineCpuMs();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineCpuMs();
  if (!a || !b) return null;
  return ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * os.cpus().length;
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    host: os.hostname(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/**
 * The disk's flush rate, the physical limit of "one durable commit per event": PostgreSQL's
 * own pg_test_fsync (1 s per method) on a file next to the system temp dir, when installed.
 * Returns ops/s of fdatasync (one 8 kB write), the wal_sync_method PostgreSQL uses on Linux.
 */
export function fsyncRate(dir: string): { fdatasyncPerSec: number; openDatasyncPerSec: number | null; tool: string } | null {
  const onPath = (process.env.PATH ?? '').split(':').map((d) => path.join(d, 'pg_test_fsync'));
  let versions: string[] = [];
  try {
    versions = readdirSync('/usr/lib/postgresql').sort().reverse();
  } catch {
    /* not a Debian layout */
  }
  const candidates = [...onPath, ...versions.map((v) => `/usr/lib/postgresql/${v}/bin/pg_test_fsync`)];
  const tool = candidates.find((c) => existsSync(c));
  if (!tool) return null;
  const file = path.join(dir, 'vafa-bench-fsync.test');
  const r = spawnSync(tool, ['-s', '1', '-f', file], { encoding: 'utf8', timeout: 60_000 });
  rmSync(file, { force: true });
  if (r.status !== 0 || !r.stdout) return null;
  const one = r.stdout.split('Compare file sync methods using two')[0]!;
  const fd = /fdatasync\s+([\d.]+) ops\/sec/.exec(one);
  const od = /open_datasync\s+([\d.]+) ops\/sec/.exec(one);
  return fd ? { fdatasyncPerSec: Math.round(Number(fd[1])), openDatasyncPerSec: od ? Math.round(Number(od[1])) : null, tool } : null;
}

/**
 * The tail of the disk's flush latency: one 8 kB write + fdatasync after another for `ms`.
 * A durable commit waits for one such flush, and PostgreSQL flushes its WAL one at a time,
 * so a single slow flush holds every commit behind it: the p99 of an open-loop step is
 * decided by whether one of these lands in it (session 8: 178 ms on this VM's disk, while the
 * median flush took 0.13 ms).
 */
export function fsyncTail(dir: string, ms: number): { flushes: number; p50Ms: number; p999Ms: number; maxMs: number; over50Ms: number } {
  const file = path.join(dir, `vafa-bench-fsync-tail-${process.pid}.bin`);
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(8192, 1);
  const lat: number[] = [];
  try {
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      const a = performance.now();
      writeSync(fd, buf, 0, buf.length, 0);
      fdatasyncSync(fd);
      lat.push(performance.now() - a);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  lat.sort((a, b) => a - b);
  const at = (q: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(lat.length * q))]! * 100) / 100;
  return { flushes: lat.length, p50Ms: at(0.5), p999Ms: at(0.999), maxMs: Math.round(lat.at(-1)! * 10) / 10, over50Ms: lat.filter((x) => x > 50).length };
}
