import type { ReactNode } from 'react';
import { Alert, Button, Card, EmptyState, Group, Skeleton, Stack, Table, Text, ThemeIcon, Title } from '@mantine/core';
import { ApiError } from './api';
import { hasMessage, useI18n, type MessageKey } from './i18n';
import { IconAlert, IconChevronStart, IconInbox, IconLanguage } from './icons';
import { prettyMobile } from './digits';
import { useFormat } from './useFormat';

/** Phone numbers, codes, keys: always left-to-right inside Persian text. */
export function Ltr({ children }: { children: ReactNode }) {
  return (
    <bdi dir="ltr" className="vafa-ltr">
      {children}
    </bdi>
  );
}

export function MobileText({ value }: { value: string | null | undefined }) {
  const f = useFormat();
  if (!value) return <>—</>;
  return <Ltr>{f.digits(value.includes('*') ? value : prettyMobile(value))}</Ltr>;
}

/** Numeric codes (national code) follow the reader's digits; alphanumeric ones (C-10023, referral codes) stay as typed. */
export function CodeText({ value }: { value: string | null | undefined }) {
  const f = useFormat();
  if (!value) return <>—</>;
  return <Ltr>{/[A-Za-z]/.test(value) ? value : f.digits(value)}</Ltr>;
}

export function LanguageToggle({ variant = 'default' }: { variant?: 'default' | 'subtle' | 'white' }) {
  const { locale, setLocale, t } = useI18n();
  const next = locale === 'fa' ? 'en' : 'fa';
  return (
    <Button
      variant={variant}
      size="xs"
      leftSection={<IconLanguage size={16} />}
      onClick={() => setLocale(next)}
      aria-label={t('lang.switchTo')}
      lang={next}
    >
      {t('lang.other')}
    </Button>
  );
}

/** A problem+json error in the reader's language: by code where we know it, else the server's words. */
export function problemText(error: unknown, t: (k: MessageKey) => string): { title: string; detail?: string } {
  if (error instanceof ApiError) {
    const key = `error.${error.code}`;
    if (hasMessage(key)) return { title: t(key) };
    return { title: error.title || t('error.generic'), detail: error.detail };
  }
  return { title: t('error.generic') };
}

export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  if (!error) return null;
  const p = problemText(error, t);
  return (
    <Alert color="red" variant="light" icon={<IconAlert />} title={p.title} role="alert">
      <Group justify="space-between" align="center" wrap="nowrap">
        <Text size="sm">{p.detail ?? (onRetry ? t('error.tryAgainHint') : '')}</Text>
        {onRetry && (
          <Button size="xs" variant="white" color="red" onClick={onRetry}>
            {t('common.retry')}
          </Button>
        )}
      </Group>
    </Alert>
  );
}

export function EmptyBlock({ title, description, icon, action }: { title: string; description?: string; icon?: ReactNode; action?: ReactNode }) {
  return (
    <EmptyState
      py="xl"
      variant="light"
      title={title}
      description={description}
      icon={icon ?? <IconInbox size={28} />}
    >
      {action && <EmptyState.Actions>{action}</EmptyState.Actions>}
    </EmptyState>
  );
}

export function TableSkeleton({ rows = 6, cols = 5 }: { rows?: number; cols?: number }) {
  return (
    <Table aria-busy="true">
      <Table.Tbody>
        {Array.from({ length: rows }, (_, r) => (
          <Table.Tr key={r}>
            {Array.from({ length: cols }, (_, c) => (
              <Table.Td key={c}>
                <Skeleton height={14} radius="sm" width={c === 0 ? '70%' : '50%'} />
              </Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function Pager({ page, hasPrev, hasNext, onPrev, onNext }: { page: number; hasPrev: boolean; hasNext: boolean; onPrev: () => void; onNext: () => void }) {
  const { t, dir } = useI18n();
  const f = useFormat();
  if (!hasPrev && !hasNext) return null;
  const flip = dir === 'rtl' ? -1 : 1;
  return (
    <Group justify="space-between" mt="md" component="nav" aria-label={t('common.pagination')}>
      <Button variant="default" size="xs" disabled={!hasPrev} onClick={onPrev} leftSection={<IconChevronStart size={16} style={{ transform: `scaleX(${flip})` }} />}>
        {t('common.prev')}
      </Button>
      <Text size="sm" c="dimmed">
        {t('common.page', { n: f.num(page) })}
      </Text>
      <Button variant="default" size="xs" disabled={!hasNext} onClick={onNext} rightSection={<IconChevronStart size={16} style={{ transform: `scaleX(${-flip})` }} />}>
        {t('common.next')}
      </Button>
    </Group>
  );
}

export function PageHeader({ title, subtitle, actions, back }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; back?: ReactNode }) {
  return (
    <Stack gap={4} mb="lg">
      {back}
      <Group justify="space-between" align="flex-end" wrap="wrap" gap="sm">
        <div>
          <Title order={2} fz={24}>
            {title}
          </Title>
          {subtitle && (
            <Text c="dimmed" size="sm" mt={4}>
              {subtitle}
            </Text>
          )}
        </div>
        {actions && <Group gap="sm">{actions}</Group>}
      </Group>
    </Stack>
  );
}

export function StatCard({ label, value, hint, icon, color = 'brand', loading }: { label: string; value: ReactNode; hint?: ReactNode; icon?: ReactNode; color?: string; loading?: boolean }) {
  return (
    <Card>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={6}>
          <Text size="sm" c="dimmed" fw={500}>
            {label}
          </Text>
          {loading ? <Skeleton height={28} width={110} /> : <Text fz={26} fw={700} lh={1.2} className="vafa-num">{value}</Text>}
          {hint && (
            <Text size="xs" c="dimmed">
              {hint}
            </Text>
          )}
        </Stack>
        {icon && (
          <ThemeIcon size={44} radius="md" variant="light" color={color}>
            {icon}
          </ThemeIcon>
        )}
      </Group>
    </Card>
  );
}

export function SignedPoints({ amount }: { amount: number }) {
  const f = useFormat();
  const sign = amount > 0 ? '+' : amount < 0 ? '−' : '';
  return (
    <Text span fw={600} className={`vafa-num ${amount > 0 ? 'vafa-positive' : amount < 0 ? 'vafa-negative' : ''}`}>
      <bdi>{sign}{f.num(Math.abs(amount))}</bdi>
    </Text>
  );
}
