import { useMemo } from 'react';
import { useClub, DEFAULT_TIME_ZONE } from './club';
import { formatDateOnly, formatInstant, formatMoneyNumber, formatNumber, formatPercent, localDigits, type DateStyle } from './format';
import { useI18n } from './i18n';
import type { LocalizedName } from './types';

/** Formatting bound to the reader's language and the club's time zone and currency choice. */
export function useFormat() {
  const { locale, t } = useI18n();
  const club = useClub();
  const timeZone = club?.timeZone || DEFAULT_TIME_ZONE;
  const currency = club?.currencyDisplay ?? 'rial';
  return useMemo(
    () => ({
      locale,
      timeZone,
      currency,
      num: (n: number | null | undefined) => (n === null || n === undefined ? '—' : formatNumber(n, locale)),
      percent: (ratio: number | null | undefined) => (ratio === null || ratio === undefined ? '—' : formatPercent(ratio, locale)),
      points: (n: number) => t('unit.points', { n: formatNumber(n, locale) }),
      money: (rials: number) => t(currency === 'toman' ? 'unit.toman' : 'unit.rial', { n: formatMoneyNumber(rials, currency, locale) }),
      currencyUnit: () => t(currency === 'toman' ? 'unit.tomanName' : 'unit.rialName'),
      date: (iso: string | null | undefined, style: DateStyle = 'date') => (iso ? formatInstant(iso, locale, timeZone, style) : '—'),
      dateOnly: (iso: string | null | undefined) => formatDateOnly(iso, locale),
      digits: (s: string) => localDigits(s, locale),
      name: (n: LocalizedName | string | null | undefined) => (!n ? '' : typeof n === 'string' ? n : n[locale] || n.fa || n.en),
    }),
    [locale, t, timeZone, currency],
  );
}
