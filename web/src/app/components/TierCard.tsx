import { Badge, Card, Group, Progress, Stack, Text, ThemeIcon, Tooltip } from '@mantine/core';
import { ApiError } from '../../shared/api';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconStar } from '../../shared/icons';
import type { MyTier, TierProgram } from '../../shared/types';
import { useFormat } from '../../shared/useFormat';
import { useMemberSession } from '../session';

type Data = { program: TierProgram | null; mine: MyTier | null };

/**
 * The member's tier and what the next one needs, from GET /api/v1/me/tier (tier, measure in
 * the current window, the next level's threshold *for this member* — cities and groups may
 * differ — progress, every level) and the programme's window (GET /api/v1/tiers).
 */
export function TierCard({ tier }: { tier: string | null | undefined }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const q = useQuery<Data>(`me-tier|${tier ?? ''}`, async (signal) => {
    const [program, mine] = await Promise.all([
      client.get<{ program: TierProgram | null }>('/api/v1/tiers', signal).then((r) => r.program),
      client.get<MyTier>('/api/v1/me/tier', signal).catch((e) => {
        if (e instanceof ApiError && (e.status === 404 || e.status === 403)) return null;
        throw e;
      }),
    ]);
    return { program, mine };
  });
  const p = q.data?.program;
  if (!p) return null;
  const mine = q.data?.mine ?? null;
  const levels = mine?.levels.length ? mine.levels : p.levels.map((l) => ({ code: l.code, name: l.name, threshold: l.threshold, multiplier: l.multiplier }));
  const code = mine?.tier ?? tier ?? null;
  const idx = levels.findIndex((l) => l.code === code);
  const level = idx >= 0 ? levels[idx]! : null;
  const nextLevel = levels[idx + 1] ?? null;
  const name = (l: { name: { fa: string; en?: string } } | null) => (l ? f.name({ fa: l.name.fa, en: l.name.en ?? '' }) : t('tier.none'));
  const amount = (n: number) => (p.measure === 'rials' ? f.money(n) : f.points(n));
  const next = mine?.next ?? null;
  const window = p.window.kind === 'rolling' ? t('tiers.window.rollingN', { n: f.num(p.window.days) }) : t(p.window.kind === 'jalali_year' ? 'tiers.window.jalali_year' : 'tiers.window.jalali_month');
  const done = next ? Math.round(next.progress * 100) : 0;

  return (
    <Card padding="md" data-testid="tier-card">
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Group gap="sm" wrap="nowrap">
          <ThemeIcon size={44} radius="xl" color="yellow" variant={level ? 'filled' : 'light'}>
            <IconStar size={22} />
          </ThemeIcon>
          <div>
            <Text size="xs" c="dimmed">
              {t('app.tier.yours')}
            </Text>
            <Text fw={800} fz="lg" lh={1.2} data-testid="tier-name">
              {name(level)}
            </Text>
          </div>
        </Group>
        {level && level.multiplier > 1 && (
          <Badge color="teal" variant="light" tt="none">
            {t('tiers.multiplier', { x: f.num(Math.round((level.multiplier - 1) * 100)) })}
          </Badge>
        )}
      </Group>
      {mine && mine.measure !== null && (
        <Text size="sm" mt="md" data-testid="tier-measure">
          {t('app.tier.measure', { value: amount(mine.measure), window })}
        </Text>
      )}
      {nextLevel ? (
        <Stack gap={6} mt="sm">
          {next ? (
            <>
              <Group justify="space-between" wrap="nowrap">
                <Text size="sm">{t('app.tier.missing', { missing: amount(next.missing), tier: name(nextLevel) })}</Text>
                <Text size="xs" c="dimmed" className="vafa-num">
                  {f.percent(next.progress)}
                </Text>
              </Group>
              <Progress value={done} color="yellow" size="md" radius="xl" aria-label={t('tier.progress')} data-testid="tier-progress" />
            </>
          ) : (
            <Text size="sm">{t('app.tier.nextAt', { tier: name(nextLevel), amount: amount(nextLevel.threshold), window })}</Text>
          )}
        </Stack>
      ) : (
        level && (
          <Text size="sm" mt="sm" c="dimmed">
            {t('app.tier.top')}
          </Text>
        )
      )}
      {levels.length > 1 && (
        <Group gap={6} mt="md" wrap="nowrap" aria-label={t('app.tier.ladder')} data-testid="tier-ladder">
          {levels.map((l, i) => (
            <Tooltip key={l.code} label={`${name(l)}: ${amount(l.threshold)}`} withArrow>
              <Stack gap={2} style={{ flex: 1, minWidth: 0 }}>
                <div style={{ height: 6, borderRadius: 3, background: i <= idx ? 'var(--mantine-color-yellow-5)' : 'var(--mantine-color-gray-2)' }} />
                <Text size="xs" c={i === idx ? undefined : 'dimmed'} fw={i === idx ? 700 : 400} truncate ta="center">
                  {name(l)}
                </Text>
                <Text size="10px" c="dimmed" ta="center" className="vafa-num" truncate>
                  {amount(l.threshold)}
                </Text>
              </Stack>
            </Tooltip>
          ))}
        </Group>
      )}
    </Card>
  );
}
