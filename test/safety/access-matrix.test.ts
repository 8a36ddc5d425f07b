/**
 * Access matrix (OWASP API Top 10 2023: API1 object-level, API3 property-level, API5
 * function-level authorisation). Every documented route × every principal (integration,
 * pos and partner API keys; owner, manager, analyst and support sessions; a member
 * session; no token) × own / other club × own / another member's resource. The expected
 * answer of each cell comes from the roles the route declares (`config.allow`, read from
 * the app's route table), not from a list kept here:
 *  - no token on a protected route → 401 `unauthenticated`;
 *  - a role the route does not allow → 403 `forbidden`;
 *  - an allowed role on its own club's resource → through the gate (a GET answers 2xx;
 *    a write may still meet a business rule, never 401/403/404 for the resource);
 *  - an allowed role on another club's resource, or a member on another member's
 *    resource → 404, never 2xx;
 *  - public routes (sign-in, published draws) → never 401/403.
 * Bodies are schema-valid (a minimal example from the OpenAPI document, or a hand-written
 * one where the example would hit a business rule), so only authorisation can stop them.
 *
 * Then mass assignment: members cannot be created or changed with balance, tier, points
 * (nor a member's own groups or status): 400 and the record unchanged.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, mobile } from '../fixtures.js';
import { example, fillPath, pathParamNames, routesOf, type Route } from './openapi.js';
import { buildWorld, MEMBER_OWNED, PRINCIPALS, resourceOf, type PrincipalName, type World } from './world.js';
import { expectLedgerClean } from './invariants.js';

type Variant = 'own' | 'other-member' | 'other-club';
type Expect = 'public' | 'unauthenticated' | 'forbidden' | 'pass' | 'not-found';

/** Bodies the minimal example would send into a business rule before the resource check. */
const BODIES: Record<string, (w: World) => unknown> = {
  'POST /api/v1/events': (w) => ({ eventId: `am-${randomUUID()}`, type: 'purchase', member: { id: w.members[0] }, amountRials: 100_000 }),
  'POST /api/v1/events/batch': (w) => ({ events: [{ eventId: `am-${randomUUID()}`, type: 'purchase', member: { id: w.members[0] }, amountRials: 100_000 }] }),
  'POST /api/v1/members': () => ({ mobile: mobile(9_500_000 + Math.floor(Math.random() * 400_000)) }),
  'POST /api/v1/members/{id}/transfers': (w) => ({ toMemberId: w.members[1], points: 1 }),
  'POST /api/v1/me/transfers': (w) => ({ toMemberId: w.members[1], points: 1 }),
  'POST /api/v1/members/{id}/adjustments': () => ({ points: 1, reason: 'access matrix' }),
  'POST /api/v1/members/{id}/redemptions': (w) => ({ rewardId: w.ids.reward }),
  'POST /api/v1/me/redemptions': (w) => ({ rewardId: w.ids.reward }),
  'POST /api/v1/festivals/{id}/participants': (w) => ({ memberId: w.members[0] }),
  'PATCH /api/v1/festivals/{id}': () => ({ description: { fa: 'ماتریس دسترسی' } }),
  'POST /api/v1/pos/quote': (w) => ({ member: { id: w.members[0] }, basketRials: 1_000_000 }),
  'POST /api/v1/pos/burn': (w) => ({ member: { id: w.members[0] }, basketRials: 1_000_000, points: 1 }),
  'POST /api/v1/pos/refunds': (w) => ({ purchaseEventId: w.ids.purchaseEventId }),
  'POST /api/v1/auth/operator/login': (w) => ({ club: w.club.slug, username: 'nobody', password: 'wrong' }),
  'POST /api/v1/auth/member/verify': (w) => ({ club: w.club.slug, mobile: mobile(9_999_999), code: '000000' }),
  'POST /api/v1/auth/member/otp': () => ({ club: 'no-such-club', mobile: mobile(9_999_998) }),
  'POST /api/v1/rewards': () => ({ type: 'donation', title: { fa: 'جایزه' }, costPoints: 10, config: { cause: { fa: 'محک' } } }),
  'POST /api/v1/rules/simulate': () => ({ event: { type: 'purchase', amountRials: 100_000 } }),
  'POST /api/v1/rules/backtest': () => ({ rule: { name: { fa: 'ماتریس دسترسی' }, trigger: 'purchase', effects: [{ type: 'award', unit: 'points', amount: '1' }] }, from: '1404/01/01', to: '1404/01/31' }),
};
const QUERIES: Record<string, (w: World) => string> = {
  'GET /api/v1/members/lookup': (w) => `id=${w.members[0]}`,
};

describeEngines('access matrix: route × role × club × member', (engine) => {
  let v: TestVafa;
  let A: World;
  let B: World;
  let routes: (Route & { allow: readonly string[] | undefined })[];
  beforeAll(async () => {
    v = await testVafa(engine);
    A = await buildWorld(v);
    B = await buildWorld(v, { operators: false });
    const spec = await call(v, 'GET', '/openapi.json', null);
    const allowOf = new Map(v.routes.map((r) => [`${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`, r.allow]));
    routes = routesOf(spec.json).map((r) => {
      const key = `${r.method} ${r.path}`;
      expect(allowOf.has(key), `${key} is documented but not in the route table`).toBe(true);
      return { ...r, allow: allowOf.get(key) };
    });
    // Logging out ends the session the rest of the walk uses: last.
    routes.sort((a, b) => Number(a.path === '/api/v1/auth/logout') - Number(b.path === '/api/v1/auth/logout'));
    if (A.notes.length) console.log(`access matrix [${engine}]: fixture gaps: ${A.notes.join('; ')}`);
  });
  afterAll(() => v?.close());

  it('mass assignment: balance, tier and points cannot be set on members (nor groups or status by the member)', async () => {
    const [m1] = A.members;
    const read = async () => {
      const m = await call(v, 'GET', `/api/v1/members/${m1}`, A.tokens.owner);
      const b = await call(v, 'GET', `/api/v1/members/${m1}/balance`, A.tokens.owner);
      return { tier: m.json.tier, status: m.json.status, groups: m.json.groups, firstName: m.json.firstName, balance: b.json.points };
    };
    const before = await read();
    const extras = [{ balance: 1_000_000 }, { tier: 'gold' }, { points: 5_000 }, { balance: { points: 1 } }, { tier: null }, { points: -1 }];
    let checked = 0;
    for (const extra of extras) {
      for (const principal of ['integration', 'pos', 'owner', 'manager'] as const) {
        const mob = mobile(9_400_000 + checked);
        const created = await call(v, 'POST', '/api/v1/members', A.tokens[principal], { mobile: mob, ...extra }, { 'idempotency-key': randomUUID() });
        expect([created.status, created.json.code], `create with ${JSON.stringify(extra)} by ${principal}`).toEqual([400, 'validation_failed']);
        expect((await call(v, 'GET', `/api/v1/members/lookup?mobile=${mob}`, A.tokens.owner)).status).toBe(404);
        const patched = await call(v, 'PATCH', `/api/v1/members/${m1}`, A.tokens[principal], { firstName: 'Mallory', ...extra }, { 'idempotency-key': randomUUID() });
        expect([patched.status, patched.json.code], `patch with ${JSON.stringify(extra)} by ${principal}`).toEqual([400, 'validation_failed']);
        checked += 2;
      }
      for (const self of [extra, { groups: ['doctor'] }, { status: 'active' }, { mobile: mobile(9_300_001) }, { customerNo: 'VIP-1' }]) {
        const r = await call(v, 'PATCH', '/api/v1/me', A.tokens.member, { firstName: 'Mallory', ...self });
        expect([r.status, r.json.code], `PATCH /me ${JSON.stringify(self)}`).toEqual([400, 'validation_failed']);
        checked++;
      }
    }
    expect(await read()).toEqual(before);
    console.log(`access matrix [${engine}]: ${checked} mass-assignment attempts refused, member unchanged`);
  });

  it('exactly the allowed cells get through', { timeout: 300_000 }, async () => {
    const failures: string[] = [];
    const tally: Record<string, number> = {};
    let cells = 0;
    const weak = new Set<string>();
    for (const route of routes) {
      const template = `${route.method} ${route.path}`;
      const params = pathParamNames(route.path);
      const kinds = params.map((p) => resourceOf(route.path, p));
      const variants: Variant[] = ['own'];
      if (kinds.some((k) => MEMBER_OWNED.has(k))) variants.push('other-member');
      if (params.length) variants.push('other-club');
      for (const variant of variants) {
        for (const principal of PRINCIPALS) {
          const w = variant === 'other-club' ? B : A;
          const values: Record<string, string> = {};
          let known = true;
          for (const [i, p] of params.entries()) {
            const kind = kinds[i]!;
            if (kind === 'version') values[p] = '1';
            else if (kind === 'apiKey') values[p] = (await v.services.access.createApiKey(w.club.clubId, { name: 'to revoke', role: 'integration' }, 'test')).id;
            else if (kind === 'eventType' && route.method === 'DELETE') {
              const name = `t_${randomUUID().slice(0, 8)}`;
              await call(v, 'POST', '/api/v1/event-types', w.club.ownerToken, { name });
              values[p] = name;
            } else {
              const id = variant === 'other-member' && MEMBER_OWNED.has(kind) ? w.theirs[kind] : w.ids[kind];
              if (!id) known = false;
              values[p] = id ?? `zzz_${kind.replace(/\W/g, '_')}`;
            }
          }
          if (!known) weak.add(template);
          const allow = route.allow;
          const role = principal === 'none' ? null : principal;
          // A member's own resources are the /me routes; on a member-owned id the member is "other" unless it is theirs.
          const expected: Expect = !allow
            ? 'public'
            : !role
              ? 'unauthenticated'
              : !allow.includes(role)
                ? 'forbidden'
                : variant === 'other-club' || (variant === 'other-member' && role === 'member')
                  ? 'not-found'
                  : 'pass';
          const token = principal === 'none' ? null : A.tokens[principal];
          const q = QUERIES[template]?.(A) ?? '';
          const url = fillPath(route.path, values) + (q ? `?${q}` : '');
          const body = BODIES[template]?.(A) ?? (route.body ? example(route.body) : undefined);
          const r = await call(v, route.method, url, token, body, { 'idempotency-key': `am-${randomUUID()}` });
          cells++;
          tally[`${expected}:${r.status}`] = (tally[`${expected}:${r.status}`] ?? 0) + 1;
          const where = `${principal} ${variant} ${route.method} ${url} (allow ${allow?.join(',') ?? 'public'}) → ${r.status} ${r.json?.code ?? ''} ${(r.json?.detail ?? '').slice(0, 120)}`;
          const gateDenied = (r.status === 401 && r.json?.code === 'unauthenticated') || (r.status === 403 && r.json?.code === 'forbidden');
          // Schema validation (zod, with an `errors` list) runs before the role check, so a refused body hides the decision.
          const schemaRefused = r.status === 400 && r.json?.code === 'validation_failed' && Array.isArray(r.json?.errors);
          if (r.status >= 500) failures.push(`5xx: ${where}`);
          else if (schemaRefused && expected !== 'pass') failures.push(`body refused before the gate (cannot see the decision): ${where}`);
          else if (r.status >= 400 && !/^application\/problem\+json/.test(String(r.headers['content-type']))) failures.push(`4xx not problem+json: ${where}`);
          else
            switch (expected) {
              case 'public':
                if (gateDenied) failures.push(`public route denied: ${where}`);
                break;
              case 'unauthenticated':
                if (r.status !== 401 || r.json?.code !== 'unauthenticated') failures.push(`expected 401: ${where}`);
                break;
              case 'forbidden':
                if (r.status !== 403 || r.json?.code !== 'forbidden') failures.push(`expected 403: ${where}`);
                break;
              case 'not-found':
                if (r.status !== 404 || !/not_found$/.test(r.json?.code ?? '')) failures.push(`expected 404: ${where}`);
                break;
              case 'pass':
                if (gateDenied) failures.push(`allowed cell denied: ${where}`);
                else if (schemaRefused) failures.push(`fixture body invalid: ${where}`);
                else if (known && r.status === 404) failures.push(`own resource not found: ${where}`);
                else if (route.method === 'GET' && known && (r.status < 200 || r.status >= 300)) failures.push(`allowed read failed: ${where}`);
                break;
            }
        }
      }
    }
    console.log(`access matrix [${engine}]: ${cells} cells checked over ${routes.length} routes × ${PRINCIPALS.length} principals; outcomes ${JSON.stringify(tally)}`);
    if (weak.size) console.log(`access matrix [${engine}]: routes walked with a made-up id (no fixture): ${[...weak].join(', ')}`);
    expect(failures).toEqual([]);
    expect(cells).toBeGreaterThan(routes.length * PRINCIPALS.length);
    // The walk ended with POST /auth/logout: those sessions are dead now, the API keys are not.
    for (const p of ['owner', 'manager', 'analyst', 'support', 'member'] as const) expect((await call(v, 'GET', '/api/v1/club', A.tokens[p])).status, `${p} after logout`).toBe(401);
    expect((await call(v, 'GET', '/api/v1/club', A.tokens.integration)).status).toBe(200);
    await expectLedgerClean(v.database.db, A.club.clubId);
    await expectLedgerClean(v.database.db, B.club.clubId);
  });

  it('an anonymous caller is turned away before the body is read (no schema details for strangers)', async () => {
    const protectedWithBody = routes.filter((r) => r.allow && r.body);
    const leaks: string[] = [];
    for (const r of protectedWithBody) {
      const url = fillPath(r.path, {});
      const res = await call(v, r.method, url, null, { 'no-such-field': ['x'] });
      if (res.status !== 401) leaks.push(`${r.method} ${r.path} → ${res.status} ${res.json?.code}`);
    }
    expect(leaks).toEqual([]);
  });

});
