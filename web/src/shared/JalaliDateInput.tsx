import { useId, useMemo, useState } from 'react';
import { ActionIcon, Group, NativeSelect, Popover, SimpleGrid, Stack, Text, TextInput, UnstyledButton } from '@mantine/core';
import { useI18n, type MessageKey } from './i18n';
import { IconCalendar, IconChevronStart } from './icons';
import { formatJalali, monthLength, parseJalali, todayJalali, weekdaySaturdayFirst, type JalaliDate } from './jalali';
import { normalizeDigits, toPersianDigits } from './digits';
import { useClub, DEFAULT_TIME_ZONE } from './club';

const MONTH_KEYS = Array.from({ length: 12 }, (_, i) => `jalali.month.${i + 1}` as MessageKey);
const WEEKDAY_KEYS = Array.from({ length: 7 }, (_, i) => `jalali.weekday.${i}` as MessageKey);

type Props = {
  label: string;
  value: string;
  onChange: (value: string) => void;
  description?: string;
  required?: boolean;
  /** Latest year offered in the picker (birth dates: this year). */
  maxYear?: number;
  minYear?: number;
  name?: string;
  /** An error from outside (e.g. the server); shown in place of the local check. */
  error?: string;
};

/**
 * A Jalali date field: type 1403/12/30 (Persian or Latin digits) or pick from a Jalali month grid
 * (week starts Saturday, Friday marked as the weekend). The value is the typed text, normalised
 * to Latin digits, which the API accepts as a Jalali date.
 */
export function JalaliDateInput({ label, value, onChange, description, required, maxYear, minYear, name, error }: Props) {
  const { t, locale } = useI18n();
  const club = useClub();
  const today = todayJalali(club?.timeZone || DEFAULT_TIME_ZONE);
  const [opened, setOpened] = useState(false);
  const [touched, setTouched] = useState(false);
  const parsed = value ? parseJalali(value) : null;
  const [view, setView] = useState<{ jy: number; jm: number }>(() => (parsed ? { jy: parsed.jy, jm: parsed.jm } : { jy: today.jy - (maxYear ? 30 : 0), jm: today.jm }));
  const invalid = touched && value.trim() !== '' && !parsed;
  const digits = (s: string) => (locale === 'fa' ? toPersianDigits(s) : s);
  const gridId = useId();

  const years = useMemo(() => {
    const hi = maxYear ?? today.jy + 5;
    const lo = minYear ?? today.jy - 100;
    const out: number[] = [];
    for (let y = hi; y >= lo; y--) out.push(y);
    return out;
  }, [maxYear, minYear, today.jy]);

  const pick = (d: JalaliDate) => {
    onChange(formatJalali(d));
    setTouched(true);
    setOpened(false);
  };

  const shiftMonth = (delta: number) => {
    setView((v) => {
      const idx = v.jy * 12 + (v.jm - 1) + delta;
      return { jy: Math.floor(idx / 12), jm: (idx % 12) + 1 };
    });
  };

  const first = weekdaySaturdayFirst({ jy: view.jy, jm: view.jm, jd: 1 });
  const len = monthLength(view.jy, view.jm);
  const cells: (number | null)[] = [...Array.from({ length: first }, () => null), ...Array.from({ length: len }, (_, i) => i + 1)];
  const flip = locale === 'fa' ? -1 : 1;

  return (
    <TextInput
      label={label}
      name={name}
      description={description}
      required={required}
      value={locale === 'fa' ? toPersianDigits(value) : value}
      placeholder={digits('1403/12/30')}
      inputMode="numeric"
      autoComplete="off"
      onChange={(e) => onChange(normalizeDigits(e.currentTarget.value))}
      onBlur={() => setTouched(true)}
      error={error ?? (invalid ? t('jalali.invalid') : undefined)}
      rightSection={
        <Popover opened={opened} onChange={setOpened} position="bottom-end" shadow="md" trapFocus withinPortal>
          <Popover.Target>
            <ActionIcon variant="subtle" color="gray" onClick={() => {
              if (parsed) setView({ jy: parsed.jy, jm: parsed.jm });
              setOpened((o) => !o);
            }} aria-label={t('jalali.openPicker')} aria-expanded={opened} aria-controls={gridId}>
              <IconCalendar size={18} />
            </ActionIcon>
          </Popover.Target>
          <Popover.Dropdown p="sm" dir={locale === 'fa' ? 'rtl' : 'ltr'}>
            <Stack gap="xs" w={264} id={gridId}>
              <Group gap={4} wrap="nowrap" justify="space-between">
                <ActionIcon variant="subtle" color="gray" onClick={() => shiftMonth(-1)} aria-label={t('jalali.prevMonth')}>
                  <IconChevronStart size={16} style={{ transform: `scaleX(${flip})` }} />
                </ActionIcon>
                <NativeSelect
                  size="xs"
                  aria-label={t('jalali.month')}
                  value={String(view.jm)}
                  onChange={(e) => setView((v) => ({ ...v, jm: Number(e.currentTarget.value) }))}
                  data={MONTH_KEYS.map((k, i) => ({ value: String(i + 1), label: t(k) }))}
                />
                <NativeSelect
                  size="xs"
                  aria-label={t('jalali.year')}
                  value={String(view.jy)}
                  onChange={(e) => setView((v) => ({ ...v, jy: Number(e.currentTarget.value) }))}
                  data={years.map((y) => ({ value: String(y), label: digits(String(y)) }))}
                />
                <ActionIcon variant="subtle" color="gray" onClick={() => shiftMonth(1)} aria-label={t('jalali.nextMonth')}>
                  <IconChevronStart size={16} style={{ transform: `scaleX(${-flip})` }} />
                </ActionIcon>
              </Group>
              <SimpleGrid cols={7} spacing={2} verticalSpacing={2} role="grid">
                {WEEKDAY_KEYS.map((k, i) => (
                  <Text key={k} size="xs" ta="center" c={i === 6 ? 'red.7' : 'dimmed'} fw={500} role="columnheader">
                    {t(k)}
                  </Text>
                ))}
                {cells.map((d, i) => {
                  if (d === null) return <span key={`e${i}`} />;
                  const selected = parsed && parsed.jy === view.jy && parsed.jm === view.jm && parsed.jd === d;
                  const isToday = today.jy === view.jy && today.jm === view.jm && today.jd === d;
                  const weekend = i % 7 === 6;
                  return (
                    <UnstyledButton
                      key={d}
                      onClick={() => pick({ jy: view.jy, jm: view.jm, jd: d })}
                      aria-label={digits(formatJalali({ jy: view.jy, jm: view.jm, jd: d }))}
                      aria-pressed={Boolean(selected)}
                      style={{
                        height: 32,
                        borderRadius: 8,
                        textAlign: 'center',
                        fontSize: 13,
                        fontWeight: selected || isToday ? 700 : 400,
                        background: selected ? 'var(--mantine-color-brand-7)' : isToday ? 'var(--mantine-color-brand-0)' : undefined,
                        color: selected ? 'white' : weekend ? 'var(--mantine-color-red-7)' : undefined,
                      }}
                    >
                      {digits(String(d))}
                    </UnstyledButton>
                  );
                })}
              </SimpleGrid>
            </Stack>
          </Popover.Dropdown>
        </Popover>
      }
    />
  );
}

export function isJalaliInputValid(value: string): boolean {
  return value.trim() === '' || parseJalali(value) !== null;
}
