import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  allocateReversal,
  allocateSpend,
  balancesAfter,
  checkBalanced,
  reversalTarget,
  type LineDraft,
  type OpenLot,
} from './domain.js';

const NOW = new Date('2025-03-21T08:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

/** A lot: `exp`/`avail`/`created` in days from NOW; exp null = never expires. */
function lot(id: string, remaining: number, o: { exp?: number | null; avail?: number; created?: number; event?: string | null } = {}): OpenLot {
  return {
    id,
    remaining,
    availableAt: at(o.avail ?? -1),
    expiresAt: o.exp === null ? null : at(o.exp ?? 365),
    createdAt: at(o.created ?? -1),
    eventId: o.event ?? null,
  };
}

describe('allocateSpend', () => {
  const cases: { name: string; lots: OpenLot[]; amount: number; want: [string, number][] | null }[] = [
    {
      name: 'soonest expiry first, across lots',
      lots: [lot('a', 10, { exp: 30 }), lot('b', 10, { exp: 10 }), lot('c', 10, { exp: 20 })],
      amount: 25,
      want: [['b', 10], ['c', 10], ['a', 5]],
    },
    {
      name: 'a newer lot that expires sooner goes before an older one',
      lots: [lot('old', 10, { exp: 300, created: -100 }), lot('new', 10, { exp: 5, created: -1 })],
      amount: 12,
      want: [['new', 10], ['old', 2]],
    },
    {
      name: 'never-expiring lots last, even when oldest',
      lots: [lot('forever', 50, { exp: null, created: -900 }), lot('year', 5, { exp: 365 })],
      amount: 7,
      want: [['year', 5], ['forever', 2]],
    },
    {
      name: 'equal expiry: oldest first',
      lots: [lot('young', 10, { exp: 30, created: -1 }), lot('elder', 10, { exp: 30, created: -50 })],
      amount: 3,
      want: [['elder', 3]],
    },
    {
      name: 'pending lots are skipped even when they expire soonest',
      lots: [lot('pending', 100, { exp: 1, avail: 2 }), lot('ok', 10, { exp: 90 })],
      amount: 10,
      want: [['ok', 10]],
    },
    {
      name: 'a lot that becomes available exactly now is available',
      lots: [lot('now', 10, { avail: 0 })],
      amount: 10,
      want: [['now', 10]],
    },
    {
      name: 'expired lots are skipped (expiring exactly now counts as expired)',
      lots: [lot('gone', 100, { exp: -1 }), lot('edge', 100, { exp: 0 }), lot('ok', 10, { exp: 90 })],
      amount: 10,
      want: [['ok', 10]],
    },
    {
      name: 'empty lots are skipped',
      lots: [lot('empty', 0, { exp: 1 }), lot('ok', 4, { exp: 2 })],
      amount: 4,
      want: [['ok', 4]],
    },
    {
      name: 'exactly the available total',
      lots: [lot('a', 3), lot('b', 4, { exp: 10 })],
      amount: 7,
      want: [['b', 4], ['a', 3]],
    },
    {
      name: 'insufficient → null (nothing taken)',
      lots: [lot('a', 3), lot('b', 4)],
      amount: 8,
      want: null,
    },
    {
      name: 'insufficient when only pending and expired points would cover it',
      lots: [lot('ok', 5), lot('pending', 100, { avail: 1 }), lot('gone', 100, { exp: -1 })],
      amount: 6,
      want: null,
    },
    { name: 'no lots → null', lots: [], amount: 1, want: null },
  ];
  it.each(cases)('$name', ({ lots, amount, want }) => {
    const got = allocateSpend(lots, amount, NOW);
    expect(got === null ? null : got.map((a) => [a.lotId, a.amount])).toEqual(want);
  });

  it('never allocates more than a lot holds, and the allocations sum to the amount', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ remaining: fc.integer({ min: 0, max: 50 }), exp: fc.option(fc.integer({ min: -5, max: 60 })), avail: fc.integer({ min: -5, max: 5 }) }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 200 }),
        (specs, amount) => {
          const lots = specs.map((s, i) => lot(`l${i}`, s.remaining, { exp: s.exp, avail: s.avail }));
          const available = lots.filter((l) => l.availableAt <= NOW && (l.expiresAt === null || l.expiresAt > NOW)).reduce((s, l) => s + l.remaining, 0);
          const got = allocateSpend(lots, amount, NOW);
          if (available < amount) return got === null;
          if (!got) return false;
          const byId = new Map(lots.map((l) => [l.id, l]));
          return got.reduce((s, a) => s + a.amount, 0) === amount && got.every((a) => a.amount > 0 && a.amount <= byId.get(a.lotId)!.remaining);
        },
      ),
    );
  });
});

describe('allocateReversal', () => {
  const P = 'evt_purchase';
  const cases: { name: string; lots: OpenLot[]; amount: number; want: [string, number][]; shortfall: number }[] = [
    {
      name: "the purchase's own lots first, even when others expire sooner",
      lots: [lot('other', 100, { exp: 1 }), lot('own', 30, { exp: 300, event: P })],
      amount: 40,
      want: [['own', 30], ['other', 10]],
      shortfall: 0,
    },
    {
      name: 'own lots: pending before available',
      lots: [lot('ownAvail', 10, { exp: 5, event: P }), lot('ownPending', 10, { exp: 300, avail: 3, event: P })],
      amount: 15,
      want: [['ownPending', 10], ['ownAvail', 5]],
      shortfall: 0,
    },
    {
      name: 'other lots: pending first, then soonest expiry',
      lots: [lot('late', 10, { exp: 200 }), lot('soon', 10, { exp: 20 }), lot('pend', 10, { exp: 300, avail: 7 })],
      amount: 25,
      want: [['pend', 10], ['soon', 10], ['late', 5]],
      shortfall: 0,
    },
    {
      name: 'expired lots are never taken, own or not',
      lots: [lot('ownGone', 50, { exp: -1, event: P }), lot('gone', 50, { exp: -2 }), lot('ok', 5)],
      amount: 20,
      want: [['ok', 5]],
      shortfall: 15,
    },
    {
      name: 'what was already spent is the shortfall, everything left is taken',
      lots: [lot('own', 20, { event: P }), lot('other', 5)],
      amount: 100,
      want: [['own', 20], ['other', 5]],
      shortfall: 75,
    },
    { name: 'nothing left at all', lots: [lot('empty', 0, { event: P })], amount: 9, want: [], shortfall: 9 },
    { name: 'zero to reverse', lots: [lot('own', 9, { event: P })], amount: 0, want: [], shortfall: 0 },
  ];
  it.each(cases)('$name', ({ lots, amount, want, shortfall }) => {
    const got = allocateReversal(lots, P, amount, NOW);
    expect(got.allocations.map((a) => [a.lotId, a.amount])).toEqual(want);
    expect(got.shortfall).toBe(shortfall);
  });
});

describe('reversalTarget', () => {
  const base = { earned: 100, purchaseRials: 1_000_000, refundedBeforeRials: 0, targetedBefore: 0 };
  const cases: { name: string; input: Parameters<typeof reversalTarget>[0]; want: number }[] = [
    { name: 'partial refund: proportional', input: { ...base, refundNowRials: 300_000 }, want: 30 },
    { name: 'partial refund: floored', input: { ...base, purchaseRials: 1_005_000, refundNowRials: 333_333 }, want: 33 },
    { name: 'full refund in one go: exactly what was earned', input: { ...base, earned: 7, purchaseRials: 10, refundNowRials: 10 }, want: 7 },
    {
      name: 'last of several partial refunds: what is left of earned (not floored away)',
      input: { earned: 100, purchaseRials: 1_005_000, refundedBeforeRials: 666_666, targetedBefore: 66, refundNowRials: 338_334 },
      want: 34,
    },
    { name: 'a refund beyond the purchase is capped at earned', input: { ...base, refundNowRials: 5_000_000 }, want: 100 },
    { name: 'after a full refund nothing more', input: { ...base, refundedBeforeRials: 1_000_000, targetedBefore: 100, refundNowRials: 1 }, want: 0 },
    { name: 'never negative when earlier refunds targeted more', input: { ...base, refundedBeforeRials: 100_000, targetedBefore: 50, refundNowRials: 100_000 }, want: 0 },
    { name: 'a purchase that earned nothing', input: { ...base, earned: 0, refundNowRials: 1_000_000 }, want: 0 },
    { name: 'a zero-rial purchase', input: { ...base, purchaseRials: 0, refundNowRials: 0 }, want: 0 },
    { name: 'a tiny refund rounds down to 0', input: { ...base, refundNowRials: 9_999 }, want: 0 },
  ];
  it.each(cases)('$name', ({ input, want }) => expect(reversalTarget(input)).toBe(want));

  it('cumulative: any split of a purchase into refunds reverses exactly what it earned, each step ≥ 0', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 10 }),
        (earned, purchaseRials, weights) => {
          const total = weights.reduce((s, w) => s + w, 0);
          // Split purchaseRials by the weights; the last part takes the remainder.
          let left = purchaseRials;
          const parts = weights.map((w, i) => {
            const p = i === weights.length - 1 ? left : Math.floor((purchaseRials * w) / total);
            left -= p;
            return p;
          });
          let refundedBefore = 0;
          let targetedBefore = 0;
          for (const part of parts) {
            const t = reversalTarget({ earned, purchaseRials, refundedBeforeRials: refundedBefore, refundNowRials: part, targetedBefore });
            if (t < 0) return false;
            refundedBefore += part;
            targetedBefore += t;
            // Never ahead of the proportional share (except the final step, which is exact).
            if (refundedBefore < purchaseRials && targetedBefore > Math.floor((earned * refundedBefore) / purchaseRials)) return false;
          }
          return targetedBefore === earned;
        },
      ),
    );
  });
});

describe('balancesAfter', () => {
  it.each([
    { name: 'running balance after each line', final: 100, deltas: [50, -20, 70], want: [50, 30, 100] },
    { name: 'one line', final: 42, deltas: [42], want: [42] },
    { name: 'starting from an earlier balance', final: 10, deltas: [-5, -5], want: [15, 10] },
    { name: 'no lines', final: 7, deltas: [], want: [] },
  ])('$name', ({ final, deltas, want }) => expect(balancesAfter(final, deltas)).toEqual(want));
});

describe('checkBalanced', () => {
  const l = (account: string, amount: number, unit: LineDraft['unit'] = 'points'): LineDraft => ({ account, memberId: account.startsWith('mbr') ? account : null, unit, amount });
  const cases: { name: string; lines: LineDraft[]; problem: RegExp | null }[] = [
    { name: 'two lines summing to zero', lines: [l('system:issued', -10), l('mbr_a', 10)], problem: null },
    { name: 'several units, each balanced', lines: [l('mbr_a', -5), l('system:converted', 5), l('system:conversion', -5000, 'rials'), l('mbr_a', 5000, 'rials')], problem: null },
    { name: 'a single line', lines: [l('mbr_a', 0)], problem: /at least two lines/ },
    { name: 'not summing to zero', lines: [l('system:issued', -10), l('mbr_a', 9)], problem: /points sum to -1/ },
    { name: 'balanced in total but not per unit', lines: [l('mbr_a', -5), l('system:x', 5, 'rials'), l('mbr_b', 5), l('system:y', -5, 'rials'), l('mbr_c', 1), l('system:z', -1, 'rials')], problem: /sum to/ },
    { name: 'a zero line', lines: [l('system:issued', 0), l('mbr_a', 0)], problem: /non-zero/ },
    { name: 'a fraction', lines: [l('system:issued', -1.5), l('mbr_a', 1.5)], problem: /safe integer/ },
    { name: 'beyond 2^53', lines: [l('system:issued', -(2 ** 53)), l('mbr_a', 2 ** 53)], problem: /safe integer/ },
  ];
  it.each(cases)('$name', ({ lines, problem }) => {
    const got = checkBalanced(lines);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toMatch(problem);
  });
});
