import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Anchor, Badge, Button, Card, Group, Paper, Progress, SimpleGrid, Skeleton, Stack, Text, ThemeIcon, Title, UnstyledButton } from '@mantine/core';
import { qs } from '../../shared/api';
import { useQuery } from '../../shared/hooks';
import { isolate, useI18n } from '../../shared/i18n';
import { IconConfetti, IconGift, IconHistory, IconHourglass, IconShare, IconUser, IconWallet } from '../../shared/icons';
import type { Balance, HistoryEntry, Member, Page } from '../../shared/types';
import { EmptyBlock, ErrorAlert } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { HistoryList } from '../components/HistoryList';
import { ConvertModal } from '../components/ConvertModal';
import { TierCard } from '../components/TierCard';
import { useMemberSession } from '../session';

export default function HomePage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client, session, club, setMember } = useMemberSession();
  const me = useQuery<Member>('me', (signal) =>
    client.get<Member>('/api/v1/me', signal).then((m) => {
      setMember(m);
      return m;
    }),
  );
  const balance = useQuery<Balance>('me-balance', (signal) => client.get<Balance>('/api/v1/me/balance', signal));
  const recent = useQuery<Page<HistoryEntry>>('me-recent', (signal) => client.get<Page<HistoryEntry>>(`/api/v1/me/history${qs({ limit: 5 })}`, signal));
  const m = me.data ?? session?.member;
  const b = balance.data;
  const worth = b && club ? b.points.available * club.pointValueRials : null;
  const [converting, setConverting] = useState(false);

  return (
    <Stack gap="md">
      <div>
        <Title order={1} fz={22}>
          {m?.firstName ? t('app.home.hello', { name: isolate(m.firstName) }) : t('app.home.helloAnon')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('app.home.subtitle')}
        </Text>
      </div>

      {balance.error ? <ErrorAlert error={balance.error} onRetry={balance.reload} /> : null}

      <Paper
        radius="xl"
        p="lg"
        c="white"
        style={{ background: 'linear-gradient(135deg, var(--mantine-color-brand-6) 0%, var(--mantine-color-brand-9) 100%)', boxShadow: '0 10px 30px -12px rgba(11,98,91,.55)' }}
        aria-labelledby="balance-title"
      >
        <Text size="sm" id="balance-title" style={{ opacity: 0.85 }}>
          {t('balance.available')}
        </Text>
        {balance.loading ? (
          <Skeleton height={44} width={160} my={6} />
        ) : (
          <Group gap={8} align="baseline" data-testid="available-points">
            <Text fz={44} fw={800} lh={1.15} className="vafa-num">
              {f.num(b?.points.available ?? 0)}
            </Text>
            <Text fw={500}>{t('unit.pointsName')}</Text>
          </Group>
        )}
        <Group justify="space-between" align="center" mt={2}>
          {worth !== null && (
            <Text size="sm" style={{ opacity: 0.85 }}>
              {t('app.home.worth', { amount: f.money(worth) })}
            </Text>
          )}
          {club && b && b.points.available > 0 && (
            <Button size="compact-sm" variant="white" color="brand" onClick={() => setConverting(true)} leftSection={<IconWallet size={14} />}>
              {t('app.convert.open')}
            </Button>
          )}
        </Group>
        <SimpleGrid cols={2} mt="lg" spacing="sm">
          <Paper radius="lg" p="sm" style={{ background: 'rgba(255,255,255,.12)' }} c="white">
            <Group gap={6} wrap="nowrap">
              <IconHourglass size={16} />
              <Text size="xs" style={{ opacity: 0.9 }}>
                {t('balance.pending')}
              </Text>
            </Group>
            <Text fw={700} fz="lg" className="vafa-num" data-testid="pending-points">
              {f.num(b?.points.pending ?? 0)}
            </Text>
          </Paper>
          <Paper radius="lg" p="sm" style={{ background: 'rgba(255,255,255,.12)' }} c="white">
            <Group gap={6} wrap="nowrap">
              <IconWallet size={16} />
              <Text size="xs" style={{ opacity: 0.9 }}>
                {t('balance.wallet')}
              </Text>
            </Group>
            <Text fw={700} fz="lg" className="vafa-num">
              {f.money(b?.walletRials ?? 0)}
            </Text>
          </Paper>
        </SimpleGrid>
      </Paper>

      <TierCard tier={m?.tier} />

      {b && b.points.expiringSoon.length > 0 && (
        <Card padding="md" style={{ borderColor: 'var(--mantine-color-orange-3)', background: 'var(--mantine-color-orange-0)' }}>
          <Group gap="sm" wrap="nowrap" align="flex-start">
            <ThemeIcon color="orange" variant="light" radius="xl">
              <IconHourglass size={18} />
            </ThemeIcon>
            <Stack gap={4}>
              <Text fw={600} size="sm">
                {t('balance.expiringSoon')}
              </Text>
              {b.points.expiringSoon.map((x, i) => (
                <Text key={i} size="sm">
                  {t('balance.expiringItem', { n: f.num(x.points), date: f.date(x.expiresAt) })}
                </Text>
              ))}
              <Anchor component={Link} to="/rewards" size="sm" fw={600}>
                {t('app.home.useThem')}
              </Anchor>
            </Stack>
          </Group>
        </Card>
      )}

      {m && m.profileCompleteness < 100 && (
        <Card padding="md" component={Link} to="/profile" style={{ textDecoration: 'none', color: 'inherit' }}>
          <Group justify="space-between" wrap="nowrap">
            <Group gap="sm" wrap="nowrap">
              <ThemeIcon variant="light" radius="xl">
                <IconUser size={18} />
              </ThemeIcon>
              <div>
                <Text fw={600} size="sm">
                  {t('app.home.completeProfile')}
                </Text>
                <Text size="xs" c="dimmed">
                  {t('app.home.completeProfileHint', { p: f.percent(m.profileCompleteness / 100) })}
                </Text>
              </div>
            </Group>
          </Group>
          <Progress value={m.profileCompleteness} mt="sm" size="sm" radius="xl" aria-label={t('member.profileCompleteness')} />
        </Card>
      )}

      <SimpleGrid cols={3} spacing="sm">
        <QuickLink to="/rewards" icon={<IconGift size={22} />} label={t('app.nav.rewards')} />
        <QuickLink to="/festivals" icon={<IconConfetti size={22} />} label={t('app.nav.festivals')} />
        <QuickLink to="/invite" icon={<IconShare size={22} />} label={t('app.nav.invite')} />
      </SimpleGrid>

      <Card padding="md">
        <Group justify="space-between" mb="xs">
          <Text fw={700}>{t('app.home.recent')}</Text>
          <Button component={Link} to="/history" variant="subtle" size="compact-sm">
            {t('common.seeAll')}
          </Button>
        </Group>
        {recent.loading ? (
          <Stack>
            <Skeleton height={40} />
            <Skeleton height={40} />
          </Stack>
        ) : recent.error ? (
          <ErrorAlert error={recent.error} onRetry={recent.reload} />
        ) : (recent.data?.items.length ?? 0) === 0 ? (
          <EmptyBlock icon={<IconHistory size={26} />} title={t('app.history.empty')} description={t('app.history.emptyHint')} />
        ) : (
          <HistoryList items={recent.data!.items} />
        )}
      </Card>
      {club && b && (
        <ConvertModal
          opened={converting}
          onClose={() => setConverting(false)}
          available={b.points.available}
          club={club}
          onDone={() => {
            balance.reload();
            recent.reload();
          }}
        />
      )}
      {club && (
        <Group justify="center">
          <Badge variant="light" color="gray" size="lg" style={{ textTransform: 'none' }}>
            {t('app.home.earnRate', { points: f.num(club.earnRate.points), amount: f.money(club.earnRate.perRials) })}
          </Badge>
        </Group>
      )}
    </Stack>
  );
}

function QuickLink({ to, icon, label }: { to: string; icon: React.ReactNode; label: string }) {
  return (
    <UnstyledButton component={Link} to={to}>
      <Card padding="sm" ta="center">
        <Stack gap={6} align="center">
          <ThemeIcon variant="light" size={42} radius="xl">
            {icon}
          </ThemeIcon>
          <Text size="sm" fw={500}>
            {label}
          </Text>
        </Stack>
      </Card>
    </UnstyledButton>
  );
}
