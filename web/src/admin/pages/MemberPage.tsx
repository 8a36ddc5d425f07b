import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import {
  Anchor,
  Avatar,
  Badge,
  Button,
  Card,
  Grid,
  Group,
  Modal,
  RingProgress,
  SegmentedControl,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { qs } from '../../shared/api';
import { confirmAction } from '../../shared/confirm';
import { normalizeDigits } from '../../shared/digits';
import { useCursorPages, useQuery } from '../../shared/hooks';
import { isolate, useI18n, type MessageKey } from '../../shared/i18n';
import { IconAdjust, IconUser, IconChevronStart, IconCoins, IconHistory, IconHourglass, IconShare, IconTiers, IconWallet } from '../../shared/icons';
import type { Balance, HistoryEntry, Member, Page } from '../../shared/types';
import { CodeText, EmptyBlock, ErrorAlert, Ltr, MobileText, Pager, SignedPoints, StatCard, TableSkeleton } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { MemberForm } from '../components/MemberForm';
import { StatusBadge, memberName } from '../components/member-bits';
import { useAdmin } from '../session';
import { MemberReferralsTab, MemberTierTab } from '../components/MemberTierReferrals';

export const KIND_KEYS: Record<string, MessageKey> = {
  earn: 'kind.earn',
  spend: 'kind.spend',
  hold: 'kind.hold',
  capture: 'kind.capture',
  release: 'kind.release',
  reverse: 'kind.reverse',
  expire: 'kind.expire',
  adjust: 'kind.adjust',
  transfer_in: 'kind.transfer_in',
  transfer_out: 'kind.transfer_out',
  convert: 'kind.convert',
};

export default function MemberPage() {
  const { id = '' } = useParams();
  const { t, dir } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const [editing, setEditing] = useState(false);
  const member = useQuery<Member>(`member|${id}`, (signal) => client.get<Member>(`/api/v1/members/${id}`, signal));
  const balance = useQuery<Balance>(`balance|${id}`, (signal) => client.get<Balance>(`/api/v1/members/${id}/balance`, signal));
  const [historyKey, setHistoryKey] = useState(0);
  const [unit, setUnit] = useState<'points' | 'rials'>('points');
  const history = useCursorPages<HistoryEntry>(`history|${id}|${unit}|${historyKey}`, (cursor, signal) =>
    client.get<Page<HistoryEntry>>(`/api/v1/members/${id}/history${qs({ unit, cursor, limit: 20 })}`, signal),
  );
  const m = member.data;
  const b = balance.data;
  const flip = dir === 'rtl' ? -1 : 1;

  const back = (
    <Anchor component={Link} to="/members" size="sm" c="dimmed">
      <Group gap={4} wrap="nowrap">
        <IconChevronStart size={16} style={{ transform: `scaleX(${flip})` }} />
        {t('members.title')}
      </Group>
    </Anchor>
  );

  if (member.error) {
    return (
      <Stack>
        {back}
        <ErrorAlert error={member.error} onRetry={member.reload} />
      </Stack>
    );
  }

  const refreshLedger = () => {
    balance.reload();
    setHistoryKey((k) => k + 1);
  };

  return (
    <>
      <Stack gap={4} mb="lg">
        {back}
        <Group justify="space-between" align="center" wrap="wrap">
          {m ? (
            <Group gap="md" wrap="nowrap">
              <Avatar size={56} radius="xl" color="brand" variant="light">
                <IconUser size={28} />
              </Avatar>
              <div>
                <Group gap="xs">
                  <Title order={2} fz={24}>
                    {memberName(m) || t('member.unnamed')}
                  </Title>
                  <StatusBadge status={m.status} />
                  {m.tier && (
                    <Badge variant="light" color="yellow">
                      {m.tier}
                    </Badge>
                  )}
                </Group>
                <Group gap="md" mt={4}>
                  <Text size="sm" c="dimmed">
                    <MobileText value={m.mobile || m.mobileMasked} />
                  </Text>
                  {m.customerNo && (
                    <Text size="sm" c="dimmed">
                      {t('member.customerNo')}: <CodeText value={m.customerNo} />
                    </Text>
                  )}
                </Group>
              </div>
            </Group>
          ) : (
            <Skeleton height={56} width={320} />
          )}
          {m && can('write') && (
            <Button variant="default" onClick={() => setEditing(true)}>
              {t('member.edit')}
            </Button>
          )}
        </Group>
      </Stack>

      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Stack gap="md">
            {balance.error ? <ErrorAlert error={balance.error} onRetry={balance.reload} /> : null}
            <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="md">
              <StatCard label={t('balance.available')} value={f.num(b?.points.available ?? 0)} hint={t('balance.total', { n: f.num(b?.points.balance ?? 0) })} icon={<IconCoins />} loading={balance.loading} />
              <StatCard label={t('balance.pending')} value={f.num(b?.points.pending ?? 0)} hint={t('balance.pendingHint')} icon={<IconHourglass />} color="orange" loading={balance.loading} />
              <StatCard label={t('balance.wallet')} value={f.money(b?.walletRials ?? 0)} icon={<IconWallet />} color="grape" loading={balance.loading} />
            </SimpleGrid>
            {b && b.points.expiringSoon.length > 0 && (
              <Card py="sm">
                <Group gap="xs" wrap="wrap">
                  <Text size="sm" fw={600}>
                    {t('balance.expiringSoon')}:
                  </Text>
                  {b.points.expiringSoon.map((x, i) => (
                    <Badge key={i} variant="light" color="orange" size="lg">
                      {t('balance.expiringItem', { n: f.num(x.points), date: f.date(x.expiresAt) })}
                    </Badge>
                  ))}
                </Group>
              </Card>
            )}

            <Card p={0}>
              <Tabs defaultValue="history" keepMounted={false}>
                <Tabs.List px="md" pt="xs">
                  <Tabs.Tab value="history" leftSection={<IconHistory size={16} />}>
                    {t('member.tab.history')}
                  </Tabs.Tab>
                  {can('write') && (
                    <Tabs.Tab value="adjust" leftSection={<IconAdjust size={16} />}>
                      {t('member.tab.adjust')}
                    </Tabs.Tab>
                  )}
                  <Tabs.Tab value="tiers" leftSection={<IconTiers size={16} />}>
                    {t('member.tab.tiers')}
                  </Tabs.Tab>
                  <Tabs.Tab value="referrals" leftSection={<IconShare size={16} />}>
                    {t('member.tab.referrals')}
                  </Tabs.Tab>
                </Tabs.List>
                <Tabs.Panel value="history" p="md">
                  <SegmentedControl
                    mb="md"
                    size="xs"
                    aria-label={t('history.unit')}
                    value={unit}
                    onChange={(v) => setUnit(v as 'points' | 'rials')}
                    data={[
                      { value: 'points', label: t('history.unitPoints') },
                      { value: 'rials', label: t('history.unitWallet') },
                    ]}
                  />
                  {history.error ? (
                    <ErrorAlert error={history.error} onRetry={history.reload} />
                  ) : history.loading && !history.data ? (
                    <TableSkeleton cols={5} rows={5} />
                  ) : (history.data?.items.length ?? 0) === 0 ? (
                    <EmptyBlock icon={<IconHistory size={28} />} title={t('history.empty')} description={t('history.emptyHint')} />
                  ) : (
                    <Table.ScrollContainer minWidth={640}>
                      <Table>
                        <Table.Thead>
                          <Table.Tr>
                            <Table.Th>{t('history.when')}</Table.Th>
                            <Table.Th>{t('history.kind')}</Table.Th>
                            <Table.Th>{t('history.memo')}</Table.Th>
                            <Table.Th ta="end">{t('history.amount')}</Table.Th>
                            <Table.Th ta="end">{t('history.balanceAfter')}</Table.Th>
                          </Table.Tr>
                        </Table.Thead>
                        <Table.Tbody>
                          {history.data!.items.map((h) => (
                            <Table.Tr key={h.entryId}>
                              <Table.Td>
                                <Text size="sm" className="vafa-num">
                                  {f.date(h.at, 'dateTime')}
                                </Text>
                              </Table.Td>
                              <Table.Td>
                                <Badge variant="light" color={h.amount >= 0 ? 'teal' : 'red'} size="sm">
                                  {KIND_KEYS[h.kind] ? t(KIND_KEYS[h.kind]) : h.kind}
                                </Badge>
                              </Table.Td>
                              <Table.Td>
                                <Text size="sm" c={h.memo ? undefined : 'dimmed'} lineClamp={2}>
                                  {h.memo || '—'}
                                </Text>
                              </Table.Td>
                              <Table.Td ta="end">
                                {h.unit === 'points' ? <SignedPoints amount={h.amount} /> : <Text size="sm">{f.money(h.amount)}</Text>}
                              </Table.Td>
                              <Table.Td ta="end">
                                <Text size="sm" fw={500} className="vafa-num">
                                  {h.balanceAfter === null ? '—' : h.unit === 'points' ? f.num(h.balanceAfter) : f.money(h.balanceAfter)}
                                </Text>
                              </Table.Td>
                            </Table.Tr>
                          ))}
                        </Table.Tbody>
                      </Table>
                    </Table.ScrollContainer>
                  )}
                  <Pager page={history.page} hasPrev={history.hasPrev} hasNext={history.hasNext} onPrev={history.prev} onNext={history.next} />
                </Tabs.Panel>
                {can('write') && (
                  <Tabs.Panel value="adjust" p="md">
                    {m && <AdjustForm member={m} available={b?.points.available ?? 0} onDone={refreshLedger} />}
                  </Tabs.Panel>
                )}
                <Tabs.Panel value="tiers" p="md">
                  <MemberTierTab memberId={id} />
                </Tabs.Panel>
                <Tabs.Panel value="referrals" p="md">
                  <MemberReferralsTab memberId={id} />
                </Tabs.Panel>
              </Tabs>
            </Card>
          </Stack>
        </Grid.Col>

        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Card>
            <Title order={3} fz="md" mb="md">
              {t('member.profile')}
            </Title>
            {!m ? (
              <Stack>
                <Skeleton height={90} circle mx="auto" />
                <Skeleton height={14} />
                <Skeleton height={14} />
                <Skeleton height={14} />
              </Stack>
            ) : (
              <Stack gap="md">
                <Group gap="md" wrap="nowrap">
                  <RingProgress
                    size={84}
                    thickness={8}
                    roundCaps
                    sections={[{ value: m.profileCompleteness, color: 'brand' }]}
                    label={
                      <Text ta="center" fw={700} size="sm" className="vafa-num">
                        {f.percent(m.profileCompleteness / 100)}
                      </Text>
                    }
                  />
                  <div>
                    <Text fw={600} size="sm">
                      {t('member.profileCompleteness')}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {t('member.profileCompletenessHint')}
                    </Text>
                  </div>
                </Group>
                <Field label={t('member.nationalCode')}>
                  <CodeText value={m.nationalCodeMasked} />
                </Field>
                <Field label={t('member.birthDate')}>{f.dateOnly(m.birthDate)}</Field>
                <Field label={t('member.city')}>{m.city || '—'}</Field>
                <Field label={t('member.gender')}>{m.gender ? t(`gender.${m.gender}` as MessageKey) : '—'}</Field>
                <Field label={t('member.maritalStatus')}>{m.maritalStatus ? t(`marital.${m.maritalStatus}` as MessageKey) : '—'}</Field>
                <Field label={t('member.email')}>{m.email ? <Ltr>{m.email}</Ltr> : '—'}</Field>
                <Field label={t('member.education')}>{m.education || '—'}</Field>
                <Field label={t('member.interests')}>{m.interests?.length ? m.interests.join('، ') : '—'}</Field>
                <Field label={t('member.groups')}>
                  {m.groups.length ? (
                    <Group gap={4}>
                      {m.groups.map((g) => (
                        <Badge key={g} variant="light" color="gray" size="sm" tt="none">
                          {g}
                        </Badge>
                      ))}
                    </Group>
                  ) : (
                    '—'
                  )}
                </Field>
                <Field label={t('member.consent')}>
                  <Group gap={4}>
                    {(['sms', 'email', 'marketing'] as const).map((c) => (
                      <Badge key={c} variant={m.consent[c] ? 'light' : 'outline'} color={m.consent[c] ? 'teal' : 'gray'} size="sm">
                        {t(`member.consent.${c}`)}
                      </Badge>
                    ))}
                  </Group>
                </Field>
                <Field label={t('member.referralCode')}>
                  <CodeText value={m.referralCode} />
                </Field>
                <Field label={t('member.joined')}>{f.date(m.createdAt)}</Field>
              </Stack>
            )}
          </Card>
        </Grid.Col>
      </Grid>

      <Modal opened={editing} onClose={() => setEditing(false)} title={<Text fw={700}>{t('member.edit')}</Text>} size="lg" radius="lg">
        {m && (
          <MemberForm
            member={m}
            onCancel={() => setEditing(false)}
            onSubmit={async (body) => {
              const next = await client.patch<Member>(`/api/v1/members/${m.id}`, body);
              member.setData(next);
              setEditing(false);
              notifications.show({ color: 'teal', message: t('common.saved') });
            }}
          />
        )}
      </Modal>
    </>
  );
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Group justify="space-between" wrap="nowrap" gap="md" align="flex-start">
      <Text size="sm" c="dimmed" style={{ flexShrink: 0 }}>
        {label}
      </Text>
      <Text size="sm" fw={500} component="div" ta="end">
        {children}
      </Text>
    </Group>
  );
}

function AdjustForm({ member, available, onDone }: { member: Member; available: number; onDone: () => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [direction, setDirection] = useState<'add' | 'deduct'>('add');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // One key per intended adjustment: a retry after a lost answer cannot apply it twice.
  const [idemKey, setIdemKey] = useState(() => crypto.randomUUID());

  const n = /^\d+$/.test(amount) ? Number(amount) : NaN;
  const amountError = touched && !(n > 0) ? t('adjust.amountInvalid') : direction === 'deduct' && n > available ? t('adjust.moreThanAvailable', { n: f.num(available) }) : undefined;
  const reasonError = touched && reason.trim().length < 3 ? t('adjust.reasonRequired') : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!(n > 0) || reason.trim().length < 3) return;
    const signed = direction === 'add' ? n : -n;
    const ok = await confirmAction({
      title: t('adjust.confirmTitle'),
      body: t(direction === 'add' ? 'adjust.confirmAdd' : 'adjust.confirmDeduct', { n: f.num(n), name: isolate(memberName(member) || t('member.unnamed')), reason: isolate(reason.trim()) }),
      confirmLabel: t('adjust.confirm'),
      danger: direction === 'deduct',
    });
    if (!ok) return;
    setBusy(true);
    setError(null);
    try {
      await client.post(`/api/v1/members/${member.id}/adjustments`, { points: signed, reason: reason.trim() }, { 'idempotency-key': idemKey });
      setIdemKey(crypto.randomUUID());
      notifications.show({ color: 'teal', message: t('adjust.done') });
      setAmount('');
      setReason('');
      setTouched(false);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md" maw={520}>
        <Text size="sm" c="dimmed">
          {t('adjust.intro')}
        </Text>
        {error ? <ErrorAlert error={error} /> : null}
        <div>
          <Text size="sm" fw={500} mb={6} id="adjust-direction">
            {t('adjust.direction')}
          </Text>
          <SegmentedControl
            aria-labelledby="adjust-direction"
            value={direction}
            onChange={(v) => setDirection(v as 'add' | 'deduct')}
            data={[
              { value: 'add', label: t('adjust.add') },
              { value: 'deduct', label: t('adjust.deduct') },
            ]}
          />
        </div>
        <TextInput
          label={t('adjust.points')}
          value={f.digits(amount)}
          onChange={(e) => setAmount(normalizeDigits(e.currentTarget.value).replace(/[^\d]/g, ''))}
          inputMode="numeric"
          required
          error={amountError}
          dir="ltr"
          styles={{ input: { textAlign: f.locale === 'fa' ? 'right' : 'left' } }}
          autoComplete="off"
        />
        <Textarea
          label={t('adjust.reason')}
          description={t('adjust.reasonHint')}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          required
          autosize
          minRows={2}
          error={reasonError}
        />
        <Group>
          <Button type="submit" loading={busy} color={direction === 'deduct' ? 'red' : undefined}>
            {t(direction === 'add' ? 'adjust.submitAdd' : 'adjust.submitDeduct')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
