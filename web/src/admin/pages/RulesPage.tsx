import { useEffect, useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Card, Code, Grid, Group, Modal, Pagination, SegmentedControl, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { ApiError } from '../../shared/api';
import { confirmAction } from '../../shared/confirm';
import { normalizeDigits } from '../../shared/digits';
import { useQuery } from '../../shared/hooks';
import { hasMessage, isolate, useI18n } from '../../shared/i18n';
import { IconAlert, IconCheck, IconPlus, IconRules } from '../../shared/icons';
import { JalaliDateInput } from '../../shared/JalaliDateInput';
import { EmptyBlock, ErrorAlert, Ltr, PageHeader, TableSkeleton, problemText } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';
import { BacktestPanel } from '../components/BacktestPanel';

type RuleView = {
  id: string;
  version: number;
  status: 'active' | 'paused' | 'archived' | string;
  definition: { name?: { fa: string; en?: string }; trigger?: string; condition?: string; effects?: { type: string; amount?: string; factor?: number; unit?: string }[] };
  windowJalali?: { from?: string; to?: string };
  updatedAt: string;
};
type SimResult = { awards: { ruleId: string; unit: string; points: number; draft: boolean }[]; trace: { ruleId: string; fired: boolean; reason: string; detail?: string; draft: boolean }[]; totals: Record<string, number>; baseRate: number | null };

const TRIGGERS = ['purchase', 'signup', 'profile_completed', 'profile_field_filled', 'birthday', 'referral_qualified', 'bill_paid', 'app_login', 'review_written', 'survey_answered'];

/** Rules a page (the list is filtered and paged in the browser: a club has tens to hundreds). */
const PAGE = 20;

export default function RulesPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const [shown, setShown] = useState<'current' | 'archived'>('current');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const q = useQuery<RuleView[]>(`rules:${shown}`, (signal) =>
    client.get<{ items: RuleView[] }>(`/api/v1/rules${shown === 'archived' ? '?status=archived' : ''}`, signal).then((r) => r.items),
  );
  const [editing, setEditing] = useState(false);
  const needle = search.trim().toLowerCase();
  const matching = (q.data ?? []).filter(
    (r) => !needle || [r.definition.name?.fa, (r.definition.name as { en?: string } | undefined)?.en, r.definition.trigger, triggerLabel(r.definition.trigger ?? '', t)].some((x) => x?.toLowerCase().includes(needle)),
  );
  const pages = Math.max(1, Math.ceil(matching.length / PAGE));
  const items = matching.slice((Math.min(page, pages) - 1) * PAGE, Math.min(page, pages) * PAGE);

  const setStatus = async (r: RuleView, action: 'pause' | 'activate' | 'archive') => {
    if (action === 'archive') {
      const ok = await confirmAction({ title: t('rules.archiveTitle'), body: t('rules.archiveBody', { name: isolate(r.definition.name?.fa ?? r.id) }), confirmLabel: t('rules.archive'), danger: true });
      if (!ok) return;
    }
    try {
      await client.post(`/api/v1/rules/${r.id}/${action}`, {});
      q.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    }
  };

  return (
    <>
      <PageHeader
        title={t('nav.rules')}
        subtitle={t('rules.subtitle')}
        actions={
          can('write') && (
            <Button leftSection={<IconPlus size={18} />} onClick={() => setEditing(true)}>
              {t('rules.new')}
            </Button>
          )
        }
      />
      <Group mb="md" justify="space-between" wrap="wrap">
        <SegmentedControl
          aria-label={t('rules.filter')}
          value={shown}
          onChange={(v) => {
            setShown(v as 'current' | 'archived');
            setPage(1);
          }}
          data={[
            { value: 'current', label: t('rules.filter.current') },
            { value: 'archived', label: t('rules.filter.archived') },
          ]}
        />
        <TextInput
          type="search"
          aria-label={t('rules.search')}
          placeholder={t('rules.search')}
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setPage(1);
          }}
          w={280}
        />
      </Group>
      <Card p={0}>
        {q.error ? (
          <div style={{ padding: 16 }}>
            <ErrorAlert error={q.error} onRetry={q.reload} />
          </div>
        ) : q.loading ? (
          <TableSkeleton cols={5} rows={3} />
        ) : items.length === 0 ? (
          <EmptyBlock icon={<IconRules size={28} />} title={t('rules.empty')} description={t('rules.emptyHint')} />
        ) : (
          <Table.ScrollContainer minWidth={760}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('rules.name')}</Table.Th>
                  <Table.Th>{t('rules.trigger')}</Table.Th>
                  <Table.Th>{t('rules.effect')}</Table.Th>
                  <Table.Th>{t('rules.window')}</Table.Th>
                  <Table.Th>{t('member.status')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((r) => (
                  <Table.Tr key={r.id}>
                    <Table.Td>
                      <Text fw={600} size="sm">
                        {f.name(r.definition.name as never) || r.id}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {t('rules.version', { n: f.num(r.version) })}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" tt="none">
                        {triggerLabel(r.definition.trigger ?? '', t)}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Code>
                        <Ltr>{(r.definition.effects ?? []).map((e) => (e.type === 'multiply' ? `×${e.factor}` : e.amount)).join(' · ')}</Ltr>
                      </Code>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" c="dimmed">
                        {r.windowJalali?.from || r.windowJalali?.to ? `${f.digits(r.windowJalali.from ?? '…')} – ${f.digits(r.windowJalali.to ?? '…')}` : t('rewards.always')}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={r.status === 'active' ? 'teal' : 'gray'} tt="none">
                        {hasMessage(`rules.status.${r.status}`) ? t(`rules.status.${r.status}` as never) : r.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td ta="end">
                      {can('write') && r.status !== 'archived' && (
                        <Group gap={4} justify="flex-end" wrap="nowrap">
                          <Button size="compact-xs" variant="light" onClick={() => setStatus(r, r.status === 'active' ? 'pause' : 'activate')}>
                            {t(r.status === 'active' ? 'rules.pause' : 'rules.activate')}
                          </Button>
                          <Button size="compact-xs" variant="subtle" color="red" onClick={() => setStatus(r, 'archive')}>
                            {t('rules.archive')}
                          </Button>
                        </Group>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {pages > 1 && (
          <Group justify="center" p="md">
            <Pagination value={Math.min(page, pages)} onChange={setPage} total={pages} size="sm" />
          </Group>
        )}
      </Card>
      <Modal opened={editing} onClose={() => setEditing(false)} title={<Text fw={700}>{t('rules.new')}</Text>} size="90rem" radius="lg">
        <RuleEditor
          onCancel={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            q.reload();
            notifications.show({ color: 'teal', message: t('rules.created') });
          }}
        />
      </Modal>
    </>
  );
}

function triggerLabel(tr: string, t: ReturnType<typeof useI18n>['t']) {
  const key = `rules.trigger.${tr}`;
  return hasMessage(key) ? t(key) : tr;
}

function RuleEditor({ onCancel, onSaved }: { onCancel: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [nameFa, setNameFa] = useState('');
  const [trigger, setTrigger] = useState('purchase');
  const [condition, setCondition] = useState('event.amount >= 5000000');
  const [amount, setAmount] = useState('event.amount / 100000');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [sampleRials, setSampleRials] = useState('10000000');
  const [sim, setSim] = useState<SimResult | null>(null);
  const [check, setCheck] = useState<{ ok: boolean; text?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const draft = () => ({
    name: { fa: nameFa.trim() || t('rules.untitled') },
    trigger,
    ...(condition.trim() ? { condition: condition.trim() } : {}),
    effects: [{ type: 'award', unit: 'points', amount: amount.trim() || '0' }],
    ...(from || to ? { window: { ...(from ? { from } : {}), ...(to ? { to } : {}) } } : {}),
  });

  // Validation as you type: the server compiles the CEL in a dry run (nothing is written).
  const [debounced] = useDebouncedValue(`${trigger}|${condition}|${amount}|${sampleRials}|${from}|${to}`, 500);
  useEffect(() => {
    let live = true;
    const event: Record<string, unknown> = { type: trigger, occurredAt: new Date().toISOString() };
    if (trigger === 'purchase') event.amountRials = Number(sampleRials) || 0;
    client
      .post<SimResult>('/api/v1/rules/simulate', { event, drafts: [draft()] })
      .then((r) => {
        if (!live) return;
        setSim(r);
        setCheck({ ok: true });
      })
      .catch((e: unknown) => {
        if (!live) return;
        setSim(null);
        setCheck({ ok: false, text: e instanceof ApiError ? e.detail ?? e.title : problemText(e, t).title });
      });
    return () => {
      live = false;
    };
  }, [debounced]); // eslint-disable-line react-hooks/exhaustive-deps

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!nameFa.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await client.post('/api/v1/rules', { ...draft(), name: { fa: nameFa.trim() } }, { 'idempotency-key': crypto.randomUUID() });
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const draftPoints = sim?.awards.filter((a) => a.draft).reduce((s, a) => s + a.points, 0) ?? 0;

  return (
    <form onSubmit={submit} noValidate>
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="md">
            {error ? <ErrorAlert error={error} /> : null}
            <TextInput label={t('rules.name')} value={nameFa} onChange={(e) => setNameFa(e.currentTarget.value)} required data-autofocus />
            <Select label={t('rules.trigger')} value={trigger} onChange={(v) => v && setTrigger(v)} allowDeselect={false} data={TRIGGERS.map((x) => ({ value: x, label: triggerLabel(x, t) }))} />
            <Textarea
              label={t('rules.condition')}
              description={t('rules.conditionHint')}
              value={condition}
              onChange={(e) => setCondition(e.currentTarget.value)}
              autosize
              minRows={2}
              dir="ltr"
              styles={{ input: { fontFamily: 'monospace' } }}
            />
            <TextInput label={t('rules.amount')} description={t('rules.amountHint')} value={amount} onChange={(e) => setAmount(e.currentTarget.value)} dir="ltr" styles={{ input: { fontFamily: 'monospace' } }} required />
            <SimpleGrid cols={2}>
              <JalaliDateInput label={t('rewards.from')} value={from} onChange={setFrom} />
              <JalaliDateInput label={t('rewards.until')} value={to} onChange={setTo} />
            </SimpleGrid>
            {check && (
              <Alert variant="light" color={check.ok ? 'teal' : 'red'} icon={check.ok ? <IconCheck /> : <IconAlert />} title={check.ok ? t('rules.valid') : t('error.invalid_expression')}>
                {check.text ? (
                  <Text size="sm" dir="ltr" ff="monospace">
                    {check.text}
                  </Text>
                ) : null}
              </Alert>
            )}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack gap="md">
            <Card withBorder bg="var(--mantine-color-gray-0)">
              <Title order={4} fz="sm" mb="sm">
                {t('rules.simulate')}
              </Title>
              <Stack gap="sm">
                {trigger === 'purchase' && (
                  <TextInput
                    label={t('rules.sampleAmount')}
                    value={f.digits(sampleRials)}
                    onChange={(e) => setSampleRials(normalizeDigits(e.currentTarget.value).replace(/\D/g, ''))}
                    inputMode="numeric"
                    rightSection={<Text size="xs" c="dimmed">{t('unit.rialName')}</Text>}
                    rightSectionWidth={48}
                  />
                )}
                <Group justify="space-between">
                  <Text size="sm">{t('rules.thisRuleGives')}</Text>
                  <Text fw={800} fz="xl" className="vafa-num" data-testid="sim-points">
                    {f.num(draftPoints)}
                  </Text>
                </Group>
                {sim && (
                  <Stack gap={4}>
                    {sim.trace.map((x, i) => (
                      <Group key={i} gap={6} wrap="nowrap">
                        <Badge size="xs" color={x.fired ? 'teal' : 'gray'} variant="light" tt="none">
                          {x.draft ? t('rules.thisRule') : x.ruleId}
                        </Badge>
                        <Text size="xs" c="dimmed">
                          {hasMessage(`rules.reason.${x.reason}`) ? t(`rules.reason.${x.reason}` as never) : x.reason}
                          {x.detail ? <bdi dir="ltr">{` — ${x.detail}`}</bdi> : ''}
                        </Text>
                      </Group>
                    ))}
                    <Text size="xs" c="dimmed" mt={4}>
                      {t('rules.totalWithLive', { n: f.num(sim.totals.points ?? 0) })}
                    </Text>
                  </Stack>
                )}
                <Text size="xs" c="dimmed">
                  {t('rules.celHelp')}
                </Text>
              </Stack>
            </Card>
            <BacktestPanel draft={draft} disabled={check?.ok === false} />
          </Stack>
        </Grid.Col>
      </Grid>
      <Group justify="flex-end" mt="lg">
        <Button variant="default" onClick={onCancel}>
          {t('common.cancel')}
        </Button>
        <Button type="submit" loading={busy} disabled={!nameFa.trim() || check?.ok === false}>
          {t('rules.save')}
        </Button>
      </Group>
    </form>
  );
}
