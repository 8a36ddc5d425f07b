/** The web's pure helpers and its locale files (no browser needed). */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isValidNationalCode, normalizeDigits, normalizeMobile, prettyMobile, toPersianDigits } from '../../web/src/shared/digits.js';
import { formatDateOnly, formatInstant, formatMoneyNumber, formatNumber } from '../../web/src/shared/format.js';
import { isoDateToJalali, jalaliToIsoDate, parseJalali, weekdaySaturdayFirst } from '../../web/src/shared/jalali.js';
import { checkDraw, compareRefs } from '../../web/src/shared/drawVerify.js';
import { smsParts } from '../../web/src/shared/sms.js';
import { whenPassed } from '../../web/src/shared/moment.js';

const load = (l: string) => JSON.parse(readFileSync(new URL(`../../web/src/locales/${l}.json`, import.meta.url), 'utf8')) as Record<string, string>;

describe('locale files', () => {
  const fa = load('fa');
  const en = load('en');
  it('have the same keys', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(fa).sort());
  });
  it('have no empty strings and the same {placeholders}', () => {
    for (const k of Object.keys(fa)) {
      expect(fa[k]!.trim(), k).not.toBe('');
      expect(en[k]!.trim(), k).not.toBe('');
      const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(ph(en[k]!), k).toEqual(ph(fa[k]!));
    }
  });
  it('every key used in the code exists', () => {
    // t('a.b') literals in the web sources must resolve in fa.json.
    const src = execSync("grep -rhoE \"\\bt\\('[a-zA-Z0-9_.]+'\" web/src", { cwd: new URL('../../', import.meta.url).pathname }).toString();
    const used = new Set([...src.matchAll(/t\('([^']+)'/g)].map((m) => m[1]!));
    const missing = [...used].filter((k) => !(k in fa));
    expect(missing).toEqual([]);
  });
});

describe('web sources', () => {
  it('type-check (web/tsconfig.json: DOM, JSX, bundler resolution)', () => {
    const root = new URL('../../', import.meta.url).pathname;
    const out = execSync('node node_modules/typescript/bin/tsc -p web/tsconfig.json --noEmit 2>&1 || true', { cwd: root }).toString();
    expect(out.trim()).toBe('');
  }, 60_000);
});

describe('digits and identifiers', () => {
  it.each([
    ['۰۹۱۲۳۴۵۶۷۸۹', '09123456789'],
    ['٠٩١٢', '0912'],
    ['علي كريمي', 'علی کریمی'],
  ])('normalizeDigits(%s)', (input, want) => expect(normalizeDigits(input)).toBe(want));

  it.each([
    ['09123456789', '09123456789'],
    ['9123456789', '09123456789'],
    ['+989123456789', '09123456789'],
    ['989123456789', '09123456789'],
    ['00989123456789', '09123456789'],
    ['۰۹۱۲ ۳۴۵ ۶۷۸۹', '09123456789'],
    ['0912345678', null],
    ['02112345678', null],
  ])('normalizeMobile(%s)', (input, want) => expect(normalizeMobile(input)).toBe(want));

  it('pretty-prints and localises mobiles', () => {
    expect(prettyMobile('+989123456789')).toBe('0912 345 6789');
    expect(toPersianDigits('0912')).toBe('۰۹۱۲');
  });

  it.each([
    ['0499370899', true],
    ['0790419904', true],
    ['1111111111', false],
    ['0499370898', false],
    ['12345', false],
  ])('isValidNationalCode(%s) = %s', (code, ok) => expect(isValidNationalCode(code)).toBe(ok));
});

describe('Jalali', () => {
  it.each([
    ['1403/12/30', { jy: 1403, jm: 12, jd: 30 }],
    ['۱۴۰۳/۱۲/۳۰', { jy: 1403, jm: 12, jd: 30 }],
    ['1404/1/1', { jy: 1404, jm: 1, jd: 1 }],
    ['1404-01-01', { jy: 1404, jm: 1, jd: 1 }],
    ['1404/12/30', null], // 1404 is not a leap year
    ['1403/13/01', null],
    ['1403/07/31', null], // Mehr has 30 days
    ['2025/03/20', null],
    ['hello', null],
  ])('parseJalali(%s)', (input, want) => expect(parseJalali(input)).toEqual(want));

  it('converts date-only values both ways (1403/12/30 = 2025-03-20, 1404/01/01 = 2025-03-21)', () => {
    expect(jalaliToIsoDate({ jy: 1403, jm: 12, jd: 30 })).toBe('2025-03-20');
    expect(jalaliToIsoDate({ jy: 1404, jm: 1, jd: 1 })).toBe('2025-03-21');
    expect(isoDateToJalali('2025-03-21')).toEqual({ jy: 1404, jm: 1, jd: 1 });
  });

  it('weeks start on Saturday (1404/01/01 was a Friday)', () => {
    expect(weekdaySaturdayFirst({ jy: 1404, jm: 1, jd: 1 })).toBe(6);
  });
});

describe('formatting', () => {
  it('uses Persian digits in fa and Latin in en', () => {
    expect(formatNumber(1234567, 'fa')).toBe('۱٬۲۳۴٬۵۶۷');
    expect(formatNumber(1234567, 'en')).toBe('1,234,567');
  });
  it('shows tomans as rials / 10', () => {
    expect(formatMoneyNumber(1_000_000, 'toman', 'en')).toBe('100,000');
    expect(formatMoneyNumber(1_000_000, 'rial', 'fa')).toBe('۱٬۰۰۰٬۰۰۰');
  });
  it('shows instants in the club time zone on the Jalali calendar', () => {
    // 2025-03-20T21:00Z is already 1404/01/01 in Tehran (UTC+3:30).
    expect(formatInstant('2025-03-20T21:00:00Z', 'fa', 'Asia/Tehran')).toBe('۱ فروردین ۱۴۰۴');
    expect(formatInstant('2025-03-20T12:00:00Z', 'fa', 'Asia/Tehran')).toBe('۳۰ اسفند ۱۴۰۳');
    expect(formatInstant('2025-03-20T21:00:00Z', 'en', 'Asia/Tehran')).toBe('21 Mar 2025 · 1404/01/01');
  });
  it('never shifts a birth date by a time zone', () => {
    expect(formatDateOnly('2025-03-20', 'fa')).toBe('۱۴۰۳/۱۲/۳۰');
    expect(formatDateOnly('2025-03-20', 'en')).toBe('2025-03-20 · 1403/12/30');
  });
});

describe('draw proof check in the browser (docs/draws.md)', () => {
  const md = readFileSync(new URL('../../docs/draws.md', import.meta.url), 'utf8');
  const example = () => JSON.parse(/<!-- example-document -->\s*```json\n([\s\S]*?)```/.exec(md)![1]!) as Parameters<typeof checkDraw>[0] & { entries: { ref: string; chances: number }[] };

  it('accepts the worked example: commitment, digest and winners', async () => {
    const r = await checkDraw(example());
    expect(r).toMatchObject({ commitment: true, digest: true, winners: true, total: true });
    expect(r.recomputed.digest).toBe('307bed4a439b6ad96ffcc950d1c1a7f73dcbf55610b2cb0234741e28fb5f08b8');
  });

  it('catches a changed entry (the doc\'s tampered example) and a wrong seed', async () => {
    const doc = example();
    doc.entries[0]!.chances = 2;
    const r = await checkDraw(doc);
    expect(r.recomputed.digest).toBe('8d89c27b0660d1c61cafc0d50ec53c409653ab9d7615aefacc689bc0d76f79b7');
    expect(r).toMatchObject({ commitment: true, digest: false, winners: false, total: false });
    const wrongSeed = { ...example(), seedHex: 'ff'.repeat(32) };
    expect((await checkDraw(wrongSeed)).commitment).toBe(false);
  });

  it('before the draw only the digest can be checked', async () => {
    const { seedHex: _s, winners: _w, ...snapshot } = example();
    expect(await checkDraw(snapshot)).toMatchObject({ commitment: null, digest: true, winners: null });
  });

  it('orders refs by UTF-8 bytes, not UTF-16 units', () => {
    expect(compareRefs('\u{10000}', '\uffff')).toBeGreaterThan(0);
    expect(['0912***4567#a1b2', '0912***4567#09ff'].sort(compareRefs)).toEqual(['0912***4567#09ff', '0912***4567#a1b2']);
  });
});

describe('SMS parts', () => {
  it('counts Persian (UCS-2) parts at 70 / 67 characters and Latin at 160 / 153', () => {
    expect(smsParts('')).toEqual({ chars: 0, parts: 0 });
    expect(smsParts('س'.repeat(70)).parts).toBe(1);
    expect(smsParts('س'.repeat(71)).parts).toBe(2);
    expect(smsParts('a'.repeat(160)).parts).toBe(1);
    expect(smsParts('a'.repeat(161)).parts).toBe(2);
  });
});

describe('whenPassed (a draw card waiting for its cut-off)', () => {
  /** A clock the test moves by hand; timers fire only when the test says so. */
  function fakeClock(start: number) {
    let now = start;
    const timers = new Map<number, { fn: () => void; ms: number }>();
    let next = 1;
    return {
      clock: {
        now: () => now,
        setTimeout: (fn: () => void, ms: number) => (timers.set(next, { fn, ms }), next++),
        clearTimeout: (h: unknown) => void timers.delete(h as number),
      },
      set: (t: number) => void (now = t),
      pending: () => [...timers.values()].map((t) => t.ms),
      /** Fires every pending timer (whatever the clock says: a late or early timer). */
      fire: () => {
        const due = [...timers.entries()];
        timers.clear();
        for (const [, t] of due) t.fn();
      },
    };
  }

  it('reports at once when the moment has already passed (the cut-off went by before anyone looked)', () => {
    const c = fakeClock(10_000);
    const seen: number[] = [];
    whenPassed(9_999, (n) => seen.push(n), c.clock);
    expect(seen).toEqual([10_000]);
    expect(c.pending()).toEqual([]);
    whenPassed(10_000, (n) => seen.push(n), c.clock);
    expect(seen).toEqual([10_000, 10_000]);
  });

  it('waits for the moment, and a timer that fires early waits again instead of giving up', () => {
    const c = fakeClock(0);
    const seen: number[] = [];
    whenPassed(1_500, (n) => seen.push(n), c.clock);
    expect(seen).toEqual([]);
    expect(c.pending()).toEqual([1_520]);
    c.set(1_400); // the timer came early (a clock that moved)
    c.fire();
    expect(seen).toEqual([]);
    expect(c.pending()).toEqual([120]);
    c.set(1_530);
    c.fire();
    expect(seen).toEqual([1_530]);
    expect(c.pending()).toEqual([]);
  });

  it('cuts a long wait into steps, so a sleeping tab is late by one step at most', () => {
    const c = fakeClock(0);
    const seen: number[] = [];
    whenPassed(3_600_000, (n) => seen.push(n), c.clock, 60_000);
    expect(c.pending()).toEqual([60_000]);
    c.set(4_000_000); // the laptop slept past the moment
    c.fire();
    expect(seen).toEqual([4_000_000]);
  });

  it('cancelling stops it, also between steps', () => {
    const c = fakeClock(0);
    const seen: number[] = [];
    const cancel = whenPassed(1_000, (n) => seen.push(n), c.clock);
    const fireLater = [...c.pending()];
    cancel();
    expect(c.pending()).toEqual([]);
    c.set(2_000);
    c.fire();
    expect(seen).toEqual([]);
    expect(fireLater).toEqual([1_020]);
  });

  it('treats an unknown moment (NaN) as passed', () => {
    const c = fakeClock(5);
    const seen: number[] = [];
    whenPassed(Number.NaN, (n) => seen.push(n), c.clock);
    expect(seen).toEqual([5]);
  });
});
