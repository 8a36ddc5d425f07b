import { useState } from 'react';
import { Link } from 'react-router-dom';
import { ActionIcon, Anchor, Badge, Card, Code, Group, Modal, SimpleGrid, Stack, Table, Text, Tooltip } from '@mantine/core';
import { qs } from '../../shared/api';
import { useCursorPages } from '../../shared/hooks';
import { hasMessage, useI18n } from '../../shared/i18n';
import { IconHistory, IconSearch } from '../../shared/icons';
import type { AuditEntry, Page } from '../../shared/types';
import { EmptyBlock, ErrorAlert, Ltr, PageHeader, Pager, TableSkeleton } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

type Row = AuditEntry & { before?: unknown; after?: unknown; requestId?: string | null };

export default function AuditPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client, session } = useAdmin();
  const [open, setOpen] = useState<Row | null>(null);
  const pages = useCursorPages<Row>('audit', (cursor, signal) => client.get<Page<Row>>(`/api/v1/audit${qs({ cursor, limit: 30 })}`, signal));
  const items = pages.data?.items ?? [];

  const actionLabel = (a: string) => {
    const key = `audit.do.${a}`;
    return hasMessage(key) ? t(key) : a;
  };
  const actorLabel = (actor: AuditEntry['actor']) => {
    if (!actor) return '—';
    const s = typeof actor === 'string' ? actor : [actor.type, actor.id].filter(Boolean).join(':');
    if (session && s === `operator:${session.operator.id}`) return session.operator.name;
    if (s.startsWith('system:')) return t('audit.system');
    if (s.startsWith('apikey:')) return t('audit.apiKey');
    if (s.startsWith('member:')) return t('audit.member');
    if (s.startsWith('operator:')) return t('audit.operator');
    return s;
  };
  const target = (x: string | null | undefined) => {
    if (!x) return '—';
    if (x.startsWith('mbr_'))
      return (
        <Anchor component={Link} to={`/members/${x}`} size="sm">
          {t('audit.openMember')}
        </Anchor>
      );
    return (
      <Text size="xs" c="dimmed" ff="monospace">
        <Ltr>{x}</Ltr>
      </Text>
    );
  };

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
                  <Table.Th />
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
                      <Tooltip label={<Ltr>{typeof a.actor === 'string' ? a.actor : JSON.stringify(a.actor)}</Ltr>}>
                        <Text size="sm">{actorLabel(a.actor)}</Text>
                      </Tooltip>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={a.action.startsWith('ledger') ? 'orange' : a.action.includes('revoked') ? 'red' : 'gray'} tt="none">
                        {actionLabel(a.action)}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{target(a.target)}</Table.Td>
                    <Table.Td ta="end">
                      {(a.before != null || a.after != null) && (
                        <ActionIcon variant="subtle" color="gray" onClick={() => setOpen(a)} aria-label={t('audit.details')}>
                          <IconSearch size={16} />
                        </ActionIcon>
                      )}
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
      <Modal opened={open !== null} onClose={() => setOpen(null)} title={<Text fw={700}>{open ? actionLabel(open.action) : ''}</Text>} size="xl" radius="lg">
        {open && (
          <Stack gap="sm">
            <Group gap="xs">
              <Text size="sm" c="dimmed">
                {f.date(open.at, 'dateTime')} · {actorLabel(open.actor)}
              </Text>
            </Group>
            <SimpleGrid cols={{ base: 1, sm: open.before != null ? 2 : 1 }}>
              {open.before != null && (
                <div>
                  <Text size="sm" fw={600} mb={4}>
                    {t('audit.before')}
                  </Text>
                  <Code block dir="ltr">
                    {JSON.stringify(open.before, null, 2)}
                  </Code>
                </div>
              )}
              {open.after != null && (
                <div>
                  <Text size="sm" fw={600} mb={4}>
                    {t('audit.after')}
                  </Text>
                  <Code block dir="ltr">
                    {JSON.stringify(open.after, null, 2)}
                  </Code>
                </div>
              )}
            </SimpleGrid>
          </Stack>
        )}
      </Modal>
    </>
  );
}
