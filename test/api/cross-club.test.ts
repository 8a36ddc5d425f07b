/**
 * Club = tenant. Walks every documented route (from /openapi.json, so a new route is
 * covered the day it is added) with club A's credentials against club B's ids: the answer
 * is 404 (or 403 where A's role may not call the route at all), never a 2xx, never B's
 * data. List routes never show B's rows. Ids sent in bodies (events, transfers, refunds)
 * and Idempotency-Keys are checked too, and club B is unchanged at the end.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, mobile, nationalCode, type ClubFixture } from '../fixtures.js';
import { verifyLedger } from '../../src/modules/ledger/verify.js';

interface B {
  club: ClubFixture;
  member: string;
  mobile: string;
  hold: string;
  keyId: string;
  eventId: string;
  idemKey: string;
}

/** Bodies that pass validation, so that only the club check can stop the request. */
const BODIES: Record<string, (aMember: string) => unknown> = {
  'POST /api/v1/members/{id}/spend': () => ({ points: 1 }),
  'POST /api/v1/members/{id}/holds': () => ({ points: 1 }),
  'POST /api/v1/members/{id}/adjustments': () => ({ points: 1, reason: 'cross-club probe' }),
  'POST /api/v1/members/{id}/transfers': (a) => ({ toMemberId: a, points: 1 }),
  'POST /api/v1/members/{id}/conversions': () => ({ points: 1 }),
  'PATCH /api/v1/members/{id}': () => ({ firstName: 'Mallory' }),
};

describeEngines('cross-club access is denied on every route', (engine) => {
  let v: TestVafa;
  let a: ClubFixture;
  let aMember: string;
  let aMemberToken: string;
  let b: B;
  let secrets: string[];
  beforeAll(async () => {
    v = await testVafa(engine);
    a = await makeClub(v, { allowTransfers: true });
    const bClub = await makeClub(v, { allowTransfers: true });
    aMember = await makeMember(v, a.clubId, 301);
    await call(v, 'POST', '/api/v1/events', a.ownerToken, { eventId: 'a-seed', type: 'purchase', member: { id: aMember }, amountRials: 1_000_000 });

    const bMobile = mobile(302);
    const bMember = await makeMember(v, bClub.clubId, 302, { firstName: 'Bijan', lastName: 'Bahrami', customerNo: 'B-CUST-1', nationalCode: nationalCode(302) });
    const idemKey = 'shared-key-1';
    const p = await call(v, 'POST', '/api/v1/events', bClub.apiKey, { eventId: 'b-purchase-1', type: 'purchase', member: { id: bMember }, amountRials: 7_770_000 }, { 'idempotency-key': idemKey });
    expect(p.json.points).toBe(777);
    const h = await call(v, 'POST', `/api/v1/members/${bMember}/holds`, bClub.ownerToken, { points: 10 });
    expect(h.status).toBe(201);
    const keys = await call(v, 'GET', '/api/v1/api-keys', bClub.ownerToken);
    b = { club: bClub, member: bMember, mobile: bMobile, hold: h.json.id, keyId: keys.json.items[0].id, eventId: 'b-purchase-1', idemKey };
    secrets = [bMember, b.hold, b.keyId, bClub.clubId, bClub.slug, '+98' + bMobile.slice(1), 'Bijan', 'Bahrami', 'B-CUST-1', p.json.id];

    // A member of club A, signed in through the one-time code.
    const aMobile = mobile(301);
    expect((await call(v, 'POST', '/api/v1/auth/member/otp', null, { club: a.slug, mobile: aMobile })).status).toBe(202);
    const code = v.sms.sent.filter((m) => m.clubId === a.clubId).at(-1)!.text.match(/\d{6}/)![0];
    const ver = await call(v, 'POST', '/api/v1/auth/member/verify', null, { club: a.slug, mobile: aMobile, code });
    expect(ver.status).toBe(200);
    aMemberToken = ver.json.token;
  });
  afterAll(() => v.close());

  /** B's data in a response, the echo of the request (instance, requestId, the id sent) aside. */
  const leaks = (body: unknown, sent: string[] = []) => {
    const text = JSON.stringify(body ?? null, (k, val) => (k === 'instance' || k === 'requestId' ? undefined : val));
    return secrets.filter((s) => !sent.includes(s) && text.includes(s));
  };
  /** A request that never answers fails the test by name instead of timing the file out. */
  const callOrHang = (method: string, url: string, token: string | null, body?: unknown, headers?: Record<string, string>) =>
    Promise.race([call(v, method, url, token, body, headers), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${method} ${url} did not answer in 10 s`)), 10_000).unref())]);

  async function documentedRoutes() {
    const spec = await call(v, 'GET', '/openapi.json', null);
    expect(spec.status).toBe(200);
    return Object.entries(spec.json.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => ({ method: m.toUpperCase(), path })),
    );
  }

  it('every list and read route without an id shows A only its own rows', async () => {
    const routes = (await documentedRoutes()).filter((r) => r.method === 'GET' && !r.path.includes('{'));
    const extra = [
      `/api/v1/members?q=${encodeURIComponent(b.mobile)}`,
      '/api/v1/members?q=Bijan',
      '/api/v1/members?q=B-CUST-1',
      `/api/v1/members?q=${nationalCode(302)}`,
      '/api/v1/members?limit=200',
      '/api/v1/audit?limit=200',
    ];
    let ok = 0;
    for (const url of [...routes.map((r) => r.path), ...extra]) {
      for (const [who, token] of Object.entries({ owner: a.ownerToken, apiKey: a.apiKey, member: aMemberToken })) {
        const r = await callOrHang('GET', url, token);
        const where = `${who} GET ${url} → ${r.status}`;
        expect(r.status, where).toBeLessThan(500);
        expect(leaks(r.json), where).toEqual([]);
        if (r.status === 200) ok++;
      }
    }
    console.log(`cross-club [${engine}]: ${routes.length + extra.length} list/read urls × 3 credentials, ${ok} answered 200 without B's data`);
    expect(ok).toBeGreaterThanOrEqual(10);
    // The searches by B's identifiers found nothing, and the club is A's.
    for (const url of extra.slice(0, 4)) expect((await call(v, 'GET', url, a.ownerToken)).json.items, url).toEqual([]);
    expect((await call(v, 'GET', '/api/v1/club', a.apiKey)).json.id).toBe(a.clubId);
    const lists = await Promise.all(['/api/v1/api-keys', '/api/v1/operators'].map((u) => call(v, 'GET', u, a.ownerToken)));
    for (const l of lists) expect(l.json.items.length).toBeGreaterThan(0);
    // Ledger views count and sum A's rows only.
    const aRows = await v.database.db.selectFrom('member_balances').select(['member_id', 'unit', 'balance']).where('club_id', '=', a.clubId).execute();
    const ver = await call(v, 'GET', '/api/v1/ledger/verify', a.ownerToken);
    expect(ver.json.ok).toBe(true);
    expect(ver.json.checked.balances).toBe(aRows.length);
    const sys = await call(v, 'GET', '/api/v1/ledger/system-accounts', a.ownerToken);
    const sysPoints = sys.json.items.filter((i: { unit: string }) => i.unit === 'points').reduce((t: number, i: { balance: number }) => t + i.balance, 0);
    expect(sysPoints).toBe(-aRows.filter((r) => r.unit === 'points').reduce((t, r) => t + Number(r.balance), 0));
    expect(sysPoints).toBe(-100);
  });

  it("every route with an id, called with A's owner session and A's API key on B's ids: 404 or 403, never B's data", async () => {
    const routes = (await documentedRoutes()).filter((r) => r.path.includes('{'));
    const creds = { owner: a.ownerToken, apiKey: a.apiKey, member: aMemberToken };
    const idsFor = (path: string): string[] => {
      const resource = /\/([\w-]+)\/\{[^}]+\}/.exec(path)?.[1];
      if (resource === 'members') return [b.member];
      if (resource === 'holds') return [b.hold];
      if (resource === 'api-keys') return [b.keyId];
      return [b.member]; // a route of another module: B's member id stands for any id of B
    };
    const strong = new Set<string>();
    const weak: string[] = [];
    for (const route of routes) {
      const template = `${route.method} ${route.path}`;
      const known = template in BODIES || route.method === 'GET' || route.method === 'DELETE' || /\/(capture|release)$/.test(route.path);
      for (const id of idsFor(route.path)) {
        const url = route.path.replace(/\{[^}]+\}/g, id);
        const body = BODIES[template]?.(aMember) ?? (route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT' ? (known ? undefined : {}) : undefined);
        for (const [who, token] of Object.entries(creds)) {
          const r = await callOrHang(route.method, url, token, body, { 'idempotency-key': `probe-${Math.random()}` });
          const where = `${who} ${route.method} ${url} → ${r.status} ${r.body.slice(0, 200)}`;
          // PUT names a resource of the caller's own club (an upsert by name): 2xx is fine there.
          if (route.method !== 'PUT' || known) expect(r.status < 200 || r.status >= 300, where).toBe(true);
          expect(r.status, where).toBeLessThan(500);
          expect(leaks(r.json, [id]), where).toEqual([]);
          if (known) {
            expect([403, 404], where).toContain(r.status);
            if (r.status === 403) expect(r.json.code, where).toBe('forbidden');
            else expect(r.json.code, where).toMatch(/not_found$/);
            if (r.status === 404) strong.add(template);
          } else weak.push(where);
        }
      }
    }
    console.log(`cross-club [${engine}]: ${routes.length} routes with an id walked; ${strong.size} answered 404 to A on B's ids: ${[...strong].join(', ')}`);
    if (weak.length) console.log(`cross-club [${engine}]: routes without a known valid body (checked only for no 2xx, no leak):\n  ${weak.join('\n  ')}`);
    // The foundation's routes with an id; more may come, fewer means the walk is broken.
    expect(strong.size).toBeGreaterThanOrEqual(13);
  });

  it('lookups by any of B’s identifiers answer 404', async () => {
    for (const q of [`id=${b.member}`, `mobile=${b.mobile}`, 'customerNo=B-CUST-1', `nationalCode=${nationalCode(302)}`]) {
      for (const token of [a.ownerToken, a.apiKey]) {
        const r = await call(v, 'GET', `/api/v1/members/lookup?${q}`, token);
        expect([q, r.status, r.json.code]).toEqual([q, 404, 'member_not_found']);
      }
    }
  });

  it("ids in bodies: events, refunds, transfers and batches cannot reach B's members or events", async () => {
    const post = (url: string, token: string, body: unknown) => call(v, 'POST', url, token, body, { 'idempotency-key': `body-${Math.random()}` });
    const cases: [string, string, unknown, number, string][] = [
      ['event for B member by id', '/api/v1/events', { eventId: 'x1', type: 'purchase', member: { id: b.member }, amountRials: 1_000_000 }, 404, 'member_not_found'],
      ['event for B member by mobile', '/api/v1/events', { eventId: 'x2', type: 'purchase', member: { mobile: b.mobile }, amountRials: 1_000_000 }, 404, 'member_not_found'],
      ['event for B member by customer number', '/api/v1/events', { eventId: 'x3', type: 'purchase', member: { customerNo: 'B-CUST-1' }, amountRials: 1_000_000 }, 404, 'member_not_found'],
      ["refund of B's purchase", '/api/v1/events', { eventId: 'x4', type: 'refund', refundOf: b.eventId, member: { id: aMember }, amountRials: 1 }, 404, 'event_not_found'],
      ['transfer to B member', `/api/v1/members/${aMember}/transfers`, { toMemberId: b.member, points: 1 }, 404, 'member_not_found'],
    ];
    for (const [name, url, body, status, code] of cases) {
      for (const token of [a.ownerToken, a.apiKey]) {
        const r = await post(url, token, body);
        expect([name, r.status, r.json.code]).toEqual([name, status, code]);
      }
    }
    const me = await call(v, 'POST', '/api/v1/me/transfers', aMemberToken, { toMemberId: b.member, points: 1 });
    expect([me.status, me.json.code]).toEqual([404, 'member_not_found']);
    const batch = await post('/api/v1/events/batch', a.apiKey, { events: [{ eventId: 'x5', type: 'purchase', member: { id: b.member }, amountRials: 1_000_000 }] });
    expect(batch.json.results[0]).toMatchObject({ status: 'failed', code: 'member_not_found' });
    expect(leaks(batch.json)).toEqual([]);
  });

  it("B's eventId and Idempotency-Key mean nothing in A: A gets its own fresh outcome", async () => {
    const sameEventId = await call(v, 'POST', '/api/v1/events', a.apiKey, { eventId: b.eventId, type: 'purchase', member: { id: aMember }, amountRials: 500_000 }, { 'idempotency-key': 'a-own-key' });
    expect(sameEventId.status).toBe(201);
    expect(sameEventId.json).toMatchObject({ status: 'created', memberId: aMember, points: 50 });
    const sameKey = await call(v, 'POST', '/api/v1/events', a.apiKey, { eventId: 'a-2', type: 'purchase', member: { id: aMember }, amountRials: 200_000 }, { 'idempotency-key': b.idemKey });
    expect(sameKey.status).toBe(201);
    expect(sameKey.json).toMatchObject({ status: 'created', memberId: aMember, points: 20 });
    expect(leaks(sameKey.json)).toEqual([]);
  });

  it('club B is untouched after all of the above', async () => {
    const bal = await call(v, 'GET', `/api/v1/members/${b.member}/balance`, b.club.apiKey);
    expect(bal.json.points).toMatchObject({ balance: 767, available: 767 });
    expect((await call(v, 'GET', `/api/v1/holds/${b.hold}`, b.club.apiKey)).json.status).toBe('pending');
    const m = await call(v, 'GET', `/api/v1/members/${b.member}`, b.club.apiKey);
    expect(m.json).toMatchObject({ firstName: 'Bijan', status: 'active' });
    expect((await call(v, 'GET', '/api/v1/club', b.club.apiKey)).json.id).toBe(b.club.clubId); // B's key was not revoked
    const hist = await call(v, 'GET', `/api/v1/members/${b.member}/history`, b.club.apiKey);
    expect(hist.json.items.map((i: { kind: string }) => i.kind).sort()).toEqual(['earn', 'hold']);
    expect((await verifyLedger(v.database.db, b.club.clubId)).ok).toBe(true);
    // Nothing in B's audit log was done by A's operator or A's API key.
    const aOperators = (await call(v, 'GET', '/api/v1/operators', a.ownerToken)).json.items.map((o: { id: string }) => `operator:${o.id}`);
    const aKeys = (await call(v, 'GET', '/api/v1/api-keys', a.ownerToken)).json.items.map((k: { id: string }) => `apikey:${k.id}`);
    expect(aOperators.length + aKeys.length).toBeGreaterThanOrEqual(2);
    const audit = await call(v, 'GET', '/api/v1/audit?limit=200', b.club.ownerToken);
    expect(audit.json.items.length).toBeGreaterThan(0);
    expect(audit.json.items.filter((i: { actor: string }) => [...aOperators, ...aKeys].includes(i.actor))).toEqual([]);
  });
});
