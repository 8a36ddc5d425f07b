import { describe, expect, test } from 'vitest';
import {
  chancesFor,
  compareStanding,
  competitionRanks,
  entryCode,
  entryRef,
  FestivalCreateSchema,
  festivalWindow,
  inAudience,
  indicatorScore,
  parseInstant,
  phaseOf,
  prizeFor,
  shardOf,
  type Indicator,
} from './domain.js';
import { isoInZone } from './service.js';

const TZ = 'Asia/Tehran';

describe('festival windows in the club zone', () => {
  test.each([
    // from, to → first instant, end instant (exclusive)
    ['1404/01/01', '1404/01/13', '2025-03-20T20:30:00.000Z', '2025-04-02T20:30:00.000Z'],
    ['1403/12/30', '1404/01/01', '2025-03-19T20:30:00.000Z', '2025-03-21T20:30:00.000Z'], // leap Esfand 30 through Nowruz
    ['۱۴۰۴/۰۷/۰۱', '۱۴۰۴/۰۷/۰۱', '2025-09-22T20:30:00.000Z', '2025-09-23T20:30:00.000Z'], // Persian digits, one day
    ['2025-04-04', '2025-04-20', '2025-04-03T20:30:00.000Z', '2025-04-20T20:30:00.000Z'], // ISO dates too
  ])('%s – %s', (from, to, start, end) => {
    const w = festivalWindow({ from, to }, TZ);
    expect(w.ok).toBe(true);
    if (w.ok) {
      expect(w.value.startsAt.toISOString()).toBe(start);
      expect(w.value.endsAt.toISOString()).toBe(end);
    }
  });

  test.each([
    ['1404/01/13', '1404/01/01', 'before'],
    ['1403/12/31', '1404/01/10', 'not a date'], // 1403 has 30 days in Esfand, not 31
    ['1404/13/01', '1404/01/10', 'not a date'],
  ])('%s – %s is refused', (from, to, why) => {
    const w = festivalWindow({ from, to }, TZ);
    expect(w.ok).toBe(false);
    if (!w.ok) expect(w.detail).toContain(why);
  });

  test('phases', () => {
    const f = { startsAt: new Date('2025-04-01T00:00:00Z'), endsAt: new Date('2025-04-10T00:00:00Z'), status: 'active' };
    expect(phaseOf(f, new Date('2025-03-31T23:59:59Z'))).toBe('upcoming');
    expect(phaseOf(f, new Date('2025-04-01T00:00:00Z'))).toBe('open');
    expect(phaseOf(f, new Date('2025-04-10T00:00:00Z'))).toBe('closed');
    expect(phaseOf({ ...f, status: 'cancelled' }, new Date('2025-04-05T00:00:00Z'))).toBe('closed');
  });
});

describe('instants people type', () => {
  test.each([
    ['1404/01/17 12:00', '2025-04-06T08:30:00.000Z'],
    ['1404/01/17', '2025-04-05T20:30:00.000Z'],
    ['۱۴۰۴/۰۱/۱۷ ۰۸:۰۵', '2025-04-06T04:35:00.000Z'],
    ['2025-04-06T12:00:00+03:30', '2025-04-06T08:30:00.000Z'],
    ['2025-04-06T08:30:00Z', '2025-04-06T08:30:00.000Z'],
  ])('%s', (input, iso) => expect(parseInstant(input, TZ)?.toISOString()).toBe(iso));

  test.each(['1404/01/17 25:00', 'tomorrow at ten', '1404/01/32', '2025-04-06T12:00:00'])('%s is refused', (input) => expect(parseInstant(input, TZ)).toBeNull());

  test('published times carry the zone offset', () => {
    expect(isoInZone(new Date('2025-04-06T08:30:00Z'), TZ)).toBe('2025-04-06T12:00:00+03:30');
    expect(isoInZone(new Date('2025-04-06T08:30:00Z'), 'UTC')).toBe('2025-04-06T08:30:00+00:00');
  });
});

describe('indicators', () => {
  const per100k: Indicator = { eventType: 'purchase', score: 2, per: { rials: 100_000 }, minAmountRials: 0 };
  const perEvent: Indicator = { eventType: 'bill_paid', score: 5, per: 'event', minAmountRials: 0 };
  const capped: Indicator = { eventType: 'purchase', score: 1, per: { rials: 10_000 }, minAmountRials: 500_000, maxPerEvent: 100 };
  test.each([
    [[per100k], 'purchase', 1_000_000, 20],
    [[per100k], 'purchase', 99_999, 0], // whole units only, floored
    [[per100k], 'purchase', 250_000, 4],
    [[per100k], 'refund', 1_000_000, 0],
    [[perEvent], 'bill_paid', undefined, 5],
    [[capped], 'purchase', 400_000, 0], // below the minimum amount
    [[capped], 'purchase', 600_000, 60],
    [[capped], 'purchase', 5_000_000, 100], // capped per event
    [[per100k, capped], 'purchase', 600_000, 12 + 60], // indicators add up
  ] as const)('%#: %s %s → %s', (indicators, type, amount, score) => {
    expect(indicatorScore(indicators as unknown as Indicator[], { type, amountRials: amount })).toBe(score);
  });

  test('definitions: categories unique, top performers name a known category', () => {
    const base = { name: { fa: 'ج' }, window: { from: '1404/01/01', to: '1404/01/02' }, indicators: [{ eventType: 'purchase', score: 1 }] };
    expect(FestivalCreateSchema.safeParse(base).success).toBe(true);
    expect(FestivalCreateSchema.safeParse({ ...base, categories: [{ key: 'score', eventType: 'purchase' }] }).success).toBe(false);
    expect(FestivalCreateSchema.safeParse({ ...base, categories: [{ key: 'a', eventType: 'x' }, { key: 'a', eventType: 'y' }] }).success).toBe(false);
    expect(FestivalCreateSchema.safeParse({ ...base, topPerformers: [{ category: 'invites', count: 3 }] }).success).toBe(false);
    expect(FestivalCreateSchema.safeParse({ ...base, categories: [{ key: 'invites', eventType: 'referral_qualified' }], topPerformers: [{ category: 'invites', count: 3 }] }).success).toBe(true);
  });
});

describe('audience', () => {
  test.each([
    [{ groups: [], tiers: [] }, { groups: [], tier: null }, true],
    [{ groups: ['doctor'], tiers: [] }, { groups: ['lawyer'], tier: null }, false],
    [{ groups: ['doctor'], tiers: [] }, { groups: ['lawyer', 'doctor'], tier: null }, true],
    [{ groups: ['doctor'], tiers: ['gold'] }, { groups: [], tier: 'gold' }, true],
    [{ groups: [], tiers: ['gold'] }, { groups: [], tier: 'silver' }, false],
    [{ groups: [], tiers: ['gold'] }, { groups: [], tier: null }, false],
  ])('%j / %j → %s', (a, m, expected) => expect(inAudience(a, m)).toBe(expected));
});

describe('ranks, chances, refs', () => {
  test('competition ranks: equal values share a rank', () => {
    expect(competitionRanks([{ value: 9 }, { value: 7 }, { value: 7 }, { value: 3 }, { value: 3 }, { value: 1 }]).map((r) => r.rank)).toEqual([1, 2, 2, 4, 4, 6]);
    expect(competitionRanks([])).toEqual([]);
  });

  test('the top-performer order: value, then who got there first, then member id', () => {
    const rows = [
      { value: 10, seq: 7, memberId: 'mbr_b' },
      { value: 12, seq: 9, memberId: 'mbr_z' },
      { value: 10, seq: 3, memberId: 'mbr_c' },
      { value: 10, seq: 3, memberId: 'mbr_a' },
    ];
    expect(rows.sort(compareStanding).map((r) => r.memberId)).toEqual(['mbr_z', 'mbr_a', 'mbr_c', 'mbr_b']);
  });

  test.each([
    [{ basis: 'score', pointsPerChance: 5 }, 24, 0, 4],
    [{ basis: 'score', pointsPerChance: 5 }, 4, 0, 0],
    [{ basis: 'score', pointsPerChance: 1 }, 2 ** 40, 0, 2 ** 31], // capped at the draw's limit
    [{ basis: 'staked', pointsPerChance: 5 }, 1000, 3, 3],
  ] as const)('%j score %s staked %s → %s chances', (rule, score, staked, n) => expect(chancesFor(rule, score, staked)).toBe(n));

  test('entry codes are random letters and digits that read aloud unambiguously; refs join mask and code', () => {
    let i = 0;
    const code = entryCode((n) => Buffer.from(Array.from({ length: n }, () => i++ * 37)));
    expect(code).toMatch(/^[a-hjkmnp-z2-9]{8}$/);
    expect(entryRef('0912***4567', code)).toBe(`0912***4567#${code}`);
  });

  test('shards spread by the id’s last hex digit', () => {
    expect([...'0123456789abcdef'].map((d) => shardOf(`mbr_x${d}`))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('prizes by rank range', () => {
    const prizes = [{ fromRank: 1, toRank: 1, title: { fa: 'خودرو', en: 'Car' } }, { fromRank: 2, toRank: 10, title: { fa: 'سکه', en: 'Coin' } }];
    expect(prizeFor(prizes, 1)?.title.en).toBe('Car');
    expect(prizeFor(prizes, 10)?.title.en).toBe('Coin');
    expect(prizeFor(prizes, 11)).toBeNull();
  });
});
