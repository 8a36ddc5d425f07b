import { useState, type FormEvent } from 'react';
import { Badge, Button, Card, Group, Modal, PasswordInput, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery } from '../../shared/hooks';
import { useI18n, type MessageKey } from '../../shared/i18n';
import { IconPlus, IconShield } from '../../shared/icons';
import { EmptyBlock, ErrorAlert, Ltr, PageHeader, TableSkeleton } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

type OperatorRow = { id: string; username: string; name: string; role: string; createdAt: string; disabledAt?: string | null };

export const OPERATOR_ROLES: { value: string; label: MessageKey; hint: MessageKey }[] = [
  { value: 'owner', label: 'role.owner', hint: 'role.ownerHint' },
  { value: 'manager', label: 'role.manager', hint: 'role.managerHint' },
  { value: 'analyst', label: 'role.analyst', hint: 'role.analystHint' },
  { value: 'support', label: 'role.support', hint: 'role.supportHint' },
];

export default function OperatorsPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const q = useQuery<OperatorRow[]>('operators', (signal) => client.get<{ items: OperatorRow[] }>('/api/v1/operators', signal).then((r) => r.items));
  const [creating, setCreating] = useState(false);
  const roleLabel = (r: string) => {
    const x = OPERATOR_ROLES.find((o) => o.value === r);
    return x ? t(x.label) : r;
  };
  const items = q.data ?? [];

  return (
    <>
      <PageHeader
        title={t('operators.title')}
        subtitle={t('operators.subtitle')}
        actions={
          <Button leftSection={<IconPlus size={18} />} onClick={() => setCreating(true)}>
            {t('operators.new')}
          </Button>
        }
      />
      <Card p={0}>
        {q.error ? (
          <div style={{ padding: 16 }}>
            <ErrorAlert error={q.error} onRetry={q.reload} />
          </div>
        ) : q.loading ? (
          <TableSkeleton cols={4} rows={3} />
        ) : items.length === 0 ? (
          <EmptyBlock icon={<IconShield size={28} />} title={t('operators.empty')} />
        ) : (
          <Table.ScrollContainer minWidth={560}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('operators.name')}</Table.Th>
                  <Table.Th>{t('auth.username')}</Table.Th>
                  <Table.Th>{t('operators.role')}</Table.Th>
                  <Table.Th>{t('apiKeys.created')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((o) => (
                  <Table.Tr key={o.id}>
                    <Table.Td>
                      <Text fw={600} size="sm">
                        {o.name || '—'}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        <Ltr>{o.username}</Ltr>
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        <Badge variant="light" color={o.role === 'owner' ? 'grape' : 'brand'} tt="none">
                          {roleLabel(o.role)}
                        </Badge>
                        {o.disabledAt && (
                          <Badge variant="outline" color="gray" tt="none">
                            {t('operators.disabled')}
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" c="dimmed">
                        {f.date(o.createdAt)}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      <Modal opened={creating} onClose={() => setCreating(false)} title={<Text fw={700}>{t('operators.new')}</Text>} radius="lg">
        <CreateOperator
          onCancel={() => setCreating(false)}
          onDone={() => {
            setCreating(false);
            notifications.show({ color: 'teal', message: t('operators.created') });
            q.reload();
          }}
        />
      </Modal>
    </>
  );
}

function CreateOperator({ onCancel, onDone }: { onCancel: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const { client } = useAdmin();
  const [name, setName] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<string | null>('support');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const usernameOk = /^[a-z0-9._@-]{3,100}$/.test(username.trim().toLowerCase());
  const passwordOk = password.length >= 10;
  const hint = OPERATOR_ROLES.find((r) => r.value === role)?.hint;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!usernameOk || !passwordOk || !role) return;
    setBusy(true);
    setError(null);
    try {
      await client.post('/api/v1/operators', { name: name.trim(), username: username.trim().toLowerCase(), password, role });
      onDone();
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
        <TextInput label={t('operators.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
        <TextInput
          label={t('auth.username')}
          description={t('operators.usernameHint')}
          value={username}
          onChange={(e) => setUsername(e.currentTarget.value)}
          error={username && !usernameOk ? t('operators.usernameInvalid') : undefined}
          required
          dir="ltr"
          autoCapitalize="none"
          autoComplete="off"
          spellCheck={false}
        />
        <PasswordInput
          label={t('auth.password')}
          description={t('operators.passwordHint')}
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={password && !passwordOk ? t('operators.passwordShort') : undefined}
          required
          dir="ltr"
          autoComplete="new-password"
        />
        <Select label={t('operators.role')} description={hint ? t(hint) : undefined} value={role} onChange={setRole} allowDeselect={false} data={OPERATOR_ROLES.map((r) => ({ value: r.value, label: t(r.label) }))} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={busy} disabled={!usernameOk || !passwordOk}>
            {t('operators.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
