/**
 * Persian text, digits, mobile numbers, national codes, money and SMS sizing.
 * Pure functions: every user input goes through these before it is stored or compared.
 */

const PERSIAN_ZERO = 0x06f0; // ۰
const ARABIC_ZERO = 0x0660; // ٠

export function normalizeDigits(s: string): string {
  return s.replace(/[\u06F0-\u06F9\u0660-\u0669]/g, (c) => {
    const code = c.charCodeAt(0);
    return String(code >= PERSIAN_ZERO ? code - PERSIAN_ZERO : code - ARABIC_ZERO);
  });
}

// Zero-width and bidi controls that sneak in from copy-paste (ZWSP, ZWJ, LRM/RLM,
// embeddings/overrides, isolates, word joiner, BOM, Arabic letter mark).
// ZWNJ (U+200C) is deliberately absent: Persian spelling needs it (می‌خواهم).
const INVISIBLE = /[\u200B\u200D\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF\u061C]/g;

export function normalizeText(s: string): string {
  return normalizeDigits(s)
    .replace(INVISIBLE, '')
    .replace(/[\u064A\u0649]/g, '\u06CC') // Arabic ي / ى → Persian ی
    .replace(/\u0643/g, '\u06A9') // Arabic ك → Persian ک
    .replace(/\s+/g, ' ')
    .trim();
}

// Optional country/trunk prefix, then the 10-digit national mobile number (9xxxxxxxxx).
// A bare 10-digit number starting with 98 is matched as national (the regex backtracks).
const MOBILE = /^(?:\+98|0098|98|0)?(9\d{9})$/;

export function normalizeMobile(input: string): string | null {
  const compact = normalizeDigits(input).replace(INVISIBLE, '').replace(/[\s\-()]/g, '');
  const m = MOBILE.exec(compact);
  return m ? `+98${m[1]}` : null;
}

// Passing something that is not a valid mobile here is a bug in the caller, so it throws.
function requireMobile(e164: string): string {
  const normalized = normalizeMobile(e164);
  if (normalized === null) throw new RangeError(`not a mobile number: ${JSON.stringify(e164)}`);
  return normalized;
}

export function toLocalMobile(e164: string): string {
  return `0${requireMobile(e164).slice(3)}`;
}

/** The form used in published winner lists: `0912***4567`. */
export function maskMobile(e164: string): string {
  const local = toLocalMobile(e164);
  return `${local.slice(0, 4)}***${local.slice(-4)}`;
}

/**
 * Checksum-only validation: the city-prefix lists some libraries add reject real codes.
 * Returns the 10-digit code (left-padded: older cards drop leading zeros) or null.
 */
export function normalizeNationalCode(input: string): string | null {
  const digits = normalizeDigits(input).replace(INVISIBLE, '').replace(/[\s-]/g, '');
  if (!/^\d{8,10}$/.test(digits)) return null;
  const code = digits.padStart(10, '0');
  if (/^(\d)\1{9}$/.test(code)) return null; // 0000000000, 1111111111… pass the checksum but are fake
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(code[i]) * (10 - i);
  const r = sum % 11;
  const check = r < 2 ? r : 11 - r;
  return check === Number(code[9]) ? code : null;
}

/** `0012345678` → `001****678`. */
export function maskNationalCode(code: string): string {
  return `${code.slice(0, 3)}****${code.slice(-3)}`;
}

const NUMBER_FORMATS = {
  fa: new Intl.NumberFormat('fa-IR'),
  en: new Intl.NumberFormat('en-US'),
} as const;

export function formatNumber(n: number | bigint, locale: 'fa' | 'en'): string {
  return NUMBER_FORMATS[locale].format(n);
}

const MONEY_UNITS = {
  fa: { rial: 'ریال', toman: 'تومان' },
  // IRR is the ISO code; toman has none (IRT is not ISO), so it is spelled out.
  en: { rial: 'IRR', toman: 'toman' },
} as const;

/**
 * Amounts are stored in rials; toman (= 10 rials) is display only. Sub-toman remainders
 * are dropped toward zero (bigint division semantics) so +x and −x display symmetrically.
 */
export function formatMoney(
  amountRials: number | bigint,
  locale: 'fa' | 'en',
  display: 'rial' | 'toman',
): string {
  let amount = amountRials;
  if (display === 'toman') amount = typeof amountRials === 'bigint' ? amountRials / 10n : Math.trunc(amountRials / 10);
  return `${formatNumber(amount, locale)} ${MONEY_UNITS[locale][display]}`;
}

// Approximation of the GSM 03.38 basic set: printable ASCII without the backtick.
const GSM7 = /^[\x20-\x5F\x61-\x7E\n\r]*$/;
// These GSM characters live in the extension table and take two septets each.
const GSM7_EXTENDED = /[\^{}[\]~\\|]/g;

/** How an SMS is split, since merchants pay per part. */
export function smsParts(text: string): { encoding: 'ucs2' | 'gsm'; parts: number; chars: number } {
  if (GSM7.test(text)) {
    const chars = text.length + (text.match(GSM7_EXTENDED)?.length ?? 0);
    return { encoding: 'gsm', chars, parts: countParts(chars, 160, 153) };
  }
  // UCS-2 counts UTF-16 code units, so an emoji takes two: text.length is exactly that.
  const chars = text.length;
  return { encoding: 'ucs2', chars, parts: countParts(chars, 70, 67) };
}

// A split message loses a few characters per part to the concatenation header.
function countParts(chars: number, single: number, perPart: number): number {
  if (chars === 0) return 0;
  return chars <= single ? 1 : Math.ceil(chars / perPart);
}
