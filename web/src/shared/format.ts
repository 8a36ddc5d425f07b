/** Locale-aware formatting of numbers, money, points and dates. Pure: no DOM, no globals. */
import { isoDateToJalali, formatJalali } from './jalali.js';
import { toPersianDigits } from './digits.js';

export type Locale = 'fa' | 'en';
export type CurrencyDisplay = 'rial' | 'toman';

const numberFormats = new Map<string, Intl.NumberFormat>();
function nf(locale: Locale, maxFractionDigits = 0): Intl.NumberFormat {
  const key = `${locale}:${maxFractionDigits}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale === 'fa' ? 'fa-IR' : 'en-US', { maximumFractionDigits: maxFractionDigits });
    numberFormats.set(key, f);
  }
  return f;
}

export function formatNumber(n: number, locale: Locale, maxFractionDigits = 0): string {
  return nf(locale, maxFractionDigits).format(n);
}

/** 0.234 → ۲۳٪ / 23% */
export function formatPercent(ratio: number, locale: Locale): string {
  return new Intl.NumberFormat(locale === 'fa' ? 'fa-IR' : 'en-US', { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

/** Rials are stored; tomans (rial / 10) are a display choice of the club. */
export function moneyAmount(rials: number, display: CurrencyDisplay): number {
  return display === 'toman' ? rials / 10 : rials;
}

export function formatMoneyNumber(rials: number, display: CurrencyDisplay, locale: Locale): string {
  return formatNumber(moneyAmount(rials, display), locale, display === 'toman' ? 1 : 0);
}

/** Digits of a code / phone in the reader's script (still to be wrapped in <bdi dir="ltr">). */
export function localDigits(s: string, locale: Locale): string {
  return locale === 'fa' ? toPersianDigits(s) : s;
}

export type DateStyle = 'date' | 'dateTime' | 'short';

function options(style: DateStyle, timeZone: string): Intl.DateTimeFormatOptions {
  if (style === 'dateTime') return { timeZone, year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  if (style === 'short') return { timeZone, month: 'numeric', day: 'numeric' };
  return { timeZone, year: 'numeric', month: 'long', day: 'numeric' };
}

/**
 * An instant (ISO timestamp) in the club's time zone. Persian: Jalali only. English: Gregorian
 * followed by the Jalali date, so operators reading English still see the calendar of the club.
 */
export function formatInstant(iso: string | number | Date, locale: Locale, timeZone: string, style: DateStyle = 'date'): string {
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  if (locale === 'fa') return new Intl.DateTimeFormat('fa-IR-u-ca-persian', options(style, timeZone)).format(d);
  const greg = new Intl.DateTimeFormat('en-GB', style === 'short' ? { timeZone, month: 'short', day: 'numeric' } : { ...options(style, timeZone), month: 'short' }).format(d);
  if (style === 'short') return greg;
  const jal = new Intl.DateTimeFormat('en-US-u-ca-persian-nu-latn', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(d);
  const part = (t: string) => jal.find((p) => p.type === t)?.value ?? '';
  return `${greg} · ${part('year')}/${part('month')}/${part('day')}`;
}

/** A calendar date without time ('1990-05-01', e.g. a birth date) — never shifted by a zone. */
export function formatDateOnly(isoDate: string | null | undefined, locale: Locale): string {
  if (!isoDate) return '—';
  const j = isoDateToJalali(isoDate);
  if (!j) return isoDate;
  const jal = formatJalali(j);
  return locale === 'fa' ? toPersianDigits(jal) : `${isoDate.slice(0, 10)} · ${jal}`;
}
