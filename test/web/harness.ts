/**
 * Browser-test harness: the real server as a child process (PGlite in a temp folder, a free
 * port, the demo club seeded on first start) and Debian's Chromium through playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureWebBuilt as buildWebIfStale } from '../../scripts/web-build.mjs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FULL = process.env.VAFA_WEB_FULL === '1';
export const SHOTS = path.join(ROOT, 'test-results', 'web');

export type Demo = {
  club: string;
  owner: { username: string; password: string };
  apiKey: string;
  sampleMember: { mobile: string; id: string };
};

export type Server = {
  url: string;
  demo: Demo;
  /** The latest one-time code the dev SMS channel logged for a mobile (any form: 0912…, +98912…). */
  waitForOtp(mobile: string, after?: number): Promise<string>;
  smsCount(): number;
  stop(): Promise<void>;
};

export function canRunBrowser(): boolean {
  return existsSync(CHROMIUM) && existsSync(path.join(ROOT, 'src', 'main.ts'));
}

/** web/dist must exist for the server to serve /admin and /app; build it when missing. */
/** Newest modification time (ms) of a file or of the files under a folder. */
/** Builds the web bundle when it is missing or older than its sources: the tests never drive a stale UI. */
export function ensureWebBuilt(): void {
  const r = buildWebIfStale();
  if (r.why && !r.built) throw new Error(`web/dist cannot be built: ${r.why}`);
}

const tail = (s: string) => s.slice(-4000);

export async function startServer(): Promise<Server> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vafa-web-'));
  // The worker's scheduled jobs run once at start, then hourly: the operator runs the draws in
  // these tests, and a job that ran a due draw first would take the button away (a CI flake).
  // The jobs themselves are tested with their own clocks (test/festivals, test/ledger).
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', VAFA_DATA_DIR: dataDir, LOG_LEVEL: 'info', VAFA_DEMO: '1', VAFA_DEMO_MEMBERS: '60', NODE_ENV: 'test', VAFA_JOBS_EVERY_MS: '3600000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sms: { to: string; text: string; at: number }[] = [];
  let out = '';
  let buffer = '';
  let ready: ((v: { url: string; demo: Demo }) => void) | null = null;
  let failed: ((e: Error) => void) | null = null;
  // The server answers at "vafa ready"; the demo's history is written right after: wait for both.
  let up: { url: string; demo: Demo } | null = null;
  let history = false;
  const readyP = new Promise<{ url: string; demo: Demo }>((resolve, reject) => {
    ready = resolve;
    failed = reject;
    const timer = setTimeout(() => reject(new Error(`server did not start in 90 s:\n${tail(out)}`)), 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it was ready:\n${tail(out)}`));
    });
  });
  const onLine = (line: string) => {
    if (!line.startsWith('{')) return;
    try {
      const j = JSON.parse(line) as { msg?: string; url?: string; demo?: Demo; sms?: { to: string; text: string } };
      if (j.sms) sms.push({ to: j.sms.to, text: j.sms.text, at: Date.now() });
      if (j.url && j.demo) up = { url: j.url, demo: j.demo };
      if (j.msg === 'demo history written') history = true;
      if (j.msg === 'demo history failed') failed?.(new Error(`demo history failed:\n${tail(out)}`));
      if (up && history && ready) {
        ready(up);
        ready = null;
      }
    } catch {
      /* not a log line */
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.length > 200_000) out = out.slice(-100_000);
    buffer += chunk;
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });

  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  let started: { url: string; demo: Demo };
  try {
    started = await readyP;
  } catch (e) {
    await stop();
    throw e;
  }
  const digitsOf = (s: string) => s.replace(/\D/g, '').slice(-10);
  return {
    ...started,
    smsCount: () => sms.length,
    async waitForOtp(mobile, after = 0) {
      const want = digitsOf(mobile);
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        // The newest sign-in text to that mobile (other texts, e.g. "points added", are skipped).
        const hit = sms.slice(after).reverse().find((m) => digitsOf(m.to) === want && /کد|code/i.test(m.text));
        const code = hit && /(?<!\d)(\d{4,8})(?!\d)/.exec(hit.text.replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x06f0)))?.[1];
        if (code) return code;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no SMS code for ${mobile}; log:\n${tail(out)}`);
    },
    stop,
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function newContext(browser: Browser, opts: { mobile?: boolean; locale?: 'fa' | 'en' } = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    viewport: opts.mobile ? { width: 390, height: 844 } : { width: 1366, height: 900 },
    deviceScaleFactor: 1,
    isMobile: opts.mobile ?? false,
    hasTouch: opts.mobile ?? false,
    locale: 'fa-IR',
    timezoneId: 'Asia/Tehran',
    serviceWorkers: 'block',
  });
  if (opts.locale === 'en') await ctx.addInitScript(() => localStorage.setItem('vafa.locale', 'en'));
  return ctx;
}

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  // Let fonts, charts and transitions settle so the picture is what a person sees.
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(350);
  // Grow the viewport to the page's height instead of fullPage, so fixed bars (the sidebar,
  // the app's tab bar) sit where a person sees them rather than mid-picture.
  const size = page.viewportSize()!;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (height > size.height) {
    await page.setViewportSize({ width: size.width, height: Math.min(height, 4000) });
    await page.waitForTimeout(200);
  }
  await page.screenshot({ path: file });
  if (height > size.height) await page.setViewportSize(size);
  return file;
}

/** Persian digits only (۰–۹): what a Persian reader sees in numbers. */
export const PERSIAN_NUMBER = /^[۰-۹٬,٫.\s]+$/;
export const faNumber = (n: number) => new Intl.NumberFormat('fa-IR').format(n);
