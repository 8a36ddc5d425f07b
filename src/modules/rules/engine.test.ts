import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CEL_LIMITS } from './cel.js';
import {
  compileRule,
  CompiledRuleCache,
  evaluate,
  type CompiledRule,
  type EarningEvent,
  type MemberContext,
  type RuleDefinitionInput,
  type Usage,
} from './domain.js';

const name = { fa: 'قانون' };
const award = (amount: string) => ({ type: 'award' as const, unit: 'points', amount });
const rule = (over: Partial<RuleDefinitionInput> = {}): RuleDefinitionInput => ({
  name,
  trigger: 'purchase',
  effects: [award('10')],
  ...over,
});
const ref = { id: 'rul_test', version: 1 };

function compiled(def: RuleDefinitionInput, id = 'rul_test', version = 1): CompiledRule {
  const r = compileRule(def, { id, version });
  if (!r.ok) throw new Error(`${r.code}: ${r.detail}`);
  return r.rule;
}

describe('compileRule errors', () => {
  const andChain = (n: number) => Array.from({ length: n }, (_, i) => `event.amount > ${i}`).join(' && ');
  const cases: {
    name: string;
    def: RuleDefinitionInput;
    code: string;
    field?: string;
    position?: number;
    detail?: RegExp;
  }[] = [
    { name: 'syntax error, with its offset', def: rule({ condition: 'event.amount >=' }), code: 'invalid_expression', field: 'condition', position: 15 },
    { name: 'unbalanced parenthesis', def: rule({ condition: '(event.amount > 1' }), code: 'invalid_expression', field: 'condition' },
    { name: 'unknown field on event', def: rule({ condition: 'event.amuont > 3' }), code: 'invalid_expression', position: 6, detail: /amuont/ },
    { name: 'unknown variable', def: rule({ condition: 'customer.tier == "gold"' }), code: 'invalid_expression', position: 0 },
    { name: 'int compared with string', def: rule({ condition: 'event.amount >= "x"' }), code: 'invalid_expression' },
    { name: 'condition that is not a bool', def: rule({ condition: 'event.amount' }), code: 'invalid_expression', detail: /must be bool/ },
    { name: 'amount that is a string', def: rule({ effects: [award('member.tier')] }), code: 'invalid_expression', field: 'effects[0].amount', detail: /must be a number/ },
    { name: 'int mixed with double needs a conversion', def: rule({ effects: [award('event.amount * 1.5')] }), code: 'invalid_expression', field: 'effects[0].amount' },
    { name: 'the failing effect is named', def: rule({ effects: [award('1'), award('1 +')] }), code: 'invalid_expression', field: 'effects[1].amount', position: 3 },
    { name: 'empty condition', def: rule({ condition: '  ' }), code: 'invalid_expression' },
    { name: 'longer than 2,000 characters', def: rule({ condition: `"${'a'.repeat(CEL_LIMITS.maxExpressionChars)}" != ""` }), code: 'expression_too_expensive' },
    { name: 'more than 200 nodes', def: rule({ condition: andChain(60) }), code: 'expression_too_expensive', detail: /maxAstNodes/ },
    { name: 'nested too deep', def: rule({ condition: `${'('.repeat(40)}true${')'.repeat(40)}` }), code: 'expression_too_expensive', detail: /maxDepth/ },
    {
      name: 'comprehension inside a comprehension',
      def: rule({ condition: 'event.items.exists(a, event.items.exists(b, a.amount > b.amount))' }),
      code: 'expression_too_expensive',
      position: 22,
      detail: /inside another comprehension/,
    },
    {
      name: 'comprehension in a map() body',
      def: rule({ effects: [award('event.items.map(i, event.items.filter(j, j.sku == i.sku).size()).sum()')] }),
      code: 'expression_too_expensive',
    },
    { name: 'regular expressions', def: rule({ condition: 'event.attributes.code.matches("^(a+)+$")' }), code: 'expression_too_expensive', detail: /matches/ },
    { name: 'window ending when it starts', def: rule({ window: { from: '2025-03-21T00:00:00Z', to: '2025-03-21T00:00:00Z' } }), code: 'invalid_window', field: 'window' },
    { name: 'window ending before it starts', def: rule({ window: { from: '2025-03-21T00:00:00+03:30', to: '2025-03-20T20:00:00Z' } }), code: 'invalid_window' },
    { name: 'no effects', def: rule({ effects: [] }), code: 'invalid_definition', field: 'effects' },
    { name: 'window that is not an instant', def: rule({ window: { from: '1404/01/01' } }), code: 'invalid_definition', field: 'window.from' },
    { name: 'exclusive multiplier', def: rule({ stacking: 'exclusive', effects: [{ type: 'multiply', factor: 2 }] }), code: 'invalid_definition', field: 'stacking' },
    { name: 'multiplier mixed with an award', def: rule({ effects: [award('5'), { type: 'multiply', factor: 2 }] }), code: 'invalid_definition', field: 'effects' },
    { name: 'multiplier below 1', def: rule({ effects: [{ type: 'multiply', factor: 0.5 }] }), code: 'invalid_definition' },
    { name: 'unknown unit shape', def: rule({ effects: [{ type: 'award', unit: 'Festival Score', amount: '1' }] }), code: 'invalid_definition' },
  ];

  it.each(cases)('$name → $code', ({ def, code, field, position, detail }) => {
    const r = compileRule(def, ref);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe(code);
    if (field !== undefined) expect(r.field).toBe(field);
    if (position !== undefined) expect(r.position).toBe(position);
    if (detail !== undefined) expect(r.detail).toMatch(detail);
  });

  it.each([
    ['a chain of comprehensions is one level', 'event.items.filter(i, i.category == "dairy").map(i, i.amount).sum() > 0'],
    ['an expression of exactly 2,000 characters', `"${'a'.repeat(CEL_LIMITS.maxExpressionChars - 8)}" != ""`],
    ['optional attribute guarded with has()', 'has(event.attributes.code) && event.attributes.code == "X"'],
    ['calendar and member', 'context.month == 9 && context.day == 30 && "vip" in member.groups'],
  ])('accepts %s', (_, condition) => {
    expect(condition.length).toBeLessThanOrEqual(CEL_LIMITS.maxExpressionChars);
    const r = compileRule(rule({ condition }), ref);
    expect(r.ok ? 'ok' : `${r.code}: ${r.detail}`).toBe('ok');
  });
});

describe('compileRule on arbitrary text', () => {
  const celish = fc.stringMatching(/^[a-z .()"<>=!&|+*\/%,\[\]{}?:0-9_-]{0,60}$/);
  const fragments = fc
    .array(
      fc.constantFrom('event', '.', 'amount', 'items', 'exists', '(', ')', 'i', ',', ' == ', '"x"', '1', 'has', '[', ']', '{', '}', ':', '&&', '!', '?', 'context', 'member', 'map', '.filter', '-', '/', 'u', '1.5', 'null'),
      { maxLength: 25 },
    )
    .map((parts) => parts.join(''));

  it('never throws, whatever the condition or amount text', () => {
    fc.assert(
      fc.property(fc.oneof(celish, fragments, fc.string({ maxLength: 80 })), (text) => {
        for (const def of [rule({ condition: text }), rule({ effects: [award(text)] })]) {
          const r = compileRule(def, ref);
          if (!r.ok) expect(['invalid_expression', 'expression_too_expensive', 'invalid_definition']).toContain(r.code);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('CompiledRuleCache', () => {
  it('compiles a (rule id, version) once', () => {
    const cache = new CompiledRuleCache(10);
    const a = cache.compile(rule(), { id: 'r1', version: 1 });
    const b = cache.compile(rule({ effects: [award('99')] }), { id: 'r1', version: 1 });
    expect(b).toBe(a);
    const c = cache.compile(rule(), { id: 'r1', version: 2 });
    expect(c).not.toBe(a);
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new CompiledRuleCache(2);
    const r1 = cache.compile(rule(), { id: 'r1', version: 1 });
    cache.compile(rule(), { id: 'r2', version: 1 });
    cache.compile(rule(), { id: 'r1', version: 1 }); // r1 is now the most recent
    cache.compile(rule(), { id: 'r3', version: 1 }); // evicts r2
    expect(cache.size).toBe(2);
    expect(cache.compile(rule(), { id: 'r1', version: 1 })).toBe(r1);
  });
});

const TZ = 'Asia/Tehran';
const member = (over: Partial<MemberContext> = {}): MemberContext => ({
  id: 'mbr_1',
  tier: null,
  tierMultiplier: 1,
  groups: [],
  joinedAt: new Date('2024-01-01T00:00:00Z'),
  counters: {},
  ...over,
});
const purchase = (amountRials: number, over: Partial<EarningEvent> = {}): EarningEvent => ({
  type: 'purchase',
  amountRials,
  occurredAt: new Date('2025-05-10T08:00:00Z'),
  attributes: {},
  ...over,
});
const noUsage = (): Usage => ({ points: 0, times: 0 });

describe('evaluate', () => {
  it('never throws for a rule that fails at run time, and says why', () => {
    const rules = [
      compiled(rule({ effects: [award('9223372036854775807 + event.amount')] }), 'overflow'),
      compiled(rule({ condition: 'member.counters.visits > 2' }), 'missing_counter'),
      compiled(rule({ effects: [award('double(event.amount) / 0.0')] }), 'infinite'),
      compiled(rule({ effects: [award('event.attributes.box')] }), 'not_a_number'),
      compiled(rule(), 'fine'),
    ];
    const event = purchase(1000, { attributes: { box: { value: 5 } } });
    const out = evaluate({ rules, event, member: member(), club: { timeZone: TZ }, usage: noUsage });
    expect(out.awards).toEqual([{ ruleId: 'fine', ruleVersion: 1, unit: 'points', points: 10 }]);
    expect(Object.fromEntries(out.trace.map((t) => [t.ruleId, [t.reason, t.detail]]))).toEqual({
      fine: ['fired', undefined],
      infinite: ['expression_error', 'effects[0].amount: amount is not a finite number'],
      missing_counter: ['expression_error', 'condition: No such key: visits'],
      not_a_number: ['expression_error', 'effects[0].amount: amount must be a number, got object'],
      overflow: ['expression_error', expect.stringContaining('overflow')],
    });
  });

  it('asks for usage by the Jalali period key of the event in the club zone', () => {
    const asked: string[] = [];
    const r = compiled(
      rule({
        limits: {
          perMember: [
            { period: 'day', maxTimes: 5 },
            { period: 'week', maxTimes: 5 },
            { period: 'month', maxPoints: 500 },
            { period: 'year', maxPoints: 5000 },
            { period: 'lifetime', maxTimes: 50 },
          ],
          budgetPoints: 1_000_000,
        },
      }),
    );
    evaluate({
      rules: [r],
      event: purchase(1000, { occurredAt: new Date('2025-03-20T20:29:00Z') }),
      member: member(),
      club: { timeZone: TZ },
      usage: (ruleId, key) => {
        asked.push(`${ruleId}:${key}`);
        return noUsage();
      },
    });
    expect(asked).toEqual([
      'rul_test:1403-12-30',
      'rul_test:1403-W52',
      'rul_test:1403-12',
      'rul_test:1403',
      'rul_test:lifetime',
      'rul_test:budget',
    ]);
  });

  it('does not read usage or build CEL variables for rules that stop early', () => {
    let calls = 0;
    const r = compiled(rule({ trigger: 'signup', limits: { perMember: [{ period: 'day', maxTimes: 1 }] } }));
    const out = evaluate({
      rules: [r],
      event: purchase(1000),
      member: member(),
      club: { timeZone: TZ },
      usage: () => {
        calls++;
        return noUsage();
      },
    });
    expect(out.trace[0].reason).toBe('trigger_mismatch');
    expect(calls).toBe(0);
  });
});

// ───────────── properties: whatever the rules and usage, the invariants hold ─────────────

const AMOUNTS = [
  'event.amount / 20000 * 10',
  'double(event.amount) / 3000.0',
  '7',
  '0',
  'event.amount / 1000 - 50',
  'event.items.map(i, i.amount).sum() / 5000',
];
const CONDITIONS = [undefined, 'event.amount >= 50000', 'member.tier == "gold"', 'event.attributes.n > 2', 'context.weekday == 0'];

const limitsArb = fc.option(
  fc.record(
    {
      minAmountRials: fc.option(fc.constantFrom(0, 50_000), { nil: undefined }),
      perMember: fc.option(
        fc.array(
          fc.record({
            period: fc.constantFrom('day', 'week', 'month', 'year', 'lifetime'),
            maxPoints: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
            maxTimes: fc.integer({ min: 0, max: 3 }),
          }),
          { maxLength: 2 },
        ),
        { nil: undefined },
      ),
      budgetPoints: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

const ruleArb = fc.record({
  trigger: fc.constantFrom('purchase', 'app_login'),
  condition: fc.constantFrom(...CONDITIONS),
  kind: fc.constantFrom('award', 'award', 'award', 'festival', 'multiply'),
  amount: fc.constantFrom(...AMOUNTS),
  rounding: fc.constantFrom('floor', 'round', 'ceil'),
  factor: fc.constantFrom(1, 1.5, 2, 3),
  priority: fc.integer({ min: 0, max: 5 }),
  exclusive: fc.boolean(),
  stop: fc.boolean(),
  limits: limitsArb,
});

type RuleSpec = typeof ruleArb extends fc.Arbitrary<infer T> ? T : never;

function toDefinition(r: RuleSpec): RuleDefinitionInput {
  const effects: RuleDefinitionInput['effects'] =
    r.kind === 'multiply'
      ? [{ type: 'multiply', factor: r.factor }]
      : [{ type: 'award', unit: r.kind === 'festival' ? 'festival:fst_x' : 'points', amount: r.amount, rounding: r.rounding }];
  return {
    name,
    trigger: r.trigger,
    ...(r.condition !== undefined ? { condition: r.condition } : {}),
    effects,
    priority: r.priority,
    stacking: r.exclusive && r.kind !== 'multiply' ? 'exclusive' : 'cumulative',
    stop: r.stop,
    ...(r.limits ? { limits: r.limits } : {}),
  };
}

describe('evaluate properties', () => {
  it('one trace line per rule; awards are positive integers of fired rules; limits and exclusivity hold', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 1, maxLength: 8 }),
        fc.record({
          amountRials: fc.integer({ min: 0, max: 5_000_000 }),
          type: fc.constantFrom('purchase', 'app_login'),
          n: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
          items: fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 3 }),
          at: fc.integer({ min: Date.parse('2024-01-01T00:00:00Z'), max: Date.parse('2026-12-31T00:00:00Z') }),
        }),
        fc.record({ tier: fc.constantFrom(null, 'gold'), tierMultiplier: fc.constantFrom(1, 1.25, 2) }),
        fc.dictionary(fc.constantFrom('points', 'times'), fc.integer({ min: 0, max: 400 })),
        (ruleSpecs, ev, m, used) => {
          const rules = ruleSpecs.map((r, i) => compiled(toDefinition(r), `r${i}`));
          const usage = (): Usage => ({ points: used.points ?? 0, times: used.times ?? 0 });
          const out = evaluate({
            rules,
            event: {
              type: ev.type,
              amountRials: ev.amountRials,
              occurredAt: new Date(ev.at),
              attributes: ev.n === undefined ? {} : { n: ev.n },
              items: ev.items.map((a, i) => ({ sku: `s${i}`, category: 'c', quantity: 1, amountRials: a })),
            },
            member: member(m),
            club: { timeZone: TZ },
            usage,
          });

          expect(out.trace.map((t) => t.ruleId).sort()).toEqual(rules.map((r) => r.id).sort());
          const fired = new Set(out.trace.filter((t) => t.fired).map((t) => t.ruleId));
          for (const t of out.trace) expect(t.fired).toBe(t.reason === 'fired');

          const byRule = new Map<string, number>();
          for (const a of out.awards) {
            expect(Number.isSafeInteger(a.points) && a.points > 0).toBe(true);
            expect(fired.has(a.ruleId)).toBe(true);
            byRule.set(a.ruleId, (byRule.get(a.ruleId) ?? 0) + a.points);
          }
          for (const r of rules) {
            const given = byRule.get(r.id) ?? 0;
            for (const l of r.limits.perMember ?? []) {
              if (l.maxPoints !== undefined) expect(usage().points + given).toBeLessThanOrEqual(Math.max(l.maxPoints, usage().points));
              if (l.maxTimes !== undefined && usage().times >= l.maxTimes) expect(fired.has(r.id)).toBe(false);
            }
            if (r.limits.budgetPoints !== undefined) {
              expect(usage().points + given).toBeLessThanOrEqual(Math.max(r.limits.budgetPoints, usage().points));
            }
          }
          const exclusiveWinners = rules.filter((r) => r.exclusive && fired.has(r.id));
          expect(exclusiveWinners.length).toBeLessThanOrEqual(1);
          if (exclusiveWinners.length === 1) {
            const pointsRules = out.awards.filter((a) => a.unit === 'points').map((a) => a.ruleId);
            expect(new Set(pointsRules).size).toBeLessThanOrEqual(1);
            for (const id of pointsRules) expect(id).toBe(exclusiveWinners[0].id);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ───────────── cost: a micro-measurement, logged, not asserted ─────────────

describe('evaluation cost', () => {
  it('logs µs per event for 10 rules', () => {
    const defs: RuleDefinitionInput[] = [
      rule({ effects: [award('event.amount / 20000 * 10')], limits: { minAmountRials: 50_000 }, priority: 10 }),
      rule({ condition: 'event.amount >= 500000 && member.tier == "gold"', effects: [award('event.amount / 10000 * 2')] }),
      rule({
        condition: 'event.items.exists(i, i.category == "dairy")',
        effects: [award('event.items.filter(i, i.category == "dairy").map(i, i.amount).sum() / 10000')],
      }),
      rule({ condition: 'context.month == 9 && context.day == 30', effects: [{ type: 'multiply', factor: 2 }] }),
      rule({ trigger: 'referral_qualified', effects: [award('100')], limits: { perMember: [{ period: 'month', maxPoints: 150 }] } }),
      rule({ effects: [award('5')], limits: { perMember: [{ period: 'day', maxTimes: 3 }, { period: 'month', maxPoints: 300 }] } }),
      rule({ window: { from: '2025-04-20T20:30:00Z', to: '2025-05-21T20:30:00Z' }, effects: [award('25')] }),
      rule({ audience: { groups: ['doctors', 'staff'] }, effects: [award('double(event.amount) / 30000.0')] }),
      rule({ condition: 'context.isBirthday', effects: [award('200')] }),
      rule({ effects: [{ type: 'award', unit: 'festival:fst_nowruz', amount: 'event.amount / 100000' }], limits: { budgetPoints: 1_000_000 } }),
    ];
    const rules = defs.map((d, i) => compiled(d, `r${i}`));
    const used = new Map<string, Usage>([['r5:1404-02', { points: 40, times: 8 }]]);
    const usage = (ruleId: string, key: string): Usage => used.get(`${ruleId}:${key}`) ?? { points: 0, times: 0 };
    const events = Array.from({ length: 64 }, (_, i) =>
      purchase(30_000 + i * 17_000, {
        occurredAt: new Date(Date.parse('2025-05-10T08:00:00Z') + i * 3_600_000),
        items: [
          { sku: 'MILK', category: 'dairy', quantity: 1, amountRials: 20_000 },
          { sku: 'BREAD', category: 'bakery', quantity: 2, amountRials: 10_000 + i },
        ],
        channel: 'pos',
        store: 'st_1',
      }),
    );
    const m = member({ tier: 'gold', tierMultiplier: 1.25, groups: ['doctors'], birthDate: '1990-05-10', counters: { purchases: 12 } });
    const run = (n: number): number => {
      let awarded = 0;
      for (let i = 0; i < n; i++) {
        const out = evaluate({ rules, event: events[i & 63], member: m, club: { timeZone: TZ }, usage });
        awarded += out.awards.length;
      }
      return awarded;
    };
    run(5_000); // warm up the JIT
    const n = 20_000;
    const t0 = process.hrtime.bigint();
    const awarded = run(n);
    const usPerEvent = Number(process.hrtime.bigint() - t0) / 1_000 / n;
    console.log(`rules engine: ${usPerEvent.toFixed(1)} µs per event for 10 rules (${n} events, ${awarded} award lines)`);
    expect(awarded).toBeGreaterThan(0);
  });
});
