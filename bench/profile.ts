/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by where
 * the code lives (a package in node_modules, a file in src/, Node internals, GC), as a share
 * of the *busy* samples after `skipMs` (start-up: module loading is not the earn path).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface ProfileSummary {
  file: string;
  sampledMs: number;
  /** share of the sampled time (after start-up) the server's main thread was idle */
  idlePercent: number;
  groups: { name: string; percent: number }[];
  functions: { name: string; percent: number }[];
}

function groupOf(url: string, fn: string, root: string): string {
  if (!url) {
    if (fn === '(garbage collector)') return '(garbage collector)';
    if (fn === '(program)') return '(program: native, not attributed)';
    return `(native) ${fn || 'anonymous'}`;
  }
  const u = url.replace(/^file:\/\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return `pkg ${nm[1]}`;
  if (u.startsWith('node:')) return `node ${u.slice(5).replace(/^internal\//, '').split('/').slice(0, 2).join('/')}`;
  if (u.startsWith('wasm://')) return 'wasm (PGlite: PostgreSQL compiled to WebAssembly)';
  if (u.startsWith(root)) return u.slice(root.length);
  return u;
}

export function summariseProfile(file: string, root: string, skipMs = 0): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // Hits per node after the start-up window (samples + timeDeltas give each sample's time).
  const hits = new Map<number, number>();
  let t = 0;
  let sampledUs = 0;
  if (p.samples && p.timeDeltas) {
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i]!;
      if (t < skipMs * 1000) continue;
      sampledUs += p.timeDeltas[i]!;
      hits.set(p.samples[i]!, (hits.get(p.samples[i]!) ?? 0) + 1);
    }
  } else for (const n of p.nodes) if (n.hitCount) hits.set(n.id, n.hitCount);
  let idle = 0;
  let all = 0;
  for (const [id, h] of hits) {
    all += h;
    if (byId.get(id)!.callFrame.functionName === '(idle)') idle += h;
  }
  const busy = Math.max(1, all - idle);
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  const rootDir = root.endsWith('/') ? root : `${root}/`;
  for (const [id, h] of hits) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') continue;
    const g = groupOf(n.callFrame.url, n.callFrame.functionName, rootDir);
    groups.set(g, (groups.get(g) ?? 0) + h);
    const where = n.callFrame.url ? `${groupOf(n.callFrame.url, '', rootDir)}:${n.callFrame.lineNumber + 1}` : '';
    const f = `${n.callFrame.functionName || '(anonymous)'} ${where}`.trim();
    fns.set(f, (fns.get(f) ?? 0) + h);
  }
  const pct = (h: number) => Math.round((h / busy) * 1000) / 10;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([name, h]) => ({ name, percent: pct(h) }));
  return {
    file,
    sampledMs: Math.round(sampledUs / 1000),
    idlePercent: Math.round((idle / Math.max(1, all)) * 1000) / 10,
    groups: sorted(groups).slice(0, 40),
    functions: sorted(fns).slice(0, 60),
  };
}
