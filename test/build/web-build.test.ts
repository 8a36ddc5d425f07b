/** `npm start` builds the web bundle again when a web source is newer than it (scripts/web-build.mjs). */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ensureWebBuilt, webStaleReason } from '../../scripts/web-build.mjs';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A checkout's web folder with one source file and, unless `built` is false, both pages built. */
function checkout(built = true) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vafa-webbuild-'));
  roots.push(root);
  const file = (rel: string, atSec: number) => {
    const p = path.join(root, 'web', rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, rel);
    utimesSync(p, atSec, atSec);
    return p;
  };
  const source = file('src/admin/components/FestivalDraws.tsx', 1_000);
  if (built) for (const page of ['admin', 'app']) file(`dist/${page}/index.html`, 2_000);
  return { root, source, touch: (p: string, atSec: number) => utimesSync(p, atSec, atSec), file };
}

it('a bundle built after its sources is current', () => {
  expect(webStaleReason(checkout().root)).toBeNull();
});

it('a missing bundle, or either page of it, must be built', () => {
  expect(webStaleReason(checkout(false).root)).toBe('web/dist is missing');
  const c = checkout();
  rmSync(path.join(c.root, 'web/dist/app'), { recursive: true });
  expect(webStaleReason(c.root)).toBe('web/dist is missing');
});

it('a source newer than the older page (an edit, a git pull) makes it stale, wherever it is', () => {
  const c = checkout();
  c.touch(c.source, 3_000);
  expect(webStaleReason(c.root)).toMatch(/web sources changed/);
  const d = checkout();
  d.touch(path.join(d.root, 'web/dist/app/index.html'), 1_500); // the member app was built before the edit
  d.touch(d.source, 1_800);
  expect(webStaleReason(d.root)).toMatch(/web sources changed/);
  const e = checkout();
  e.file('vite.config.ts', 2_500);
  expect(webStaleReason(e.root)).toMatch(/web sources changed/);
});

it('without vite (a production install) a stale bundle is reported, not built', () => {
  const c = checkout();
  c.touch(c.source, 3_000);
  expect(ensureWebBuilt({ root: c.root })).toEqual({ built: false, why: 'web sources changed since the last build, and vite is not installed' });
  expect(ensureWebBuilt({ root: checkout().root })).toEqual({ built: false, why: null });
});
