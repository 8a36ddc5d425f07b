/**
 * The engine reads period keys and birthdays off one zonedParts call per event (it costs
 * ~12 µs); these properties keep that shortcut equal to the platform's own functions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSameJalaliMonthDay, jalaliToIso, periodKey, zonedParts } from '../../platform/jalali.js';
import { isBirthdayOn, periodKeyFromParts } from './domain.js';

const ZONES = ['Asia/Tehran', 'UTC', 'Asia/Dubai', 'America/New_York'];
const instant = fc
  .integer({ min: Date.parse('2015-01-01T00:00:00Z'), max: Date.parse('2035-12-31T00:00:00Z') })
  .map((ms) => new Date(ms));

describe('period keys and birthdays from zoned parts', () => {
  it('periodKeyFromParts equals periodKey for day, month and year', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...ZONES), (at, tz) => {
        const parts = zonedParts(at, tz);
        for (const p of ['day', 'month', 'year'] as const) expect(periodKeyFromParts(parts, p)).toBe(periodKey(at, p, tz));
      }),
      { numRuns: 500 },
    );
  });

  it('isBirthdayOn equals isSameJalaliMonthDay, Esfand 30 included', () => {
    const esfand30 = jalaliToIso({ jy: 1399, jm: 12, jd: 30 });
    const birthDate = fc.oneof(
      fc.constant(esfand30),
      fc.constant(jalaliToIso({ jy: 1370, jm: 12, jd: 29 })),
      fc.integer({ min: Date.parse('1950-01-01'), max: Date.parse('2015-01-01') }).map((ms) => new Date(ms).toISOString().slice(0, 10)),
    );
    fc.assert(
      fc.property(birthDate, instant, fc.constantFrom(...ZONES), (born, at, tz) => {
        expect(isBirthdayOn(born, zonedParts(at, tz))).toBe(isSameJalaliMonthDay(born, at, tz));
      }),
      { numRuns: 500 },
    );
    // Every Esfand 29 / 30 / Farvardin 1 from 1400 to 1410, both ways.
    for (let jy = 1400; jy <= 1410; jy++) {
      for (const iso of [jalaliToIso({ jy, jm: 12, jd: 29 }), jalaliToIso({ jy: jy + 1, jm: 1, jd: 1 })]) {
        const at = new Date(`${iso}T08:00:00Z`);
        expect(isBirthdayOn(esfand30, zonedParts(at, 'Asia/Tehran'))).toBe(isSameJalaliMonthDay(esfand30, at, 'Asia/Tehran'));
      }
    }
  });

  it('an unreadable birth date is no birthday', () => {
    expect(isBirthdayOn('not-a-date', zonedParts(new Date(), 'Asia/Tehran'))).toBe(false);
  });
});
