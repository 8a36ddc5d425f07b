import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Anchor, Card, Group, Pagination, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { qs } from '../../shared/api';
import { DrawStatusBadge, proofPath } from '../../shared/festival';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconTicket } from '../../shared/icons';
import type { ClubDraw, DrawStatus, Paged } from '../../shared/types';
import { EmptyBlock, ErrorAlert, PageHeader, TableSkeleton } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

const PAGE = 25;

/** Every draw of every festival (GET /api/v1/draws), newest cut-off first: what is due, what is drawn, where the proof is. */
export default function DrawsPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [status, setStatus] = useState<'all' | DrawStatus>('all');
  const [page, setPage] = useState(1);
  useEffect(() => setPage(1), [status]);
  const q = useQuery<Paged<ClubDraw>>(`all-draws|${status}|${page}`, (signal) =>
    client.get<Paged<ClubDraw>>(`/api/v1/draws${qs({ status: status === 'all' ? undefined : status, limit: PAGE, offset: (page - 1) * PAGE })}`, signal),
  );
  const items = q.data?.items ?? [];
  const total = q.data?.total ?? 0;
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
              { value: 'all', label: t('draws.filterAll') },
              { value: 'scheduled', label: t('draw.status.scheduled') },
              { value: 'snapshotted', label: t('draw.status.snapshotted') },
              { value: 'drawn', label: t('draw.status.drawn') },
              { value: 'cancelled', label: t('draw.status.cancelled') },
            ]}
          />
          {q.data && (
            <Text size="sm" c="dimmed" data-testid="draws-total">
              {t('draws.total', { n: f.num(total) })}
            </Text>
          )}
        </Group>
        {q.error ? (
          <div style={{ padding: 16 }}>
            <ErrorAlert error={q.error} onRetry={q.reload} />
          </div>
        ) : !q.data ? (
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
                      <Anchor component={Link} to={`/festivals/${d.festival.id}`} size="sm" c="inherit">
                        {f.name(d.festival.name)}
                      </Anchor>
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
        {total > PAGE && (
          <Group justify="center" p="md">
            <Pagination total={Math.ceil(total / PAGE)} value={page} onChange={setPage} size="sm" aria-label={t('common.pagination')} getItemProps={(n) => ({ children: f.num(n) })} />
          </Group>
        )}
      </Card>
    </>
  );
}
