/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by where
 * the code lives (a package in node_modules, a file in src/, Node internals, GC, idle).
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
  groups: { name: string; percent: number }[];
  functions: { name: string; percent: number }[];
}

function groupOf(url: string, fn: string, root: string): string {
  if (!url) {
    if (fn === '(garbage collector)') return '(garbage collector)';
    if (fn === '(idle)') return '(idle)';
    if (fn === '(program)') return '(program: native, not attributed)';
    return `(native) ${fn || 'anonymous'}`;
  }
  const u = url.replace(/^file:\/\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return `pkg ${nm[1]}`;
  if (u.startsWith('node:')) return `node ${u.slice(5).replace(/^internal\//, '').split('/').slice(0, 2).join('/')}`;
  if (u.startsWith(root)) return u.slice(root.length);
  return u;
}

export function summariseProfile(file: string, root: string): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] };
  const total = p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  const rootDir = root.endsWith('/') ? root : `${root}/`;
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const g = groupOf(n.callFrame.url, n.callFrame.functionName, rootDir);
    groups.set(g, (groups.get(g) ?? 0) + hits);
    const where = n.callFrame.url ? `${groupOf(n.callFrame.url, '', rootDir)}:${n.callFrame.lineNumber + 1}` : '';
    const f = `${n.callFrame.functionName || '(anonymous)'} ${where}`.trim();
    fns.set(f, (fns.get(f) ?? 0) + hits);
  }
  const pct = (h: number) => Math.round((h / total) * 1000) / 10;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([name, h]) => ({ name, percent: pct(h) }));
  return { file, sampledMs: Math.round((p.endTime - p.startTime) / 1000), groups: sorted(groups).slice(0, 40), functions: sorted(fns).slice(0, 60) };
}
