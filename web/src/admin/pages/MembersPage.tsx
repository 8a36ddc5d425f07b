import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { Badge, Button, Card, Group, Modal, Progress, Select, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { qs } from '../../shared/api';
import { normalizeDigits } from '../../shared/digits';
import { useCursorPages } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconPlus, IconSearch, IconUsers } from '../../shared/icons';
import type { Member, Page } from '../../shared/types';
import { CodeText, EmptyBlock, ErrorAlert, MobileText, PageHeader, Pager, TableSkeleton } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { MemberForm } from '../components/MemberForm';
import { useAdmin } from '../session';
import { StatusBadge, memberName } from '../components/member-bits';

const PAGE_SIZE = 20;

export default function MembersPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [q] = useDebouncedValue(normalizeDigits(search).trim(), 300);
  const [status, setStatus] = useState<string | null>(params.get('status'));
  const [groupInput, setGroupInput] = useState(params.get('group') ?? '');
  const [group] = useDebouncedValue(groupInput.trim().toLowerCase(), 300);
  const [creating, setCreating] = useState(false);
  const filtered = Boolean(q || status || group);

  const pages = useCursorPages<Member>(`members|${q}|${status ?? ''}|${group}`, (cursor, signal) =>
    client.get<Page<Member>>(`/api/v1/members${qs({ q, status, group, limit: PAGE_SIZE, cursor })}`, signal),
  );
  const updateParams = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  };
  const items = pages.data?.items ?? [];

  return (
    <>
      <PageHeader
        title={t('members.title')}
        subtitle={t('members.subtitle')}
        actions={
          can('write') && (
            <Button leftSection={<IconPlus size={18} />} onClick={() => setCreating(true)}>
              {t('member.new')}
            </Button>
          )
        }
      />
      <Card p={0}>
        <Group p="md" gap="sm">
          <TextInput
            style={{ flex: 1 }}
            maw={520}
            leftSection={<IconSearch size={18} />}
            placeholder={t('members.searchPlaceholder')}
            value={search}
            onChange={(e) => {
              setSearch(e.currentTarget.value);
              updateParams({ q: e.currentTarget.value });
            }}
            type="search"
            aria-label={t('members.search')}
          />
          <Select
            w={170}
            aria-label={t('member.status')}
            placeholder={t('members.allStatuses')}
            value={status}
            onChange={(v) => {
              setStatus(v);
              updateParams({ status: v });
            }}
            clearable
            data={[
              { value: 'active', label: t('status.active') },
              { value: 'suspended', label: t('status.suspended') },
              { value: 'closed', label: t('status.closed') },
            ]}
          />
          <TextInput
            w={170}
            aria-label={t('members.groupFilter')}
            placeholder={t('members.groupFilter')}
            value={groupInput}
            onChange={(e) => {
              setGroupInput(e.currentTarget.value);
              updateParams({ group: e.currentTarget.value });
            }}
          />
        </Group>
        {pages.error ? (
          <div style={{ padding: 16 }}>
            <ErrorAlert error={pages.error} onRetry={pages.reload} />
          </div>
        ) : pages.loading && !pages.data ? (
          <TableSkeleton cols={5} />
        ) : items.length === 0 ? (
          <EmptyBlock
            icon={<IconUsers size={28} />}
            title={filtered ? t('members.noMatch') : t('members.empty')}
            description={filtered ? t('members.noMatchHint') : t('members.emptyHint')}
            action={
              !filtered && can('write') ? (
                <Button variant="light" onClick={() => setCreating(true)}>
                  {t('member.new')}
                </Button>
              ) : undefined
            }
          />
        ) : (
          <Table.ScrollContainer minWidth={760}>
            <Table style={{ opacity: pages.loading ? 0.6 : 1 }}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('member.name')}</Table.Th>
                  <Table.Th>{t('member.mobile')}</Table.Th>
                  <Table.Th>{t('member.customerNo')}</Table.Th>
                  <Table.Th>{t('member.profileCompleteness')}</Table.Th>
                  <Table.Th>{t('member.status')}</Table.Th>
                  <Table.Th>{t('member.joined')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((m) => (
                  <Table.Tr key={m.id} onClick={() => navigate(`/members/${m.id}`)} style={{ cursor: 'pointer' }}>
                    <Table.Td>
                      <Link to={`/members/${m.id}`} className="vafa-row-link" onClick={(e) => e.stopPropagation()}>
                        <Text fw={600} size="sm">
                          {memberName(m) || t('member.unnamed')}
                        </Text>
                      </Link>
                      {m.groups.length > 0 && (
                        <Group gap={4} mt={4}>
                          {m.groups.slice(0, 3).map((g) => (
                            <Badge key={g} size="xs" variant="light" color="gray" tt="none">
                              {g}
                            </Badge>
                          ))}
                        </Group>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <MobileText value={m.mobileMasked || m.mobile} />
                    </Table.Td>
                    <Table.Td>
                      <CodeText value={m.customerNo} />
                    </Table.Td>
                    <Table.Td w={160}>
                      <Group gap="xs" wrap="nowrap">
                        <Progress value={m.profileCompleteness} w={72} size="sm" aria-label={t('member.profileCompleteness')} />
                        <Text size="xs" c="dimmed" className="vafa-num">
                          {f.percent(m.profileCompleteness / 100)}
                        </Text>
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <StatusBadge status={m.status} />
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" c="dimmed">
                        {f.date(m.createdAt)}
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

      <Modal opened={creating} onClose={() => setCreating(false)} title={<Text fw={700}>{t('member.new')}</Text>} size="lg" radius="lg">
        <MemberForm
          onCancel={() => setCreating(false)}
          onSubmit={async (body) => {
            const m = await client.post<Member>('/api/v1/members', body);
            setCreating(false);
            notifications.show({ color: 'teal', message: t('member.created') });
            navigate(`/members/${m.id}`);
          }}
        />
      </Modal>
    </>
  );
}
