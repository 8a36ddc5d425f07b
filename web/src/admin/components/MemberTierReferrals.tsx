import { Badge, Group, Progress, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '../../shared/hooks';
import { hasMessage, useI18n } from '../../shared/i18n';
import { IconShare, IconTiers } from '../../shared/icons';
import { EmptyBlock, ErrorAlert, TableSkeleton } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

type TierInfo = {
  tier: string | null;
  measure: number | null;
  window: { from: string; to: string; measure: 'points' | 'rials' } | null;
  next: { tier: string; threshold: number; missing: number } | null;
  history: { from: string | null; to: string | null; reason: string; measure: number | null; at: string }[];
};
type Referral = { refereeId: string; status: string; reason: string | null; referrerPoints: number; refereePoints: number; at: string };

export function MemberTierTab({ memberId }: { memberId: string }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const q = useQuery<TierInfo>(`tier|${memberId}`, (signal) => client.get<TierInfo>(`/api/v1/members/${memberId}/tier`, signal));
  if (q.error) return <ErrorAlert error={q.error} onRetry={q.reload} />;
  if (q.loading || !q.data) return <TableSkeleton rows={3} cols={3} />;
  const d = q.data;
  const measure = (n: number | null) => (n === null ? '—' : d.window?.measure === 'rials' ? f.money(n) : f.points(n));
  const reason = (r: string) => (hasMessage(`tier.reason.${r}`) ? t(`tier.reason.${r}` as never) : r);
  return (
    <Stack gap="md">
      <Group gap="md">
        <Badge size="lg" variant="light" color="yellow" tt="none">
          {d.tier ?? t('tier.none')}
        </Badge>
        {d.window && (
          <Text size="sm" c="dimmed">
            {t('tier.measure', { value: measure(d.measure), from: f.digits(d.window.from), to: f.digits(d.window.to) })}
          </Text>
        )}
      </Group>
      {d.next && (
        <div>
          <Text size="sm" mb={6}>
            {t('tier.next', { tier: d.next.tier, missing: measure(d.next.missing) })}
          </Text>
          <Progress value={d.next.threshold > 0 ? Math.min(100, ((d.next.threshold - d.next.missing) / d.next.threshold) * 100) : 0} aria-label={t('tier.progress')} />
        </div>
      )}
      {d.history.length === 0 ? (
        <EmptyBlock icon={<IconTiers size={26} />} title={t('tier.noHistory')} />
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('history.when')}</Table.Th>
              <Table.Th>{t('tier.change')}</Table.Th>
              <Table.Th>{t('tier.why')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {d.history.map((h, i) => (
              <Table.Tr key={i}>
                <Table.Td>{f.date(h.at, 'dateTime')}</Table.Td>
                <Table.Td>
                  {t('tier.arrow', { from: h.from ?? '—', to: h.to ?? '—' })}
                </Table.Td>
                <Table.Td>{reason(h.reason)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

export function MemberReferralsTab({ memberId }: { memberId: string }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const q = useQuery<Referral[]>(`referrals|${memberId}`, (signal) => client.get<{ items: Referral[] }>(`/api/v1/members/${memberId}/referrals`, signal).then((r) => r.items));
  if (q.error) return <ErrorAlert error={q.error} onRetry={q.reload} />;
  if (q.loading) return <TableSkeleton rows={3} cols={3} />;
  const items = q.data ?? [];
  if (items.length === 0) return <EmptyBlock icon={<IconShare size={26} />} title={t('referrals.none')} description={t('referrals.noneHint')} />;
  return (
    <Table>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('history.when')}</Table.Th>
          <Table.Th>{t('referrals.friend')}</Table.Th>
          <Table.Th>{t('member.status')}</Table.Th>
          <Table.Th ta="end">{t('referrals.earned')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {items.map((r) => (
          <Table.Tr key={r.refereeId}>
            <Table.Td>{f.date(r.at)}</Table.Td>
            <Table.Td>
              <a href={`/admin/members/${r.refereeId}`} className="vafa-row-link">
                {t('audit.openMember')}
              </a>
            </Table.Td>
            <Table.Td>
              <Badge variant="light" tt="none" color={r.status === 'qualified' ? 'teal' : 'gray'}>
                {hasMessage(`referrals.status.${r.status}`) ? t(`referrals.status.${r.status}` as never) : r.status}
              </Badge>
            </Table.Td>
            <Table.Td ta="end" className="vafa-num">
              {f.num(r.referrerPoints)}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
