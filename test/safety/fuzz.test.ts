/**
 * API fuzz. For every route × method in /openapi.json, fast-check generates requests —
 * valid-shaped bodies from the route's JSON Schema, and malformed ones: wrong types,
 * missing fields, 100 KB strings, JSON nested 1000 deep, Persian/Arabic digits, control
 * characters and bidi overrides, SQL-ish strings, negative/fractional/huge numbers, extra
 * properties (balance, tier, points, clubId…), prototype pollution, bodies that are not
 * JSON or not objects, odd path ids and query values — sent with the owner's session, an
 * integration API key, a member session, no token or a forged one, on a fresh club.
 *
 * Every answer is < 500; every 4xx is application/problem+json with a `code` and no stack
 * trace; and a 4xx writes nothing: the club's rows in events, journal entries and lines,
 * lots, balances, members, holds, idempotency keys, outbox and audit log are counted
 * before and after each request.
 *
 * Trimmed: 1,000 requests per engine. Full (VAFA_SAFETY_FULL=1): 10,000 per engine.
 * VAFA_FUZZ_REQUESTS and VAFA_FUZZ_SEED override; a failure prints its seed and request.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call } from '../fixtures.js';
import { HUGE_STRING, MUTATIONS, NASTY_NUMBERS, NASTY_STRINGS, deepJson, malformedArb, pathParamNames, routesOf, serialise, validArb, type Route } from './openapi.js';
import { buildWorld, resourceOf, type World } from './world.js';
import { expectLedgerClean } from './invariants.js';

const FULL = process.env.VAFA_SAFETY_FULL === '1';
const RUNS = Number(process.env.VAFA_FUZZ_REQUESTS ?? (FULL ? 10_000 : 1_000));
const SEED = Number(process.env.VAFA_FUZZ_SEED ?? Date.now() % 1_000_000);

const COUNTED = ['events', 'journal_entries', 'journal_lines', 'lots', 'member_balances', 'members', 'holds', 'idempotency_keys', 'outbox', 'audit_log'];

type Who = 'owner' | 'integration' | 'member' | 'none' | 'forged';
interface Req {
  route: number;
  who: Who;
  body: { kind: string; text?: string; contentType?: string };
  path: string[];
  query: [string, string][];
  idem: string | null;
}

const enc = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80'; // a lone surrogate, as its (invalid) UTF-8 bytes
  }
};

const RAW_BODIES: { text: string; contentType?: string }[] = [
  { text: '' }, { text: '{' }, { text: '{"a":' }, { text: '[]' }, { text: 'null' }, { text: '"a string"' }, { text: '123' }, { text: 'true' },
  { text: 'nul' }, { text: '{"a":1}{"b":2}' }, { text: '\u0000' }, { text: '{"a":"\\ud800"}' }, { text: '{"a":1,"a":2}' },
  { text: JSON.stringify(deepJson(1000)) }, { text: '['.repeat(5000) + ']'.repeat(5000) },
  { text: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' }, { text: '<x/>', contentType: 'application/xml' },
  { text: '{}', contentType: 'text/plain' }, { text: '{}', contentType: 'application/json; charset=utf-16' }, { text: '{}', contentType: 'multipart/form-data; boundary=x' },
];

const queryValue = fc.oneof(
  fc.constantFrom('1', '0', '-1', '1.5', '1e309', 'NaN', '۱۰', '٣', '', 'true', 'x'.repeat(300), 'active', 'points'),
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ maxLength: 10 }),
);

describeEngines('API fuzz: never a 5xx, 4xx is problem+json, a 4xx writes nothing', (engine) => {
  let v: TestVafa;
  let w: World;
  let routes: Route[];
  /** Per route, the fuzz's principals its roles admit: most requests go past the gate. */
  let allowed: Who[][];
  beforeAll(async () => {
    v = await testVafa(engine);
    w = await buildWorld(v, { operators: false });
    routes = routesOf((await call(v, 'GET', '/openapi.json', null)).json);
    const allowOf = new Map(v.routes.map((r) => [`${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`, r.allow]));
    allowed = routes.map((r) => {
      const allow = allowOf.get(`${r.method} ${r.path}`);
      if (!allow) return ['none'];
      const mine = (['owner', 'integration', 'member'] as const).filter((p) => allow.includes(p));
      return mine.length ? [...mine] : ['owner'];
    });
  });
  afterAll(() => v?.close());

  const counts = async (clubId: string): Promise<Record<string, number>> => {
    const cols = COUNTED.map((t) => sql`(select count(*) from ${sql.table(t)} where club_id = ${clubId})::int as ${sql.ref(t)}`);
    return (await sql<Record<string, number>>`select ${sql.join(cols)}`.execute(v.database.db)).rows[0]!;
  };

  const seed = SEED + (engine === 'postgres' ? 1 : 0);
  it(`${RUNS} generated requests (seed ${seed})`, { timeout: FULL ? 3_600_000 : 300_000 }, async () => {
    const pool = (kind: string): string[] => [w.ids[kind], w.theirs[kind]].filter((x): x is string => Boolean(x));
    const pathArb = (r: Route) =>
      fc.tuple(
        ...pathParamNames(r.path).map((p) => {
          const mine = pool(resourceOf(r.path, p));
          return fc.oneof(
            { weight: mine.length ? 5 : 0, arbitrary: mine.length ? fc.constantFrom(...mine) : fc.constant('x') },
            { weight: 1, arbitrary: fc.constantFrom(...NASTY_STRINGS, 'a'.repeat(5000), '..', '%2e%2e', 'mbr_' + 'f'.repeat(32)) },
            { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
          );
        }),
      );
    const queryArb = (r: Route) => {
      const qs = r.params.filter((p) => p.in === 'query');
      return fc.tuple(
        ...qs.map((p) =>
          fc.option(
            fc.oneof(
              validArb(p.schema).map((x) => String(x)),
              queryValue,
            ).map((x): [string, string] => [p.name, x]),
            { freq: 2 },
          ),
        ),
        fc.option(fc.constantFrom<[string, string]>(['limit', '5'], ['limit', '-5'], ['extra', 'x'], ['__proto__', 'x'], ['cursor', "' OR 1=1"]), { freq: 3 }),
      ).map((xs) => xs.filter((x): x is [string, string] => x !== null));
    };
    const bodyArb = (r: Route): fc.Arbitrary<Req['body']> => {
      const raw = fc.constantFrom(...RAW_BODIES).map((b) => ({ kind: 'raw', ...b }));
      if (!r.body) return fc.oneof({ weight: 4, arbitrary: fc.constant({ kind: 'none' }) }, { weight: 1, arbitrary: raw }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((x) => ({ kind: 'json', text: JSON.stringify(x) ?? 'null' })) });
      return fc.oneof(
        { weight: 3, arbitrary: validArb(r.body).map((x) => ({ kind: 'valid', text: JSON.stringify(x) })) },
        { weight: 6, arbitrary: malformedArb(r.body).map((m) => ({ kind: m.mutation, text: serialise(m.value) ?? '' })) },
        { weight: 1, arbitrary: raw },
        { weight: 1, arbitrary: fc.constant({ kind: 'missing' }) },
      );
    };
    const reqArb: fc.Arbitrary<Req> = fc.nat(routes.length - 1).chain((i) =>
      fc.record({
        route: fc.constant(i),
        who: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...allowed[i]!) }, { weight: 2, arbitrary: fc.constantFrom<Who>('owner', 'integration', 'member', 'none', 'forged') }),
        body: bodyArb(routes[i]!),
        path: pathArb(routes[i]!),
        query: queryArb(routes[i]!),
        idem: fc.oneof(
          { weight: 8, arbitrary: fc.uuid() },
          { weight: 1, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.constantFrom('x'.repeat(250), "' OR 1=1 --", '%00', ' ', 'k\tk') },
        ),
      }),
    );

    const tally = { byStatus: {} as Record<string, number>, byKind: {} as Record<string, number>, covered: new Set<number>(), twoxx: new Set<string>(), refusedByClient: 0, requests: 0 };
    let before = await counts(w.club.clubId);
    await fc.assert(
      fc.asyncProperty(reqArb, async (q) => {
        const route = routes[q.route]!;
        let who = q.who;
        // Logging out would end the session the rest of the run uses.
        if (route.path === '/api/v1/auth/logout' && (who === 'owner' || who === 'member')) who = 'none';
        const token = { owner: w.tokens.owner, integration: w.tokens.integration, member: w.tokens.member, none: null, forged: 'vafa_forged_0123456789abcdef' }[who];
        let i = 0;
        const url = route.path.replace(/\{[^}]+\}/g, () => enc(q.path[i++] ?? 'x')) + (q.query.length ? `?${q.query.map(([k, x]) => `${enc(k)}=${enc(x)}`).join('&')}` : '');
        const headers: Record<string, string> = {};
        if (token) headers.authorization = `Bearer ${token}`;
        if (q.idem !== null) headers['idempotency-key'] = q.idem;
        if (q.body.text !== undefined) headers['content-type'] = q.body.contentType ?? 'application/json';
        let res;
        try {
          res = await v.app.inject({ method: route.method as 'GET', url, headers, payload: q.body.text });
        } catch {
          tally.refusedByClient++; // e.g. a header value Node will not send
          return true;
        }
        tally.requests++;
        tally.covered.add(q.route);
        tally.byStatus[res.statusCode] = (tally.byStatus[res.statusCode] ?? 0) + 1;
        tally.byKind[q.body.kind] = (tally.byKind[q.body.kind] ?? 0) + 1;
        const where = `${who} ${route.method} ${url.slice(0, 200)} [${q.body.kind}] → ${res.statusCode} ${res.body.slice(0, 400)}`;
        expect(res.statusCode, where).toBeLessThan(500);
        expect(res.body, where).not.toMatch(/"stack"|\n\s+at |node_modules|\.ts:\d+/);
        const after = await counts(w.club.clubId);
        if (res.statusCode >= 400) {
          expect(String(res.headers['content-type']), where).toMatch(/^application\/problem\+json/);
          const p = res.json();
          expect(typeof p.code, where).toBe('string');
          expect(p.status, where).toBe(res.statusCode);
          expect(after, `a ${res.statusCode} wrote: ${where}`).toEqual(before);
        } else if (res.statusCode < 300) tally.twoxx.add(`${route.method} ${route.path}`);
        before = after;
        return true;
      }),
      { numRuns: RUNS, seed: seed, endOnFailure: true },
    );
    const line = {
      engine,
      seed,
      requests: tally.requests,
      routesCovered: `${tally.covered.size}/${routes.length}`,
      routesReaching2xx: tally.twoxx.size,
      byStatus: tally.byStatus,
      byBody: tally.byKind,
      refusedByClient: tally.refusedByClient,
    };
    console.log(`API fuzz: ${JSON.stringify(line)}`);
    expect(tally.covered.size).toBeGreaterThanOrEqual(Math.min(routes.length, Math.floor(RUNS / 12)));
    for (const m of MUTATIONS) expect(tally.byKind[m] ?? 0, `mutation ${m} never generated`).toBeGreaterThan(0);
    await expectLedgerClean(v.database.db, w.club.clubId);
  });

  it('the nastiest values, on every route with a body, at the top level', { timeout: FULL ? 600_000 : 120_000 }, async () => {
    // Deterministic companion to the random walk: each route × each extreme value once.
    const extremes: unknown[] = FULL
      ? [HUGE_STRING, deepJson(1000), ...NASTY_NUMBERS, ...NASTY_STRINGS]
      : [HUGE_STRING, deepJson(1000), -1, 0.5, 1e308, '\u202E\u0000', "'; drop table members; --", '۱۲۳۴'];
    let n = 0;
    let before = await counts(w.club.clubId);
    for (const r of routes.filter((x) => x.body && x.path !== '/api/v1/auth/logout')) {
      const url = r.path.replace(/\{[^}]+\}/g, (m) => enc(w.ids[resourceOf(r.path, m.slice(1, -1))] ?? 'x'));
      const props = Object.keys(r.body!.properties ?? { value: 1 });
      for (const x of extremes) {
        const body = Object.fromEntries(props.map((p) => [p, x]));
        const res = await call(v, r.method, url, w.tokens.owner, body, { 'idempotency-key': randomUUID() });
        n++;
        const where = `${r.method} ${url} ${JSON.stringify(body).slice(0, 120)} → ${res.status} ${res.body.slice(0, 300)}`;
        expect(res.status, where).toBeLessThan(500);
        const after = await counts(w.club.clubId);
        if (res.status >= 400) {
          expect(String(res.headers['content-type']), where).toMatch(/^application\/problem\+json/);
          expect(after, `a ${res.status} wrote: ${where}`).toEqual(before);
        }
        before = after;
      }
    }
    console.log(`API fuzz [${engine}]: ${n} extreme-value requests`);
    await expectLedgerClean(v.database.db, w.club.clubId);
  });
});
