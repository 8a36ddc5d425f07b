import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { notifications } from '@mantine/notifications';
import { Badge, Button, Card, Group, Paper, Progress, SegmentedControl, SimpleGrid, Skeleton, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { PhaseBadge, windowText } from '../../shared/festival';
import { useQuery } from '../../shared/hooks';
import { isolate, useI18n } from '../../shared/i18n';
import { IconCheck, IconConfetti, IconFlame, IconMedal, IconTarget } from '../../shared/icons';
import type { MemberBadge, MemberChallenge, MemberFestival, MemberStreak } from '../../shared/types';
import { EmptyBlock, ErrorAlert, problemText } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useMemberSession } from '../session';

export default function FestivalsPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'game' ? 'game' : 'festivals';
  return (
    <Stack gap="md">
      <Title order={1} fz={22}>
        {t('app.nav.festivals')}
      </Title>
      <SegmentedControl
        fullWidth
        value={tab}
        onChange={(v) => setParams(v === 'game' ? { tab: 'game' } : {}, { replace: true })}
        data={[
          { value: 'festivals', label: t('app.festivals.tab') },
          { value: 'game', label: t('app.game.tab') },
        ]}
      />
      {tab === 'festivals' ? <FestivalList /> : <Achievements />}
    </Stack>
  );
}

const PHASE_BG: Record<string, string> = {
  open: 'linear-gradient(135deg, #f59e0b 0%, #db2777 100%)',
  upcoming: 'linear-gradient(135deg, #0ea5e9 0%, #6366f1 100%)',
  closed: 'linear-gradient(135deg, #94a3b8 0%, #64748b 100%)',
};

function FestivalList() {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const q = useQuery<MemberFestival[]>('me-festivals', (signal) => client.get<{ items: MemberFestival[] }>('/api/v1/me/festivals', signal).then((r) => r.items));
  const [joining, setJoining] = useState<string | null>(null);

  const join = async (x: MemberFestival) => {
    setJoining(x.id);
    try {
      await client.post(`/api/v1/me/festivals/${x.id}/join`, {}, { 'idempotency-key': crypto.randomUUID() });
      notifications.show({ color: 'teal', message: t('app.festival.joined', { name: isolate(f.name(x.name)) }) });
      q.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    } finally {
      setJoining(null);
    }
  };

  if (q.error) return <ErrorAlert error={q.error} onRetry={q.reload} />;
  if (q.loading)
    return (
      <Stack>
        {[1, 2].map((i) => (
          <Skeleton key={i} height={170} radius="lg" />
        ))}
      </Stack>
    );
  const items = [...(q.data ?? [])].sort((a, b) => (a.phase === b.phase ? 0 : a.phase === 'open' ? -1 : b.phase === 'open' ? 1 : a.phase === 'upcoming' ? -1 : 1));
  if (items.length === 0)
    return (
      <Card>
        <EmptyBlock icon={<IconConfetti size={26} />} title={t('app.festivals.empty')} description={t('app.festivals.emptyHint')} />
      </Card>
    );

  return (
    <Stack gap="md">
      {items.map((x) => (
        <Card key={x.id} padding={0} radius="lg" data-testid="festival-card">
          <Paper component={Link} to={`/festivals/${x.id}`} radius={0} p="md" c="white" style={{ background: PHASE_BG[x.phase], textDecoration: 'none', display: 'block' }}>
            <Group justify="space-between" align="flex-start" wrap="nowrap">
              <div>
                <Text fw={800} fz="lg" lh={1.3}>
                  {f.name(x.name)}
                </Text>
                <Text size="sm" style={{ opacity: 0.9 }}>
                  {windowText(x.window, f, t)}
                </Text>
              </div>
              <ThemeIcon size={44} radius="xl" variant="white" color="dark">
                <IconConfetti size={24} />
              </ThemeIcon>
            </Group>
          </Paper>
          <Stack gap="sm" p="md">
            {f.name(x.description) && (
              <Text size="sm" lineClamp={2}>
                {f.name(x.description)}
              </Text>
            )}
            <Group justify="space-between" wrap="nowrap">
              <Group gap={6}>
                <PhaseBadge phase={x.phase} status={x.status} />
                {x.joined && (
                  <Badge color="teal" variant="light" tt="none" leftSection={<IconCheck size={12} />}>
                    {t('app.festival.youreIn')}
                  </Badge>
                )}
              </Group>
              {x.joined ? (
                <Text size="sm">
                  {t('app.festival.yourScore')}{' '}
                  <Text span fw={800} className="vafa-num" c="brand.8">
                    {f.num(x.score)}
                  </Text>
                </Text>
              ) : null}
            </Group>
            <Group gap="sm" grow>
              {x.canJoin && (
                <Button onClick={() => join(x)} loading={joining === x.id} aria-label={t('app.festival.joinNamed', { name: isolate(f.name(x.name)) })}>
                  {t('app.festival.join')}
                </Button>
              )}
              <Button component={Link} to={`/festivals/${x.id}`} variant={x.canJoin ? 'default' : 'light'}>
                {t('app.festival.open')}
              </Button>
            </Group>
          </Stack>
        </Card>
      ))}
    </Stack>
  );
}

function Achievements() {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const badges = useQuery<MemberBadge[]>('me-badges', (signal) => client.get<{ items: MemberBadge[] }>('/api/v1/me/badges', signal).then((r) => r.items));
  const streaks = useQuery<MemberStreak[]>('me-streaks', (signal) => client.get<{ items: MemberStreak[] }>('/api/v1/me/streaks', signal).then((r) => r.items));
  const challenges = useQuery<MemberChallenge[]>('me-challenges', (signal) => client.get<{ items: MemberChallenge[] }>('/api/v1/me/challenges', signal).then((r) => r.items));
  const error = badges.error ?? streaks.error ?? challenges.error;
  if (error) return <ErrorAlert error={error} onRetry={() => [badges, streaks, challenges].forEach((q) => q.reload())} />;
  if (badges.loading || streaks.loading || challenges.loading) return <Skeleton height={220} radius="lg" />;
  const b = badges.data ?? [];
  const s = streaks.data ?? [];
  const c = challenges.data ?? [];
  if (b.length + s.length + c.length === 0)
    return (
      <Card>
        <EmptyBlock icon={<IconMedal size={26} />} title={t('app.game.empty')} description={t('app.game.emptyHint')} />
      </Card>
    );
  const measure = (x: MemberChallenge, n: number) => (x.measure === 'amount' ? f.money(n) : f.num(n));

  return (
    <Stack gap="md">
      {s.length > 0 && (
        <SimpleGrid cols={s.length > 1 ? 2 : 1} spacing="sm">
          {s.map((x) => (
            <Card key={x.id} padding="md">
              <Group gap="sm" wrap="nowrap">
                <ThemeIcon size={42} radius="xl" variant={x.current > 0 ? 'filled' : 'light'} color="orange">
                  <IconFlame size={22} />
                </ThemeIcon>
                <div style={{ minWidth: 0 }}>
                  <Text size="sm" fw={600} truncate>
                    {f.name(x.name)}
                  </Text>
                  <Text fw={800} fz="lg" className="vafa-num" lh={1.2}>
                    {t(x.unit === 'week' ? 'app.game.streakWeeks' : 'app.game.streakDays', { n: f.num(x.current) })}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {t('app.game.best', { n: f.num(x.best) })}
                    {x.doneThisPeriod ? `${t('common.sep')}${t(x.unit === 'week' ? 'app.game.doneWeek' : 'app.game.doneToday')}` : ''}
                  </Text>
                </div>
              </Group>
            </Card>
          ))}
        </SimpleGrid>
      )}
      {c.length > 0 && (
        <Card padding="md">
          <Text fw={700} mb="sm">
            {t('app.game.challenges')}
          </Text>
          <Stack gap="md">
            {c.map((x) => (
              <div key={x.id}>
                <Group justify="space-between" wrap="nowrap" mb={4}>
                  <Group gap={6} wrap="nowrap">
                    <IconTarget size={18} />
                    <Text size="sm" fw={600}>
                      {f.name(x.name)}
                    </Text>
                  </Group>
                  {x.completed ? (
                    <Badge color="teal" variant="light" tt="none" leftSection={<IconCheck size={12} />}>
                      {t('app.game.completed')}
                    </Badge>
                  ) : x.rewardPoints > 0 ? (
                    <Badge color="yellow" variant="light" tt="none">
                      {t('app.game.reward', { n: f.num(x.rewardPoints) })}
                    </Badge>
                  ) : null}
                </Group>
                <Progress value={x.percent} color={x.completed ? 'teal' : 'brand'} size="md" radius="xl" aria-label={f.name(x.name)} />
                <Group justify="space-between" mt={4}>
                  <Text size="xs" c="dimmed" className="vafa-num">
                    {t('app.game.progress', { done: measure(x, x.progress), target: measure(x, x.target) })}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {x.open ? t('app.game.until', { date: f.date(new Date(Date.parse(x.deadline) - 1).toISOString()) }) : t('app.game.startsOn', { date: f.digits(x.window.from) })}
                  </Text>
                </Group>
              </div>
            ))}
          </Stack>
        </Card>
      )}
      {b.length > 0 && (
        <Card padding="md">
          <Group justify="space-between" mb="sm">
            <Text fw={700}>{t('app.game.badges')}</Text>
            <Text size="sm" c="dimmed">
              {t('app.game.badgesCount', { n: f.num(b.filter((x) => x.earned).length), of: f.num(b.length) })}
            </Text>
          </Group>
          <SimpleGrid cols={3} spacing="sm">
            {b.map((x) => (
              <Stack key={x.id} gap={4} align="center" ta="center" style={{ opacity: x.earned ? 1 : 0.55 }}>
                <ThemeIcon size={54} radius="xl" variant={x.earned ? 'filled' : 'light'} color={x.earned ? 'yellow' : 'gray'}>
                  <IconMedal size={28} />
                </ThemeIcon>
                <Text size="xs" fw={600} lh={1.3}>
                  {f.name(x.name)}
                </Text>
                <Text size="xs" c="dimmed" lh={1.2}>
                  {x.earned ? (x.times > 1 ? t('app.game.earnedTimes', { n: f.num(x.times) }) : t('app.game.earned')) : f.name(x.description) || (x.rewardPoints > 0 ? t('app.game.reward', { n: f.num(x.rewardPoints) }) : t('app.game.notYet'))}
                </Text>
              </Stack>
            ))}
          </SimpleGrid>
        </Card>
      )}
    </Stack>
  );
}
