import { describe, expect, it } from 'vitest';
import {
  formatMoney,
  formatNumber,
  maskMobile,
  maskNationalCode,
  normalizeDigits,
  normalizeMobile,
  normalizeNationalCode,
  normalizeText,
  smsParts,
  toLocalMobile,
} from './persian.js';

describe('normalizeDigits', () => {
  it.each([
    ['۰۱۲۳۴۵۶۷۸۹', '0123456789'],
    ['٠١٢٣٤٥٦٧٨٩', '0123456789'],
    ['کد ۱۲۳ و ٤٥٦', 'کد 123 و 456'],
    ['abc 789', 'abc 789'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeDigits(input)).toBe(expected);
  });
});

describe('normalizeText', () => {
  it.each([
    ['Arabic yeh and kaf', 'علي كريمي', 'علی کریمی'],
    ['alef maksura', 'موسى', 'موسی'],
    ['digits', 'شعبه ۱۲', 'شعبه 12'],
    ['trim and collapse', '  سلام \t\n  دنیا  ', 'سلام دنیا'],
    ['keeps ZWNJ', 'می\u200Cخواهم', 'می\u200Cخواهم'],
    ['strips ZWSP, ZWJ, BOM', '\uFEFFسل\u200Bام\u200D', 'سلام'],
    ['strips bidi controls', '\u202B\u200Fسلام\u200E\u202C \u2067x\u2069', 'سلام x'],
  ])('%s', (_name, input, expected) => {
    expect(normalizeText(input)).toBe(expected);
  });
});

describe('normalizeMobile', () => {
  it.each([
    ['09121234567'],
    ['9121234567'],
    ['+989121234567'],
    ['989121234567'],
    ['00989121234567'],
    ['0912 123 4567'],
    ['0912-123-4567'],
    ['(0912) 123-4567'],
    ['+98 912 123 4567'],
    ['۰۹۱۲۱۲۳۴۵۶۷'],
    ['٠٩١٢١٢٣٤٥٦٧'],
    ['+۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷'],
    ['\u200E09121234567\u200E'], // LRM pasted from an RTL page
  ])('%s → +989121234567', (input) => {
    expect(normalizeMobile(input)).toBe('+989121234567');
  });

  it('keeps a national number that starts with 98', () => {
    expect(normalizeMobile('9812345678')).toBe('+989812345678');
  });

  it.each([
    [''],
    ['0912123456'], // too short
    ['091212345678'], // too long
    ['08121234567'], // not a mobile prefix
    ['02112345678'], // Tehran landline
    ['+18005551234'], // another country
    ['+9121234567'], // + without the country code
    ['0912abc4567'],
    ['0912.123.4567'],
    ['+98+9121234567'],
    ['abc'],
  ])('rejects %j', (input) => {
    expect(normalizeMobile(input)).toBeNull();
  });
});

describe('mobile display', () => {
  it('masks like published winner lists', () => {
    expect(maskMobile('+989121234567')).toBe('0912***4567');
  });
  it('converts to the local form', () => {
    expect(toLocalMobile('+989121234567')).toBe('09121234567');
  });
  it('throws on a non-mobile (caller bug)', () => {
    expect(() => maskMobile('12345')).toThrow(RangeError);
  });
});

// The check digit by the published algorithm, so valid codes in the table are derived, not copied.
function withCheckDigit(first9: string): string {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(first9[i]) * (10 - i);
  const r = sum % 11;
  return first9 + String(r < 2 ? r : 11 - r);
}

describe('normalizeNationalCode', () => {
  it.each([
    ['0499370899', '0499370899'],
    ['0790419904', '0790419904'],
    [withCheckDigit('001234567'), withCheckDigit('001234567')],
    [withCheckDigit('123456789'), withCheckDigit('123456789')],
    [withCheckDigit('000000012'), withCheckDigit('000000012')],
    // Leading zeros dropped by spreadsheets are restored.
    ['499370899', '0499370899'],
    ['790419904', '0790419904'],
    [withCheckDigit('001234567').slice(2), withCheckDigit('001234567')],
    ['۰۴۹۹۳۷۰۸۹۹', '0499370899'],
    ['049-937089-9', '0499370899'],
    ['049 937 0899', '0499370899'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeNationalCode(input)).toBe(expected);
  });

  it.each([
    ['0499370898'], // wrong check digit
    ['0790419905'],
    ['1234567890'],
    ['1234567'], // too short to pad
    ['12345678901'], // too long
    ['04993a0899'],
    [''],
  ])('rejects %j', (input) => {
    expect(normalizeNationalCode(input)).toBeNull();
  });

  // Every all-same code satisfies the checksum, so they need their own rule.
  it.each([...'0123456789'].map((d) => [d.repeat(10)]))('rejects all-same %s', (code) => {
    expect(normalizeNationalCode(code)).toBeNull();
  });

  it('masks all but the first and last three digits', () => {
    expect(maskNationalCode('0012345678')).toBe('001****678');
  });
});

describe('formatNumber / formatMoney', () => {
  it.each([
    [2500000, 'fa', '۲٬۵۰۰٬۰۰۰'],
    [2500000, 'en', '2,500,000'],
    [12345678901234567890n, 'en', '12,345,678,901,234,567,890'],
    [0, 'fa', '۰'],
  ] as const)('formatNumber(%s, %s) → %s', (n, locale, expected) => {
    expect(formatNumber(n, locale)).toBe(expected);
  });

  it.each([
    [2500000, 'fa', 'rial', '۲٬۵۰۰٬۰۰۰ ریال'],
    [2500000, 'fa', 'toman', '۲۵۰٬۰۰۰ تومان'],
    [2500000, 'en', 'rial', '2,500,000 IRR'],
    [2500000, 'en', 'toman', '250,000 toman'],
    [2500005n, 'en', 'toman', '250,000 toman'],
    [2500005, 'en', 'toman', '250,000 toman'],
    [-25, 'en', 'toman', '-2 toman'],
  ] as const)('formatMoney(%s, %s, %s) → %s', (amount, locale, display, expected) => {
    expect(formatMoney(amount, locale, display)).toBe(expected);
  });
});

describe('smsParts', () => {
  it.each([
    ['Persian 70', 'س'.repeat(70), 'ucs2', 1],
    ['Persian 71', 'س'.repeat(71), 'ucs2', 2],
    ['Persian 134', 'س'.repeat(134), 'ucs2', 2],
    ['Persian 135', 'س'.repeat(135), 'ucs2', 3],
    ['Latin 160', 'a'.repeat(160), 'gsm', 1],
    ['Latin 161', 'a'.repeat(161), 'gsm', 2],
    ['Latin 306', 'a'.repeat(306), 'gsm', 2],
    ['Latin 307', 'a'.repeat(307), 'gsm', 3],
    ['one Persian letter switches the whole message', 'a'.repeat(159) + 'س', 'ucs2', 3],
    ['empty', '', 'gsm', 0],
  ] as const)('%s', (_name, text, encoding, parts) => {
    expect(smsParts(text)).toEqual({ encoding, parts, chars: text.length });
  });

  it('counts GSM extension characters twice', () => {
    expect(smsParts('{}')).toEqual({ encoding: 'gsm', parts: 1, chars: 4 });
  });
});
