import { Badge, Card, Code, Table, Text } from '@mantine/core';
import { qs } from '../../shared/api';
import { useCursorPages } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconHistory } from '../../shared/icons';
import type { AuditEntry, Page } from '../../shared/types';
import { EmptyBlock, ErrorAlert, Ltr, PageHeader, Pager, TableSkeleton } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

function actorText(a: AuditEntry['actor']): string {
  if (!a) return '—';
  if (typeof a === 'string') return a;
  return a.name ?? [a.type, a.id].filter(Boolean).join(':');
}

export default function AuditPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const pages = useCursorPages<AuditEntry>('audit', (cursor, signal) => client.get<Page<AuditEntry>>(`/api/v1/audit${qs({ cursor, limit: 30 })}`, signal));
  const items = pages.data?.items ?? [];
  return (
    <>
      <PageHeader title={t('audit.title')} subtitle={t('audit.subtitle')} />
      <Card p={0}>
        {pages.error ? (
          <div style={{ padding: 16 }}>
            <ErrorAlert error={pages.error} onRetry={pages.reload} />
          </div>
        ) : pages.loading && !pages.data ? (
          <TableSkeleton cols={4} />
        ) : items.length === 0 ? (
          <EmptyBlock icon={<IconHistory size={28} />} title={t('audit.empty')} description={t('audit.emptyHint')} />
        ) : (
          <Table.ScrollContainer minWidth={720}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('audit.when')}</Table.Th>
                  <Table.Th>{t('audit.actor')}</Table.Th>
                  <Table.Th>{t('audit.action')}</Table.Th>
                  <Table.Th>{t('audit.target')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((a, i) => (
                  <Table.Tr key={a.id ?? i}>
                    <Table.Td>
                      <Text size="sm" className="vafa-num">
                        {f.date(a.at, 'dateTime')}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Code>
                        <Ltr>{actorText(a.actor)}</Ltr>
                      </Code>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color="gray" style={{ textTransform: 'none' }}>
                        <Ltr>{a.action}</Ltr>
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" c="dimmed">
                        <Ltr>{a.target ?? '—'}</Ltr>
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        <div style={{ padding: '0 16px 16px' }}>
          <Pager page={pages.page} hasPrev={pages.hasPrev} hasNext={pages.hasNext} onPrev={pages.prev} onNext={pages.next} />
        </div>
      </Card>
    </>
  );
}
