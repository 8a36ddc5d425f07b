import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useDirection } from '@mantine/core';
import fa from '../locales/fa.json';
import en from '../locales/en.json';
import type { Locale } from './format';

export type MessageKey = keyof typeof fa;
type Messages = Record<MessageKey, string>;

// en.json must carry every key fa.json has (test/web/locales.test.ts checks it too).
const catalogues: Record<Locale, Messages> = { fa, en: en satisfies Messages };

const STORAGE_KEY = 'vafa.locale';

export type Vars = Record<string, string | number>;

/** Wraps user text (a name, a memo) in Unicode isolates so it cannot reorder the sentence around it. */
export const isolate = (s: string): string => `\u2068${s}\u2069`;

export function translate(locale: Locale, key: MessageKey, vars?: Vars): string {
  const text = catalogues[locale][key] ?? catalogues.fa[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function hasMessage(key: string): key is MessageKey {
  return key in catalogues.fa;
}

type I18n = {
  locale: Locale;
  dir: 'rtl' | 'ltr';
  t: (key: MessageKey, vars?: Vars) => string;
  setLocale: (l: Locale) => void;
};

const I18nContext = createContext<I18n | null>(null);

function initialLocale(): Locale {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'fa';
  } catch {
    return 'fa';
  }
}

export function I18nProvider({ children, titleKey }: { children: ReactNode; titleKey: MessageKey }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const { setDirection } = useDirection();
  const dir = locale === 'fa' ? 'rtl' : 'ltr';

  useEffect(() => {
    document.documentElement.lang = locale;
    document.documentElement.dir = dir;
    document.title = translate(locale, titleKey);
    setDirection(dir);
  }, [locale, dir, setDirection, titleKey]);

  const setLocale = useCallback((l: Locale) => {
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {
      /* private mode: the choice lasts for this page only */
    }
    setLocaleState(l);
  }, []);

  const value = useMemo<I18n>(
    () => ({ locale, dir, setLocale, t: (key, vars) => translate(locale, key, vars) }),
    [locale, dir, setLocale],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}
