import { useState } from 'react';
import { Button, Card, Skeleton, Stack, Title } from '@mantine/core';
import { qs } from '../../shared/api';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconHistory } from '../../shared/icons';
import type { HistoryEntry, Page } from '../../shared/types';
import { EmptyBlock, ErrorAlert, problemText } from '../../shared/ui';
import { HistoryList } from '../components/HistoryList';
import { useMemberSession } from '../session';
import { notifications } from '@mantine/notifications';

/** On a phone, history grows downwards: "show more" appends the next page. */
export default function HistoryPage() {
  const { t } = useI18n();
  const { client } = useMemberSession();
  const first = useQuery<Page<HistoryEntry>>('me-history', (signal) => client.get<Page<HistoryEntry>>(`/api/v1/me/history${qs({ limit: 20 })}`, signal));
  const [more, setMore] = useState<HistoryEntry[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const next = cursor === undefined ? first.data?.nextCursor ?? null : cursor;

  const loadMore = async () => {
    if (!next) return;
    setBusy(true);
    try {
      const p = await client.get<Page<HistoryEntry>>(`/api/v1/me/history${qs({ limit: 20, cursor: next })}`);
      setMore((m) => [...m, ...p.items]);
      setCursor(p.nextCursor);
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    } finally {
      setBusy(false);
    }
  };

  const items = [...(first.data?.items ?? []), ...more];
  return (
    <Stack gap="md">
      <Title order={1} fz={22}>
        {t('app.history.title')}
      </Title>
      <Card padding="md">
        {first.error ? (
          <ErrorAlert error={first.error} onRetry={first.reload} />
        ) : first.loading ? (
          <Stack>
            {[1, 2, 3, 4].map((i) => (
              <Skeleton key={i} height={44} />
            ))}
          </Stack>
        ) : items.length === 0 ? (
          <EmptyBlock icon={<IconHistory size={26} />} title={t('app.history.empty')} description={t('app.history.emptyHint')} />
        ) : (
          <>
            <HistoryList items={items} />
            {next && (
              <Button variant="light" fullWidth mt="sm" onClick={loadMore} loading={busy}>
                {t('common.showMore')}
              </Button>
            )}
          </>
        )}
      </Card>
    </Stack>
  );
}
