import { Badge, Card, Group, Progress, Stack, Text, ThemeIcon } from '@mantine/core';
import { ApiError } from '../../shared/api';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconStar } from '../../shared/icons';
import type { MemberTier, TierProgram } from '../../shared/types';
import { useFormat } from '../../shared/useFormat';
import { useMemberSession } from '../session';

type Data = { program: TierProgram | null; mine: MemberTier | null };

/**
 * The member's tier and what the next one needs. The programme is public to members
 * (GET /api/v1/tiers); the measure so far comes from GET /api/v1/me/tier when the API has it —
 * without it the card still names the tier and the next threshold, just without a progress bar.
 */
export function TierCard({ tier }: { tier: string | null | undefined }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const q = useQuery<Data>(`me-tier|${tier ?? ''}`, async (signal) => {
    const [program, mine] = await Promise.all([
      client.get<{ program: TierProgram | null }>('/api/v1/tiers', signal).then((r) => r.program),
      client.get<MemberTier>('/api/v1/me/tier', signal).catch((e) => {
        if (e instanceof ApiError && (e.status === 404 || e.status === 403)) return null;
        throw e;
      }),
    ]);
    return { program, mine };
  });
  const p = q.data?.program;
  if (!p) return null;
  const code = q.data?.mine?.tier ?? tier ?? null;
  const idx = p.levels.findIndex((l) => l.code === code);
  const level = idx >= 0 ? p.levels[idx] : null;
  const nextLevel = p.levels[idx + 1] ?? null;
  const name = (l: { name: { fa: string; en?: string } } | null) => (l ? f.name({ fa: l.name.fa, en: l.name.en ?? '' }) : t('tier.none'));
  const amount = (n: number) => (p.measure === 'rials' ? f.money(n) : f.points(n));
  const next = q.data?.mine?.next ?? null;
  const window = p.window.kind === 'rolling' ? t('tiers.window.rollingN', { n: f.num(p.window.days) }) : t(p.window.kind === 'jalali_year' ? 'tiers.window.jalali_year' : 'tiers.window.jalali_month');
  const done = next && next.threshold > 0 ? Math.min(100, ((next.threshold - next.missing) / next.threshold) * 100) : 0;

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
      {nextLevel ? (
        <Stack gap={6} mt="md">
          {next ? (
            <>
              <Text size="sm">{t('app.tier.missing', { missing: amount(next.missing), tier: name(nextLevel) })}</Text>
              <Progress value={done} color="yellow" size="md" radius="xl" aria-label={t('tier.progress')} />
              <Text size="xs" c="dimmed">
                {t('tiers.qualifies', { what: t(p.measure === 'points' ? 'tiers.measure.points' : 'tiers.measure.rials'), when: window })}
              </Text>
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
    </Card>
  );
}
