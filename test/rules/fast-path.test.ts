/**
 * The earn path's shortcuts must not change a single award:
 *   - condition guards (plain-JS tests read off a condition's top-level `&&`) give the same
 *     evaluation as running the CEL interpreter, on every event;
 *   - the compact trace keeps every fired and usage-relevant line;
 *   - a capped rule whose condition depends on the member's counters holds its cap inside a
 *     batch that moves those counters (the usage probe sees the counters the batch's earlier
 *     events leave, not those before the batch).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';
import { compileRule, evaluate, type CompiledRule } from '../../src/modules/rules/domain.js';
import { guardsOf } from '../../src/modules/rules/cel.js';

const CONDITIONS = [
  'event.store == "s1"',
  '"s2" == event.store && event.amount >= 150000',
  'event.channel == "pos" && context.weekday == 3',
  '"vip" in member.groups',
  'event.items.exists(x, x.category == "dairy")',
  'event.items.exists(x, "tea" == x.category) && member.tier == "gold"',
  'member.city == "Tehran" || event.store == "s1"', // no guard (||)
  '!(event.store == "s1")', // no guard (!)
  'event.amount < 120000 && event.type == "purchase"',
  'event.amount != 100000 && context.hour == 10',
  'member.counters.purchase >= 2 && event.store == "s3"',
  'event.attributes.coupon == "X" && event.store == "s1"', // may error; the guard's false still means false
];

function rule(i: number, condition: string): CompiledRule {
  const c = compileRule({ name: { fa: `r${i}` }, trigger: 'purchase', condition, effects: [{ type: 'award', unit: 'points', amount: 'event.amount / 10000' }], priority: i % 3 }, { id: `r${String(i).padStart(2, '0')}`, version: 1 });
  if (!c.ok) throw new Error(`${condition}: ${c.detail}`);
  return c.rule;
}

describe('condition guards', () => {
  it('are read off the top-level && chain only', () => {
    const g = (s: string) => {
      const r = rule(0, s);
      return r.condition!.guards;
    };
    expect(g('event.store == "s1"')).toEqual([{ kind: 'event', field: 'store', value: 's1' }]);
    expect(g('"s2" == event.store && event.amount >= 150000')).toEqual([{ kind: 'event', field: 'store', value: 's2' }, { kind: 'amount', op: '>=', value: 150000 }]);
    expect(g('150000 > event.amount')).toEqual([{ kind: 'amount', op: '<', value: 150000 }]);
    expect(g('"vip" in member.groups')).toEqual([{ kind: 'group', value: 'vip' }]);
    expect(g('event.items.exists(x, x.category == "dairy")')).toEqual([{ kind: 'category', value: 'dairy' }]);
    expect(g('member.city == "Tehran" || event.store == "s1"')).toEqual([]);
    expect(g('!(event.store == "s1")')).toEqual([]);
    expect(guardsOf({ op: 'value', args: true })).toEqual([]);
  });

  it('give the same evaluation as the interpreter on 3,000 varied events (full and compact trace)', () => {
    const rules = CONDITIONS.map((c, i) => rule(i, c)).sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1));
    // The same rules with their guards removed: the interpreter decides everything.
    const bare = rules.map((r) => ({ ...r, condition: r.condition ? { ...r.condition, guards: [] } : null }));
    const stores = ['s1', 's2', 's3', undefined];
    const cats = ['dairy', 'tea', 'bread'];
    let fired = 0;
    for (let k = 0; k < 3000; k++) {
      const event = {
        type: 'purchase',
        amountRials: 90_000 + (k % 7) * 10_000,
        occurredAt: new Date(1_746_000_000_000 + k * 3_600_000 * 7),
        attributes: k % 5 === 0 ? { coupon: 'X' } : {},
        ...(k % 3 ? { items: [{ sku: 'a', category: cats[k % 3]!, quantity: 1, amountRials: 10_000 }] } : {}),
        ...(k % 4 ? { channel: k % 2 ? 'pos' : 'web' } : {}),
        ...(stores[k % 4] ? { store: stores[k % 4] } : {}),
      };
      const member = { id: 'm', tier: k % 6 === 0 ? 'gold' : null, tierMultiplier: 1, groups: k % 4 === 0 ? ['vip'] : [], city: k % 2 ? 'Tehran' : undefined, joinedAt: new Date('2024-01-01'), counters: { purchase: k % 4 } };
      const usage = () => ({ points: 0, times: 0 });
      const input = { event, member, club: { timeZone: 'Asia/Tehran' }, usage };
      const full = evaluate({ ...input, rules });
      const reference = evaluate({ ...input, rules: bare });
      expect(full).toEqual(reference);
      const compact = evaluate({ ...input, rules, compact: true });
      expect(compact.awards).toEqual(reference.awards);
      const settled = new Set(['trigger_mismatch', 'outside_window', 'audience', 'below_minimum', 'condition_false']);
      expect(compact.trace).toEqual(reference.trace.filter((t) => !settled.has(t.reason)));
      fired += reference.awards.length;
    }
    expect(fired).toBeGreaterThan(1000); // the events do exercise the rules
  });
});

describeEngines('capped rules in a batch', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v);
  });
  afterAll(() => v.close());

  it('a once-a-month rule on every second purchase fires once, however the batch moves the counters', async () => {
    const owner = (method: string, url: string, body?: unknown) => call(v, method, url, c.ownerToken, body);
    const r = await owner('POST', '/api/v1/rules', {
      name: { fa: 'هر خرید دوم، ماهی یک بار' },
      trigger: 'purchase',
      condition: 'has(member.counters.purchase) && member.counters.purchase % 2 == 1',
      effects: [{ type: 'award', unit: 'points', amount: '100' }],
      limits: { perMember: [{ period: 'month', maxTimes: 1 }] },
    });
    expect(r.status, r.body).toBe(201);
    const m = await makeMember(v, c.clubId, 501);
    const at = new Date().toISOString();
    const batch = async (ids: string[]) => {
      const res = await call(v, 'POST', '/api/v1/events/batch', c.apiKey, { events: ids.map((id) => ({ eventId: id, type: 'purchase', member: { id: m }, amountRials: 100_000, occurredAt: at })) }, { 'idempotency-key': `b-${ids[0]}` });
      expect(res.status, res.body).toBe(200);
      return res.json.results.map((x: { points: number }) => x.points);
    };
    // Purchase 2 (counter 1 before it) fires and uses the month's one time.
    expect(await batch(['p1', 'p2'])).toEqual([0, 100]);
    // Purchase 4 sees counter 3 only after purchase 3 in the same batch: still capped.
    expect(await batch(['p3', 'p4'])).toEqual([0, 0]);
    const bal = await call(v, 'GET', `/api/v1/members/${m}/balance`, c.apiKey);
    expect(bal.json.points.balance).toBe(100);

    // The counters come with the member look-up (a member fact); a caller that hands over
    // no member facts gets them read: the same counters, the same evaluation.
    const club = (await v.services.clubs.get(c.clubId))!;
    const condition = 'member.counters.purchase == 4 && member.counters.purchase_rials == 400000';
    const r2 = await owner('POST', '/api/v1/rules', { name: { fa: 'پس از چهار خرید' }, trigger: 'purchase', condition, effects: [{ type: 'award', unit: 'points', amount: '7' }] });
    expect(r2.status, r2.body).toBe(201);
    // (Facts are read in the earn's own transaction, after the rule: they carry the catalogue version too.)
    const facts = await v.database.db.transaction().execute(async (tx) => (await v.services.members.resolveRefs(tx, c.clubId, [{ id: m }]))({ id: m })!);
    expect(facts.extra?.counters).toMatchObject({ purchase: 4, purchase_rials: 400_000 });
    const event = { id: 'evt_probe', eventId: 'probe', type: 'purchase', member: { id: m }, amountRials: 100_000, occurredAt: new Date(at) };
    const earn = (withFacts: boolean) =>
      v.database.db.transaction().execute(async (tx) => {
        const out = await v.services.rules.earn(tx, [{ club, memberId: m, ...(withFacts ? { member: facts } : {}), event }]);
        throw Object.assign(new Error('rollback'), { out });
      }).catch((e: { out?: unknown }) => e.out);
    const withFacts = (await earn(true)) as { points: number }[][];
    const without = (await earn(false)) as { points: number }[][];
    expect(withFacts[0]!.map((a) => a.points)).toContain(7);
    expect(without).toEqual(withFacts);
  });
});
