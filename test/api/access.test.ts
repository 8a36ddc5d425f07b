/**
 * Who may call what: roles on routes, API keys (revocation), operator sign-in, the member
 * one-time-code flow (single use, expiry, attempt and request limits) and the audit log.
 * A ManualClock (starting now) moves time for code expiry and the hourly windows.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, mobile, type ClubFixture } from '../fixtures.js';

const fa = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x06f0 + Number(d)));

describeEngines('access', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  const clock = new ManualClock(new Date());
  const tokens: Record<string, string> = {};
  let m: string;
  let mobileSeq = 500;
  beforeAll(async () => {
    v = await testVafa(engine, { clock });
    c = await makeClub(v);
    m = await makeMember(v, c.clubId, 400);
    await call(v, 'POST', '/api/v1/events', c.ownerToken, { eventId: 'seed', type: 'purchase', member: { id: m }, amountRials: 1_000_000 });
    tokens.owner = c.ownerToken;
    tokens.integration = c.apiKey;
    for (const role of ['manager', 'analyst', 'support'] as const) {
      const r = await call(v, 'POST', '/api/v1/operators', c.ownerToken, { username: role, name: role, role, password: `${role}-password-123` });
      expect(r.status).toBe(201);
      const login = await call(v, 'POST', '/api/v1/auth/operator/login', null, { club: c.slug, username: role, password: `${role}-password-123` });
      expect(login.status).toBe(200);
      tokens[role] = login.json.token;
    }
    for (const role of ['pos', 'partner'] as const) {
      const r = await call(v, 'POST', '/api/v1/api-keys', c.ownerToken, { name: role, role });
      expect(r.status).toBe(201);
      expect(r.json.key).toMatch(/^vafa_/);
      tokens[role] = r.json.key;
    }
    tokens.member = await signIn(mobile(400));
  });
  afterAll(() => v.close());

  const lastCode = (to: string) => {
    const msg = v.sms.sent.filter((s) => s.clubId === c.clubId && s.to === to).at(-1);
    return msg?.text.match(/\d{6}/)?.[0];
  };
  const e164 = (local: string) => `+98${local.slice(1)}`;
  async function signIn(mob: string): Promise<string> {
    expect((await call(v, 'POST', '/api/v1/auth/member/otp', null, { club: c.slug, mobile: mob })).status).toBe(202);
    const r = await call(v, 'POST', '/api/v1/auth/member/verify', null, { club: c.slug, mobile: mob, code: lastCode(e164(mob)) });
    expect(r.status).toBe(200);
    return r.json.token;
  }
  const otp = (mob: string) => call(v, 'POST', '/api/v1/auth/member/otp', null, { club: c.slug, mobile: mob });
  const verify = (mob: string, code: string) => call(v, 'POST', '/api/v1/auth/member/verify', null, { club: c.slug, mobile: mob, code });
  const freshMobile = () => mobile(++mobileSeq);

  const roleCases: [string, string, string, (m: string) => unknown, number][] = [
    ['analyst', 'POST', '/adjustments', () => ({ points: 5, reason: 'not allowed' }), 403],
    ['support', 'POST', '/adjustments', () => ({ points: 5, reason: 'not allowed' }), 403],
    ['pos', 'POST', '/adjustments', () => ({ points: 5, reason: 'not allowed' }), 403],
    ['member', 'POST', '/adjustments', () => ({ points: 5, reason: 'not allowed' }), 403],
    ['manager', 'POST', '/adjustments', () => ({ points: 5, reason: 'goodwill' }), 201],
    ['analyst', 'GET', '/balance', () => undefined, 200],
    ['support', 'GET', '', () => undefined, 200],
    ['support', 'PATCH', '', () => ({ firstName: 'x' }), 403],
    ['analyst', 'POST', '/spend', () => ({ points: 1 }), 403],
    ['partner', 'POST', '/spend', () => ({ points: 1 }), 403],
    ['member', 'GET', '', () => undefined, 403],
    ['pos', 'POST', '/spend', () => ({ points: 1 }), 201],
  ];
  it.each(roleCases)('%s %s /members/:id%s → %i', async (role, method, suffix, body, status) => {
    const r = await call(v, method, `/api/v1/members/${m}${suffix}`, tokens[role]!, body(m), { 'idempotency-key': `role-${Math.random()}` });
    expect(r.status, r.body.slice(0, 200)).toBe(status);
    if (status === 403) expect(r.json).toMatchObject({ code: 'forbidden' });
  });

  const adminCases: [string, string, string, unknown, number][] = [
    ['pos', 'POST', '/api/v1/api-keys', { name: 'sneaky', role: 'integration' }, 403],
    ['integration', 'POST', '/api/v1/api-keys', { name: 'sneaky', role: 'integration' }, 403],
    ['manager', 'POST', '/api/v1/api-keys', { name: 'sneaky', role: 'integration' }, 403],
    ['manager', 'POST', '/api/v1/operators', { username: 'sneaky', role: 'owner', password: 'long-enough-password' }, 403],
    ['pos', 'GET', '/api/v1/operators', undefined, 403],
    ['analyst', 'GET', '/api/v1/audit', undefined, 403],
    ['pos', 'GET', '/api/v1/ledger/verify', undefined, 403],
    ['manager', 'GET', '/api/v1/ledger/verify', undefined, 403],
    ['owner', 'GET', '/api/v1/ledger/verify', undefined, 200],
    ['analyst', 'PATCH', '/api/v1/club', { allowTransfers: true }, 403],
    ['partner', 'POST', '/api/v1/events', { eventId: 'p-x', type: 'purchase', member: { id: 'mbr_x' }, amountRials: 1 }, 403],
    ['member', 'GET', '/api/v1/members', undefined, 403],
    ['member', 'GET', '/api/v1/me', undefined, 200],
    ['partner', 'GET', '/api/v1/club', undefined, 200],
  ];
  it.each(adminCases)('%s %s %s → %i', async (role, method, url, body, status) => {
    const r = await call(v, method, url, tokens[role]!, body, { 'idempotency-key': `adm-${Math.random()}` });
    expect(r.status, r.body.slice(0, 200)).toBe(status);
  });

  it('no token, a malformed token or an unknown key → 401 unauthenticated', async () => {
    for (const auth of [null, 'Bearer ', 'Bearer vafa_nope_nope', 'Bearer vss_nope', 'Basic b3duZXI6cGFzcw==']) {
      const r = await v.app.inject({ method: 'GET', url: '/api/v1/members', headers: auth ? { authorization: auth } : {} });
      expect([auth, r.statusCode, r.json().code]).toEqual([auth, 401, 'unauthenticated']);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('a revoked API key stops working at once, even right after it was used', async () => {
    const k = await call(v, 'POST', '/api/v1/api-keys', c.ownerToken, { name: 'till 7', role: 'pos' });
    expect((await call(v, 'GET', `/api/v1/members/${m}/balance`, k.json.key)).status).toBe(200);
    const list = await call(v, 'GET', '/api/v1/api-keys', c.ownerToken);
    expect(JSON.stringify(list.json)).not.toContain(k.json.key); // never the secret again
    const del = await call(v, 'DELETE', `/api/v1/api-keys/${k.json.id}`, c.ownerToken);
    expect(del.status).toBe(200);
    const after = await call(v, 'GET', `/api/v1/members/${m}/balance`, k.json.key);
    expect([after.status, after.json.code]).toEqual([401, 'unauthenticated']);
    expect((await call(v, 'DELETE', `/api/v1/api-keys/${k.json.id}`, c.ownerToken)).status).toBe(404);
  });

  it('operator sign-in: a wrong password, user or club all answer 401 invalid_credentials; logout ends the session', async () => {
    for (const body of [
      { club: c.slug, username: 'owner', password: 'wrong password' },
      { club: c.slug, username: 'nobody', password: c.ownerPassword },
      { club: 'no-such-club', username: 'owner', password: c.ownerPassword },
    ]) {
      const r = await call(v, 'POST', '/api/v1/auth/operator/login', null, body);
      expect([r.status, r.json.code]).toEqual([401, 'invalid_credentials']);
      expect(r.json.token).toBeUndefined();
    }
    const ok = await call(v, 'POST', '/api/v1/auth/operator/login', null, { club: c.slug, username: 'OWNER', password: c.ownerPassword });
    expect(ok.status).toBe(200);
    expect(ok.json.token).toMatch(/^vss_/);
    expect((await call(v, 'GET', '/api/v1/club', ok.json.token)).status).toBe(200);
    expect((await call(v, 'POST', '/api/v1/auth/logout', ok.json.token)).status).toBe(204);
    expect((await call(v, 'GET', '/api/v1/club', ok.json.token)).status).toBe(401);
  });

  it('an operator session expires after 12 hours', async () => {
    const login = await call(v, 'POST', '/api/v1/auth/operator/login', null, { club: c.slug, username: 'analyst', password: 'analyst-password-123' });
    expect(login.status).toBe(200);
    // First use after the expiry (a token never used before, so nothing is cached).
    clock.advance(12 * 3600_000 + 1000);
    try {
      const r = await call(v, 'GET', '/api/v1/club', login.json.token);
      expect([r.status, r.json.code]).toEqual([401, 'unauthenticated']);
    } finally {
      clock.advance(-(12 * 3600_000 + 1000));
    }
  });

  it('member OTP: request → the code is sent by SMS → verify → the token works on /api/v1/me', async () => {
    const mob = freshMobile();
    const r = await otp(mob);
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ sent: true });
    const sms = v.sms.sent.at(-1)!;
    expect(sms).toMatchObject({ clubId: c.clubId, to: e164(mob), kind: 'transactional' });
    const code = lastCode(e164(mob))!;
    expect(code).toMatch(/^\d{6}$/);
    const ver = await verify(mob, code);
    expect(ver.status).toBe(200);
    expect(ver.json.token).toMatch(/^vss_/);
    const me = await call(v, 'GET', '/api/v1/me', ver.json.token);
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ id: ver.json.memberId, mobile: e164(mob), joinedVia: 'app' });
    expect((await call(v, 'GET', '/api/v1/me/balance', ver.json.token)).json.points.balance).toBe(0);
    // An existing member signs in as themselves.
    const existing = await call(v, 'GET', '/api/v1/me', tokens.member!);
    expect(existing.json.id).toBe(m);
  });

  it('member OTP: a code typed in Persian digits (and the mobile too) is accepted', async () => {
    const mob = freshMobile();
    await otp(fa(mob));
    const code = lastCode(e164(mob))!;
    const ver = await verify(fa(mob), fa(code));
    expect([ver.status, ver.json.code]).toEqual([200, undefined]);
  });

  it('member OTP: a used code cannot be used again', async () => {
    const mob = freshMobile();
    await otp(mob);
    const code = lastCode(e164(mob))!;
    expect((await verify(mob, code)).status).toBe(200);
    const again = await verify(mob, code);
    expect([again.status, again.json.code]).toEqual([401, 'otp_invalid']);
    expect(again.json.token).toBeUndefined();
  });

  it('member OTP: five wrong guesses burn the code — the right one fails after that', async () => {
    const mob = freshMobile();
    await otp(mob);
    const code = lastCode(e164(mob))!;
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i++) expect((await verify(mob, wrong)).json.code).toBe('otp_invalid');
    const r = await verify(mob, code);
    expect([r.status, r.json.code]).toEqual([401, 'otp_invalid']);
    // A new code works.
    await otp(mob);
    expect((await verify(mob, lastCode(e164(mob))!)).status).toBe(200);
  });

  it('member OTP: a code expires after two minutes', async () => {
    const mob = freshMobile();
    await otp(mob);
    const code = lastCode(e164(mob))!;
    clock.advance(2 * 60_000 + 1000);
    const r = await verify(mob, code);
    expect([r.status, r.json.code]).toEqual([401, 'otp_invalid']);
  });

  it('member OTP: more than 5 requests an hour → 429 otp_rate_limited; an hour later it is allowed again', async () => {
    const mob = freshMobile();
    for (let i = 0; i < 5; i++) expect((await otp(mob)).status).toBe(202);
    const sent = v.sms.sent.length;
    const sixth = await otp(mob);
    expect([sixth.status, sixth.json.code]).toEqual([429, 'otp_rate_limited']);
    expect(v.sms.sent.length).toBe(sent); // no SMS for a refused request
    // The same mobile written another way is the same mobile.
    expect((await otp(`+98 ${mob.slice(1)}`)).status).toBe(429);
    clock.advance(3600_000 + 1000);
    expect((await otp(mob)).status).toBe(202);
  });

  it('member OTP: ten wrong guesses in an hour lock sign-in for that mobile', async () => {
    const mob = freshMobile();
    for (let round = 0; round < 2; round++) {
      await otp(mob);
      const wrong = String((Number(lastCode(e164(mob))) + 1) % 1_000_000).padStart(6, '0');
      for (let i = 0; i < 5; i++) await verify(mob, wrong);
    }
    expect((await otp(mob)).json.code).toBe('otp_rate_limited');
    clock.advance(3600_000 + 1000);
    await otp(mob);
    expect((await verify(mob, lastCode(e164(mob))!)).status).toBe(200);
  });

  it('member OTP: invalid mobile → 422, unknown club → 404', async () => {
    expect((await call(v, 'POST', '/api/v1/auth/member/otp', null, { club: c.slug, mobile: '12345' })).json.code).toBe('invalid_mobile');
    expect((await call(v, 'POST', '/api/v1/auth/member/otp', null, { club: 'no-such-club', mobile: freshMobile() })).json.code).toBe('club_not_found');
  });

  it('the audit log has the adjustment: who, what, when, before → after', async () => {
    const me = await call(v, 'GET', `/api/v1/members/${m}/balance`, c.apiKey);
    const before = me.json.points.balance as number;
    const adj = await call(v, 'POST', `/api/v1/members/${m}/adjustments`, c.ownerToken, { points: 50, reason: 'جبران تأخیر ارسال' });
    expect(adj.status).toBe(201);
    const ops = await call(v, 'GET', '/api/v1/operators', c.ownerToken);
    const ownerId = ops.json.items.find((o: { username: string }) => o.username === 'owner').id;
    const audit = await call(v, 'GET', '/api/v1/audit?limit=50', c.ownerToken);
    const item = audit.json.items.find((i: { action: string; after?: { entryId?: string } }) => i.action === 'ledger.adjusted' && i.after?.entryId === adj.json.entryId);
    expect(item).toBeDefined();
    expect(item).toMatchObject({ actor: `operator:${ownerId}`, target: m, after: { points: 50, reason: 'جبران تأخیر ارسال' } });
    expect(Math.abs(Date.parse(item.at) - Date.now())).toBeLessThan(5 * 60_000);
    expect(item.before).toMatchObject({ balance: before });
    expect(item.after).toMatchObject({ balance: before + 50 });
  });

  it('the audit log has a member change with before → after, and never the mobile in clear', async () => {
    const r = await call(v, 'PATCH', `/api/v1/members/${m}`, c.ownerToken, { firstName: 'زهرا' });
    expect(r.status).toBe(200);
    const audit = await call(v, 'GET', '/api/v1/audit?limit=50', c.ownerToken);
    const item = audit.json.items.find((i: { action: string; target: string }) => i.action === 'member.updated' && i.target === m);
    expect(item.before.firstName).toBeNull();
    expect(item.after.firstName).toBe('زهرا');
    expect(JSON.stringify(item)).not.toContain(e164(mobile(400)));
  });

  it('the audit log is append-only through the API: no route changes or deletes it', async () => {
    for (const method of ['DELETE', 'PATCH', 'PUT'] as const) {
      const r = await call(v, method, '/api/v1/audit', c.ownerToken, method === 'DELETE' ? undefined : {});
      expect(r.status).toBe(404);
    }
  });
});
