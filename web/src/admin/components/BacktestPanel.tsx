import { useEffect, useRef, useState } from 'react';
import { Button, Card, Group, Progress, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { ApiError } from '../../shared/api';
import { useClub, DEFAULT_TIME_ZONE } from '../../shared/club';
import { useI18n } from '../../shared/i18n';
import { formatJalali, todayJalali } from '../../shared/jalali';
import { JalaliDateInput } from '../../shared/JalaliDateInput';
import { formatNumber } from '../../shared/format';
import { ErrorAlert } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

type Report = { events: number; eventsAwarded: number; points: number; membersTouched: number; costRials: number; pointValueRials: number; ms: number };
type Line = { type: 'progress'; events: number; total: number } | ({ type: 'report' } & Report) | { type: 'error'; code: string; detail?: string };

/**
 * Backtest of the draft being edited: POST /api/v1/rules/backtest answers NDJSON, one progress
 * line per page of events replayed, then the report. The body is read as it arrives.
 */
export function BacktestPanel({ draft, disabled }: { draft: () => unknown; disabled?: boolean }) {
  const { t } = useI18n();
  const f = useFormat();
  const club = useClub();
  const { session, signOut } = useAdmin();
  const tz = club?.timeZone || DEFAULT_TIME_ZONE;
  const [from, setFrom] = useState(() => formatJalali(todayJalali(tz, new Date(Date.now() - 90 * 86_400_000))));
  const [to, setTo] = useState(() => formatJalali(todayJalali(tz)));
  const [progress, setProgress] = useState<{ events: number; total: number } | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const run = async () => {
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    setRunning(true);
    setError(null);
    setReport(null);
    setProgress(null);
    try {
      const res = await fetch('/api/v1/rules/backtest', {
        method: 'POST',
        headers: { accept: 'application/x-ndjson, application/problem+json', 'content-type': 'application/json', ...(session ? { authorization: `Bearer ${session.token}` } : {}) },
        body: JSON.stringify({ rule: draft(), from, to }),
        signal: ctl.signal,
      });
      if (!res.ok || !res.body) {
        const p = (await res.json().catch(() => ({}))) as { code?: string; title?: string; detail?: string };
        if (res.status === 401) signOut();
        throw new ApiError(res.status, p.code ?? `http_${res.status}`, p.title ?? res.statusText, p.detail);
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      const handle = (text: string) => {
        if (!text.trim()) return;
        const line = JSON.parse(text) as Line;
        if (line.type === 'progress') setProgress({ events: line.events, total: line.total });
        else if (line.type === 'report') {
          setProgress((p) => ({ events: line.events, total: Math.max(p?.total ?? 0, line.events) }));
          setReport(line);
        } else throw new ApiError(500, line.code, line.code, line.detail);
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          handle(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
        }
      }
      handle(buffer);
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setError(e instanceof ApiError ? e : new ApiError(0, 'network_error', 'Network error'));
    } finally {
      if (abort.current === ctl) {
        abort.current = null;
        setRunning(false);
      }
    }
  };

  const share = progress ? (progress.total > 0 ? progress.events / progress.total : report ? 1 : 0) : 0;

  return (
    <Card withBorder data-testid="backtest-panel">
      <Title order={4} fz="sm" mb={4}>
        {t('rules.backtest')}
      </Title>
      <Text size="xs" c="dimmed" mb="sm">
        {t('rules.backtestHint')}
      </Text>
      <Stack gap="sm">
        <SimpleGrid cols={2}>
          <JalaliDateInput label={t('rewards.from')} value={from} onChange={setFrom} />
          <JalaliDateInput label={t('rewards.until')} value={to} onChange={setTo} />
        </SimpleGrid>
        <Group justify="flex-end" gap="xs">
          {running && (
            <Button variant="subtle" color="gray" onClick={() => abort.current?.abort()}>
              {t('rules.backtestCancel')}
            </Button>
          )}
          <Button variant="light" onClick={run} loading={running} disabled={disabled || !from || !to} data-testid="backtest-run">
            {t('rules.backtestRun')}
          </Button>
        </Group>
        {(running || progress) && (
          <Stack gap={4}>
            <Progress value={Math.round(share * 100)} animated={running} striped={running} size="lg" aria-label={t('rules.backtest')} data-testid="backtest-progress" data-done={report ? 'true' : 'false'} />
            <Group justify="space-between" gap="xs">
              <Text size="xs" c="dimmed" className="vafa-num">
                {progress ? t('rules.backtestProgress', { done: f.num(progress.events), total: f.num(progress.total) }) : '…'}
              </Text>
              <Text size="xs" c="dimmed" className="vafa-num">
                {f.percent(share)}
              </Text>
            </Group>
          </Stack>
        )}
        {error ? <ErrorAlert error={error} /> : null}
        {report && (
          <Stack gap="xs" data-testid="backtest-report">
            {report.events === 0 ? (
              <Text size="sm" c="dimmed">
                {t('rules.backtestNone')}
              </Text>
            ) : null}
            <SimpleGrid cols={2} spacing="xs" verticalSpacing="xs">
              <Stat label={t('rules.backtestPoints')} value={f.num(report.points)} testId="backtest-points" />
              <Stat label={t('rules.backtestMembers')} value={f.num(report.membersTouched)} testId="backtest-members" />
              <Stat label={t('rules.backtestEvents')} value={t('rules.backtestEventsOf', { n: f.num(report.eventsAwarded), total: f.num(report.events) })} />
              <Stat label={t('rules.backtestCost')} value={f.money(report.costRials)} hint={t('rules.backtestCostHint', { value: f.money(report.pointValueRials) })} testId="backtest-cost" />
            </SimpleGrid>
            <Text size="xs" c="dimmed">
              {t('rules.backtestDone', { seconds: formatNumber(report.ms / 1000, f.locale, 2) })}
            </Text>
          </Stack>
        )}
      </Stack>
    </Card>
  );
}

function Stat({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={800} fz="lg" className="vafa-num" data-testid={testId}>
        {value}
      </Text>
      {hint ? (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      ) : null}
    </div>
  );
}
