import { Badge, Group, Stack, Text, ThemeIcon } from '@mantine/core';
import { useI18n, type MessageKey } from '../../shared/i18n';
import { IconCoins, IconGift, IconHourglass, IconAdjust, IconShare, IconWallet } from '../../shared/icons';
import type { HistoryEntry } from '../../shared/types';
import { SignedPoints } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';

const KIND: Record<string, { key: MessageKey; icon: typeof IconCoins }> = {
  earn: { key: 'kind.earn', icon: IconCoins },
  spend: { key: 'kind.spend', icon: IconGift },
  hold: { key: 'kind.hold', icon: IconHourglass },
  capture: { key: 'kind.capture', icon: IconGift },
  release: { key: 'kind.release', icon: IconCoins },
  reverse: { key: 'kind.reverse', icon: IconAdjust },
  expire: { key: 'kind.expire', icon: IconHourglass },
  adjust: { key: 'kind.adjust', icon: IconAdjust },
  transfer_in: { key: 'kind.transfer_in', icon: IconShare },
  transfer_out: { key: 'kind.transfer_out', icon: IconShare },
  convert: { key: 'kind.convert', icon: IconWallet },
};

/** Ledger entries as a member reads them: what happened, when, how much, and the balance after. */
export function HistoryList({ items }: { items: HistoryEntry[] }) {
  const { t } = useI18n();
  const f = useFormat();
  return (
    <Stack gap={0}>
      {items.map((h, i) => {
        const k = KIND[h.kind];
        const Icon = k?.icon ?? IconCoins;
        return (
          <Group key={h.entryId} justify="space-between" wrap="nowrap" py="sm" style={{ borderTop: i === 0 ? undefined : '1px solid var(--mantine-color-gray-2)' }}>
            <Group gap="sm" wrap="nowrap" style={{ minWidth: 0 }}>
              <ThemeIcon variant="light" radius="xl" size={38} color={h.amount >= 0 ? 'brand' : 'orange'}>
                <Icon size={18} />
              </ThemeIcon>
              <div style={{ minWidth: 0 }}>
                <Group gap={6} wrap="nowrap">
                  <Text size="sm" fw={600}>
                    {k ? t(k.key) : h.kind}
                  </Text>
                  {h.unit !== 'points' && (
                    <Badge size="xs" variant="light" color="grape">
                      {t('balance.wallet')}
                    </Badge>
                  )}
                </Group>
                <Text size="xs" c="dimmed" truncate>
                  {h.memo ? (
                    <>
                      <bdi>{h.memo}</bdi>
                      {' · '}
                    </>
                  ) : null}
                  {f.date(h.at, 'dateTime')}
                </Text>
              </div>
            </Group>
            <Stack gap={0} align="flex-end" style={{ flexShrink: 0 }}>
              {h.unit === 'points' ? <SignedPoints amount={h.amount} /> : <Text fw={600}>{f.money(h.amount)}</Text>}
              <Text size="xs" c="dimmed" className="vafa-num">
                {t('history.balanceAfterShort', { n: h.balanceAfter === null ? '—' : h.unit === 'points' ? f.num(h.balanceAfter) : f.money(h.balanceAfter) })}
              </Text>
            </Stack>
          </Group>
        );
      })}
    </Stack>
  );
}
