import { useState, type FormEvent } from 'react';
import { ActionIcon, Alert, Badge, Button, Card, CopyButton, Group, Modal, Select, Stack, Table, Text, TextInput, Tooltip, Code } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { confirmAction } from '../../shared/confirm';
import { useQuery } from '../../shared/hooks';
import { isolate, useI18n, type MessageKey } from '../../shared/i18n';
import { IconAlert, IconCheck, IconCopy, IconKey, IconPlus, IconTrash } from '../../shared/icons';
import type { ApiKey } from '../../shared/types';
import { EmptyBlock, ErrorAlert, Ltr, PageHeader, TableSkeleton, problemText } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

const KEY_ROLES: { value: string; label: MessageKey; hint: MessageKey }[] = [
  { value: 'integration', label: 'apiKeys.role.integration', hint: 'apiKeys.role.integrationHint' },
  { value: 'pos', label: 'apiKeys.role.pos', hint: 'apiKeys.role.posHint' },
  { value: 'partner', label: 'apiKeys.role.partner', hint: 'apiKeys.role.partnerHint' },
  { value: 'merchant', label: 'apiKeys.role.merchant', hint: 'apiKeys.role.merchantHint' },
  { value: 'dealer', label: 'apiKeys.role.dealer', hint: 'apiKeys.role.dealerHint' },
];

type KeyList = ApiKey[] | { items: ApiKey[] };

export default function ApiKeysPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const q = useQuery<ApiKey[]>('api-keys', (signal) => client.get<KeyList>('/api/v1/api-keys', signal).then((r) => (Array.isArray(r) ? r : r.items)));
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const keys = (q.data ?? []).filter((k) => !k.revokedAt);
  const roleLabel = (r: string) => {
    const x = KEY_ROLES.find((k) => k.value === r);
    return x ? t(x.label) : r;
  };

  const revoke = async (k: ApiKey) => {
    const ok = await confirmAction({ title: t('apiKeys.revokeTitle'), body: t('apiKeys.revokeBody', { name: isolate(k.name) }), confirmLabel: t('apiKeys.revoke'), danger: true });
    if (!ok) return;
    try {
      await client.del(`/api/v1/api-keys/${k.id}`);
      notifications.show({ color: 'teal', message: t('apiKeys.revoked', { name: isolate(k.name) }) });
      q.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    }
  };

  return (
    <>
      <PageHeader
        title={t('apiKeys.title')}
        subtitle={t('apiKeys.subtitle')}
        actions={
          can('owner') && (
            <Button leftSection={<IconPlus size={18} />} onClick={() => setCreating(true)}>
              {t('apiKeys.new')}
            </Button>
          )
        }
      />
      <Card p={0}>
        {q.error ? (
          <div style={{ padding: 16 }}>
            <ErrorAlert error={q.error} onRetry={q.reload} />
          </div>
        ) : q.loading ? (
          <TableSkeleton cols={5} rows={3} />
        ) : keys.length === 0 ? (
          <EmptyBlock icon={<IconKey size={28} />} title={t('apiKeys.empty')} description={t('apiKeys.emptyHint')} />
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('apiKeys.name')}</Table.Th>
                  <Table.Th>{t('apiKeys.role')}</Table.Th>
                  <Table.Th>{t('apiKeys.prefix')}</Table.Th>
                  <Table.Th>{t('apiKeys.created')}</Table.Th>
                  <Table.Th>{t('apiKeys.lastUsed')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {keys.map((k) => (
                  <Table.Tr key={k.id}>
                    <Table.Td>
                      <Text fw={600} size="sm">
                        {k.name}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light">{roleLabel(k.role)}</Badge>
                    </Table.Td>
                    <Table.Td>
                      <Code>
                        <Ltr>{k.prefix ?? k.id}</Ltr>
                      </Code>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" c="dimmed">
                        {f.date(k.createdAt)}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" c="dimmed">
                        {k.lastUsedAt ? f.date(k.lastUsedAt, 'dateTime') : t('apiKeys.never')}
                      </Text>
                    </Table.Td>
                    <Table.Td ta="end">
                      {can('owner') && (
                        <Tooltip label={t('apiKeys.revoke')}>
                          <ActionIcon variant="subtle" color="red" onClick={() => revoke(k)} aria-label={t('apiKeys.revokeNamed', { name: isolate(k.name) })}>
                            <IconTrash size={18} />
                          </ActionIcon>
                        </Tooltip>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>

      <Modal opened={creating} onClose={() => setCreating(false)} title={<Text fw={700}>{t('apiKeys.new')}</Text>} radius="lg">
        <CreateKeyForm
          onCancel={() => setCreating(false)}
          onCreated={(name, key) => {
            setCreating(false);
            setCreated({ name, key });
            q.reload();
          }}
        />
      </Modal>

      <Modal opened={created !== null} onClose={() => setCreated(null)} title={<Text fw={700}>{t('apiKeys.createdTitle')}</Text>} radius="lg" size="lg" closeOnClickOutside={false}>
        {created && (
          <Stack gap="md">
            <Alert color="orange" variant="light" icon={<IconAlert />}>
              {t('apiKeys.shownOnce')}
            </Alert>
            <Text size="sm" fw={500}>
              {created.name}
            </Text>
            <Group wrap="nowrap" gap="xs">
              <Code block style={{ flex: 1, direction: 'ltr', wordBreak: 'break-all' }} data-testid="new-api-key">
                {created.key}
              </Code>
              <CopyButton value={created.key}>
                {({ copied, copy }) => (
                  <Button onClick={copy} variant={copied ? 'light' : 'filled'} leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}>
                    {copied ? t('common.copied') : t('common.copy')}
                  </Button>
                )}
              </CopyButton>
            </Group>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setCreated(null)}>
                {t('apiKeys.stored')}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}

function CreateKeyForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (name: string, key: string) => void }) {
  const { t } = useI18n();
  const { client } = useAdmin();
  const [name, setName] = useState('');
  const [role, setRole] = useState<string | null>('integration');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const hint = KEY_ROLES.find((k) => k.value === role)?.hint;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim() || !role) return;
    setBusy(true);
    setError(null);
    try {
      const res = await client.post<{ id: string; key: string }>('/api/v1/api-keys', { name: name.trim(), role });
      onCreated(name.trim(), res.key);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        {error ? <ErrorAlert error={error} /> : null}
        <TextInput label={t('apiKeys.name')} description={t('apiKeys.nameHint')} value={name} onChange={(e) => setName(e.currentTarget.value)} required data-autofocus />
        <Select
          label={t('apiKeys.role')}
          description={hint ? t(hint) : undefined}
          value={role}
          onChange={setRole}
          allowDeselect={false}
          data={KEY_ROLES.map((r) => ({ value: r.value, label: t(r.label) }))}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={busy} disabled={!name.trim()}>
            {t('apiKeys.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
