import { useState } from 'react';
import { Alert, Button, Card, Group, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '../../shared/hooks';
import { hasMessage, useI18n } from '../../shared/i18n';
import { IconAlert, IconCheck, IconShield } from '../../shared/icons';
import { ErrorAlert } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

type SystemAccount = { account: string; unit: string; balance: number };
type VerifyReport = { ok: boolean; checked: { entries: number; lines: number; balances: number; lots: number }; problems: { check: string }[] };

/** Festival score is kept per festival (unit `festival:<id>`): one line for all festivals. */
function rows(items: SystemAccount[]): SystemAccount[] {
  const out: SystemAccount[] = [];
  for (const a of items) {
    const unit = a.unit.startsWith('festival:') ? 'festival' : a.unit;
    const same = out.find((x) => x.account === a.account && x.unit === unit);
    if (same) same.balance += a.balance;
    else out.push({ ...a, unit });
  }
  return out.sort((a, b) => (a.unit === 'points' ? -1 : b.unit === 'points' ? 1 : 0));
}

/**
 * The ledger's own totals (system accounts, derived from journal lines) and, for the owner,
 * a one-click integrity check: every balance recomputed from its lines.
 */
export function LedgerCard() {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const q = useQuery<SystemAccount[]>('system-accounts', (signal) => client.get<{ items: SystemAccount[] }>('/api/v1/ledger/system-accounts', signal).then((r) => r.items));
  const [report, setReport] = useState<VerifyReport | null>(null);
  const [verifyError, setVerifyError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const verify = async () => {
    setBusy(true);
    setVerifyError(null);
    try {
      setReport(await client.get<VerifyReport>('/api/v1/ledger/verify'));
    } catch (e) {
      setVerifyError(e);
    } finally {
      setBusy(false);
    }
  };

  const label = (account: string) => {
    const key = `ledger.account.${account.replace(/^system:/, '')}`;
    return hasMessage(key) ? t(key) : account;
  };

  return (
    <Card h="100%">
      <Group justify="space-between" mb="md">
        <Title order={3} fz="md">
          {t('ledger.title')}
        </Title>
        {can('owner') && (
          <Button size="xs" variant="light" leftSection={<IconShield size={16} />} loading={busy} onClick={verify}>
            {t('ledger.verify')}
          </Button>
        )}
      </Group>
      {q.error ? (
        <ErrorAlert error={q.error} onRetry={q.reload} />
      ) : q.loading ? (
        <Stack>
          <Skeleton height={16} />
          <Skeleton height={16} />
        </Stack>
      ) : (
        <Stack gap="xs">
          {(q.data ?? []).length === 0 && (
            <Text size="sm" c="dimmed">
              {t('ledger.empty')}
            </Text>
          )}
          {rows(q.data ?? []).map((a) => (
            <Group key={`${a.account}|${a.unit}`} justify="space-between">
              <Text size="sm">
                {label(a.account)}
                {a.unit === 'festival' && (
                  <Text span size="xs" c="dimmed">
                    {' '}
                    · {t('ledger.festivalScore')}
                  </Text>
                )}
              </Text>
              <Text size="sm" fw={600} className="vafa-num">
                {a.unit === 'points' ? f.points(Math.abs(a.balance)) : a.unit === 'festival' ? f.num(Math.abs(a.balance)) : f.money(Math.abs(a.balance))}
              </Text>
            </Group>
          ))}
        </Stack>
      )}
      {verifyError ? (
        <div style={{ marginTop: 12 }}>
          <ErrorAlert error={verifyError} />
        </div>
      ) : null}
      {report && (
        <Alert
          mt="md"
          variant="light"
          color={report.ok ? 'teal' : 'red'}
          icon={report.ok ? <IconCheck /> : <IconAlert />}
          title={report.ok ? t('ledger.ok') : t('ledger.problems', { n: f.num(report.problems.length) })}
        >
          {t('ledger.checked', { entries: f.num(report.checked.entries), lines: f.num(report.checked.lines), balances: f.num(report.checked.balances) })}
        </Alert>
      )}
    </Card>
  );
}
