/**
 * Backtest of a draft rule over HTTP (issue 7): the operator replays stored purchases through
 * a draft and reads the progress lines and the report from an NDJSON stream. Writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';
import { expectLedgerClean } from '../safety/invariants.js';

const draft = {
  name: { fa: '۵ امتیاز به ازای هر ۱۰۰٬۰۰۰ ریال', en: '5 points per 100,000 rials' },
  trigger: 'purchase',
  effects: [{ type: 'award', unit: 'points', amount: 'event.amount / 100000 * 5' }],
  limits: { minAmountRials: 200_000 },
};

const lines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

describeEngines('rules backtest over HTTP (NDJSON progress)', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  const members: string[] = [];
  let expectedPoints = 0;
  const expectedMembers = new Set<string>();
  const PURCHASES = 230;

  const backtest = (body: unknown, token = c.ownerToken) => call(v, 'POST', '/api/v1/rules/backtest', token, body);
  const counts = async () => {
    const r = await sql<{ j: string; e: string; ev: string; rules: string }>`select
      (select count(*) from journal_entries where club_id = ${c.clubId}) as j,
      (select count(*) from journal_lines where club_id = ${c.clubId}) as e,
      (select count(*) from events where club_id = ${c.clubId}) as ev,
      (select count(*) from rules where club_id = ${c.clubId}) as rules`.execute(v.database.db);
    return r.rows[0];
  };

  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v, { pointValueRials: 1_000 });
    for (let i = 0; i < 4; i++) members.push(await makeMember(v, c.clubId, 7100 + i));
    // Purchases over the last 20 days; the draft awards 5 per whole 100,000 rials from 200,000 up.
    const rows = [];
    const now = Date.now();
    for (let i = 0; i < PURCHASES; i++) {
      const amountRials = 50_000 + (i % 7) * 90_000; // 50k … 590k
      const member = members[i % 3]!; // the fourth member buys nothing
      rows.push({ eventId: `bt-${i}`, type: 'purchase', member: { id: member }, amountRials, occurredAt: new Date(now - (i % 20) * 86_400_000 - 3_600_000).toISOString() });
      if (amountRials >= 200_000) {
        expectedPoints += Math.floor(amountRials / 100_000) * 5;
        expectedMembers.add(member);
      }
    }
    for (let i = 0; i < rows.length; i += 100) {
      const r = await call(v, 'POST', '/api/v1/events/batch', c.apiKey, { events: rows.slice(i, i + 100) }, { 'idempotency-key': `bt-batch-${i}` });
      expect(r.status, r.body).toBeLessThan(300);
    }
  });
  afterAll(() => v.close());

  it('reports the points the draft would award and the members it touches, with progress up to the total; writes nothing', async () => {
    const before = await counts();
    const r = await backtest({ rule: draft, from: isoDay(new Date(Date.now() - 40 * 86_400_000)), to: isoDay(new Date(Date.now() + 86_400_000)) });
    expect(r.status, r.body).toBe(200);
    expect(String(r.headers['content-type'])).toMatch(/^application\/x-ndjson/);
    const out = lines(r.body);
    const progress = out.filter((l) => l.type === 'progress');
    const report = out.at(-1)!;
    expect(report.type).toBe('report');
    expect(out.filter((l) => l.type === 'report')).toHaveLength(1);
    // 230 events → pages of 100: 100, 200, 230 — counting up to the one total.
    expect(progress.map((p) => p.events)).toEqual([100, 200, 230]);
    expect(new Set(progress.map((p) => p.total))).toEqual(new Set([PURCHASES]));
    expect(report).toMatchObject({ events: PURCHASES, points: expectedPoints, membersTouched: expectedMembers.size, costRials: expectedPoints * 1_000, pointValueRials: 1_000 });
    expect(report.byUnit).toEqual({ points: expectedPoints });
    expect(expectedMembers.size).toBe(3);
    expect(await counts()).toEqual(before);
    await expectLedgerClean(v.database.db, c.clubId);
  });

  it('takes Jalali dates (Persian digits too) and a period without events is one progress line and a zero report', async () => {
    const r = await backtest({ rule: draft, from: '۱۴۰۰/۰۱/۰۱', to: '1400/01/31' });
    expect(r.status, r.body).toBe(200);
    const out = lines(r.body);
    expect(out).toHaveLength(2);
    expect(out[0]).toEqual({ type: 'progress', events: 0, total: 0 });
    expect(out[1]).toMatchObject({ type: 'report', events: 0, points: 0, membersTouched: 0, costRials: 0 });
  });

  describe('bad input is problem+json before the stream starts', () => {
    const period = { from: '1404/01/01', to: '1404/06/31' };
    it.each([
      ['a broken CEL expression', { rule: { ...draft, effects: [{ type: 'award', unit: 'points', amount: 'event.amount /' }] }, ...period }, 422, 'invalid_expression'],
      ['a rule without a trigger', { rule: { name: { fa: 'بی‌رویداد' }, effects: draft.effects }, ...period }, 400, 'validation_failed'],
      ['a period that ends before it starts', { rule: draft, from: '1404/06/31', to: '1404/01/01' }, 422, 'invalid_window'],
      ['a date that is not one', { rule: draft, from: '1404/13/40', to: '1404/06/31' }, 422, 'invalid_date'],
      ['a missing rule', period, 400, 'validation_failed'],
      ['an unknown field', { rule: draft, ...period, pageSize: 5 }, 400, 'validation_failed'],
    ])('%s', async (_what, body, status, code) => {
      const r = await backtest(body);
      expect(String(r.headers['content-type'])).toMatch(/^application\/problem\+json/);
      expect({ status: r.status, code: r.json?.code }, r.body).toEqual({ status, code });
    });

    it('a member or an integration key may not backtest', async () => {
      const r = await backtest({ rule: draft, ...period }, c.apiKey);
      expect(r.status).toBe(403);
      expect(r.json.code).toBe('forbidden');
    });
  });

  it('is in the OpenAPI document with the line format', async () => {
    const doc = (await call(v, 'GET', '/openapi.json', null)).json;
    const op = doc.paths['/api/v1/rules/backtest'].post;
    expect(op.description).toMatch(/"type":"progress"/);
    expect(op.description).toMatch(/"type":"report"/);
    expect(op.description).toMatch(/"type":"error"/);
  });
});
