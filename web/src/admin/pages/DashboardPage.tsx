import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Button, Card, Grid, Group, Progress, SegmentedControl, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { ApiError, qs } from '../../shared/api';
import { EChart, type ChartOption } from '../../shared/EChart';
import { useQuery } from '../../shared/hooks';
import { hasMessage, useI18n, type MessageKey } from '../../shared/i18n';
import { IconAlert, IconCoins, IconFlame, IconGift, IconStar, IconTiers, IconUsers, IconWallet } from '../../shared/icons';
import type { Overview } from '../../shared/types';
import { EmptyBlock, ErrorAlert, PageHeader, StatCard } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';
import { LedgerCard } from '../components/LedgerCard';
import { useTierName } from '../components/tier-bits';

/** `color` draws the series; `text` writes its total (a darker shade: 4.5:1 on white). */
const SERIES: { key: 'issued' | 'redeemed' | 'expired'; label: MessageKey; color: string; text: string }[] = [
  { key: 'issued', label: 'dashboard.issued', color: '#0f766e', text: '#0f766e' },
  { key: 'redeemed', label: 'dashboard.redeemed', color: '#d97706', text: '#a14d04' },
  { key: 'expired', label: 'dashboard.expired', color: '#94a3b8', text: '#52606f' },
];
const TIER_COLORS = ['#0f766e', '#46ada2', '#9fd9d2', '#d97706', '#f59e0b', '#64748b'];
const NO_TIER_COLOR = '#cbd5e1';
const font = 'Vazirmatn, Tahoma, sans-serif';

export default function DashboardPage() {
  const { t, locale, dir } = useI18n();
  const f = useFormat();
  const tierName = useTierName();
  const { client, session } = useAdmin();
  const [days, setDays] = useState<'30' | '90'>('30');
  const q = useQuery<Overview | null>(`overview|${days}`, (signal) =>
    client.get<Overview>(`/api/v1/stats/overview${qs({ days })}`, signal).catch((e) => {
      // An API without the stats module: an honest empty dashboard, not an error.
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }),
  );
  // Keep the figures on screen while another range loads.
  const o = q.data ?? undefined;
  const loading = q.loading && !q.data;
  const missing = !q.loading && q.data === null;
  const dash = (v: string) => (missing ? '—' : v);
  const hasFlows = Boolean(o && o.daily.some((d) => d.issued || d.redeemed || d.expired));

  const lineOption = useMemo<ChartOption | null>(() => {
    if (!o || !hasFlows) return null;
    return {
      textStyle: { fontFamily: font },
      tooltip: { trigger: 'axis', valueFormatter: (v) => f.num(Number(v)) },
      // The series totals above the chart are its legend (ECharts' own legend mis-draws RTL text).
      grid: { top: 16, left: 8, right: 8, bottom: 8, containLabel: true },
      xAxis: {
        type: 'category',
        boundaryGap: false,
        // Time reads in the page's direction: right-to-left in Persian.
        inverse: dir === 'rtl',
        data: o.daily.map((d) => f.date(`${d.date}T12:00:00Z`, 'short')),
        axisLine: { lineStyle: { color: '#cbd5e1' } },
        axisLabel: { color: '#64748b', fontFamily: font, hideOverlap: true },
      },
      yAxis: {
        type: 'value',
        position: dir === 'rtl' ? 'right' : 'left',
        splitLine: { lineStyle: { color: '#eef2f5' } },
        axisLabel: { color: '#64748b', fontFamily: font, formatter: (v: number) => f.num(v) },
      },
      series: SERIES.map((s) => ({
        type: 'line',
        name: t(s.label),
        data: o.daily.map((d) => d[s.key]),
        smooth: true,
        showSymbol: false,
        lineStyle: { width: 2.5, color: s.color },
        itemStyle: { color: s.color },
        areaStyle: s.key === 'issued' ? { color: 'rgba(15,118,110,0.08)' } : undefined,
      })),
    };
  }, [o, hasFlows, f, t, dir]);

  const tierOption = useMemo<ChartOption | null>(() => {
    // Only "no tier" means the club has no tier programme yet: nothing to chart.
    if (!o || !o.tiers.some((x) => x.tier !== null)) return null;
    return {
      textStyle: { fontFamily: font },
      tooltip: {
        trigger: 'item',
        formatter: (p) => {
          const x = p as unknown as { name: string; value: number; percent: number };
          return `${x.name}: ${f.num(x.value)} (${f.percent(x.percent / 100)})`;
        },
      },
      series: [
        {
          type: 'pie',
          radius: ['55%', '85%'],
          center: ['50%', '50%'],
          avoidLabelOverlap: true,
          label: { show: false },
          itemStyle: { borderColor: '#fff', borderWidth: 2 },
          data: o.tiers.map((x, i) => ({ name: tierName(x.tier), value: x.members, itemStyle: { color: x.tier === null ? NO_TIER_COLOR : TIER_COLORS[i % TIER_COLORS.length] } })),
        },
      ],
    };
  }, [o, f, tierName]);

  const activeShare = o && o.members > 0 ? o.active30 / o.members : 0;
  const channel = (c: string) => (hasMessage(`channel.${c}`) ? t(`channel.${c}` as MessageKey) : c);
  const viaMax = Math.max(1, ...(o?.joinedVia.map((v) => v.members) ?? [1]));

  return (
    <>
      <PageHeader
        title={t('dashboard.title')}
        subtitle={t('dashboard.subtitle', { club: f.name(session?.club.name) })}
        actions={
          <SegmentedControl
            aria-label={t('dashboard.range')}
            value={days}
            onChange={(v) => setDays(v as '30' | '90')}
            data={[
              { value: '30', label: t('dashboard.lastDays', { n: f.num(30) }) },
              { value: '90', label: t('dashboard.lastDays', { n: f.num(90) }) },
            ]}
          />
        }
      />
      {q.error ? <ErrorAlert error={q.error} onRetry={q.reload} /> : null}
      {missing && (
        <Alert variant="light" color="gray" icon={<IconAlert />} mb="md">
          {t('dashboard.noStats')}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, xs: 2, lg: 3 }} spacing="md" mb="md">
        <StatCard label={t('dashboard.members')} value={dash(f.num(o?.members ?? 0))} icon={<IconUsers />} loading={loading} hint={t('dashboard.membersHint')} />
        <StatCard
          label={t('dashboard.active30')}
          value={dash(f.num(o?.active30 ?? 0))}
          icon={<IconFlame />}
          color="orange"
          loading={loading}
          hint={missing ? undefined : t('dashboard.activeShare', { p: f.percent(activeShare), n90: f.num(o?.active90 ?? 0) })}
        />
        <StatCard label={t('dashboard.liability')} value={dash(f.money(o?.liabilityRials ?? 0))} icon={<IconWallet />} color="grape" loading={loading} hint={t('dashboard.liabilityHint')} />
        <StatCard label={t('dashboard.pointsOutstanding')} value={dash(f.num(o?.pointsOutstanding ?? 0))} icon={<IconCoins />} color="teal" loading={loading} hint={t('dashboard.pointsOutstandingHint')} />
        <StatCard
          label={t('dashboard.redemptionRate')}
          value={dash(o?.redemptionRate === null || o?.redemptionRate === undefined ? '—' : f.percent(o.redemptionRate))}
          icon={<IconGift />}
          color="yellow"
          loading={loading}
          hint={o?.redemptionRate === null ? t('dashboard.redemptionRateNone') : t('dashboard.redemptionRateHint')}
        />
        <StatCard label={t('dashboard.active90')} value={dash(f.num(o?.active90 ?? 0))} icon={<IconStar />} color="blue" loading={loading} hint={t('dashboard.active90Hint')} />
      </SimpleGrid>

      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Card h="100%">
            <Group justify="space-between" mb="sm" align="flex-start">
              <Title order={3} fz="md">
                {t('dashboard.pointsPerDay')}
              </Title>
              {o && (
                <Group gap="lg" data-testid="period-totals">
                  {SERIES.map((s) => (
                    <Stack key={s.key} gap={0}>
                      <Group gap={6} wrap="nowrap">
                        <span style={{ width: 10, height: 10, borderRadius: 3, background: s.color, display: 'inline-block' }} aria-hidden="true" />
                        <Text size="xs" c="dimmed">
                          {t(s.label)}
                        </Text>
                      </Group>
                      <Text fw={700} className="vafa-num" style={{ color: s.text }}>
                        {f.num(s.key === 'issued' ? o.issued30 : s.key === 'redeemed' ? o.redeemed30 : o.expired30)}
                      </Text>
                    </Stack>
                  ))}
                </Group>
              )}
            </Group>
            {loading ? <Skeleton height={300} /> : lineOption ? <EChart option={lineOption} label={t('dashboard.pointsPerDay')} /> : <EmptyBlock title={t('dashboard.noActivity')} description={t('dashboard.noActivityHint')} />}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Card h="100%">
            <Title order={3} fz="md" mb="sm">
              {t('dashboard.tiers')}
            </Title>
            {loading ? (
              <Skeleton height={300} />
            ) : tierOption && o ? (
              <>
                <EChart option={tierOption} label={t('dashboard.tiers')} height={220} />
                <Stack gap={6} mt="sm">
                  {o.tiers.map((x, i) => (
                    <Group key={x.tier ?? '-'} justify="space-between" wrap="nowrap">
                      <Group gap={6} wrap="nowrap">
                        <span style={{ width: 10, height: 10, borderRadius: 5, background: x.tier === null ? NO_TIER_COLOR : TIER_COLORS[i % TIER_COLORS.length], display: 'inline-block' }} aria-hidden="true" />
                        <Text size="sm">{tierName(x.tier)}</Text>
                      </Group>
                      <Text size="sm" fw={600} className="vafa-num">
                        {f.num(x.members)} <Text span size="xs" c="dimmed">({f.percent(o.members ? x.members / o.members : 0)})</Text>
                      </Text>
                    </Group>
                  ))}
                </Stack>
              </>
            ) : (
              <EmptyBlock
                icon={<IconTiers size={28} />}
                title={t('dashboard.noTiers')}
                description={t('dashboard.noTiersHint')}
                action={
                  <Button component={Link} to="/tiers" variant="light" size="xs">
                    {t('nav.tiers')}
                  </Button>
                }
              />
            )}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <LedgerCard />
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Card h="100%">
            <Title order={3} fz="md" mb="md">
              {t('dashboard.activeMembers')}
            </Title>
            {loading ? (
              <Skeleton height={80} />
            ) : missing ? (
              <Text size="sm" c="dimmed">
                —
              </Text>
            ) : (
              <Stack gap="md">
                <ActiveBar label={t('dashboard.active30')} n={o?.active30 ?? 0} of={o?.members ?? 0} />
                <ActiveBar label={t('dashboard.active90')} n={o?.active90 ?? 0} of={o?.members ?? 0} />
                <Text size="xs" c="dimmed">
                  {t('dashboard.activeNote')}
                </Text>
              </Stack>
            )}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Card h="100%">
            <Title order={3} fz="md" mb="md">
              {t('dashboard.joinedVia')}
            </Title>
            {loading ? (
              <Skeleton height={80} />
            ) : o && o.joinedVia.length > 0 ? (
              <Stack gap="sm">
                {o.joinedVia.map((v) => (
                  <div key={v.channel}>
                    <Group justify="space-between" mb={4}>
                      <Text size="sm">{channel(v.channel)}</Text>
                      <Text size="sm" fw={600} className="vafa-num">
                        {f.num(v.members)}
                      </Text>
                    </Group>
                    <Progress value={(v.members / viaMax) * 100} size="sm" radius="xl" color="brand.5" aria-label={channel(v.channel)} />
                  </div>
                ))}
              </Stack>
            ) : (
              <Text size="sm" c="dimmed">
                —
              </Text>
            )}
          </Card>
        </Grid.Col>
        <Grid.Col span={12}>
          <TopRewards items={o?.topRewards} loading={loading} days={Number(days)} />
        </Grid.Col>
      </Grid>
      <Text size="xs" c="dimmed" mt="md" ta="end">
        {t('dashboard.tz', { tz: f.timeZone, cal: t(locale === 'fa' ? 'dashboard.calJalali' : 'dashboard.calBoth') })}
      </Text>
    </>
  );
}

function ActiveBar({ label, n, of }: { label: string; n: number; of: number }) {
  const f = useFormat();
  const share = of > 0 ? n / of : 0;
  return (
    <div>
      <Group justify="space-between" mb={6}>
        <Text size="sm">{label}</Text>
        <Group gap={6} wrap="nowrap">
          <Text size="sm" fw={600} className="vafa-num">
            {f.num(n)}
          </Text>
          <Text size="xs" c="dimmed" className="vafa-num">
            ({f.percent(share)})
          </Text>
        </Group>
      </Group>
      <Progress value={share * 100} size="lg" radius="xl" aria-label={label} />
    </div>
  );
}

/** The most redeemed rewards of the period: what members actually want from the catalogue. */
function TopRewards({ items, loading, days }: { items: Overview['topRewards']; loading: boolean; days: number }) {
  const { t } = useI18n();
  const f = useFormat();
  const max = Math.max(1, ...(items ?? []).map((x) => x.redemptions));
  return (
    <Card data-testid="top-rewards">
      <Group justify="space-between" mb="md">
        <Title order={3} fz="md">
          {t('dashboard.topRewards')}
        </Title>
        <Text size="xs" c="dimmed">
          {t('dashboard.lastDays', { n: f.num(days) })}
        </Text>
      </Group>
      {loading ? (
        <Skeleton height={120} />
      ) : !items || items.length === 0 ? (
        <EmptyBlock
          icon={<IconGift size={28} />}
          title={t('dashboard.noTopRewards')}
          description={t('dashboard.noTopRewardsHint')}
          action={
            <Button component={Link} to="/rewards" variant="light" size="xs">
              {t('nav.rewards')}
            </Button>
          }
        />
      ) : (
        <Stack gap="sm">
          {items.map((x, i) => (
            <div key={x.rewardId}>
              <Group justify="space-between" wrap="nowrap" mb={4}>
                <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
                  <Text size="sm" c="dimmed" fw={700} w={18} className="vafa-num">
                    {f.num(i + 1)}
                  </Text>
                  <Text size="sm" fw={600} truncate>
                    {f.name(x.title)}
                  </Text>
                </Group>
                <Group gap="md" wrap="nowrap">
                  <Text size="xs" c="dimmed" className="vafa-num">
                    {t('dashboard.topRewardsMembers', { n: f.num(x.members) })}
                  </Text>
                  <Text size="xs" c="dimmed" className="vafa-num">
                    {f.points(x.points)}
                  </Text>
                  <Text size="sm" fw={700} className="vafa-num" miw={64} ta="end">
                    {t('dashboard.topRewardsTimes', { n: f.num(x.redemptions) })}
                  </Text>
                </Group>
              </Group>
              <Progress value={(x.redemptions / max) * 100} size="sm" radius="xl" color={i === 0 ? 'brand.6' : 'brand.3'} aria-label={f.name(x.title)} />
            </div>
          ))}
        </Stack>
      )}
    </Card>
  );
}
