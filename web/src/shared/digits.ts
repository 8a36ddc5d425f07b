/** Input normalisation for Iranian users: Persian/Arabic digits → ASCII, Arabic ي/ك → Persian ی/ک. */
const PERSIAN_ZERO = 0x06f0;
const ARABIC_ZERO = 0x0660;

export function normalizeDigits(input: string): string {
  let out = '';
  for (const ch of input) {
    const c = ch.charCodeAt(0);
    if (c >= PERSIAN_ZERO && c <= PERSIAN_ZERO + 9) out += String(c - PERSIAN_ZERO);
    else if (c >= ARABIC_ZERO && c <= ARABIC_ZERO + 9) out += String(c - ARABIC_ZERO);
    else if (ch === 'ي') out += 'ی';
    else if (ch === 'ك') out += 'ک';
    else out += ch;
  }
  return out;
}

/** Shows ASCII digits as Persian digits (for codes and phone numbers that are not numbers). */
export function toPersianDigits(input: string): string {
  return input.replace(/[0-9]/g, (d) => String.fromCharCode(PERSIAN_ZERO + Number(d)));
}

/** Accepts 09…, 9…, +98…, 98…, 0098… (any digit script, spaces or dashes); returns 09xxxxxxxxx or null. */
export function normalizeMobile(input: string): string | null {
  const digits = normalizeDigits(input).replace(/[\s\-()]/g, '');
  let rest: string | null = null;
  if (/^\+989\d{9}$/.test(digits)) rest = digits.slice(3);
  else if (/^00989\d{9}$/.test(digits)) rest = digits.slice(4);
  else if (/^989\d{9}$/.test(digits)) rest = digits.slice(2);
  else if (/^09\d{9}$/.test(digits)) rest = digits.slice(1);
  else if (/^9\d{9}$/.test(digits)) rest = digits;
  return rest === null ? null : `0${rest}`;
}

/** +989121234567 or 09121234567 → 0912 123 4567 (still ASCII; localise digits at display time). */
export function prettyMobile(mobile: string): string {
  const local = normalizeMobile(mobile);
  if (!local) return mobile;
  return `${local.slice(0, 4)} ${local.slice(4, 7)} ${local.slice(7)}`;
}

/** National code (کد ملی): 10 digits, checksum only (see IRAN.md — no prefix list). */
export function isValidNationalCode(input: string): boolean {
  const code = normalizeDigits(input).trim().padStart(10, '0');
  if (!/^\d{10}$/.test(code) || /^(\d)\1{9}$/.test(code)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(code[i]) * (10 - i);
  const r = sum % 11;
  const check = r < 2 ? r : 11 - r;
  return check === Number(code[9]);
}
