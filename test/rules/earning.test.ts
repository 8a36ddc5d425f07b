/**
 * Earning rules through the HTTP API, as business stories: a bank's spend rule, a rule edit
 * that must not change what a refund reverses, bad input with clear codes, simulation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';

const bankRule = {
  name: { fa: '۱۰ امتیاز به ازای هر ۲۰٬۰۰۰ ریال', en: '10 points per 20,000 rials' },
  trigger: 'purchase',
  effects: [{ type: 'award', unit: 'points', amount: 'event.amount / 20000 * 10' }],
  limits: { minAmountRials: 50_000 },
};

describeEngines('earning rules', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  let seq = 0;
  const post = (memberId: string, body: Record<string, unknown>) =>
    call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: `e${++seq}`, member: { id: memberId }, ...body }, { 'idempotency-key': `k${seq}` });
  const owner = (method: string, url: string, body?: unknown) => call(v, method, url, c.ownerToken, body);

  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v);
  });
  afterAll(() => v.close());

  describe('a bank: 10 points per whole 20,000 rials, minimum 50,000', () => {
    let ruleId: string;
    it('the operator creates the rule; purchases earn by it and each entry records rule@version', async () => {
      const r = await owner('POST', '/api/v1/rules', bankRule);
      expect(r.status, r.body).toBe(201);
      expect(r.json).toMatchObject({ version: 1, status: 'active' });
      ruleId = r.json.id;
      const m = await makeMember(v, c.clubId, 101);
      const a = await post(m, { type: 'purchase', amountRials: 55_000 });
      expect(a.json.points).toBe(20);
      const b = await post(m, { type: 'purchase', amountRials: 45_000 });
      expect(b.status).toBe(201);
      expect(b.json.points).toBe(0);
      const tags = await sql<{ rule_version: string }>`select rule_version from journal_entries where club_id = ${c.clubId} and member_id = ${m} and kind = 'earn'`.execute(v.database.db);
      expect(tags.rows.map((t) => t.rule_version)).toEqual([`${ruleId}@1`]);
    });

    it('refund after a rule edit reverses exactly what the original version gave', async () => {
      const m = await makeMember(v, c.clubId, 102);
      const p1 = await post(m, { type: 'purchase', amountRials: 100_000 });
      expect(p1.json.points).toBe(50);
      const edit = await owner('PUT', `/api/v1/rules/${ruleId}`, { ...bankRule, effects: [{ type: 'award', unit: 'points', amount: 'event.amount / 20000 * 30' }] });
      expect(edit.status, edit.body).toBe(200);
      expect(edit.json.version).toBe(2);
      const p2 = await post(m, { type: 'purchase', amountRials: 100_000 });
      expect(p2.json.points).toBe(150);
      const refund = await post(m, { type: 'refund', refundOf: p1.json.eventId, amountRials: 100_000 });
      expect(refund.status, refund.body).toBe(201);
      expect(refund.json.reversed).toBe(50); // v1's 50, not v2's 150
      const bal = await call(v, 'GET', `/api/v1/members/${m}/balance`, c.apiKey);
      expect(bal.json.points.balance).toBe(150);
      const versions = await sql<{ rule_version: string }>`select rule_version from journal_entries where club_id = ${c.clubId} and member_id = ${m} and kind = 'earn' order by created_at, id`.execute(v.database.db);
      expect(versions.rows.map((x) => x.rule_version)).toEqual([`${ruleId}@1`, `${ruleId}@2`]);
      const got = await owner('GET', `/api/v1/rules/${ruleId}`);
      expect(got.json.versions.map((x: { version: number }) => x.version)).toEqual([1, 2]);
      const v1 = await owner('GET', `/api/v1/rules/${ruleId}/versions/1`);
      expect(v1.json.definition.effects[0].amount).toBe('event.amount / 20000 * 10');
    });

    it('a paused rule stops earning; with no active purchase rule the base rate applies again', async () => {
      const m = await makeMember(v, c.clubId, 103);
      expect((await owner('POST', `/api/v1/rules/${ruleId}/pause`)).json.status).toBe('paused');
      const r = await post(m, { type: 'purchase', amountRials: 100_000 });
      expect(r.json.points).toBe(10); // base rate 1 per 10,000
      expect((await owner('POST', `/api/v1/rules/${ruleId}/resume`)).json.status).toBe('active');
      expect((await post(m, { type: 'purchase', amountRials: 100_000 })).json.points).toBe(150);
      expect((await owner('POST', `/api/v1/rules/${ruleId}/archive`)).json.status).toBe('archived');
      const again = await owner('PUT', `/api/v1/rules/${ruleId}`, bankRule);
      expect([again.status, again.json.code]).toEqual([409, 'rule_archived']);
    });
  });

  describe('bad input gets clear 4xx codes', () => {
    it('an unknown event type is refused and nothing is written', async () => {
      const m = await makeMember(v, c.clubId, 201);
      const r = await post(m, { type: 'bill_paied' });
      expect([r.status, r.json.code]).toEqual([422, 'unknown_event_type']);
      const n = await sql<{ n: number }>`select count(*)::int as n from events where club_id = ${c.clubId} and member_id = ${m}`.execute(v.database.db);
      expect(n.rows[0]!.n).toBe(0);
    });

    it('a custom type validates its attributes by its JSON schema: the field is named, nothing written', async () => {
      const t = await owner('POST', '/api/v1/event-types', {
        name: 'plan_renewed',
        description: 'ISP plan renewal',
        schema: { type: 'object', properties: { plan: { type: 'string' }, months: { type: 'integer', minimum: 1 } }, required: ['plan', 'months'] },
      });
      expect(t.status, t.body).toBe(201);
      const m = await makeMember(v, c.clubId, 202);
      const bad = await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: 'ren-1', type: 'plan_renewed', member: { id: m }, attributes: { plan: '50GB', months: '3' } }, { 'idempotency-key': 'ren-1a' });
      expect([bad.status, bad.json.code]).toEqual([422, 'event_attributes_invalid']);
      expect(bad.json.detail).toContain('attributes.months');
      const missing = await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: 'ren-1', type: 'plan_renewed', member: { id: m }, attributes: { months: 3 } }, { 'idempotency-key': 'ren-1b' });
      expect(missing.json.detail).toContain('attributes.plan');
      // Nothing was stored under ren-1: the corrected event goes through with the same id.
      const okay = await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: 'ren-1', type: 'plan_renewed', member: { id: m }, attributes: { plan: '50GB', months: 3 } }, { 'idempotency-key': 'ren-1c' });
      expect(okay.status, okay.body).toBe(201);
      const badSchema = await owner('POST', '/api/v1/event-types', { name: 'broken', schema: { type: 'objekt' } });
      expect([badSchema.status, badSchema.json.code]).toEqual([422, 'invalid_event_schema']);
    });

    it('in a batch, the broken event fails alone', async () => {
      const m = await makeMember(v, c.clubId, 203);
      const r = await call(v, 'POST', '/api/v1/events/batch', c.apiKey, {
        events: [
          { eventId: 'b-1', type: 'purchase', member: { id: m }, amountRials: 10_000 },
          { eventId: 'b-2', type: 'no_such_type', member: { id: m } },
        ],
      }, { 'idempotency-key': 'batch-1' });
      expect(r.json.results.map((x: { status: string; code?: string }) => x.code ?? x.status)).toEqual(['created', 'unknown_event_type']);
    });

    const cases: [string, Record<string, unknown>, number, string, Record<string, unknown>?][] = [
      ['a condition that does not compile, with its position', { ...bankRule, condition: 'event.amount >=' }, 422, 'invalid_expression', { field: 'condition', position: 15 }],
      ['an amount that names an unknown field', { ...bankRule, effects: [{ type: 'award', unit: 'points', amount: 'event.amuont / 10' }] }, 422, 'invalid_expression', { field: 'effects[0].amount' }],
      ['a quadratic expression (comprehension in a comprehension)', { ...bankRule, condition: 'event.items.exists(a, event.items.exists(b, a.amount > b.amount))' }, 422, 'expression_too_expensive'],
      ['a regular expression', { ...bankRule, condition: 'event.store.matches("^(a+)+$")' }, 422, 'expression_too_expensive'],
      ['a window that ends before it starts', { ...bankRule, window: { from: '1404/06/31', to: '1404/01/01' } }, 422, 'invalid_window', { field: 'window' }],
      ['a window date that is not a date', { ...bankRule, window: { from: '1404/13/01' } }, 422, 'invalid_date'],
      ['a trigger nobody declared', { ...bankRule, trigger: 'space_travel' }, 422, 'unknown_event_type'],
      ['a multiply effect mixed with an award', { ...bankRule, effects: [{ type: 'multiply', factor: 2 }, { type: 'award', unit: 'points', amount: '1' }] }, 422, 'invalid_rule'],
      ['a missing name', { trigger: 'purchase', effects: [{ type: 'award', unit: 'points', amount: '1' }] }, 400, 'validation_failed'],
    ];
    it.each(cases)('%s', async (_, body, status, code, extra) => {
      const r = await owner('POST', '/api/v1/rules', body);
      expect([r.status, r.json.code], r.body).toEqual([status, code]);
      if (extra) expect(r.json).toMatchObject(extra);
    });

    it('another club’s rule is 404', async () => {
      const other = await makeClub(v);
      const r = await owner('POST', '/api/v1/rules', { ...bankRule, name: { fa: 'مال ما' } });
      const peek = await call(v, 'GET', `/api/v1/rules/${r.json.id}`, other.ownerToken);
      expect([peek.status, peek.json.code]).toEqual([404, 'rule_not_found']);
      const poke = await call(v, 'POST', `/api/v1/rules/${r.json.id}/pause`, other.ownerToken);
      expect(poke.status).toBe(404);
      await owner('POST', `/api/v1/rules/${r.json.id}/archive`);
    });
  });

  it('a window entered in Jalali dates runs through the end of its last day in Tehran', async () => {
    const club = await makeClub(v);
    const r = await call(v, 'POST', '/api/v1/rules', club.ownerToken, { ...bankRule, window: { from: '1404/01/01', to: '1404/06/31' } });
    expect(r.status, r.body).toBe(201);
    // 1404/01/01 00:00 Tehran = 2025-03-20T20:30Z; 1404/07/01 00:00 Tehran = 2025-09-22T20:30Z
    expect(r.json.definition.window).toEqual({ from: '2025-03-20T20:30:00.000Z', to: '2025-09-22T20:30:00.000Z' });
    expect(r.json.windowJalali).toEqual({ from: '1404/01/01', to: '1404/06/31' });
  });

  it('simulate: live rules plus a draft, the trace says why; nothing is written', async () => {
    const club = await makeClub(v);
    await call(v, 'POST', '/api/v1/rules', club.ownerToken, bankRule);
    const m = await makeMember(v, club.clubId, 301, { groups: ['doctor'] });
    const before = await sql<{ n: number }>`select (select count(*) from journal_entries where club_id = ${club.clubId}) + (select count(*) from events where club_id = ${club.clubId}) + (select count(*) from rule_usage where club_id = ${club.clubId}) as n`.execute(v.database.db);
    const r = await call(v, 'POST', '/api/v1/rules/simulate', club.ownerToken, {
      event: { type: 'purchase', amountRials: 200_000 },
      member: { id: m },
      drafts: [
        { name: { fa: 'دو برابر برای پزشکان' }, trigger: 'purchase', audience: { groups: ['doctor'] }, effects: [{ type: 'multiply', factor: 2 }], limits: { perMember: [{ period: 'month', maxTimes: 1 }] } },
        { name: { fa: 'ورود' }, trigger: 'app_login', effects: [{ type: 'award', unit: 'points', amount: '5' }] },
      ],
    });
    expect(r.status, r.body).toBe(200);
    expect(r.json.totals).toEqual({ points: 200 });
    const reasons = Object.fromEntries(r.json.trace.map((t: { ruleId: string; reason: string }) => [t.ruleId, t.reason]));
    expect(reasons.draft_1).toBe('fired');
    expect(reasons.draft_2).toBe('trigger_mismatch');
    const after = await sql<{ n: number }>`select (select count(*) from journal_entries where club_id = ${club.clubId}) + (select count(*) from events where club_id = ${club.clubId}) + (select count(*) from rule_usage where club_id = ${club.clubId}) as n`.execute(v.database.db);
    expect(Number(after.rows[0]!.n)).toBe(Number(before.rows[0]!.n));
    const bad = await call(v, 'POST', '/api/v1/rules/simulate', club.ownerToken, { event: { type: 'purchase', amountRials: 1 }, drafts: [{ ...bankRule, condition: 'event.amount >' }] });
    expect([bad.status, bad.json.code, bad.json.field]).toEqual([422, 'invalid_expression', 'drafts[0].condition']);
  });

  it('limits hold per member per Jalali month and a budget caps the rule for everyone', async () => {
    const club = await makeClub(v);
    await call(v, 'POST', '/api/v1/rules', club.ownerToken, {
      name: { fa: 'پرداخت قبض' }, trigger: 'bill_paid', effects: [{ type: 'award', unit: 'points', amount: '30' }],
      limits: { perMember: [{ period: 'month', maxPoints: 50 }], budgetPoints: 100 },
    });
    const a = await makeMember(v, club.clubId, 401);
    const b = await makeMember(v, club.clubId, 402);
    const r = await call(v, 'POST', '/api/v1/events/batch', club.apiKey, {
      events: [
        { eventId: 'q1', type: 'bill_paid', member: { id: a } },
        { eventId: 'q2', type: 'bill_paid', member: { id: a } },
        { eventId: 'q3', type: 'bill_paid', member: { id: a } },
        { eventId: 'q4', type: 'bill_paid', member: { id: b } },
        { eventId: 'q5', type: 'bill_paid', member: { id: b } },
      ],
    }, { 'idempotency-key': 'bills' });
    // a: 30 + 20 (month cap 50) + 0; b: 30 + 20 (budget 100 left 20)
    expect(r.json.results.map((x: { points: number }) => x.points)).toEqual([30, 20, 0, 30, 20]);
    const more = await call(v, 'POST', '/api/v1/events', club.apiKey, { eventId: 'q6', type: 'bill_paid', member: { id: b } }, { 'idempotency-key': 'q6' });
    expect(more.json.points).toBe(0);
  });

  it('backtest replays a period’s stored events through a draft: points, members, cost in rials', async () => {
    const club = await makeClub(v, { pointValueRials: 500 });
    const a = await makeMember(v, club.clubId, 501);
    const b = await makeMember(v, club.clubId, 502);
    const at = (iso: string) => new Date(iso).toISOString();
    const r = await call(v, 'POST', '/api/v1/events/batch', club.apiKey, {
      events: [
        { eventId: 'h1', type: 'purchase', member: { id: a }, amountRials: 100_000, occurredAt: at('2025-04-10T08:00:00Z') }, // 1404/01/21
        { eventId: 'h2', type: 'purchase', member: { id: a }, amountRials: 40_000, occurredAt: at('2025-05-10T08:00:00Z') },
        { eventId: 'h3', type: 'purchase', member: { id: b }, amountRials: 60_000, occurredAt: at('2025-06-10T08:00:00Z') },
        { eventId: 'h4', type: 'app_login', member: { id: b }, occurredAt: at('2025-06-11T08:00:00Z') },
        { eventId: 'h5', type: 'purchase', member: { id: b }, amountRials: 900_000, occurredAt: at('2025-10-10T08:00:00Z') }, // 1404/07/18: outside
      ],
    }, { 'idempotency-key': 'history' });
    expect(r.json.summary.created).toBe(5);
    const got = await v.services.rules.backtest((await v.services.clubs.get(club.clubId))!, bankRule, '1404/01/01', '1404/06/31', { pageSize: 2 });
    expect(got.ok).toBe(true);
    if (got.ok) expect(got.value).toMatchObject({ events: 4, eventsAwarded: 2, points: 50 + 30, membersTouched: 2, costRials: 80 * 500 });
    const bad = await v.services.rules.backtest((await v.services.clubs.get(club.clubId))!, bankRule, '1404/06/31', '1404/01/01');
    expect(bad.ok ? null : bad.code).toBe('invalid_window');
  });

  it('a backtest whose caller went away stops at the next page (backtest_cancelled), having read one page', async () => {
    const club = await makeClub(v);
    const a = await makeMember(v, club.clubId, 511);
    const events = Array.from({ length: 6 }, (_, i) => ({ eventId: `c${i}`, type: 'purchase', member: { id: a }, amountRials: 100_000, occurredAt: new Date(Date.UTC(2025, 3, 10 + i, 8)).toISOString() }));
    expect((await call(v, 'POST', '/api/v1/events/batch', club.apiKey, { events }, { 'idempotency-key': 'cancel-history' })).json.summary.created).toBe(6);
    const cancel = new AbortController();
    const pages: number[] = [];
    const got = await v.services.rules.backtest((await v.services.clubs.get(club.clubId))!, bankRule, '1404/01/01', '1404/06/31', {
      pageSize: 2,
      signal: cancel.signal,
      onPage: (n) => {
        pages.push(n);
        cancel.abort();
      },
    });
    expect(got.ok ? null : got.code).toBe('backtest_cancelled');
    expect(pages).toEqual([2]);
  });

  it('two rules firing on one purchase make ONE entry and lot per unit; each rule\'s share is in meta and earnedBy splits it; a refund reverses the whole', async () => {
    const club = await makeClub(v);
    const own = (method: string, url: string, body?: unknown) => call(v, method, url, club.ownerToken, body);
    const a = await own('POST', '/api/v1/rules', bankRule);
    const b = await own('POST', '/api/v1/rules', { name: { fa: 'هدیهٔ ثابت', en: 'flat gift' }, trigger: 'purchase', effects: [{ type: 'award', unit: 'points', amount: '7' }] });
    expect([a.status, b.status]).toEqual([201, 201]);
    const m = await makeMember(v, club.clubId, 301);
    const p = await call(v, 'POST', '/api/v1/events', club.apiKey, { eventId: 'two-rules', member: { id: m }, type: 'purchase', amountRials: 100_000 }, { 'idempotency-key': 'two-rules' });
    expect(p.status, p.body).toBe(201);
    expect(p.json.points).toBe(50 + 7);
    const entries = await sql<{ id: string; rule_version: string | null; meta: { awards: { rule: string; points: number }[] } | null }>`
      select id, rule_version, meta from journal_entries where club_id = ${club.clubId} and member_id = ${m} and kind = 'earn'`.execute(v.database.db);
    expect(entries.rows).toHaveLength(1);
    expect(entries.rows[0]!.rule_version).toBeNull();
    expect(entries.rows[0]!.meta!.awards.map((x) => [x.rule, x.points]).sort()).toEqual([[`${a.json.id}@1`, 50], [`${b.json.id}@1`, 7]].sort());
    const lots = await sql<{ amount: number }>`select amount from lots where club_id = ${club.clubId} and member_id = ${m}`.execute(v.database.db);
    expect(lots.rows.map((x) => Number(x.amount))).toEqual([57]);
    const earned = await v.services.ledger.earnedBy(v.database.db, club.clubId, p.json.id);
    expect(earned.map((e) => [e.ruleVersion, e.points]).sort()).toEqual([[`${a.json.id}@1`, 50], [`${b.json.id}@1`, 7]].sort());
    const refund = await call(v, 'POST', '/api/v1/events', club.apiKey, { eventId: 'two-rules-back', member: { id: m }, type: 'refund', refundOf: 'two-rules', amountRials: 100_000 }, { 'idempotency-key': 'two-rules-back' });
    expect(refund.status, refund.body).toBe(201);
    expect(refund.json.reversed).toBe(57);
  });
});
