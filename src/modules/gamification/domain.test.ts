import { describe, expect, test } from 'vitest';
import { compileCriteria, criteriaHold } from './cel.js';
import { counterKey, liveStreak, nextStreak, streakKeys } from './domain.js';

const TZ = 'Asia/Tehran';

describe('counter and streak keys (Jalali, club zone)', () => {
  test.each([
    ['2025-03-20T20:29:59Z', 'day', '1403-12-30'], // last second of leap Esfand 30 in Tehran
    ['2025-03-20T20:30:00Z', 'day', '1404-01-01'], // Nowruz
    ['2025-03-20T20:30:00Z', 'month', '1404-01'],
    ['2025-03-20T20:30:00Z', 'year', '1404'],
    ['2025-03-20T20:30:00Z', 'lifetime', 'L'],
  ] as const)('%s %s → %s', (at, period, key) => expect(counterKey(new Date(at), period, TZ)).toBe(key));

  test('the day before Nowruz is Esfand 30 in a leap year', () => {
    expect(streakKeys(new Date('2025-03-21T06:00:00Z'), 'day', TZ)).toEqual({ key: '1404-01-01', prev: '1403-12-30' });
  });

  test('weeks run Saturday to Friday', () => {
    const fri = streakKeys(new Date('2025-04-11T06:00:00Z'), 'week', TZ); // Friday
    const sat = streakKeys(new Date('2025-04-12T06:00:00Z'), 'week', TZ); // Saturday
    expect(sat.prev).toBe(fri.key);
    expect(sat.key > fri.key).toBe(true);
  });
});

describe('streaks', () => {
  test.each([
    [null, '1404-01-02', '1404-01-01', { lastKey: '1404-01-02', current: 1, best: 1 }],
    [{ lastKey: '1404-01-01', current: 3, best: 3 }, '1404-01-02', '1404-01-01', { lastKey: '1404-01-02', current: 4, best: 4 }],
    [{ lastKey: '1404-01-02', current: 4, best: 4 }, '1404-01-02', '1404-01-01', { lastKey: '1404-01-02', current: 4, best: 4 }], // same day
    [{ lastKey: '1404-01-02', current: 4, best: 6 }, '1404-01-05', '1404-01-04', { lastKey: '1404-01-05', current: 1, best: 6 }], // a gap
    [{ lastKey: '1404-01-05', current: 2, best: 6 }, '1404-01-03', '1404-01-02', { lastKey: '1404-01-05', current: 2, best: 6 }], // an old action
  ])('%j + %s', (s, key, prev, next) => expect(nextStreak(s, key, prev)).toEqual(next));

  test('a streak older than the previous period shows as broken', () => {
    expect(liveStreak({ lastKey: '1404-01-02', current: 4 }, { key: '1404-01-03', prev: '1404-01-02' })).toBe(4);
    expect(liveStreak({ lastKey: '1404-01-01', current: 4 }, { key: '1404-01-03', prev: '1404-01-02' })).toBe(0);
  });
});

describe('badge criteria (CEL)', () => {
  test.each([
    ['counts.purchase >= 5', { counts: { purchase: 5 } }, true],
    ['counts.purchase >= 5', { counts: { purchase: 4 } }, false],
    ['counts.purchase >= 5', {}, false], // a missing counter reads 0
    ['amounts.purchase >= 10000000 || streaks.daily_login >= 7', { streaks: { daily_login: 7 } }, true],
    ['counts.purchase >= 1 && counts.bill_paid >= 1', { counts: { purchase: 2, bill_paid: 1 } }, true],
  ])('%s with %j → %s', (source, vars, expected) => {
    const c = compileCriteria(source);
    expect(c.ok).toBe(true);
    if (c.ok) expect(criteriaHold(c.value, { counts: {}, amounts: {}, streaks: {}, ...vars })).toBe(expected);
  });

  test.each(['counts.purchase >=', 'counts.purchase', 'member.tier == "gold"', 'counts.x.matches("a+")'])('%s is refused', (source) => {
    expect(compileCriteria(source).ok).toBe(false);
  });
});
