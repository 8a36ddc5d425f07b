/**
 * `npm start` and `vafa` run JavaScript bundled from src/ (scripts/server-build.mjs): the
 * bundle must find migrations/ and web/dist/ like the sources do, answer over real HTTP,
 * and never run stale code (a changed source is rebuilt before the bundle runs).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { build, OUT_DIR, ROOT, staleReason } from '../../scripts/server-build.mjs';
import { describeEngines, pgUrl } from '../engines.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv, onStdout?: (all: string, kill: () => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, () => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The node arguments of package.json's "start" script. */
const startArgs = (): string[] => {
  const start: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const [cmd, ...rest] = start.split(/\s+/);
  expect(cmd).toBe('node');
  return rest;
};

beforeAll(async () => {
  if (staleReason('main') || staleReason('cli')) await build();
}, 120_000);

describeEngines('npm start (the bundle)', (engine) => {
  let dataDir: string;
  let databaseUrl: string | undefined;
  let admin: pg.Client | null = null;
  const dbName = `vafa_start_${process.pid}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'vafa-start-'));
    if (engine === 'postgres') {
      admin = new pg.Client({ connectionString: pgUrl()!.replace(/\/[^/]*$/, '/postgres') });
      await admin.connect();
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.query(`create database ${dbName}`);
      databaseUrl = pgUrl()!.replace(/\/[^/]*$/, `/${dbName}`);
    }
  });
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    if (admin) {
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
    }
  });

  it('serves API and web from the bundle, migrations applied, and stops cleanly on SIGTERM', async () => {
    expect(startArgs().join(' ')).toContain('scripts/start.mjs');
    const env = { PORT: '0', HOST: '127.0.0.1', VAFA_DEMO: '0', LOG_LEVEL: 'warn', VAFA_DATA_DIR: dataDir, DATABASE_URL: databaseUrl ?? '', VAFA_FROM_SOURCE: '' };
    const seen: { readyz?: number; openapi?: number; admin?: number; adminHtml?: string; docs?: number; docsHtml?: string; docsScript?: number; migrations?: number } = {};
    let probing = false;
    const r = await run(startArgs(), env, (out, kill) => {
      const url = /Operator console\s+(http:\/\/\S+)\/admin/.exec(out)?.[1];
      if (!url || probing) return;
      probing = true;
      void (async () => {
        try {
          seen.readyz = (await fetch(`${url}/readyz`)).status;
          seen.openapi = (await fetch(`${url}/openapi.json`)).status;
          // The browsable API reference: its page, and the script it loads, from the bundle.
          const d = await fetch(`${url}/docs`);
          seen.docs = d.status;
          seen.docsHtml = await d.text();
          const script = /<script[^>]+src="([^"]+\.js)"/.exec(seen.docsHtml)?.[1];
          if (script) seen.docsScript = (await fetch(new URL(script, d.url))).status;
          const a = await fetch(`${url}/admin`);
          seen.admin = a.status;
          seen.adminHtml = await a.text();
        } finally {
          kill();
        }
      })();
    });
    expect(r.stderr).not.toMatch(/through tsx/);
    expect(r.stdout).toMatch(new RegExp(`Vafa is running \\(${engine}`));
    expect(seen.readyz).toBe(200);
    expect(seen.openapi).toBe(200);
    expect(seen.docs).toBe(200);
    expect(seen.docsHtml).toContain('/openapi.json');
    expect(seen.docsScript).toBe(200);
    if (existsSync(path.join(ROOT, 'web/dist/admin/index.html'))) {
      expect(seen.admin).toBe(200);
      expect(seen.adminHtml).toMatch(/<html/);
    }
    expect(r.code).toBe(0);
    // Every migration in migrations/ was found and applied by the bundled code.
    const files = readdirSync(path.join(ROOT, 'migrations')).filter((f) => f.endsWith('.sql'));
    if (engine === 'postgres') {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      const applied = (await c.query('select name from schema_migrations')).rows.map((x) => x.name);
      await c.end();
      expect(applied.sort()).toEqual(files.sort());
    } else {
      const { PGlite } = await import('@electric-sql/pglite');
      const db = new PGlite(path.join(dataDir, 'pglite'));
      const applied = (await db.query<{ name: string }>('select name from schema_migrations')).rows.map((x) => x.name);
      await db.close();
      expect(applied.sort()).toEqual(files.sort());
    }
  }, 240_000);
});

it('a bundle older than its sources is rebuilt before it runs (never stale code)', async () => {
  await build(['cli']);
  const list = path.join(OUT_DIR, 'cli.inputs.json');
  const manifest = JSON.parse(readFileSync(list, 'utf8'));
  // As if src/cli/main.ts had been edited after the build (the test edits no source file).
  manifest.inputs['src/cli/main.ts'] = 'edited-since-the-build';
  writeFileSync(list, JSON.stringify(manifest));
  expect(staleReason('cli')).toMatch(/^src\/.+ changed$/);
  const r = await run(['bin/vafa.js', '--help'], { VAFA_FROM_SOURCE: '' });
  expect(r.stderr).toMatch(/built dist\/server\/cli\.js \(src\/.+ changed\)/);
  expect(r.stdout).toMatch(/Usage: vafa/);
  expect(r.code).toBe(0);
  const rebuilt = JSON.parse(readFileSync(list, 'utf8'));
  expect(rebuilt.inputs['src/cli/main.ts']).not.toBe('edited-since-the-build');
  expect(rebuilt.inputs['src/cli/main.ts']).toBe(createHash('sha1').update(readFileSync(path.join(ROOT, 'src/cli/main.ts'))).digest('base64url'));
}, 120_000);
