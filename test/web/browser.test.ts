/**
 * The console and the member app in Debian's Chromium against the real server (PGlite, demo
 * club). Trimmed by default (npm test); VAFA_WEB_FULL=1 adds more flows and screenshots of
 * the main pages in Persian and English to test-results/web/.
 * Assertions are on what a person sees: Persian text, Persian digits, right-to-left layout.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FULL, canRunBrowser, ensureWebBuilt, faNumber, launchBrowser, newContext, shot, startServer, type Server } from './harness.js';

const fa = JSON.parse(readFileSync(new URL('../../web/src/locales/fa.json', import.meta.url), 'utf8')) as Record<string, string>;
const en = JSON.parse(readFileSync(new URL('../../web/src/locales/en.json', import.meta.url), 'utf8')) as Record<string, string>;

const runnable = canRunBrowser();
if (!runnable) console.warn('[web] skipping browser tests: /usr/bin/chromium or src/main.ts is missing');

type Api = <T>(path: string, init?: { method?: string; body?: unknown; token?: string }) => Promise<T>;

describe.runIf(runnable)('web in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let api: Api;
  let ownerToken: string;

  beforeAll(async () => {
    ensureWebBuilt();
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    api = async (path, init = {}) => {
      const res = await fetch(server.url + path, {
        method: init.method ?? 'GET',
        headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as never;
    };
    const login = await api<{ token: string }>('/api/v1/auth/operator/login', {
      method: 'POST',
      body: { club: server.demo.club, username: server.demo.owner.username, password: server.demo.owner.password },
    });
    ownerToken = login.token;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function signInOperator(ctx: BrowserContext): Promise<Page> {
    const page = await ctx.newPage();
    await page.goto(`${server.url}/admin`);
    await page.waitForURL(/\/admin\/login/);
    await page.getByLabel(fa['auth.club']!).fill(server.demo.club);
    await page.getByLabel(fa['auth.username']!).fill(server.demo.owner.username);
    await page.getByLabel(fa['auth.password']!, { exact: false }).fill(server.demo.owner.password);
    await page.getByRole('button', { name: fa['auth.signIn'] }).click();
    await page.getByRole('heading', { name: fa['dashboard.title'] }).waitFor();
    return page;
  }

  async function statValue(page: Page, label: string): Promise<string> {
    const card = page.locator('.mantine-Card-root').filter({ has: page.getByText(label, { exact: true }) }).first();
    return (await card.locator('.vafa-num').first().innerText()).trim();
  }

  async function signInMember(ctx: BrowserContext, mobile: string, lang: 'fa' | 'en' = 'fa'): Promise<Page> {
    const L = lang === 'fa' ? fa : en;
    const page = await ctx.newPage();
    await page.goto(`${server.url}/app/login?club=${server.demo.club}`);
    await page.getByLabel(L['app.login.mobile']!).fill(mobile);
    const before = server.smsCount();
    await page.getByRole('button', { name: L['app.login.sendCode'] }).click();
    const code = await server.waitForOtp(mobile, before);
    await page.getByLabel(L['app.login.code']!).fill(code);
    await page.getByRole('button', { name: L['app.login.verify'] }).click();
    await page.getByTestId('available-points').waitFor();
    return page;
  }


  /** A member's session straight from the API (the SMS sign-in itself is covered by its own test). */
  async function memberSession(mobile: string): Promise<{ token: string; member: { id: string } }> {
    const before = server.smsCount();
    await api('/api/v1/auth/member/otp', { method: 'POST', body: { club: server.demo.club, mobile } });
    const code = await server.waitForOtp(mobile, before);
    const res = await api<{ token: string; member?: { id: string } }>('/api/v1/auth/member/verify', { method: 'POST', body: { club: server.demo.club, mobile, code } });
    const member = res.member ?? (await api<{ id: string }>('/api/v1/me', { token: res.token }));
    return { token: res.token, member };
  }

  /** A context whose member app is already signed in as `mobile`. */
  async function asMember(ctx: BrowserContext, mobile: string): Promise<void> {
    const s = await memberSession(mobile);
    const value = JSON.stringify({ token: s.token, member: s.member, clubSlug: server.demo.club });
    await ctx.addInitScript(([v, club]) => {
      if (!localStorage.getItem('vafa.app.session')) localStorage.setItem('vafa.app.session', v!);
      localStorage.setItem('vafa.app.club', club!);
    }, [value, server.demo.club]);
  }

  /** A context whose console is already signed in as the owner. */
  async function asOperator(ctx: BrowserContext): Promise<void> {
    const s = await api<{ token: string; operator: unknown; club: unknown }>('/api/v1/auth/operator/login', {
      method: 'POST',
      body: { club: server.demo.club, username: server.demo.owner.username, password: server.demo.owner.password },
    });
    await ctx.addInitScript((v) => {
      if (!localStorage.getItem('vafa.admin.session')) localStorage.setItem('vafa.admin.session', v);
    }, JSON.stringify(s));
  }

  /** Today and a later day in the club's zone, as ISO dates (the festival API takes Jalali or ISO). */
  function clubDay(offsetDays = 0): string {
    return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tehran' }).format(new Date(Date.now() + offsetDays * 86_400_000));
  }

  type FestivalSetup = { festivalId: string; drawId: string; cutoff: number; members: { id: string; mobile: string }[] };

  /**
   * A festival with three participants who bought something, and a stage draw for three
   * winners whose entries close `closeInMs` from now (every entry wins; the ranks are the draw's).
   */
  async function festivalWithDraw(name: string, closeInMs: number): Promise<FestivalSetup> {
    const list = await api<{ items: { id: string; mobile: string }[] }>('/api/v1/members?limit=3', { token: ownerToken });
    const members = [{ id: server.demo.sampleMember.id, mobile: server.demo.sampleMember.mobile }, ...list.items.filter((m) => m.id !== server.demo.sampleMember.id).slice(0, 2)];
    const festival = await api<{ id: string }>('/api/v1/festivals', {
      method: 'POST',
      token: ownerToken,
      body: {
        name: { fa: name, en: 'Test festival' },
        window: { from: clubDay(0), to: clubDay(20) },
        indicators: [{ eventType: 'purchase', score: 1, per: { rials: 100_000 } }],
        staking: { pointsPerChance: 5 },
        topPerformers: [{ category: 'score', count: 1, prize: { fa: 'کارت هدیه', en: 'Gift card' } }],
      },
    });
    for (const [i, m] of members.entries()) {
      await api(`/api/v1/festivals/${festival.id}/participants`, { method: 'POST', token: ownerToken, body: { memberId: m.id } });
      await api('/api/v1/events', { method: 'POST', token: ownerToken, body: { eventId: `web-fst-${festival.id}-${i}`, type: 'purchase', member: { id: m.id }, amountRials: (i + 2) * 1_500_000 } });
    }
    const cutoff = Date.now() + closeInMs;
    const draw = await api<{ id: string }>(`/api/v1/festivals/${festival.id}/draws`, {
      method: 'POST',
      token: ownerToken,
      body: {
        title: { fa: 'قرعه‌کشی مرحلهٔ اول', en: 'Stage one draw' },
        cutoffAt: new Date(cutoff).toISOString(),
        winners: 3,
        minScore: 1,
        prizes: [{ fromRank: 1, toRank: 1, title: { fa: 'سفر دو نفره به کیش', en: 'A trip to Kish' } }],
      },
    });
    return { festivalId: festival.id, drawId: draw.id, cutoff, members };
  }

  it('an operator signs in and sees the dashboard in Persian, then opens a member', async () => {
    const ctx = await newContext(browser);
    const page = await signInOperator(ctx);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    expect(await page.locator('html').getAttribute('lang')).toBe('fa');

    // The members card shows the club's member count in Persian digits.
    const overview = await api<{ members: number } | null>('/api/v1/stats/overview', { token: ownerToken }).catch(() => null);
    const members = await api<{ items: unknown[] }>('/api/v1/members?limit=200', { token: ownerToken });
    if (overview) {
      await expect.poll(() => statValue(page, fa['dashboard.members']!)).toBe(faNumber(overview.members));
    } else {
      // No stats service yet: the dashboard says so instead of showing zeros.
      await page.getByText(fa['dashboard.noStats']!).waitFor();
      expect(members.items.length).toBeGreaterThan(0);
    }

    // Members: search by mobile, open the profile, see the balance as the API has it.
    await page.getByRole('link', { name: fa['nav.members'] }).click();
    await page.getByRole('heading', { name: fa['members.title'] }).waitFor();
    await page.getByRole('searchbox', { name: fa['members.search'] }).fill(server.demo.sampleMember.mobile);
    const row = page.locator('tbody tr').first();
    await row.waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await row.getByRole('link').click();
    await page.waitForURL(new RegExp(`/admin/members/${server.demo.sampleMember.id}$`));
    const balance = await api<{ points: { available: number; pending: number } }>(`/api/v1/members/${server.demo.sampleMember.id}/balance`, { token: ownerToken });
    await expect.poll(() => statValue(page, fa['balance.available']!)).toBe(faNumber(balance.points.available));
    expect(await statValue(page, fa['balance.pending']!)).toBe(faNumber(balance.points.pending));
    // The mobile is isolated left-to-right inside the Persian page.
    expect(await page.locator('bdi[dir="ltr"]').first().isVisible()).toBe(true);
    if (FULL) await shot(page, 'admin-member-fa');
    await ctx.close();
  });

  it('a member signs in with the SMS code from the log and sees the balance', async () => {
    const ctx = await newContext(browser, { mobile: true });
    const page = await signInMember(ctx, server.demo.sampleMember.mobile);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    const balance = await api<{ points: { available: number; pending: number } }>(`/api/v1/members/${server.demo.sampleMember.id}/balance`, { token: ownerToken });
    await expect.poll(async () => (await page.getByTestId('available-points').locator('.vafa-num').innerText()).trim()).toBe(faNumber(balance.points.available));
    expect((await page.getByTestId('pending-points').innerText()).trim()).toBe(faNumber(balance.points.pending));
    if (FULL) await shot(page, 'app-home-fa');
    await ctx.close();
  });


  it('an operator runs a festival draw; the member sees the result and its proof in Persian digits', async () => {
    const setup = await festivalWithDraw('جشنوارهٔ آزمون قرعه‌کشی', 2_500);
    const admin = await newContext(browser);
    await asOperator(admin);
    const page = await admin.newPage();
    await page.goto(`${server.url}/admin/festivals/${setup.festivalId}?tab=draws`);
    const card = page.getByTestId(`draw-${setup.drawId}`);
    // The SHA-256 commitment is on screen before the draw, exactly as the API published it.
    const before = await api<{ commitment: string; status: string }>(`/api/v1/public/draws/${setup.drawId}`);
    expect(before.status).toBe('scheduled');
    await expect.poll(() => card.getByTestId('draw-commitment').innerText()).toBe(before.commitment);
    // Entries close: the operator runs the draw after a confirmation.
    while (Date.now() < setup.cutoff + 200) await new Promise((r) => setTimeout(r, 100));
    await page.reload();
    await card.getByRole('button', { name: fa['draw.run'] }).click();
    await page.getByRole('dialog').getByRole('button', { name: fa['draw.run'] }).click();
    await card.getByTestId('winners').waitFor();
    const published = await api<{ status: string; seedHex: string; entries: unknown[]; totalChances: number; winners: { rank: number; ref: string }[] }>(`/api/v1/public/draws/${setup.drawId}`);
    expect(published.status).toBe('drawn');
    expect(published.winners).toHaveLength(3);
    expect((await card.getByTestId('draw-entries').innerText()).trim()).toBe(faNumber(3));
    const rows = card.getByTestId('winners').locator('tbody tr');
    expect(await rows.count()).toBe(3);
    for (let i = 0; i < 3; i++) expect((await rows.nth(i).locator('td').first().innerText()).trim()).toBe(faNumber(i + 1));
    await admin.close();

    // The member sees the win on the festival page, in Persian digits, and opens its proof.
    const standing = await api<{ score: number; entryRef: string }>(`/api/v1/festivals/${setup.festivalId}/members/${setup.members[0]!.id}`, { token: ownerToken });
    const mine = published.winners.find((w) => w.ref === standing.entryRef)!;
    expect(mine).toBeTruthy();
    const app = await newContext(browser, { mobile: true });
    await asMember(app, server.demo.sampleMember.mobile);
    const m = await app.newPage();
    await m.goto(`${server.url}/app/festivals/${setup.festivalId}`);
    const win = m.getByTestId('my-win');
    await win.waitFor();
    expect(await win.innerText()).toContain(faNumber(mine.rank));
    expect((await m.getByTestId('festival-score').innerText()).trim()).toBe(faNumber(standing.score));
    await win.getByRole('link', { name: fa['app.draw.seeProof'] }).click();
    await m.waitForURL(new RegExp(`/app/draws/${setup.drawId}$`));
    expect(await m.locator('html').getAttribute('dir')).toBe('rtl');
    await expect.poll(() => m.getByTestId('proof-seed').innerText()).toBe(published.seedHex);
    expect((await m.getByTestId('proof-commitment').innerText()).trim()).toBe(before.commitment);
    expect((await m.getByTestId('proof-entry-count').innerText()).trim()).toBe(faNumber(published.entries.length));
    expect((await m.getByTestId('proof-total-chances').innerText()).trim()).toBe(faNumber(published.totalChances));
    expect(await m.getByTestId('proof-winners').locator('tbody tr').count()).toBe(3);
    // The member's own entry is marked, and the browser re-checks the whole draw.
    await m.getByText(fa['proof.yourEntry']!).waitFor();
    await m.getByRole('button', { name: fa['proof.verify'] }).click();
    await m.getByText(fa['proof.allOk']!).waitFor();
    if (FULL) await shot(m, 'app-draw-proof-verified-fa');
    await app.close();
  });

  describe.runIf(FULL)('full', () => {
    it('console pages in Persian and English (screenshots)', async () => {
      const ctx = await newContext(browser);
      const page = await signInOperator(ctx);
      const pages: [string, string, string][] = [
        ['', 'dashboard', 'dashboard.title'],
        ['members', 'members', 'members.title'],
        ['api-keys', 'api-keys', 'apiKeys.title'],
        ['settings', 'settings', 'settings.title'],
        ['audit', 'audit', 'audit.title'],
        ['operators', 'operators', 'operators.title'],
        ['rules', 'rules', 'nav.rules'],
      ];
      for (const lang of ['fa', 'en'] as const) {
        const L = lang === 'fa' ? fa : en;
        for (const [path, name, title] of pages) {
          await page.goto(`${server.url}/admin/${path}`);
          await page.getByRole('heading', { name: L[title], exact: true }).first().waitFor();
          await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached' }).catch(() => undefined);
          await page.waitForLoadState('networkidle');
          await shot(page, `admin-${name}-${lang}`);
        }
        await page.goto(`${server.url}/admin/members/${server.demo.sampleMember.id}`);
        await page.getByText(L['member.profileCompleteness']!, { exact: true }).first().waitFor();
        await page.waitForLoadState('networkidle');
        await shot(page, `admin-member-${lang}`);
        if (lang === 'fa') {
          // The language toggle switches to English, left-to-right, and is remembered.
          await page.getByRole('button', { name: fa['lang.switchTo'] }).click();
          await expect.poll(() => page.locator('html').getAttribute('dir')).toBe('ltr');
          await page.reload();
          expect(await page.locator('html').getAttribute('lang')).toBe('en');
        }
      }
      await page.getByRole('button', { name: en['lang.switchTo'] }).click();
      await expect.poll(() => page.locator('html').getAttribute('dir')).toBe('rtl');

      const login = await ctx.newPage();
      await ctx.clearCookies();
      await login.goto(`${server.url}/admin/login`);
      await login.evaluate(() => localStorage.clear());
      await login.reload();
      await login.getByLabel(fa['auth.club']!).waitFor();
      await shot(login, 'admin-login-fa');
      await login.getByRole('button', { name: fa['lang.switchTo'] }).click();
      await login.getByLabel(en['auth.club']!).waitFor();
      await shot(login, 'admin-login-en');
      await ctx.close();
    });

    it('an operator adjusts points with a reason and a confirmation; the ledger shows it', async () => {
      const ctx = await newContext(browser);
      const page = await signInOperator(ctx);
      const id = server.demo.sampleMember.id;
      const before = await api<{ points: { available: number } }>(`/api/v1/members/${id}/balance`, { token: ownerToken });
      await page.goto(`${server.url}/admin/members/${id}`);
      await page.getByRole('tab', { name: fa['member.tab.adjust'] }).click();
      // Persian digits typed by the operator are understood.
      await page.getByLabel(fa['adjust.points']!).fill('۲۵');
      await page.getByRole('button', { name: fa['adjust.submitAdd'] }).click();
      await page.getByText(fa['adjust.reasonRequired']!).waitFor();
      await page.getByLabel(fa['adjust.reason']!).fill('جبران تأخیر در ارسال سفارش');
      await page.getByRole('button', { name: fa['adjust.submitAdd'] }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText('جبران تأخیر در ارسال سفارش', { exact: false }).waitFor();
      await shot(page, 'admin-adjust-confirm-fa');
      await dialog.getByRole('button', { name: fa['adjust.confirm'] }).click();
      await page.getByText(fa['adjust.done']!).waitFor();
      await expect.poll(() => statValue(page, fa['balance.available']!)).toBe(faNumber(before.points.available + 25));
      await page.getByRole('tab', { name: fa['member.tab.history'] }).click();
      const first = page.locator('tbody tr').first();
      await expect.poll(() => first.innerText()).toContain(fa['kind.adjust']!);
      expect(await first.innerText()).toContain('+۲۵');
      await shot(page, 'admin-member-history-fa');
      await ctx.close();
    });

    it('an API key is shown once and revoked after a confirmation', async () => {
      const ctx = await newContext(browser);
      const page = await signInOperator(ctx);
      await page.getByRole('link', { name: fa['nav.apiKeys'] }).click();
      await page.getByRole('button', { name: fa['apiKeys.new'] }).first().click();
      await page.getByLabel(fa['apiKeys.name']!).fill('صندوق شعبهٔ ونک');
      await page.getByRole('button', { name: fa['apiKeys.create'] }).click();
      const key = (await page.getByTestId('new-api-key').innerText()).trim();
      expect(key).toMatch(/^vafa_/);
      await shot(page, 'admin-api-key-created-fa');
      await page.getByRole('button', { name: fa['apiKeys.stored'] }).click();
      const row = page.locator('tbody tr').filter({ hasText: 'صندوق شعبهٔ ونک' });
      await row.waitFor();
      expect(await page.content()).not.toContain(key);
      await row.getByRole('button', { name: `${fa['apiKeys.revoke']}` }).click();
      await page.getByRole('dialog').getByRole('button', { name: fa['apiKeys.revoke'] }).click();
      await row.waitFor({ state: 'detached' });
      await ctx.close();
    });

    it('a member fills the profile with a Jalali birth date (leap day 1403/12/30); a wrong date is refused', async () => {
      const ctx = await newContext(browser, { mobile: true });
      const page = await signInMember(ctx, '09350001122');
      await page.getByRole('link', { name: fa['app.nav.profile'], exact: true }).click();
      const date = page.getByLabel(fa['member.birthDate']!);
      await date.fill('1404/12/30');
      await date.blur();
      await page.getByText(fa['jalali.invalid']!).first().waitFor();
      await date.fill('۱۴۰۳/۱۲/۳۰');
      await page.getByLabel(fa['member.firstName']!, { exact: true }).fill('سارا');
      await page.getByLabel(fa['member.city']!).fill('اصفهان');
      await page.getByRole('button', { name: fa['common.save'] }).click();
      await page.getByText(fa['common.saved']!).waitFor();
      const me = await api<{ items: { birthDate: string; firstName: string }[] }>(`/api/v1/members?q=09350001122`, { token: ownerToken });
      expect(me.items[0]?.birthDate?.slice(0, 10)).toBe('2025-03-20');
      await page.reload();
      await expect.poll(() => page.getByLabel(fa['member.birthDate']!).inputValue()).toBe('۱۴۰۳/۱۲/۳۰');
      await shot(page, 'app-profile-fa');
      await ctx.close();
    });

    it('member app pages in Persian and English (screenshots)', async () => {
      for (const lang of ['fa', 'en'] as const) {
        const L = lang === 'fa' ? fa : en;
        const ctx = await newContext(browser, { mobile: true, locale: lang });
        const login = await ctx.newPage();
        await login.goto(`${server.url}/app/login?club=${server.demo.club}`);
        await login.getByLabel(L['app.login.mobile']!).waitFor();
        await shot(login, `app-login-${lang}`);
        await login.close();
        const page = await signInMember(ctx, server.demo.sampleMember.mobile, lang);
        expect(await page.locator('html').getAttribute('dir')).toBe(lang === 'fa' ? 'rtl' : 'ltr');
        await page.waitForLoadState('networkidle');
        await shot(page, `app-home-${lang}`);
        for (const [path, name, title] of [
          ['history', 'history', 'app.history.title'],
          ['profile', 'profile', 'app.profile.title'],
          ['rewards', 'rewards', 'app.nav.rewards'],
          ['festivals', 'festivals', 'app.nav.festivals'],
          ['invite', 'invite', 'app.invite.title'],
        ] as const) {
          await page.goto(`${server.url}/app/${path}`);
          await page.getByRole('heading', { name: L[title], exact: true }).waitFor();
          await page.waitForLoadState('networkidle');
          await shot(page, `app-${name}-${lang}`);
        }
        // Not yet built sections say so, in the reader's language.
        await page.goto(`${server.url}/app/rewards`);
        await page.getByText(L['common.comingSoon']!, { exact: true }).waitFor();
        await ctx.close();
      }
    });

    it('a member converts points to wallet credit', async () => {
      const ctx = await newContext(browser, { mobile: true });
      const page = await signInMember(ctx, server.demo.sampleMember.mobile);
      const id = server.demo.sampleMember.id;
      const before = await api<{ points: { available: number }; walletRials: number }>(`/api/v1/members/${id}/balance`, { token: ownerToken });
      const club = await api<{ pointValueRials: number }>('/api/v1/club', { token: ownerToken });
      await page.getByRole('button', { name: fa['app.convert.open'] }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel(fa['app.convert.points']!).fill('۱۰');
      await dialog.getByText(fa['app.convert.preview']!.split('{n}')[1]!.split('{amount}')[0]!.trim()).waitFor();
      await shot(page, 'app-convert-fa');
      await dialog.getByRole('button', { name: fa['app.convert.submit'] }).click();
      // Either the dialog closes, or it shows the server's refusal: fail with what the member reads.
      await Promise.race([dialog.waitFor({ state: 'detached' }), dialog.getByRole('alert').waitFor()]);
      if (await dialog.getByRole('alert').isVisible().catch(() => false)) throw new Error(`conversion refused: ${await dialog.getByRole('alert').innerText()}`);
      await expect.poll(async () => (await page.getByTestId('available-points').locator('.vafa-num').innerText()).trim()).toBe(faNumber(before.points.available - 10));
      const after = await api<{ walletRials: number }>(`/api/v1/members/${id}/balance`, { token: ownerToken });
      expect(after.walletRials).toBe(before.walletRials + 10 * club.pointValueRials);
      await ctx.close();
    });

    it('an operator writes an earning rule, sees it simulated as they type, and saves it', async () => {
      const ctx = await newContext(browser);
      const page = await signInOperator(ctx);
      await page.getByRole('navigation', { name: fa['nav.main'] }).getByRole('link', { name: fa['nav.rules'] }).click();
      await page.getByRole('button', { name: fa['rules.new'] }).first().click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel(fa['rules.name']!).fill('امتیاز دوبرابر خریدهای بالای ۵ میلیون');
      // 10,000,000 rials / 100,000 = 100 points for the sample purchase.
      await expect.poll(() => dialog.getByTestId('sim-points').innerText()).toBe(faNumber(100));
      await dialog.getByLabel(fa['rules.amount']!).fill('event.amount / ');
      await dialog.getByText(fa['error.invalid_expression']!).waitFor();
      await dialog.getByLabel(fa['rules.amount']!).fill('event.amount / 50000');
      await expect.poll(() => dialog.getByTestId('sim-points').innerText()).toBe(faNumber(200));
      await shot(page, 'admin-rule-editor-fa');
      await dialog.getByRole('button', { name: fa['rules.save'] }).click();
      await page.getByText(fa['rules.created']!).waitFor();
      await page.locator('tbody tr').filter({ hasText: 'امتیاز دوبرابر خریدهای بالای ۵ میلیون' }).waitFor();
      await shot(page, 'admin-rules-list-fa');
      await ctx.close();
    });

    it('an operator creates a coupon reward; a member redeems it and sees the code', async () => {
      const admin = await newContext(browser);
      const page = await signInOperator(admin);
      await page.getByRole('navigation', { name: fa['nav.main'] }).getByRole('link', { name: fa['nav.rewards'] }).click();
      await page.getByRole('button', { name: fa['rewards.new'] }).first().click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel(fa['rewards.titleFa']!).fill('۲۰٪ تخفیف خرید بعدی');
      await dialog.getByLabel(fa['rewards.cost']!).fill('۱۰۰');
      await shot(page, 'admin-reward-create-fa');
      await dialog.getByRole('button', { name: fa['rewards.create'] }).click();
      await page.getByText(fa['rewards.created']!).waitFor();
      await page.locator('tbody tr').filter({ hasText: '۲۰٪ تخفیف خرید بعدی' }).waitFor();
      await shot(page, 'admin-rewards-fa');
      await admin.close();

      const app = await newContext(browser, { mobile: true });
      const m = await signInMember(app, server.demo.sampleMember.mobile);
      await m.getByRole('navigation', { name: fa['nav.main'] }).getByRole('link', { name: fa['app.nav.rewards'] }).click();
      await m.getByRole('button', { name: fa['app.rewards.redeemNamed']!.replace('{name}', '\u2068۲۰٪ تخفیف خرید بعدی\u2069') }).click();
      await shot(m, 'app-reward-confirm-fa');
      await m.getByRole('dialog').getByRole('button', { name: fa['app.rewards.confirm'] }).click();
      const code = (await m.getByTestId('coupon-code').first().innerText()).trim();
      expect(code).toMatch(/^VAFA-\d{4}-[A-Z]{4}$/);
      await shot(m, 'app-reward-code-fa');
      await m.getByRole('button', { name: fa['app.rewards.mine'] }).click();
      await m.getByText(code).waitFor();
      await shot(m, 'app-my-rewards-fa');
      await app.close();
    });

    it('the member app is an installable PWA (manifest, icons, service worker)', async () => {
      const manifest = await api<{ start_url: string; scope: string; icons: { src: string; sizes: string }[]; display: string }>('/app/manifest.webmanifest');
      expect(manifest.start_url).toBe('/app/');
      expect(manifest.display).toBe('standalone');
      for (const icon of manifest.icons) {
        const res = await fetch(server.url + icon.src);
        expect(res.status, icon.src).toBe(200);
      }
      expect((await fetch(`${server.url}/app/sw.js`)).status).toBe(200);
      expect(manifest.icons.some((i) => i.sizes === '512x512')).toBe(true);
    });
  });
});
