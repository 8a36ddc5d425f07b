import { describe, expect, it } from 'vitest';
import {
  burnReversal,
  codeFromPattern,
  fatigueCurve,
  ineligibility,
  orderCatalogue,
  periodRange,
  posQuote,
  RewardCreateSchema,
  walletRate,
  windowInstants,
  windowJalali,
  type RewardFacts,
} from './domain.js';
import { sliceAllocations } from './service.js';

const TZ = 'Asia/Tehran';
const now = new Date('2025-04-10T08:00:00Z'); // 1404/01/21
const base: RewardFacts = { type: 'product', status: 'active', stock: 5, availableFrom: null, availableUntil: null, audience: { tiers: [], groups: [] } };
const member = { status: 'active', tier: 'silver', groups: ['doctor'] };

describe('ineligibility: each bad input its own code', () => {
  const cases: [string, Partial<RewardFacts>, Partial<typeof member>, string | null][] = [
    ['fine', {}, {}, null],
    ['archived', { status: 'archived' }, {}, 'reward_archived'],
    ['window ended', { availableUntil: new Date('2025-04-01T00:00:00Z') }, {}, 'reward_expired'],
    ['window not started', { availableFrom: new Date('2025-05-01T00:00:00Z') }, {}, 'reward_not_available'],
    ['tier', { audience: { tiers: ['gold'], groups: [] } }, {}, 'below_tier'],
    ['no tier at all', { audience: { tiers: ['gold'], groups: [] } }, { tier: null as never }, 'below_tier'],
    ['tier ok', { audience: { tiers: ['gold', 'silver'], groups: [] } }, {}, null],
    ['group', { audience: { tiers: [], groups: ['lawyer'] } }, {}, 'not_in_audience'],
    ['group ok', { audience: { tiers: [], groups: ['lawyer', 'doctor'] } }, {}, null],
    ['stock 0', { stock: 0 }, {}, 'reward_out_of_stock'],
    ['unlimited', { stock: null }, {}, null],
    ['suspended member', {}, { status: 'suspended' }, 'member_inactive'],
    ['archived beats stock', { status: 'archived', stock: 0 }, {}, 'reward_archived'],
  ];
  it.each(cases)('%s', (_n, r, m, code) => {
    expect(ineligibility({ ...base, ...r }, { ...member, ...m }, now)).toBe(code);
  });
});

describe('freshness ordering (R4)', () => {
  const d = (s: string) => new Date(s);
  it('newly rotated first, then new, then repeats by times taken and longest ago', () => {
    const entries = [
      { id: 'repeat2', rotatedAt: d('2025-01-01'), timesTaken: 2, lastTakenAt: d('2025-03-01') },
      { id: 'repeat1-recent', rotatedAt: d('2025-01-01'), timesTaken: 1, lastTakenAt: d('2025-04-01') },
      { id: 'repeat1-old', rotatedAt: d('2025-01-01'), timesTaken: 1, lastTakenAt: d('2025-02-01') },
      { id: 'new-old', rotatedAt: d('2024-06-01'), timesTaken: 0, lastTakenAt: null },
      { id: 'new-newer', rotatedAt: d('2025-02-01'), timesTaken: 0, lastTakenAt: null },
      { id: 'rotated-back', rotatedAt: d('2025-04-05'), timesTaken: 3, lastTakenAt: d('2025-03-01') },
      { id: 'just-launched', rotatedAt: d('2025-04-08'), timesTaken: 0, lastTakenAt: null },
    ];
    const order = orderCatalogue(entries, now);
    expect(order.map((e) => e.id)).toEqual(['just-launched', 'rotated-back', 'new-newer', 'new-old', 'repeat1-old', 'repeat1-recent', 'repeat2']);
    expect(order.map((e) => e.freshness)).toEqual(['rotated', 'rotated', 'new', 'new', 'repeat', 'repeat', 'repeat']);
  });
});

describe('fatigue curve', () => {
  it('rate of taking once more, by times already taken', () => {
    // 10 catalogue users; 6 took it once or more, 3 twice or more, 1 three times.
    const curve = fatigueCurve([1, 1, 1, 2, 2, 3], 10);
    expect(curve).toEqual([
      { timesTakenBefore: 0, members: 10, tookAgain: 6, rate: 0.6 },
      { timesTakenBefore: 1, members: 6, tookAgain: 3, rate: 0.5 },
      { timesTakenBefore: 2, members: 3, tookAgain: 1, rate: 0.3333 },
      { timesTakenBefore: 3, members: 1, tookAgain: 0, rate: 0 },
    ]);
    expect(fatigueCurve([], 0)).toEqual([{ timesTakenBefore: 0, members: 0, tookAgain: 0, rate: 0 }]);
  });
});

describe('at the till', () => {
  const limits = { maxPercent: 50, minPoints: 10, pointValueRials: 1000 };
  it.each([
    // basket, available, want → points, discount, reason
    [1_000_000, 10_000, undefined, 500, 500_000, 'ok'],
    [1_000_000, 120, undefined, 120, 120_000, 'ok'],
    [1_000_000, 120, 50, 50, 50_000, 'ok'],
    [1_000_000, 5, undefined, 0, 0, 'below_minimum'],
    [1_999, 1000, undefined, 0, 0, 'nothing'],
    [1_000_999, 10_000, undefined, 500, 500_000, 'ok'], // floor: never more than 50%
  ] as const)('basket %d, available %d, want %s', (basket, available, want, points, discount, reason) => {
    expect(posQuote(basket, available, limits, want)).toMatchObject({ points, discountRials: discount, reason });
  });
  it('burn reversal is proportional, capped, and never repeats', () => {
    expect(burnReversal({ burnPoints: 100, purchaseRials: 1000, refundedRials: 1000, reversedBefore: 0 })).toBe(100);
    expect(burnReversal({ burnPoints: 100, purchaseRials: 1000, refundedRials: 333, reversedBefore: 0 })).toBe(33);
    expect(burnReversal({ burnPoints: 100, purchaseRials: 1000, refundedRials: 1000, reversedBefore: 33 })).toBe(67);
    expect(burnReversal({ burnPoints: 100, purchaseRials: 1000, refundedRials: 5000, reversedBefore: 100 })).toBe(0);
  });
  it('slices allocations for partial reversals', () => {
    const a = [{ lotId: 'a', amount: 30 }, { lotId: 'b', amount: 70 }];
    expect(sliceAllocations(a, 0, 33)).toEqual([{ lotId: 'a', amount: 30 }, { lotId: 'b', amount: 3 }]);
    expect(sliceAllocations(a, 33, 67)).toEqual([{ lotId: 'b', amount: 67 }]);
  });
});

describe('codes, windows, periods, rates', () => {
  it('codes from a pattern', () => {
    const c = codeFromPattern('nowruz-####-????', new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]));
    expect(c).toMatch(/^NOWRUZ-[2-9]{4}-[A-Z]{4}$/);
    expect(c.slice(7)).not.toMatch(/[IO01]/);
  });
  it('a Jalali window is whole days in the club zone, the last day inclusive', () => {
    const w = windowInstants('1404/01/01', '1404/01/13', TZ);
    expect(w.from!.toISOString()).toBe('2025-03-20T20:30:00.000Z');
    expect(w.until!.toISOString()).toBe('2025-04-02T20:30:00.000Z'); // the day after 1404/01/13 (2025-04-02)
    expect(windowJalali(w.from, w.until, TZ)).toEqual({ from: '1404/01/01', until: '1404/01/13' });
  });
  it('limit periods follow the Jalali calendar (Esfand 30 of a leap year, then Nowruz)', () => {
    const lastDay = new Date('2025-03-20T10:00:00Z'); // 1403/12/30
    expect(periodRange('month', lastDay, TZ).end!.toISOString()).toBe('2025-03-20T20:30:00.000Z');
    expect(periodRange('year', new Date('2025-03-21T10:00:00Z'), TZ).start!.toISOString()).toBe('2025-03-20T20:30:00.000Z');
    expect(periodRange('ever', now, TZ)).toEqual({ start: null, end: null });
  });
  it('wallet rate: tier, then reward, then club', () => {
    expect(walletRate({ tierRates: { gold: 1200 }, rateRials: 900 }, 'gold', 1000)).toBe(1200);
    expect(walletRate({ tierRates: { gold: 1200 }, rateRials: 900 }, 'silver', 1000)).toBe(900);
    expect(walletRate({}, null, 1000)).toBe(1000);
  });
  it('schema: each type needs what its fulfilment needs', () => {
    const ok = (b: object) => RewardCreateSchema.safeParse({ title: { fa: 'x' }, costPoints: 10, ...b }).success;
    expect(ok({ type: 'coupon' })).toBe(false);
    expect(ok({ type: 'coupon', config: { codes: { source: 'pattern' } } })).toBe(false);
    expect(ok({ type: 'coupon', config: { codes: { source: 'pattern', pattern: 'A-###' } } })).toBe(false);
    expect(ok({ type: 'coupon', config: { codes: { source: 'pattern', pattern: 'A-###???' } } })).toBe(true);
    expect(ok({ type: 'donation' })).toBe(false);
    expect(ok({ type: 'donation', config: { cause: { fa: 'محک' } } })).toBe(true);
    expect(ok({ type: 'bundle', config: { options: ['a'] } })).toBe(false);
    expect(ok({ type: 'product', availableFrom: '1404/13/01' })).toBe(false);
    expect(ok({ type: 'product', availableFrom: '۱۴۰۴/۰۱/۰۱' })).toBe(true);
  });
});
