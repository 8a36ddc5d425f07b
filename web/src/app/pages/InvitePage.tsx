import { Badge, Button, Card, CopyButton, Group, Progress, SimpleGrid, Skeleton, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { ApiError } from '../../shared/api';
import { useQuery } from '../../shared/hooks';
import type { MyReferrals } from '../../shared/types';
import { useFormat } from '../../shared/useFormat';
import { hasMessage, useI18n, type MessageKey } from '../../shared/i18n';
import { IconCheck, IconCopy, IconShare } from '../../shared/icons';
import { CodeText, ErrorAlert, Ltr, MobileText } from '../../shared/ui';
import { useMemberSession } from '../session';

export default function InvitePage() {
  const { t } = useI18n();
  const { session } = useMemberSession();
  const code = session?.member.referralCode ?? '';
  const link = code ? `${window.location.origin}/app/login?club=${encodeURIComponent(session?.clubSlug ?? '')}&ref=${encodeURIComponent(code)}` : '';
  const canShare = typeof navigator !== 'undefined' && 'share' in navigator;

  return (
    <Stack gap="md">
      <Title order={1} fz={22}>
        {t('app.invite.title')}
      </Title>
      <Card padding="lg" ta="center">
        <Stack align="center" gap="sm">
          <ThemeIcon size={64} radius="xl" variant="light">
            <IconShare size={30} />
          </ThemeIcon>
          <Text c="dimmed" size="sm" maw={360}>
            {t('app.invite.body')}
          </Text>
          {code ? (
            <>
              <Text size="xs" c="dimmed" mt="sm">
                {t('member.referralCode')}
              </Text>
              <Text fz={28} fw={800} style={{ letterSpacing: 2 }}>
                <CodeText value={code} />
              </Text>
              <Group gap="sm" mt="xs">
                <CopyButton value={link}>
                  {({ copied, copy }) => (
                    <Button onClick={copy} variant={copied ? 'light' : 'filled'} leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}>
                      {copied ? t('common.copied') : t('app.invite.copyLink')}
                    </Button>
                  )}
                </CopyButton>
                {canShare && (
                  <Button variant="default" leftSection={<IconShare size={16} />} onClick={() => navigator.share({ title: t('app.invite.shareTitle'), text: t('app.invite.shareText', { code }), url: link }).catch(() => undefined)}>
                    {t('app.invite.share')}
                  </Button>
                )}
              </Group>
              <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                <Ltr>{link}</Ltr>
              </Text>
            </>
          ) : (
            <Text size="sm">{t('app.invite.noCode')}</Text>
          )}
        </Stack>
      </Card>
      <ReferralProgress />
    </Stack>
  );
}

/**
 * Friends the member invited and what each earned. Reads GET /api/v1/me/referrals: friends
 * who joined with the code (pending until their first qualifying purchase, then qualified,
 * capped or rejected), the programme's terms and this month against the cap; an API without
 * that route gets an honest "soon" instead of an error.
 */
function ReferralProgress() {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const q = useQuery<MyReferrals | null>('me-referrals', (signal) =>
    client.get<MyReferrals>('/api/v1/me/referrals', signal).catch((e) => {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }),
  );
  if (q.error) return <ErrorAlert error={q.error} onRetry={q.reload} />;
  if (q.loading) return <Skeleton height={120} radius="lg" />;
  const d = q.data;
  if (!d)
    return (
      <Card padding="md">
        <Group justify="space-between">
          <Text fw={600}>{t('app.invite.progress')}</Text>
          <Badge variant="light">{t('common.comingSoon')}</Badge>
        </Group>
        <Text size="sm" c="dimmed" mt={4}>
          {t('app.invite.progressSoon')}
        </Text>
      </Card>
    );
  const totals = d.totals ?? { invited: d.items.length, pending: 0, qualified: d.items.filter((r) => r.status === 'qualified').length, earned: d.items.reduce((s, r) => s + r.referrerPoints, 0) };
  const cap = d.settings?.monthlyCap.count;
  const status = (s: string) => (hasMessage(`referrals.status.${s}`) ? t(`referrals.status.${s}` as MessageKey) : s);
  const color = (s: string) => (s === 'qualified' ? 'teal' : s === 'pending' ? 'blue' : s === 'capped' ? 'orange' : 'gray');
  return (
    <Card padding="md" data-testid="referral-progress">
      <Text fw={700} mb="sm">
        {t('app.invite.progress')}
      </Text>
      <SimpleGrid cols={3} spacing="xs">
        {[
          { label: t('app.invite.invited'), value: f.num(totals.invited) },
          { label: t('app.invite.qualified'), value: f.num(totals.qualified) },
          { label: t('app.invite.earned'), value: f.num(totals.earned) },
        ].map((x) => (
          <Card key={x.label} padding="xs" bg="gray.0" ta="center">
            <Text fw={800} fz="xl" className="vafa-num">
              {x.value}
            </Text>
            <Text size="xs" c="dimmed">
              {x.label}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
      {d.settings && d.settings.referrerPoints > 0 && (
        <Text size="sm" mt="sm">
          {t('app.invite.terms', { mine: f.num(d.settings.referrerPoints), theirs: f.num(d.settings.refereePoints) })}
        </Text>
      )}
      {cap !== undefined && d.thisMonth && (
        <div style={{ marginTop: 12 }}>
          <Group justify="space-between" mb={4}>
            <Text size="xs" c="dimmed">
              {t('app.invite.cap')}
            </Text>
            <Text size="xs" className="vafa-num">
              {t('app.game.progress', { done: f.num(d.thisMonth.count), target: f.num(cap) })}
            </Text>
          </Group>
          <Progress value={cap > 0 ? Math.min(100, (d.thisMonth.count / cap) * 100) : 100} size="sm" radius="xl" color={d.thisMonth.capReached ? 'orange' : undefined} aria-label={t('app.invite.cap')} />
          {d.thisMonth.capReached && (
            <Text size="xs" c="orange.8" mt={4}>
              {t('app.invite.capReached')}
            </Text>
          )}
        </div>
      )}
      {d.items.length === 0 ? (
        <Text size="sm" c="dimmed" mt="md">
          {t('app.invite.none')}
        </Text>
      ) : (
        <Stack gap={6} mt="md">
          {d.items.map((r) => (
            <Group key={r.refereeId} justify="space-between" wrap="nowrap" data-testid="referral-friend">
              <div style={{ minWidth: 0 }}>
                <Group gap={6} wrap="nowrap">
                  <Text size="sm" fw={600} truncate>
                    {r.name || t('app.invite.friend')}
                  </Text>
                  {r.mobileMasked && (
                    <Text size="xs" c="dimmed">
                      <MobileText value={r.mobileMasked} />
                    </Text>
                  )}
                </Group>
                <Group gap={6} wrap="nowrap">
                  <Badge size="xs" variant="light" tt="none" color={color(r.status)}>
                    {status(r.status)}
                  </Badge>
                  <Text size="xs" c="dimmed">
                    {r.status === 'pending' ? t('app.invite.joinedOn', { date: f.date(r.joinedAt ?? r.at) }) : t('app.invite.settledOn', { date: f.date(r.at) })}
                  </Text>
                </Group>
              </div>
              <Text fw={700} className="vafa-num" c={r.referrerPoints > 0 ? 'teal' : 'dimmed'} dir="ltr">
                {r.referrerPoints > 0 ? `+${f.num(r.referrerPoints)}` : '—'}
              </Text>
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  );
}
