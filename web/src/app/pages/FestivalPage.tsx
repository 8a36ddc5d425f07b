import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { Anchor, Badge, Button, Card, Group, List, Paper, SegmentedControl, SimpleGrid, Skeleton, Stack, Table, Text, TextInput, ThemeIcon, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { qs } from '../../shared/api';
import { confirmAction } from '../../shared/confirm';
import { normalizeDigits } from '../../shared/digits';
import { DrawStatusBadge, PhaseBadge, RefText, categoryValue, chanceRuleText, eventLabel, indicatorText, windowText } from '../../shared/festival';
import { useQuery } from '../../shared/hooks';
import { isolate, useI18n } from '../../shared/i18n';
import { IconChevronStart, IconDice, IconMedal, IconTarget, IconTicket, IconTrophy } from '../../shared/icons';
import type { Balance, Festival, Leaderboard, Standing } from '../../shared/types';
import { ErrorAlert, problemText } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useMemberSession } from '../session';

type Fmt = ReturnType<typeof useFormat>;
type T = ReturnType<typeof useI18n>['t'];

function categoryName(fe: Festival, key: string, f: Fmt, t: T): string {
  if (key === 'score') return t('festival.category.score');
  const c = fe.categories.find((x) => x.key === key);
  return c ? (c.name ? f.name(c.name) : eventLabel(c.eventType, t)) : key;
}

export default function FestivalPage() {
  const { id = '' } = useParams();
  const { t, dir } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const q = useQuery<Standing>(`me-festival|${id}`, (signal) => client.get<Standing>(`/api/v1/me/festivals/${id}`, signal));
  const [joining, setJoining] = useState(false);
  const s = q.data;

  const join = async () => {
    if (!s) return;
    setJoining(true);
    try {
      await client.post(`/api/v1/me/festivals/${id}/join`, {}, { 'idempotency-key': crypto.randomUUID() });
      notifications.show({ color: 'teal', message: t('app.festival.joined', { name: isolate(f.name(s.festival.name)) }) });
      q.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    } finally {
      setJoining(false);
    }
  };

  const back = (
    <Anchor component={Link} to="/festivals" size="sm" c="dimmed">
      <Group gap={4}>
        <IconChevronStart size={14} style={{ transform: `scaleX(${dir === 'rtl' ? -1 : 1})` }} />
        {t('app.nav.festivals')}
      </Group>
    </Anchor>
  );
  if (q.error)
    return (
      <Stack>
        {back}
        <ErrorAlert error={q.error} onRetry={q.reload} />
      </Stack>
    );
  if (!s)
    return (
      <Stack>
        {back}
        <Skeleton height={180} radius="xl" />
        <Skeleton height={120} radius="lg" />
      </Stack>
    );
  const fe = s.festival;
  const rank = s.ranks.score;
  const canJoin = !s.joined && fe.phase !== 'closed';

  return (
    <Stack gap="md">
      {back}
      <Paper radius="xl" p="lg" c="white" style={{ background: 'linear-gradient(135deg, #f59e0b 0%, #db2777 100%)', boxShadow: '0 10px 30px -12px rgba(219,39,119,.5)' }}>
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <div style={{ minWidth: 0 }}>
            <Title order={1} fz={22} c="white">
              {f.name(fe.name)}
            </Title>
            <Text size="sm" style={{ opacity: 0.92 }}>
              {windowText(fe.window, f, t)}
            </Text>
          </div>
          <div style={{ flexShrink: 0 }}>
            <PhaseBadge phase={fe.phase} status={fe.status} />
          </div>
        </Group>
        {s.joined ? (
          <Group mt="lg" justify="space-between" align="flex-end">
            <div>
              <Text size="sm" style={{ opacity: 0.9 }}>
                {t('app.festival.myScore')}
              </Text>
              <Text fz={40} fw={800} lh={1.1} className="vafa-num" data-testid="festival-score">
                {f.num(s.score)}
              </Text>
            </div>
            <Stack gap={2} align="flex-end">
              <Text size="sm" style={{ opacity: 0.9 }}>
                {t('app.festival.myRank')}
              </Text>
              <Text fw={800} fz="xl" className="vafa-num" data-testid="festival-rank">
                {rank?.rank ? t('app.festival.rankValue', { rank: f.num(rank.rank), n: f.num(rank.ranked) }) : t('app.festival.notRanked')}
              </Text>
            </Stack>
          </Group>
        ) : (
          <Text mt="md" size="sm" style={{ opacity: 0.95 }}>
            {f.name(fe.description) || t('app.festival.joinPitch')}
          </Text>
        )}
        {s.joined && s.entryRef && (
          <Paper mt="md" radius="md" p="xs" px="sm" style={{ background: 'rgba(255,255,255,.18)' }} c="white">
            <Group justify="space-between" gap="xs">
              <Text size="xs">{t('app.festival.entryCode')}</Text>
              <Text size="sm" fw={700}>
                <RefText value={s.entryRef} />
              </Text>
            </Group>
          </Paper>
        )}
        {canJoin && (
          <Button mt="lg" fullWidth size="md" variant="white" color="pink" onClick={join} loading={joining}>
            {t('app.festival.join')}
          </Button>
        )}
      </Paper>

      {s.wins.map((w) => {
        const d = s.draws.find((x) => x.id === w.drawId);
        return (
          <Card key={w.drawId} padding="md" style={{ borderColor: 'var(--mantine-color-yellow-4)', background: 'var(--mantine-color-yellow-0)' }} data-testid="my-win">
            <Group gap="sm" wrap="nowrap" align="flex-start">
              <ThemeIcon size={44} radius="xl" color="yellow" variant="filled">
                <IconTrophy size={24} />
              </ThemeIcon>
              <div>
                <Text fw={800}>{t('app.festival.youWon', { rank: f.num(w.rank), draw: isolate(d ? f.name(d.title) : '') })}</Text>
                {w.prize && <Text size="sm">{t('app.festival.prize', { prize: isolate(f.name(w.prize.title)) })}</Text>}
                <Anchor component={Link} to={`/draws/${w.drawId}`} size="sm" fw={600}>
                  {t('app.draw.seeProof')}
                </Anchor>
              </div>
            </Group>
          </Card>
        );
      })}

      {s.joined && Object.keys(s.ranks).length > 1 && (
        <SimpleGrid cols={Object.keys(s.ranks).length > 2 ? 2 : 1} spacing="sm">
          {Object.entries(s.ranks)
            .filter(([k]) => k !== 'score')
            .map(([k, r]) => (
              <Card key={k} padding="sm">
                <Text size="xs" c="dimmed">
                  {categoryName(fe, k, f, t)}
                </Text>
                <Text fw={700} className="vafa-num">
                  {categoryValue(fe, k, r.value, f)}
                </Text>
                <Text size="xs" c="dimmed">
                  {r.rank ? t('festival.rankOf', { rank: f.num(r.rank), n: f.num(r.ranked) }) : t('app.festival.notRanked')}
                </Text>
              </Card>
            ))}
        </SimpleGrid>
      )}

      <Card padding="md">
        <Text fw={700} mb="xs">
          {t('app.festival.howToEarn')}
        </Text>
        <List spacing={6} size="sm" icon={<ThemeIcon size={20} radius="xl" variant="light" color="pink"><IconTarget size={12} /></ThemeIcon>}>
          {fe.indicators.map((ind, i) => (
            <List.Item key={i}>{indicatorText(ind, f, t)}</List.Item>
          ))}
        </List>
        {fe.topPerformers.length > 0 && (
          <Stack gap={4} mt="md">
            {fe.topPerformers.map((r, i) => (
              <Group gap={6} key={i} wrap="nowrap">
                <IconTrophy size={16} />
                <Text size="sm">{t(r.count === 1 ? 'festival.topRuleOne' : 'festival.topRule', { n: f.num(r.count), category: categoryName(fe, r.category, f, t), prize: r.prize ? f.name(r.prize) : '—' })}</Text>
              </Group>
            ))}
          </Stack>
        )}
      </Card>

      {s.joined && fe.staking && fe.phase === 'open' && s.draws.some((d) => d.chances.basis === 'staked' && d.status === 'scheduled') && <StakeCard standing={s} onStaked={q.reload} />}

      <Draws standing={s} />
      <Board festival={fe} joined={s.joined} />
    </Stack>
  );
}

function Draws({ standing: s }: { standing: Standing }) {
  const { t } = useI18n();
  const f = useFormat();
  if (s.draws.length === 0) return null;
  const draws = [...s.draws].sort((a, b) => a.cutoffAt.localeCompare(b.cutoffAt));
  return (
    <Card padding="md">
      <Group gap={6} mb="sm">
        <IconTicket size={20} />
        <Text fw={700}>{t('app.festival.draws')}</Text>
      </Group>
      <Stack gap="md">
        {draws.map((d) => {
          const win = s.wins.find((w) => w.drawId === d.id);
          const projected = d.chances.basis === 'score' ? (s.score >= d.minScore ? Math.floor(s.score / d.chances.pointsPerChance) : 0) : d.stakedChances;
          return (
            <Paper key={d.id} withBorder radius="md" p="sm" data-testid="my-draw">
              <Group justify="space-between" wrap="nowrap" align="flex-start">
                <div style={{ minWidth: 0 }}>
                  <Text fw={700}>{f.name(d.title)}</Text>
                  <Text size="xs" c="dimmed">
                    {d.status === 'drawn' ? t('app.draw.drawnAt', { at: f.date(d.drawnAt ?? d.drawAt, 'dateTime') }) : t('app.draw.closesAt', { at: f.date(d.cutoffAt, 'dateTime') })}
                  </Text>
                </div>
                <div style={{ flexShrink: 0 }}>
                  <DrawStatusBadge status={d.status} />
                </div>
              </Group>
              <Text size="sm" mt={6} c="dimmed">
                {chanceRuleText(d.chances, f, t)}
                {d.minScore > 1 ? `${t('common.sep')}${t('app.draw.minScore', { n: f.num(d.minScore) })}` : ''}
              </Text>
              {d.prizes.length > 0 && (
                <Group gap={4} mt={6}>
                  {d.prizes.map((p, i) => (
                    <Badge key={i} variant="light" color="yellow" tt="none">
                      {p.fromRank === p.toRank ? t('draw.prize.rank', { n: f.num(p.fromRank) }) : t('draw.prize.ranks', { from: f.num(p.fromRank), to: f.num(p.toRank) })}: {f.name(p.title)}
                    </Badge>
                  ))}
                </Group>
              )}
              <Paper mt="sm" radius="md" p="xs" bg={d.status === 'drawn' ? (win ? 'yellow.0' : 'gray.0') : 'brand.0'}>
                <Group gap="xs" wrap="nowrap">
                  <IconDice size={18} />
                  <Text size="sm" fw={600} data-testid="my-chances">
                    {d.status === 'scheduled'
                      ? !s.joined
                        ? t('app.draw.joinFirst')
                        : projected > 0
                          ? t(d.chances.basis === 'staked' ? 'app.draw.stakedSoFar' : 'app.draw.chancesSoFar', { n: f.num(projected) })
                          : d.chances.basis === 'staked'
                            ? t('app.draw.stakeToEnter')
                            : t('app.draw.needScore', { n: f.num(d.minScore) })
                      : d.myEntry
                        ? d.status === 'drawn'
                          ? win
                            ? t('app.draw.wonRank', { rank: f.num(win.rank) })
                            : t('app.draw.notThisTime', { n: f.num(d.myEntry.chances) })
                          : t('app.draw.inWith', { n: f.num(d.myEntry.chances) })
                        : t('app.draw.notIn')}
                  </Text>
                </Group>
              </Paper>
              <Group justify="space-between" mt="xs">
                <Text size="xs" c="dimmed">
                  {d.entryCount !== null ? t('app.draw.entries', { n: f.num(d.entryCount), chances: f.num(d.totalChances ?? 0) }) : t('app.draw.committed')}
                </Text>
                <Anchor component={Link} to={`/draws/${d.id}`} size="sm" fw={600}>
                  {d.status === 'drawn' ? t('app.draw.resultsAndProof') : t('app.draw.commitment')}
                </Anchor>
              </Group>
            </Paper>
          );
        })}
      </Stack>
    </Card>
  );
}

function StakeCard({ standing: s, onStaked }: { standing: Standing; onStaked: () => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const ppc = s.festival.staking!.pointsPerChance;
  const draw = s.draws.filter((d) => d.chances.basis === 'staked' && d.status === 'scheduled' && Date.parse(d.cutoffAt) > Date.now()).sort((a, b) => a.cutoffAt.localeCompare(b.cutoffAt))[0];
  const balance = useQuery<Balance>('me-balance', (signal) => client.get<Balance>('/api/v1/me/balance', signal));
  const [points, setPoints] = useState('');
  const [busy, setBusy] = useState(false);
  const n = /^\d+$/.test(points) ? Number(points) : 0;
  const chances = Math.floor(n / ppc);
  const available = balance.data?.points.available ?? 0;

  const stake = async () => {
    if (!draw || chances < 1) return;
    const ok = await confirmAction({
      title: t('app.stake.confirmTitle'),
      body: t('app.stake.confirmBody', { points: f.num(chances * ppc), chances: f.num(chances), draw: isolate(f.name(draw.title)) }),
      confirmLabel: t('app.stake.submit'),
    });
    if (!ok) return;
    setBusy(true);
    try {
      const r = await client.post<{ chances: number; points: number; balance?: number }>(`/api/v1/me/festivals/${s.festival.id}/stakes`, { points: chances * ppc, drawId: draw.id }, { 'idempotency-key': crypto.randomUUID() });
      notifications.show({ color: 'teal', message: t('app.stake.done', { n: f.num(r.chances) }) });
      setPoints('');
      balance.reload();
      onStaked();
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card padding="md" style={{ borderColor: 'var(--mantine-color-grape-3)' }}>
      <Group gap={6} mb={4}>
        <IconDice size={20} />
        <Text fw={700}>{t('app.stake.title')}</Text>
      </Group>
      <Text size="sm" c="dimmed">
        {t('app.stake.rule', { n: f.num(ppc) })}
      </Text>
      {!draw ? (
        <Text size="sm" mt="sm">
          {t('app.stake.noDraw')}
        </Text>
      ) : (
        <Stack gap="xs" mt="sm">
          <Text size="sm">{t('app.stake.forDraw', { draw: isolate(f.name(draw.title)), at: f.date(draw.cutoffAt, 'dateTime') })}</Text>
          <Group align="flex-end" gap="sm" wrap="nowrap">
            <TextInput
              label={t('app.stake.points')}
              description={t('app.stake.available', { n: f.num(available) })}
              value={f.digits(points)}
              onChange={(e) => setPoints(normalizeDigits(e.currentTarget.value).replace(/\D/g, ''))}
              inputMode="numeric"
              style={{ flex: 1 }}
              error={n > available ? t('error.insufficient_points') : undefined}
            />
            <Button color="grape" onClick={stake} loading={busy} disabled={chances < 1 || n > available}>
              {t('app.stake.submit')}
            </Button>
          </Group>
          {n > 0 && (
            <Text size="sm" c={chances > 0 ? 'grape.8' : 'orange.8'} fw={500}>
              {chances > 0 ? t('app.stake.preview', { chances: f.num(chances), spent: f.num(chances * ppc), kept: f.num(n - chances * ppc) }) : t('app.stake.tooFew', { n: f.num(ppc) })}
            </Text>
          )}
          {draw.stakedChances > 0 && (
            <Text size="xs" c="dimmed">
              {t('app.draw.stakedSoFar', { n: f.num(draw.stakedChances) })}
            </Text>
          )}
        </Stack>
      )}
    </Card>
  );
}

function Board({ festival: fe, joined }: { festival: Festival; joined: boolean }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const [category, setCategory] = useState('score');
  const q = useQuery<Leaderboard>(`me-board|${fe.id}|${category}`, (signal) => client.get<Leaderboard>(`/api/v1/me/festivals/${fe.id}/leaderboard${qs({ category, limit: 10 })}`, signal));
  const b = q.data;
  const me = b?.me;
  const meInTop = me?.ref ? b?.items.some((r) => r.ref === me.ref) : false;
  const value = (v: number) => categoryValue(fe, category, v, f);
  return (
    <Card padding="md">
      <Group justify="space-between" mb="sm">
        <Group gap={6}>
          <IconMedal size={20} />
          <Text fw={700}>{t('festival.tab.leaderboard')}</Text>
        </Group>
        {b && (
          <Text size="xs" c="dimmed">
            {t('festival.rankedOf', { n: f.num(b.ranked) })}
          </Text>
        )}
      </Group>
      {fe.categories.length > 0 && (
        <SegmentedControl
          fullWidth
          size="xs"
          mb="sm"
          value={category}
          onChange={setCategory}
          data={['score', ...fe.categories.map((c) => c.key)].map((k) => ({ value: k, label: categoryName(fe, k, f, t) }))}
        />
      )}
      {q.error ? (
        <ErrorAlert error={q.error} onRetry={q.reload} />
      ) : !b ? (
        <Skeleton height={120} />
      ) : b.items.length === 0 ? (
        <Text size="sm" c="dimmed" ta="center" py="md">
          {t('festival.boardEmpty')}
        </Text>
      ) : (
        <Table verticalSpacing={6} highlightOnHover={false} data-testid="my-leaderboard">
          <Table.Tbody>
            {b.items.map((r) => {
              const mine = r.ref === me?.ref;
              return (
                <Table.Tr key={r.ref} className={mine ? 'vafa-me-row' : undefined}>
                  <Table.Td w={44} className="vafa-num" fw={700}>
                    {r.rank <= 3 ? <Badge circle size="lg" color={r.rank === 1 ? 'yellow' : r.rank === 2 ? 'gray' : 'orange'} variant={r.rank === 1 ? 'filled' : 'light'}>{f.num(r.rank)}</Badge> : f.num(r.rank)}
                  </Table.Td>
                  <Table.Td>
                    <RefText value={r.ref} />
                    {mine && (
                      <Badge size="xs" ms={6} variant="filled" tt="none">
                        {t('app.festival.you')}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td ta="end" className="vafa-num" fw={600}>
                    {value(r.value)}
                  </Table.Td>
                </Table.Tr>
              );
            })}
            {joined && me && me.rank && !meInTop && (
              <>
                <Table.Tr>
                  <Table.Td colSpan={3} ta="center" c="dimmed" py={0}>
                    ⋯
                  </Table.Td>
                </Table.Tr>
                <Table.Tr className="vafa-me-row">
                  <Table.Td className="vafa-num">{f.num(me.rank)}</Table.Td>
                  <Table.Td>
                    <RefText value={me.ref} />
                    <Badge size="xs" ms={6} variant="filled" tt="none">
                      {t('app.festival.you')}
                    </Badge>
                  </Table.Td>
                  <Table.Td ta="end" className="vafa-num">
                    {value(me.value)}
                  </Table.Td>
                </Table.Tr>
              </>
            )}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}
