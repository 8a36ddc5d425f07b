import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { Alert, Anchor, Badge, Button, Card, Grid, Group, List, Select, SimpleGrid, Stack, Table, Tabs, Text, TextInput, ThemeIcon, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { qs } from '../../shared/api';
import { confirmAction } from '../../shared/confirm';
import { normalizeDigits } from '../../shared/digits';
import { PhaseBadge, RefText, audienceText, categoryValue, eventLabel, indicatorText, windowText } from '../../shared/festival';
import { useQuery } from '../../shared/hooks';
import { isolate, useI18n } from '../../shared/i18n';
import { IconChevronStart, IconConfetti, IconCopy, IconEdit, IconMedal, IconSearch, IconTarget, IconTicket, IconTrophy, IconUsers } from '../../shared/icons';
import type { Festival, Leaderboard, Member, Page, Standing, TopPerformers } from '../../shared/types';
import { EmptyBlock, ErrorAlert, MobileText, PageHeader, StatCard, TableSkeleton, problemText } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';
import { memberName } from '../components/member-bits';
import { FestivalDraws } from '../components/FestivalDraws';
import { FestivalCancelModal, FestivalEditModal, ParticipantList } from '../components/FestivalManage';
import { MemberLinkCell } from '../components/MemberLinkCell';

const TABS = ['overview', 'participants', 'leaderboard', 'draws', 'top'] as const;
type Tab = (typeof TABS)[number];

export default function FestivalPage() {
  const { id = '' } = useParams();
  const { t, dir } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const [params, setParams] = useSearchParams();
  const tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'overview';
  const q = useQuery<Festival>(`festival|${id}`, (signal) => client.get<Festival>(`/api/v1/festivals/${id}`, signal));
  const fe = q.data;
  const [editing, setEditing] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [version, setVersion] = useState(0);
  const changed = (next: Festival) => {
    q.setData({ ...fe!, ...next });
    setVersion((n) => n + 1);
  };

  const back = (
    <Anchor component={Link} to="/festivals" size="sm" c="dimmed">
      <Group gap={4}>
        <IconChevronStart size={14} style={{ transform: `scaleX(${dir === 'rtl' ? -1 : 1})` }} />
        {t('nav.festivals')}
      </Group>
    </Anchor>
  );
  if (q.error) return <ErrorAlert error={q.error} onRetry={q.reload} />;
  if (!fe) return <TableSkeleton rows={6} cols={3} />;

  return (
    <>
      <PageHeader
        back={back}
        title={
          <Group gap="sm" component="span">
            {f.name(fe.name)}
            <PhaseBadge phase={fe.phase} status={fe.status} size="lg" />
          </Group>
        }
        subtitle={[windowText(fe.window, f, t), audienceText(fe.audience, t), t(`festival.enrolment.${fe.enrolment}`)].join(t('common.sep'))}
        actions={
          can('write') && (
            <Group gap="sm">
              {fe.status === 'active' && (
                <Button variant="default" leftSection={<IconEdit size={16} />} onClick={() => setEditing(true)} data-testid="festival-edit-open">
                  {t('festival.edit.open')}
                </Button>
              )}
              <Button component={Link} to={`/festivals/new?from=${fe.id}`} variant="default" leftSection={<IconCopy size={16} />}>
                {t('festival.duplicate')}
              </Button>
              {fe.status === 'active' && fe.phase !== 'closed' && (
                <Button variant="light" color="red" onClick={() => setCancelling(true)} data-testid="festival-cancel-open">
                  {t('festival.cancel.open')}
                </Button>
              )}
            </Group>
          )
        }
      />
      {fe.status === 'cancelled' && (
        <Alert color="red" variant="light" mb="md" title={t('festival.cancelled')}>
          {t('festival.cancelledHint')}
        </Alert>
      )}
      <FestivalEditModal festival={fe} opened={editing} onClose={() => setEditing(false)} onSaved={changed} />
      <FestivalCancelModal festival={fe} opened={cancelling} onClose={() => setCancelling(false)} onDone={changed} />
      <Tabs value={tab} onChange={(v) => setParams(v && v !== 'overview' ? { tab: v } : {}, { replace: true })} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="overview" leftSection={<IconConfetti size={16} />}>
            {t('festival.tab.overview')}
          </Tabs.Tab>
          <Tabs.Tab value="participants" leftSection={<IconUsers size={16} />}>
            {t('festival.tab.participants')}
          </Tabs.Tab>
          <Tabs.Tab value="leaderboard" leftSection={<IconMedal size={16} />}>
            {t('festival.tab.leaderboard')}
          </Tabs.Tab>
          <Tabs.Tab value="draws" leftSection={<IconTicket size={16} />}>
            {t('festival.tab.draws')}
          </Tabs.Tab>
          <Tabs.Tab value="top" leftSection={<IconTrophy size={16} />}>
            {t('festival.tab.top')}
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview">
          <Overview festival={fe} />
        </Tabs.Panel>
        <Tabs.Panel value="participants">
          <Participants festival={fe} version={version} />
        </Tabs.Panel>
        <Tabs.Panel value="leaderboard">
          <Board festival={fe} />
        </Tabs.Panel>
        <Tabs.Panel value="draws">
          <FestivalDraws festival={fe} />
        </Tabs.Panel>
        <Tabs.Panel value="top">
          <Top festival={fe} />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

function categoryName(fe: Festival, key: string, f: ReturnType<typeof useFormat>, t: ReturnType<typeof useI18n>['t']): string {
  if (key === 'score') return t('festival.category.score');
  const c = fe.categories.find((x) => x.key === key);
  return c ? (c.name ? f.name(c.name) : eventLabel(c.eventType, t)) : key;
}

function Overview({ festival: fe }: { festival: Festival }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const board = useQuery<Leaderboard>(`board|${fe.id}|score|1`, (signal) => client.get<Leaderboard>(`/api/v1/festivals/${fe.id}/leaderboard${qs({ limit: 1 })}`, signal));
  const draws = useQuery<number>(`draws-count|${fe.id}`, (signal) => client.get<{ items: unknown[] }>(`/api/v1/festivals/${fe.id}/draws`, signal).then((r) => r.items.length));
  const daysLeft = Math.max(0, Math.ceil((Date.parse(fe.window.endsAt) - Date.now()) / 86_400_000));
  const daysToStart = Math.max(0, Math.ceil((Date.parse(fe.window.startsAt) - Date.now()) / 86_400_000));
  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 1, xs: 2, lg: 4 }}>
        <StatCard label={t('festival.ranked')} value={f.num(board.data?.ranked ?? 0)} hint={t('festival.rankedHint')} icon={<IconUsers />} loading={board.loading} />
        <StatCard label={t('festival.topScore')} value={f.num(board.data?.items[0]?.value ?? 0)} icon={<IconMedal />} color="yellow" loading={board.loading} />
        <StatCard label={t('festival.tab.draws')} value={f.num(draws.data ?? 0)} icon={<IconTicket />} color="grape" loading={draws.loading} />
        <StatCard
          label={fe.phase === 'upcoming' ? t('festival.startsIn') : t('festival.daysLeft')}
          value={fe.phase === 'closed' ? t('festival.phase.closed') : t('festival.days', { n: f.num(fe.phase === 'upcoming' ? daysToStart : daysLeft) })}
          icon={<IconTarget />}
          color="blue"
        />
      </SimpleGrid>
      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Card h="100%">
            <Title order={3} fz="md" mb="sm">
              {t('festival.form.indicators')}
            </Title>
            <List spacing="xs" size="sm" icon={<ThemeIcon size={20} radius="xl" variant="light"><IconTarget size={12} /></ThemeIcon>}>
              {fe.indicators.map((ind, i) => (
                <List.Item key={i}>{indicatorText(ind, f, t)}</List.Item>
              ))}
            </List>
            {fe.staking && (
              <Alert mt="md" variant="light" color="grape" title={t('festival.form.staking')}>
                {t('festival.stakeRule', { n: f.num(fe.staking.pointsPerChance) })}
              </Alert>
            )}
            {f.name(fe.description) && (
              <Text size="sm" mt="md" c="dimmed">
                {f.name(fe.description)}
              </Text>
            )}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card h="100%">
            <Title order={3} fz="md" mb="sm">
              {t('festival.form.categories')}
            </Title>
            <Stack gap={6}>
              {['score', ...fe.categories.map((c) => c.key)].map((k) => (
                <Group key={k} justify="space-between">
                  <Text size="sm">{categoryName(fe, k, f, t)}</Text>
                  <Badge variant="light" color="gray" tt="none">
                    {k === 'score' ? t('festival.category.builtIn') : t(fe.categories.find((c) => c.key === k)?.measure === 'amount' ? 'festival.measure.amount' : 'festival.measure.count')}
                  </Badge>
                </Group>
              ))}
            </Stack>
            <Title order={3} fz="md" mt="lg" mb="sm">
              {t('festival.form.top')}
            </Title>
            {fe.topPerformers.length === 0 ? (
              <Text size="sm" c="dimmed">
                {t('festival.noTopRules')}
              </Text>
            ) : (
              <Stack gap={6}>
                {fe.topPerformers.map((r, i) => (
                  <Text size="sm" key={i}>
                    {t(r.count === 1 ? 'festival.topRuleOne' : 'festival.topRule', { n: f.num(r.count), category: categoryName(fe, r.category, f, t), prize: r.prize ? f.name(r.prize) : '—' })}
                  </Text>
                ))}
              </Stack>
            )}
          </Card>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

const valueText = categoryValue;

function RankCell({ rank }: { rank: number }) {
  const f = useFormat();
  const color = rank === 1 ? 'yellow' : rank === 2 ? 'gray' : rank === 3 ? 'orange' : undefined;
  return color ? (
    <Badge color={color} variant={rank === 1 ? 'filled' : 'light'} circle size="lg" className="vafa-num">
      {f.num(rank)}
    </Badge>
  ) : (
    <Text span fw={600} className="vafa-num" px={8}>
      {f.num(rank)}
    </Text>
  );
}

function BoardTable({ festival: fe, board, memberLinks = true }: { festival: Festival; board: Leaderboard; memberLinks?: boolean }) {
  const { t } = useI18n();
  const f = useFormat();
  return (
    <Table.ScrollContainer minWidth={520}>
      <Table data-testid="leaderboard">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={70}>{t('draw.rank')}</Table.Th>
            <Table.Th>{t('draw.entry')}</Table.Th>
            <Table.Th ta="end">{categoryName(fe, board.category, f, t)}</Table.Th>
            {memberLinks && <Table.Th />}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {board.items.map((r) => (
            <Table.Tr key={r.ref}>
              <Table.Td>
                <RankCell rank={r.rank} />
              </Table.Td>
              <Table.Td>
                <RefText value={r.ref} />
              </Table.Td>
              <Table.Td ta="end" className="vafa-num" fw={600}>
                {valueText(fe, board.category, r.value, f)}
              </Table.Td>
              {memberLinks && (
                <MemberLinkCell memberId={r.memberId} />
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function Board({ festival: fe }: { festival: Festival }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [category, setCategory] = useState('score');
  const q = useQuery<Leaderboard>(`board|${fe.id}|${category}`, (signal) => client.get<Leaderboard>(`/api/v1/festivals/${fe.id}/leaderboard${qs({ category, limit: 100 })}`, signal));
  const options = ['score', ...fe.categories.map((c) => c.key)].map((k) => ({ value: k, label: categoryName(fe, k, f, t) }));
  return (
    <Card p={0}>
      <Group p="md" justify="space-between">
        <Select w={260} aria-label={t('festival.form.category')} value={category} onChange={(v) => v && setCategory(v)} data={options} allowDeselect={false} />
        {q.data && (
          <Text size="sm" c="dimmed">
            {t('festival.rankedOf', { n: f.num(q.data.ranked) })}
          </Text>
        )}
      </Group>
      {q.error ? (
        <div style={{ padding: 16 }}>
          <ErrorAlert error={q.error} onRetry={q.reload} />
        </div>
      ) : q.loading ? (
        <TableSkeleton rows={5} cols={3} />
      ) : !q.data || q.data.items.length === 0 ? (
        <EmptyBlock icon={<IconMedal size={28} />} title={t('festival.boardEmpty')} description={t('festival.boardEmptyHint')} />
      ) : (
        <BoardTable festival={fe} board={q.data} />
      )}
    </Card>
  );
}

function Participants({ festival: fe, version }: { festival: Festival; version: number }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const [search, setSearch] = useState('');
  const [found, setFound] = useState<Member[] | null>(null);
  const [picked, setPicked] = useState<Member | null>(null);
  const [busy, setBusy] = useState(false);
  const [syncing, setSyncing] = useState(false);
  const [enrolled, setEnrolled] = useState(0);
  const standing = useQuery<Standing | null>(picked ? `standing|${fe.id}|${picked.id}` : null, (signal) => client.get<Standing>(`/api/v1/festivals/${fe.id}/members/${picked!.id}`, signal));

  const find = async (e: FormEvent) => {
    e.preventDefault();
    const q = normalizeDigits(search).trim();
    if (!q) return;
    setBusy(true);
    try {
      const r = await client.get<Page<Member>>(`/api/v1/members${qs({ q, limit: 5 })}`);
      setFound(r.items);
      setPicked(r.items.length === 1 ? r.items[0]! : null);
    } catch (err) {
      notifications.show({ color: 'red', message: problemText(err, t).title });
    } finally {
      setBusy(false);
    }
  };

  const enrol = async (m: Member) => {
    setBusy(true);
    try {
      await client.post(`/api/v1/festivals/${fe.id}/participants`, { memberId: m.id }, { 'idempotency-key': crypto.randomUUID() });
      notifications.show({ color: 'teal', message: t('festival.enrolled', { name: isolate(memberName(m) || m.mobileMasked) }) });
      standing.reload();
      setEnrolled((n) => n + 1);
    } catch (err) {
      notifications.show({ color: 'red', message: problemText(err, t).title });
    } finally {
      setBusy(false);
    }
  };

  const sync = async () => {
    const ok = await confirmAction({ title: t('festival.syncTitle'), body: t('festival.syncBody'), confirmLabel: t('festival.sync') });
    if (!ok) return;
    setSyncing(true);
    try {
      const r = await client.post<{ enrolled: number }>(`/api/v1/festivals/${fe.id}/enrolment/sync`, { full: true });
      notifications.show({ color: 'teal', message: t('festival.synced', { n: f.num(r.enrolled) }) });
      setEnrolled((n) => n + 1);
    } catch (err) {
      notifications.show({ color: 'red', message: problemText(err, t).title });
    } finally {
      setSyncing(false);
    }
  };

  const s = standing.data;
  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, lg: 5 }}>
        <Stack gap="md">
          <Card>
            <Title order={3} fz="md">
              {t('festival.findMember')}
            </Title>
            <Text size="sm" c="dimmed" mb="sm">
              {t('festival.findMemberHint')}
            </Text>
            <form onSubmit={find}>
              <Group gap="xs" align="flex-end" wrap="nowrap">
                <TextInput aria-label={t('members.search')} placeholder={t('members.searchPlaceholder')} value={search} onChange={(e) => setSearch(e.currentTarget.value)} leftSection={<IconSearch size={16} />} style={{ flex: 1 }} />
                <Button type="submit" variant="light" loading={busy && !picked}>
                  {t('festival.find')}
                </Button>
              </Group>
            </form>
            {found && found.length === 0 && (
              <Text size="sm" c="dimmed" mt="sm">
                {t('festival.noMatch')}
              </Text>
            )}
            {found && found.length > 1 && (
              <Stack gap={4} mt="sm">
                {found.map((m) => (
                  <Button key={m.id} variant={picked?.id === m.id ? 'light' : 'subtle'} justify="space-between" onClick={() => setPicked(m)} rightSection={<MobileText value={m.mobile} />}>
                    {(memberName(m) || m.mobileMasked)}
                  </Button>
                ))}
              </Stack>
            )}
            {picked && (
              <Card withBorder mt="md" padding="md" bg="gray.0" data-testid="member-standing">
                <Group justify="space-between" wrap="nowrap">
                  <div>
                    <Anchor component={Link} to={`/members/${picked.id}`} fw={600}>
                      {(memberName(picked) || picked.mobileMasked)}
                    </Anchor>
                    <Text size="sm" c="dimmed">
                      <MobileText value={picked.mobile} />
                    </Text>
                  </div>
                  {s && !s.joined && can('write') && fe.phase !== 'closed' && fe.status === 'active' && (
                    <Button size="xs" onClick={() => enrol(picked)} loading={busy}>
                      {t('festival.enrol')}
                    </Button>
                  )}
                </Group>
                {standing.error ? (
                  <ErrorAlert error={standing.error} />
                ) : !s ? null : !s.joined ? (
                  <Text size="sm" mt="sm">
                    {t('festival.notJoined')}
                  </Text>
                ) : (
                  <Stack gap={6} mt="sm">
                    <Group justify="space-between">
                      <Text size="sm" c="dimmed">
                        {t('draw.entry')}
                      </Text>
                      <RefText value={s.entryRef} />
                    </Group>
                    {Object.entries(s.ranks).map(([k, r]) => (
                      <Group key={k} justify="space-between">
                        <Text size="sm" c="dimmed">
                          {categoryName(fe, k, f, t)}
                        </Text>
                        <Text size="sm" fw={600} className="vafa-num">
                          {valueText(fe, k, r.value, f)}
                          {r.rank ? `${t('common.sep')}${t('festival.rankOf', { rank: f.num(r.rank), n: f.num(r.ranked) })}` : ''}
                        </Text>
                      </Group>
                    ))}
                    {s.draws.map((d) => {
                      const chances = d.myEntry ? d.myEntry.chances : d.status === 'scheduled' ? (d.chances.basis === 'staked' ? d.stakedChances : s.score >= d.minScore ? Math.floor(s.score / d.chances.pointsPerChance) : 0) : 0;
                      return (
                        <Group key={d.id} justify="space-between">
                          <Text size="sm" c="dimmed">
                            {f.name(d.title)}
                          </Text>
                          <Text size="sm" fw={600} className="vafa-num">
                            {t('festival.chancesIn', { n: f.num(chances) })}
                          </Text>
                        </Group>
                      );
                    })}
                    {s.wins.map((w) => (
                      <Badge key={w.drawId} color="yellow" variant="light" tt="none" size="lg">
                        {t('festival.wonRank', { rank: f.num(w.rank) })}
                        {w.prize ? `${t('common.sep')}${f.name(w.prize.title)}` : ''}
                      </Badge>
                    ))}
                  </Stack>
                )}
              </Card>
            )}
          </Card>
          {fe.enrolment === 'automatic' && can('write') && fe.phase !== 'closed' && fe.status === 'active' && (
            <Card>
              <Title order={3} fz="md">
                {t('festival.sync')}
              </Title>
              <Text size="sm" c="dimmed" my="sm">
                {t('festival.syncHint')}
              </Text>
              <Button variant="light" onClick={sync} loading={syncing}>
                {t('festival.sync')}
              </Button>
            </Card>
          )}
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, lg: 7 }}>
        <ParticipantList festival={fe} version={version + enrolled} />
      </Grid.Col>
    </Grid>
  );
}

function Top({ festival: fe }: { festival: Festival }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const q = useQuery<TopPerformers>(`top|${fe.id}`, (signal) => client.get<TopPerformers>(`/api/v1/festivals/${fe.id}/top-performers`, signal));
  const [busy, setBusy] = useState(false);
  const decide = async () => {
    const ok = await confirmAction({ title: t('festival.decideTitle'), body: t('festival.decideBody'), confirmLabel: t('festival.decide') });
    if (!ok) return;
    setBusy(true);
    try {
      q.setData(await client.post<TopPerformers>(`/api/v1/festivals/${fe.id}/top-performers`, {}));
    } catch (err) {
      notifications.show({ color: 'red', message: problemText(err, t).title });
    } finally {
      setBusy(false);
    }
  };
  if (fe.topPerformers.length === 0)
    return (
      <Card>
        <EmptyBlock icon={<IconTrophy size={28} />} title={t('festival.noTopRules')} description={t('festival.noTopRulesHint')} />
      </Card>
    );
  const d = q.data;
  return (
    <Stack gap="md">
      <Card>
        <Group justify="space-between" align="flex-start">
          <Stack gap={4}>
            {fe.topPerformers.map((r, i) => (
              <Text size="sm" key={i}>
                {t(r.count === 1 ? 'festival.topRuleOne' : 'festival.topRule', { n: f.num(r.count), category: categoryName(fe, r.category, f, t), prize: r.prize ? f.name(r.prize) : '—' })}
              </Text>
            ))}
            <Text size="xs" c="dimmed" mt={4}>
              {d?.decidedAt ? t('festival.decidedAt', { at: f.date(d.decidedAt, 'dateTime') }) : fe.phase === 'closed' ? t('festival.readyToDecide') : t('festival.decideAfter', { at: f.date(fe.window.endsAt, 'dateTime') })}
            </Text>
          </Stack>
          {can('write') && d && !d.decidedAt && (
            <Button leftSection={<IconTrophy size={16} />} onClick={decide} loading={busy} disabled={fe.phase !== 'closed'}>
              {t('festival.decide')}
            </Button>
          )}
        </Group>
      </Card>
      {q.error ? (
        <ErrorAlert error={q.error} onRetry={q.reload} />
      ) : d && d.items.length > 0 ? (
        <Card p={0}>
          <Table.ScrollContainer minWidth={620}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('festival.form.category')}</Table.Th>
                  <Table.Th>{t('draw.rank')}</Table.Th>
                  <Table.Th>{t('draw.entry')}</Table.Th>
                  <Table.Th ta="end">{t('festival.value')}</Table.Th>
                  <Table.Th>{t('festival.form.prize')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {d.items.map((r) => (
                  <Table.Tr key={`${r.category}-${r.rank}`}>
                    <Table.Td>{categoryName(fe, r.category, f, t)}</Table.Td>
                    <Table.Td>
                      <RankCell rank={r.rank} />
                    </Table.Td>
                    <Table.Td>
                      <RefText value={r.ref} />
                    </Table.Td>
                    <Table.Td ta="end" className="vafa-num">
                      {valueText(fe, r.category, r.value, f)}
                    </Table.Td>
                    <Table.Td>{r.prize ? f.name(r.prize) : '—'}</Table.Td>
                    <MemberLinkCell memberId={r.memberId} />
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Card>
      ) : d?.decidedAt ? (
        <Card>
          <EmptyBlock icon={<IconTrophy size={28} />} title={t('festival.noTop')} />
        </Card>
      ) : null}
    </Stack>
  );
}
