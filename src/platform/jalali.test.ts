import { describe, expect, it } from 'vitest';
import {
  addJalaliMonths,
  dayRange,
  expiryInstant,
  formatJalali,
  isSameJalaliMonthDay,
  isoToJalali,
  jalaliMonthLength,
  jalaliMonthRange,
  jalaliToIso,
  jalaliWeekRange,
  jalaliYearRange,
  parseDateInput,
  periodKey,
  zonedDateStart,
  zonedParts,
} from './jalali.js';

const TZ = 'Asia/Tehran';
const at = (iso: string) => new Date(iso);
const range = (r: { start: Date; end: Date }) => [r.start.toISOString(), r.end.toISOString()];

describe('parseDateInput', () => {
  it.each([
    ['1403/12/30', '2025-03-20'], // leap year: Esfand has 30 days
    ['1403-12-30', '2025-03-20'],
    ['۱۴۰۳/۱۲/۳۰', '2025-03-20'],
    ['١٤٠٣-١٢-٣٠', '2025-03-20'], // Arabic-Indic digits
    [' 1404/01/01 ', '2025-03-21'],
    ['1403/1/1', '2024-03-20'],
    ['2025-03-20', '2025-03-20'],
    ['2024-02-29', '2024-02-29'],
  ])('%s → %s', (input, expected) => {
    expect(parseDateInput(input)).toBe(expected);
  });

  it.each([
    ['1404/12/30'], // 1404 is not leap
    ['1403/13/01'],
    ['1403/00/10'],
    ['1403/07/31'], // second-half months have 30 days
    ['2025-02-30'],
    ['2025-13-01'],
    ['03/20/2025'],
    ['1403/12'],
    ['abc'],
    [''],
  ])('rejects %j', (input) => {
    expect(parseDateInput(input)).toBeNull();
  });
});

describe('Jalali ↔ ISO', () => {
  it.each([
    ['2025-03-20', { jy: 1403, jm: 12, jd: 30 }, '1403/12/30'],
    ['2025-03-21', { jy: 1404, jm: 1, jd: 1 }, '1404/01/01'],
    ['2026-03-20', { jy: 1404, jm: 12, jd: 29 }, '1404/12/29'],
    ['2024-03-20', { jy: 1403, jm: 1, jd: 1 }, '1403/01/01'],
    ['2025-10-07', { jy: 1404, jm: 7, jd: 15 }, '1404/07/15'],
  ])('%s ↔ %o (%s)', (iso, j, formatted) => {
    expect(isoToJalali(iso)).toEqual(j);
    expect(jalaliToIso(j)).toBe(iso);
    expect(formatJalali(iso)).toBe(formatted);
  });

  it('throws on an invalid Jalali date (caller bug)', () => {
    expect(() => jalaliToIso({ jy: 1404, jm: 12, jd: 30 })).toThrow(RangeError);
  });
});

describe('month arithmetic', () => {
  it.each([
    [1403, 12, 30],
    [1404, 12, 29],
    [1404, 1, 31],
    [1404, 6, 31],
    [1404, 7, 30],
    [1404, 11, 30],
  ])('jalaliMonthLength(%i, %i) = %i', (jy, jm, len) => {
    expect(jalaliMonthLength(jy, jm)).toBe(len);
  });

  it.each([
    [{ jy: 1403, jm: 12, jd: 30 }, 12, { jy: 1404, jm: 12, jd: 29 }], // clamp: 1404 is not leap
    [{ jy: 1403, jm: 12, jd: 30 }, 1, { jy: 1404, jm: 1, jd: 30 }],
    [{ jy: 1403, jm: 6, jd: 31 }, 1, { jy: 1403, jm: 7, jd: 30 }],
    [{ jy: 1404, jm: 1, jd: 15 }, -1, { jy: 1403, jm: 12, jd: 15 }],
    [{ jy: 1403, jm: 12, jd: 30 }, -12, { jy: 1402, jm: 12, jd: 29 }],
    [{ jy: 1404, jm: 5, jd: 10 }, 0, { jy: 1404, jm: 5, jd: 10 }],
    [{ jy: 1404, jm: 5, jd: 10 }, 25, { jy: 1406, jm: 6, jd: 10 }],
  ])('%o + %i months = %o', (j, n, expected) => {
    expect(addJalaliMonths(j, n)).toEqual(expected);
  });
});

describe('zonedParts', () => {
  it.each([
    // Before 2023 Tehran kept DST: June 2021 was UTC+4:30; June 2024 is UTC+3:30.
    ['2021-06-01T00:00:00Z', '2021-06-01', 4, 30],
    ['2024-06-01T00:00:00Z', '2024-06-01', 3, 30],
    ['2025-03-20T20:29:59Z', '2025-03-20', 23, 59],
    ['2025-03-20T20:30:00Z', '2025-03-21', 0, 0],
  ])('%s in Tehran is %s %i:%i', (instant, isoDate, hour, minute) => {
    const p = zonedParts(at(instant), TZ);
    expect([p.isoDate, p.hour, p.minute]).toEqual([isoDate, hour, minute]);
  });

  it.each([
    ['2025-03-15T12:00:00Z', 0], // Saturday
    ['2025-03-20T12:00:00Z', 5], // Thursday
    ['2025-03-21T12:00:00Z', 6], // Friday
    ['2025-03-21T21:00:00Z', 0], // still Friday in UTC, already Saturday in Tehran
  ])('%s weekday = %i (0 = Saturday)', (instant, weekday) => {
    expect(zonedParts(at(instant), TZ).weekday).toBe(weekday);
  });

  it('gives the local Jalali date', () => {
    expect(zonedParts(at('2025-03-20T20:30:00Z'), TZ).jalali).toEqual({ jy: 1404, jm: 1, jd: 1 });
  });
});

describe('zonedDateStart', () => {
  it.each([
    ['2021-06-01', '2021-05-31T19:30:00.000Z'], // UTC+4:30 (DST)
    ['2024-06-01', '2024-05-31T20:30:00.000Z'], // UTC+3:30
    ['2021-03-22', '2021-03-21T20:30:00.000Z'], // DST began: 00:00 did not exist, day starts at 01:00
    ['2021-09-22', '2021-09-21T20:30:00.000Z'], // DST ended the evening before
    ['2025-03-21', '2025-03-20T20:30:00.000Z'], // 1404/01/01
  ])('%s in Tehran starts at %s', (isoDate, expected) => {
    expect(zonedDateStart(isoDate, TZ).toISOString()).toBe(expected);
  });

  it('works in other zones', () => {
    expect(zonedDateStart('2025-03-30', 'Europe/Berlin').toISOString()).toBe('2025-03-29T23:00:00.000Z');
    expect(zonedDateStart('2025-03-31', 'Europe/Berlin').toISOString()).toBe('2025-03-30T22:00:00.000Z');
    expect(zonedDateStart('2025-03-20', 'UTC').toISOString()).toBe('2025-03-20T00:00:00.000Z');
  });
});

describe('ranges', () => {
  it.each([
    // Esfand → Farvardin, leap and non-leap Esfand.
    [1403, 12, '2025-02-18T20:30:00.000Z', '2025-03-20T20:30:00.000Z'],
    [1404, 1, '2025-03-20T20:30:00.000Z', '2025-04-20T20:30:00.000Z'],
    [1402, 12, '2024-02-19T20:30:00.000Z', '2024-03-19T20:30:00.000Z'],
    // Farvardin 1400 began at +3:30 and ended in DST at +4:30.
    [1400, 1, '2021-03-20T20:30:00.000Z', '2021-04-20T19:30:00.000Z'],
  ])('month %i/%i is [%s, %s)', (jy, jm, start, end) => {
    expect(range(jalaliMonthRange({ jy, jm }, TZ))).toEqual([start, end]);
  });

  it('year 1403 is 366 local days', () => {
    expect(range(jalaliYearRange(1403, TZ))).toEqual(['2024-03-19T20:30:00.000Z', '2025-03-20T20:30:00.000Z']);
  });

  it.each([
    ['2025-03-15T12:00:00Z'], // Saturday
    ['2025-03-20T06:30:00Z'], // Thursday 1403/12/30
    ['2025-03-21T12:00:00Z'], // Friday 1404/01/01
  ])('week of %s runs Saturday to Friday', (instant) => {
    expect(range(jalaliWeekRange(at(instant), TZ))).toEqual(['2025-03-14T20:30:00.000Z', '2025-03-21T20:30:00.000Z']);
  });

  it.each([
    ['2021-06-01T12:00:00Z', '2021-05-31T19:30:00.000Z', '2021-06-01T19:30:00.000Z'],
    ['2024-06-01T12:00:00Z', '2024-05-31T20:30:00.000Z', '2024-06-01T20:30:00.000Z'],
    ['2021-03-22T12:00:00Z', '2021-03-21T20:30:00.000Z', '2021-03-22T19:30:00.000Z'], // 23-hour day
    ['2021-09-21T12:00:00Z', '2021-09-20T19:30:00.000Z', '2021-09-21T20:30:00.000Z'], // 25-hour day
  ])('day of %s is [%s, %s)', (instant, start, end) => {
    expect(range(dayRange(at(instant), TZ))).toEqual([start, end]);
  });
});

describe('expiryInstant', () => {
  it.each([
    // 1403/12/30 10:00 Tehran + 12 months → 1404/12/29 (clamped) → expires when 1405/01/01 begins.
    ['2025-03-20T06:30:00Z', 12, '2026-03-20T20:30:00.000Z'],
    // 1403/06/31 + 1 month → 1403/07/30 (clamped) → expires when 1403/08/01 begins.
    ['2024-09-21T08:00:00Z', 1, '2024-10-21T20:30:00.000Z'],
    // 23:50 on 1403/12/29 Tehran is already Esfand 29 locally, though the UTC date is the 19th.
    ['2025-03-19T20:20:00Z', 0, '2025-03-19T20:30:00.000Z'],
  ])('earned %s, %i months → %s', (earned, months, expected) => {
    expect(expiryInstant(at(earned), months, TZ).toISOString()).toBe(expected);
  });
});

describe('periodKey', () => {
  it.each([
    ['2025-10-07T12:00:00Z', 'day', '1404-07-15'],
    ['2025-10-07T12:00:00Z', 'month', '1404-07'],
    ['2025-10-07T12:00:00Z', 'year', '1404'],
    ['2025-03-20T20:29:59Z', 'month', '1403-12'],
    ['2025-03-20T20:30:00Z', 'month', '1404-01'],
    ['2025-03-20T20:30:00Z', 'day', '1404-01-01'],
    // The Nowruz week began on Saturday 1403/12/25, so 1404/01/01 (Friday) shares its key.
    ['2025-03-15T12:00:00Z', 'week', '1403-W52'],
    ['2025-03-21T12:00:00Z', 'week', '1403-W52'],
    ['2025-03-22T12:00:00Z', 'week', '1404-W01'], // Saturday 1404/01/02
    ['2025-06-07T12:00:00Z', 'week', '1404-W12'], // Saturday 1404/03/17: day 79, twelfth Saturday of 1404
    ['2025-06-13T12:00:00Z', 'week', '1404-W12'], // the Friday after
  ] as const)('%s %s → %s', (instant, period, expected) => {
    expect(periodKey(at(instant), period, TZ)).toBe(expected);
  });
});

describe('isSameJalaliMonthDay', () => {
  it.each([
    // Born 1399/12/30 (2021-03-20).
    ['2021-03-20', '2026-03-20T10:00:00Z', true], // 1404/12/29: no Esfand 30 in 1404
    ['2021-03-20', '2026-03-19T10:00:00Z', false], // 1404/12/28
    ['2021-03-20', '2025-03-20T10:00:00Z', true], // 1403/12/30: leap year
    ['2021-03-20', '2025-03-19T10:00:00Z', false], // 1403/12/29 in a leap year
    // Born 1990-05-15 = 1369/02/25.
    ['1990-05-15', '2025-05-15T10:00:00Z', true],
    ['1990-05-15', '2025-05-14T21:00:00Z', true], // 00:30 in Tehran on the day
    ['1990-05-15', '2025-05-14T20:00:00Z', false],
  ])('born %s, at %s → %s', (birth, instant, expected) => {
    expect(isSameJalaliMonthDay(birth, at(instant), TZ)).toBe(expected);
  });
});
