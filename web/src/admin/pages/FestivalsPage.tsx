import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Badge, Button, Card, Group, SegmentedControl, Table, Text } from '@mantine/core';
import { PhaseBadge, audienceText, windowText } from '../../shared/festival';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconConfetti, IconPlus } from '../../shared/icons';
import type { Festival, FestivalPhase } from '../../shared/types';
import { EmptyBlock, ErrorAlert, PageHeader, TableSkeleton } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

export default function FestivalsPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const q = useQuery<Festival[]>('festivals', (signal) => client.get<{ items: Festival[] }>('/api/v1/festivals', signal).then((r) => r.items));
  const [phase, setPhase] = useState<'all' | FestivalPhase>('all');
  const all = q.data ?? [];
  const items = phase === 'all' ? all : all.filter((x) => x.phase === phase);
  const count = (p: FestivalPhase) => all.filter((x) => x.phase === p).length;

  return (
    <>
      <PageHeader
        title={t('nav.festivals')}
        subtitle={t('festivals.subtitle')}
        actions={
          can('write') && (
            <Button component={Link} to="/festivals/new" leftSection={<IconPlus size={18} />}>
              {t('festival.new')}
            </Button>
          )
        }
      />
      <Card p={0}>
        <Group p="md">
          <SegmentedControl
            aria-label={t('festivals.filter')}
            value={phase}
            onChange={(v) => setPhase(v as typeof phase)}
            data={[
              { value: 'all', label: t('festivals.all', { n: f.num(all.length) }) },
              { value: 'open', label: `${t('festival.phase.open')} (${f.num(count('open'))})` },
              { value: 'upcoming', label: `${t('festival.phase.upcoming')} (${f.num(count('upcoming'))})` },
              { value: 'closed', label: `${t('festival.phase.closed')} (${f.num(count('closed'))})` },
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
          <EmptyBlock
            icon={<IconConfetti size={28} />}
            title={t('festivals.empty')}
            description={t('festivals.emptyHint')}
            action={
              can('write') && all.length === 0 ? (
                <Button component={Link} to="/festivals/new" variant="light" size="xs">
                  {t('festival.new')}
                </Button>
              ) : undefined
            }
          />
        ) : (
          <Table.ScrollContainer minWidth={820}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('festival.name')}</Table.Th>
                  <Table.Th>{t('festival.window')}</Table.Th>
                  <Table.Th>{t('festival.status')}</Table.Th>
                  <Table.Th>{t('festival.form.audience')}</Table.Th>
                  <Table.Th>{t('festival.form.staking')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((x) => (
                  <Table.Tr key={x.id}>
                    <Table.Td>
                      <Link to={`/festivals/${x.id}`} className="vafa-row-link">
                        <Text fw={600} size="sm">
                          {f.name(x.name)}
                        </Text>
                      </Link>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{windowText(x.window, f, t)}</Text>
                    </Table.Td>
                    <Table.Td>
                      <PhaseBadge phase={x.phase} status={x.status} />
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{audienceText(x.audience, t)}</Text>
                      <Text size="xs" c="dimmed">
                        {t(`festival.enrolment.${x.enrolment}`)}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {x.staking ? (
                        <Badge variant="light" color="grape" tt="none">
                          {t('festival.stakeRule', { n: f.num(x.staking.pointsPerChance) })}
                        </Badge>
                      ) : (
                        <Text size="sm" c="dimmed">
                          —
                        </Text>
                      )}
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
