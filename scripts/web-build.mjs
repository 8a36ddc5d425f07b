/**
 * The web bundle (web/dist: the operator console and the member app) against its sources.
 * `npm install` builds it (prepare); `npm start` and the browser tests call `ensureWebBuilt()`
 * so that a checkout that moved on (git pull, an edit) never serves a stale console: when any
 * web source is newer than the bundle, vite builds it again (2.7 s here), or, without vite (a
 * production install), the old bundle is served with a warning.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_SOURCES = ['src', 'admin', 'app', 'public', 'vite.config.ts', 'tsconfig.json'];

function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(p).reduce((max, name) => Math.max(max, newestMtime(path.join(p, name))), 0);
}

/** Why web/dist under `root` must be built again (missing, or older than a source), or null. */
export function webStaleReason(root = ROOT) {
  const web = path.join(root, 'web');
  const pages = ['admin', 'app'].map((p) => path.join(web, 'dist', p, 'index.html'));
  if (pages.some((p) => !existsSync(p))) return 'web/dist is missing';
  const built = Math.min(...pages.map((p) => statSync(p).mtimeMs));
  const newest = Math.max(...WEB_SOURCES.map((f) => newestMtime(path.join(web, f))));
  return newest > built ? 'web sources changed since the last build' : null;
}

/**
 * Builds web/dist when it is stale. Returns what happened; `{ built: false, why }` with a
 * reason when it is stale but cannot be built here (vite is a development dependency).
 */
export function ensureWebBuilt({ root = ROOT, stdio = 'inherit' } = {}) {
  const stale = webStaleReason(root);
  if (!stale) return { built: false, why: null };
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) return { built: false, why: `${stale}, and vite is not installed` };
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio });
  if (r.status !== 0) throw new Error(`the web build failed (${stale})`);
  return { built: true, why: stale, ms: Math.round(performance.now() - t0) };
}
