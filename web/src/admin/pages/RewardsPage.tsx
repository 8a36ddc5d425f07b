import { Fragment, useState, type FormEvent } from 'react';
import { Badge, Button, Card, Drawer, Group, Modal, Progress, Select, SimpleGrid, Stack, Table, Tabs, Text, TextInput, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { qs } from '../../shared/api';
import { confirmAction } from '../../shared/confirm';
import { normalizeDigits } from '../../shared/digits';
import { useCursorPages, useQuery } from '../../shared/hooks';
import { isolate, useI18n, type MessageKey } from '../../shared/i18n';
import { IconGift, IconPlus, IconTicket } from '../../shared/icons';
import { JalaliDateInput } from '../../shared/JalaliDateInput';
import type { Page, Redemption, Reward, RewardType } from '../../shared/types';
import { EmptyBlock, ErrorAlert, Ltr, PageHeader, Pager, TableSkeleton, problemText } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

const TYPES: RewardType[] = ['coupon', 'product', 'digital', 'wallet_credit', 'donation'];
const typeKey = (t: string) => `reward.type.${t}` as MessageKey;
const int = (s: string) => (/^\d+$/.test(s) ? Number(s) : NaN);

export default function RewardsPage() {
  const { t } = useI18n();
  const { can } = useAdmin();
  const [creating, setCreating] = useState(false);
  const [tick, setTick] = useState(0);
  return (
    <>
      <PageHeader
        title={t('nav.rewards')}
        subtitle={t('rewards.subtitle')}
        actions={
          can('write') && (
            <Button leftSection={<IconPlus size={18} />} onClick={() => setCreating(true)}>
              {t('rewards.new')}
            </Button>
          )
        }
      />
      <Tabs defaultValue="catalogue" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="catalogue" leftSection={<IconGift size={16} />}>
            {t('rewards.catalogue')}
          </Tabs.Tab>
          <Tabs.Tab value="queue" leftSection={<IconTicket size={16} />}>
            {t('rewards.queue')}
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="catalogue">
          <Catalogue key={tick} />
        </Tabs.Panel>
        <Tabs.Panel value="queue">
          <Queue />
        </Tabs.Panel>
      </Tabs>
      <Modal opened={creating} onClose={() => setCreating(false)} title={<Text fw={700}>{t('rewards.new')}</Text>} size="lg" radius="lg">
        <CreateReward
          onCancel={() => setCreating(false)}
          onDone={() => {
            setCreating(false);
            setTick((n) => n + 1);
            notifications.show({ color: 'teal', message: t('rewards.created') });
          }}
        />
      </Modal>
    </>
  );
}

function Catalogue() {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [status, setStatus] = useState<string>('active');
  const q = useQuery<Reward[]>(`rewards|${status}`, (signal) => client.get<{ items: Reward[] }>(`/api/v1/rewards${qs({ status })}`, signal).then((r) => r.items));
  const [open, setOpen] = useState<string | null>(null);
  const items = q.data ?? [];
  return (
    <Card p={0}>
      <Group p="md">
        <Select
          w={200}
          aria-label={t('member.status')}
          value={status}
          onChange={(v) => v && setStatus(v)}
          allowDeselect={false}
          data={[
            { value: 'active', label: t('rewards.active') },
            { value: 'archived', label: t('rewards.archived') },
          ]}
        />
      </Group>
      {q.error ? (
        <div style={{ padding: 16 }}>
          <ErrorAlert error={q.error} onRetry={q.reload} />
        </div>
      ) : q.loading ? (
        <TableSkeleton cols={5} rows={4} />
      ) : items.length === 0 ? (
        <EmptyBlock icon={<IconGift size={28} />} title={t('rewards.empty')} description={t('rewards.emptyHint')} />
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('rewards.title')}</Table.Th>
                <Table.Th>{t('rewards.type')}</Table.Th>
                <Table.Th ta="end">{t('rewards.cost')}</Table.Th>
                <Table.Th ta="end">{t('rewards.stock')}</Table.Th>
                <Table.Th>{t('rewards.window')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Table.Tr key={r.id} onClick={() => setOpen(r.id)} style={{ cursor: 'pointer' }}>
                  <Table.Td>
                    <Button variant="subtle" size="compact-sm" onClick={() => setOpen(r.id)} px={0}>
                      {f.name(r.title)}
                    </Button>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" tt="none">
                      {t(typeKey(r.type))}
                    </Badge>
                  </Table.Td>
                  <Table.Td ta="end" className="vafa-num">
                    {f.num(r.costPoints)}
                  </Table.Td>
                  <Table.Td ta="end" className="vafa-num">
                    {r.stock === null ? t('rewards.unlimited') : f.num(r.stock)}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c="dimmed">
                      {r.window?.from || r.window?.until ? `${r.window.from ? f.digits(r.window.from) : '…'} – ${r.window.until ? f.digits(r.window.until) : '…'}` : t('rewards.always')}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Drawer opened={open !== null} onClose={() => setOpen(null)} position="left" size="lg" title={<Text fw={700}>{t('rewards.details')}</Text>}>
        {open && <RewardDetail id={open} onChanged={q.reload} />}
      </Drawer>
    </Card>
  );
}

function RewardDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const q = useQuery<Reward>(`reward|${id}`, (signal) => client.get<Reward>(`/api/v1/rewards/${id}`, signal));
  const [stockAdd, setStockAdd] = useState('');
  const [codes, setCodes] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  const r = q.data;
  if (q.error) return <ErrorAlert error={q.error} onRetry={q.reload} />;
  if (!r) return <TableSkeleton rows={4} cols={2} />;
  const usesCodes = r.type === 'coupon' || r.type === 'partner_voucher';
  const source = (r.config.codes as { source?: string } | undefined)?.source;

  const addStock = async () => {
    const n = Number(normalizeDigits(stockAdd));
    if (!Number.isInteger(n) || n === 0) return;
    try {
      await client.post(`/api/v1/rewards/${id}/stock`, { add: n }, { 'idempotency-key': crypto.randomUUID() });
      setStockAdd('');
      q.reload();
      onChanged();
      notifications.show({ color: 'teal', message: t('common.saved') });
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    }
  };

  // Large pools go up in chunks so the operator sees progress and a failure loses one chunk only.
  const upload = async () => {
    const list = Array.from(new Set(codes.split(/[\s,;]+/).map((c) => normalizeDigits(c).trim()).filter(Boolean)));
    if (list.length === 0) return;
    const CHUNK = 2000;
    setProgress(0);
    try {
      for (let i = 0; i < list.length; i += CHUNK) {
        await client.post(`/api/v1/rewards/${id}/codes`, { codes: list.slice(i, i + CHUNK) }, { 'idempotency-key': crypto.randomUUID() });
        setProgress(Math.min(100, Math.round(((i + CHUNK) / list.length) * 100)));
      }
      setCodes('');
      notifications.show({ color: 'teal', message: t('rewards.uploaded', { n: f.num(list.length) }) });
      q.reload();
      onChanged();
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    } finally {
      setTimeout(() => setProgress(null), 800);
    }
  };

  const archive = async () => {
    const ok = await confirmAction({ title: t('rewards.archiveTitle'), body: t('rewards.archiveBody', { name: isolate(f.name(r.title)) }), confirmLabel: t('rewards.archive'), danger: true });
    if (!ok) return;
    try {
      await client.post(`/api/v1/rewards/${id}/archive`, {});
      q.reload();
      onChanged();
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    }
  };

  return (
    <Stack gap="md">
      <div>
        <Title order={3} fz="lg">
          {f.name(r.title)}
        </Title>
        <Group gap="xs" mt={4}>
          <Badge variant="light" tt="none">
            {t(typeKey(r.type))}
          </Badge>
          <Badge variant="outline" color={r.status === 'active' ? 'teal' : 'gray'} tt="none">
            {t(r.status === 'active' ? 'rewards.active' : 'rewards.archived')}
          </Badge>
        </Group>
        {f.name(r.description) && (
          <Text size="sm" mt="sm">
            {f.name(r.description)}
          </Text>
        )}
      </div>
      <SimpleGrid cols={2}>
        <Text size="sm" c="dimmed">
          {t('rewards.cost')}
        </Text>
        <Text size="sm" fw={600}>
          {f.points(r.costPoints)}
        </Text>
        <Text size="sm" c="dimmed">
          {t('rewards.stock')}
        </Text>
        <Text size="sm" fw={600}>
          {r.stock === null ? t('rewards.unlimited') : f.num(r.stock)}
        </Text>
        {r.codes &&
          Object.entries(r.codes).map(([k, v]) => (
            <Fragment key={k}>
              <Text size="sm" c="dimmed">
                {t('rewards.codes')} · <Ltr>{k}</Ltr>
              </Text>
              <Text size="sm" fw={600}>
                {f.num(v ?? 0)}
              </Text>
            </Fragment>
          ))}
      </SimpleGrid>
      {can('write') && r.status === 'active' && (
        <>
          {r.stock !== null && (
            <Group align="flex-end" gap="sm">
              <TextInput label={t('rewards.addStock')} description={t('rewards.addStockHint')} value={f.digits(stockAdd)} onChange={(e) => setStockAdd(normalizeDigits(e.currentTarget.value).replace(/[^\d-]/g, ''))} inputMode="numeric" style={{ flex: 1 }} />
              <Button variant="light" onClick={addStock} disabled={!stockAdd}>
                {t('common.save')}
              </Button>
            </Group>
          )}
          {usesCodes && source === 'pool' && (
            <Stack gap="xs">
              <Textarea label={t('rewards.uploadCodes')} description={t('rewards.uploadCodesHint')} value={codes} onChange={(e) => setCodes(e.currentTarget.value)} autosize minRows={4} maxRows={10} dir="ltr" styles={{ input: { fontFamily: 'monospace' } }} />
              {progress !== null && <Progress value={progress} animated striped aria-label={t('rewards.uploadCodes')} />}
              <Group>
                <Button variant="light" onClick={upload} loading={progress !== null} disabled={!codes.trim()}>
                  {t('rewards.upload')}
                </Button>
              </Group>
            </Stack>
          )}
          <Group justify="flex-end">
            <Button color="red" variant="subtle" onClick={archive}>
              {t('rewards.archive')}
            </Button>
          </Group>
        </>
      )}
    </Stack>
  );
}

function CreateReward({ onCancel, onDone }: { onCancel: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [type, setType] = useState<RewardType>('coupon');
  const [titleFa, setTitleFa] = useState('');
  const [titleEn, setTitleEn] = useState('');
  const [desc, setDesc] = useState('');
  const [cost, setCost] = useState('');
  const [stock, setStock] = useState('');
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [source, setSource] = useState<'pattern' | 'pool'>('pattern');
  const [pattern, setPattern] = useState('VAFA-####-????');
  const [validDays, setValidDays] = useState('30');
  const [cause, setCause] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!titleFa.trim() || Number.isNaN(int(cost))) return;
    const config: Record<string, unknown> = {};
    if (type === 'coupon') config.codes = { source, ...(source === 'pattern' ? { pattern } : {}), ...(int(validDays) > 0 ? { validDays: int(validDays) } : {}) };
    if (type === 'donation') config.cause = { fa: cause.trim() || titleFa.trim(), en: '' };
    setBusy(true);
    setError(null);
    try {
      await client.post(
        '/api/v1/rewards',
        {
          type,
          title: { fa: titleFa.trim(), en: titleEn.trim() },
          description: { fa: desc.trim(), en: '' },
          costPoints: int(cost),
          stock: stock.trim() ? int(stock) : null,
          availableFrom: from.trim() || null,
          availableUntil: until.trim() || null,
          config,
        },
        { 'idempotency-key': crypto.randomUUID() },
      );
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const num = (v: string, set: (s: string) => void) => ({
    value: f.digits(v),
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => set(normalizeDigits(e.currentTarget.value).replace(/\D/g, '')),
    inputMode: 'numeric' as const,
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        {error ? <ErrorAlert error={error} /> : null}
        <Select label={t('rewards.type')} value={type} onChange={(v) => v && setType(v as RewardType)} allowDeselect={false} data={TYPES.map((x) => ({ value: x, label: t(typeKey(x)) }))} />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t('rewards.titleFa')} value={titleFa} onChange={(e) => setTitleFa(e.currentTarget.value)} required data-autofocus />
          <TextInput label={t('rewards.titleEn')} value={titleEn} onChange={(e) => setTitleEn(e.currentTarget.value)} dir="ltr" />
        </SimpleGrid>
        <Textarea label={t('rewards.description')} value={desc} onChange={(e) => setDesc(e.currentTarget.value)} autosize minRows={2} />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t('rewards.cost')} required {...num(cost, setCost)} />
          <TextInput label={t('rewards.stock')} description={t('rewards.stockHint')} {...num(stock, setStock)} />
          <JalaliDateInput label={t('rewards.from')} value={from} onChange={setFrom} />
          <JalaliDateInput label={t('rewards.until')} value={until} onChange={setUntil} />
        </SimpleGrid>
        {type === 'coupon' && (
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Select
              label={t('rewards.codeSource')}
              value={source}
              onChange={(v) => v && setSource(v as 'pattern' | 'pool')}
              allowDeselect={false}
              data={[
                { value: 'pattern', label: t('rewards.source.pattern') },
                { value: 'pool', label: t('rewards.source.pool') },
              ]}
            />
            {source === 'pattern' && <TextInput label={t('rewards.pattern')} description={t('rewards.patternHint')} value={pattern} onChange={(e) => setPattern(e.currentTarget.value)} dir="ltr" />}
            <TextInput label={t('rewards.validDays')} {...num(validDays, setValidDays)} />
          </SimpleGrid>
        )}
        {type === 'donation' && <TextInput label={t('rewards.cause')} value={cause} onChange={(e) => setCause(e.currentTarget.value)} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={busy} disabled={!titleFa.trim() || !cost}>
            {t('rewards.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

const FULFIL: { status: 'shipped' | 'delivered' | 'cancelled'; label: MessageKey; color?: string }[] = [
  { status: 'shipped', label: 'rewards.ship' },
  { status: 'delivered', label: 'rewards.deliver' },
  { status: 'cancelled', label: 'rewards.cancel', color: 'red' },
];

function Queue() {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const [status, setStatus] = useState<string>('pending');
  const pages = useCursorPages<Redemption>(`redemptions|${status}`, (cursor, signal) => client.get<Page<Redemption>>(`/api/v1/redemptions${qs({ status, cursor, limit: 30 })}`, signal));
  const items = pages.data?.items ?? [];

  const move = async (r: Redemption, to: 'shipped' | 'delivered' | 'cancelled') => {
    if (to === 'cancelled') {
      const ok = await confirmAction({ title: t('rewards.cancelTitle'), body: t('rewards.cancelBody'), confirmLabel: t('rewards.cancel'), danger: true });
      if (!ok) return;
    }
    try {
      await client.post(`/api/v1/redemptions/${r.id}/fulfilment`, { status: to }, { 'idempotency-key': crypto.randomUUID() });
      pages.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    }
  };

  return (
    <Card p={0}>
      <Group p="md">
        <Select
          w={200}
          aria-label={t('member.status')}
          value={status}
          onChange={(v) => v && setStatus(v)}
          allowDeselect={false}
          data={(['pending', 'fulfilled', 'cancelled', 'failed'] as const).map((s) => ({ value: s, label: t(`redemption.status.${s}` as MessageKey) }))}
        />
      </Group>
      {pages.error ? (
        <div style={{ padding: 16 }}>
          <ErrorAlert error={pages.error} onRetry={pages.reload} />
        </div>
      ) : pages.loading && !pages.data ? (
        <TableSkeleton cols={5} rows={4} />
      ) : items.length === 0 ? (
        <EmptyBlock icon={<IconTicket size={28} />} title={t('rewards.queueEmpty')} />
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('history.when')}</Table.Th>
                <Table.Th>{t('rewards.type')}</Table.Th>
                <Table.Th ta="end">{t('rewards.cost')}</Table.Th>
                <Table.Th>{t('rewards.fulfilment')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td className="vafa-num">{f.date(r.createdAt, 'dateTime')}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" tt="none">
                      {t(typeKey(r.type))}
                    </Badge>
                  </Table.Td>
                  <Table.Td ta="end" className="vafa-num">
                    {f.num(r.points)}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{r.code ? <Ltr>{r.code}</Ltr> : r.fulfilment ?? '—'}</Text>
                  </Table.Td>
                  <Table.Td ta="end">
                    {can('write') && r.status === 'pending' && (
                      <Group gap={4} justify="flex-end" wrap="nowrap">
                        {FULFIL.map((x) => (
                          <Button key={x.status} size="compact-xs" variant="light" color={x.color} onClick={() => move(r, x.status)}>
                            {t(x.label)}
                          </Button>
                        ))}
                      </Group>
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
  );
}
