import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Anchor, Card, Group, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { DrawStatusBadge, proofPath } from '../../shared/festival';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconTicket } from '../../shared/icons';
import type { Draw, DrawStatus, Festival } from '../../shared/types';
import { EmptyBlock, ErrorAlert, PageHeader, TableSkeleton } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

type Row = Draw & { festival: Festival };

/** Every draw of every festival, soonest work first: what is due, what is drawn, where the proof is. */
export default function DrawsPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [status, setStatus] = useState<'all' | DrawStatus>('all');
  const q = useQuery<Row[]>('all-draws', async (signal) => {
    const festivals = (await client.get<{ items: Festival[] }>('/api/v1/festivals', signal)).items;
    const lists = await Promise.all(festivals.map((fe) => client.get<{ items: Draw[] }>(`/api/v1/festivals/${fe.id}/draws`, signal).then((r) => r.items.map((d) => ({ ...d, festival: fe })))));
    return lists.flat().sort((a, b) => b.cutoffAt.localeCompare(a.cutoffAt));
  });
  const all = q.data ?? [];
  const items = status === 'all' ? all : all.filter((d) => d.status === status);
  const now = Date.now();

  return (
    <>
      <PageHeader title={t('nav.draws')} subtitle={t('draws.subtitle')} />
      <Card p={0}>
        <Group p="md">
          <SegmentedControl
            aria-label={t('festival.status')}
            value={status}
            onChange={(v) => setStatus(v as typeof status)}
            data={[
              { value: 'all', label: t('festivals.all', { n: f.num(all.length) }) },
              { value: 'scheduled', label: t('draw.status.scheduled') },
              { value: 'snapshotted', label: t('draw.status.snapshotted') },
              { value: 'drawn', label: t('draw.status.drawn') },
            ]}
          />
        </Group>
        {q.error ? (
          <div style={{ padding: 16 }}>
            <ErrorAlert error={q.error} onRetry={q.reload} />
          </div>
        ) : q.loading ? (
          <TableSkeleton rows={4} cols={5} />
        ) : items.length === 0 ? (
          <EmptyBlock icon={<IconTicket size={28} />} title={t('draws.empty')} description={t('draws.pageEmptyHint')} />
        ) : (
          <Table.ScrollContainer minWidth={860}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('draw.titleCol')}</Table.Th>
                  <Table.Th>{t('draw.festivalCol')}</Table.Th>
                  <Table.Th>{t('festival.status')}</Table.Th>
                  <Table.Th>{t('draw.cutoffCol')}</Table.Th>
                  <Table.Th ta="end">{t('draw.entries')}</Table.Th>
                  <Table.Th ta="end">{t('draw.winners')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>
                      <Link to={`/festivals/${d.festivalId}?tab=draws`} className="vafa-row-link">
                        <Text fw={600} size="sm">
                          {f.name(d.title)}
                        </Text>
                      </Link>
                      <Text size="xs" c="dimmed">
                        {t(d.kind === 'final' ? 'draw.kind.final' : 'draw.kind.stage')}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{f.name(d.festival.name)}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Stack gap={2} align="flex-start">
                        <DrawStatusBadge status={d.status} />
                        {d.status === 'scheduled' && now >= Date.parse(d.cutoffAt) && (
                          <Text size="xs" c="orange.8" fw={600}>
                            {t('draw.due')}
                          </Text>
                        )}
                      </Stack>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{f.date(d.cutoffAt, 'dateTime')}</Text>
                    </Table.Td>
                    <Table.Td ta="end" className="vafa-num">
                      {d.entryCount === null ? '—' : f.num(d.entryCount)}
                    </Table.Td>
                    <Table.Td ta="end" className="vafa-num">
                      {f.num(d.winners)}
                    </Table.Td>
                    <Table.Td ta="end">
                      <Anchor href={proofPath(d.id)} target="_blank" rel="noopener" size="sm">
                        {t('draw.proof')}
                      </Anchor>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
    </>
  );
}
