import { useState } from 'react';
import { Badge, Button, Card, CopyButton, Group, Modal, SegmentedControl, SimpleGrid, Skeleton, Stack, Text, TextInput, ThemeIcon, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery } from '../../shared/hooks';
import { hasMessage, isolate, useI18n, type MessageKey } from '../../shared/i18n';
import { IconCheck, IconCopy, IconGift, IconTicket } from '../../shared/icons';
import type { CatalogueItem, Page, Redemption } from '../../shared/types';
import { EmptyBlock, ErrorAlert, Ltr } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useMemberSession } from '../session';

const TYPE_KEYS: Record<string, MessageKey> = {
  coupon: 'reward.type.coupon',
  product: 'reward.type.product',
  digital: 'reward.type.digital',
  partner_voucher: 'reward.type.partner_voucher',
  wallet_credit: 'reward.type.wallet_credit',
  donation: 'reward.type.donation',
  draw_ticket: 'reward.type.draw_ticket',
  bundle: 'reward.type.bundle',
};

export default function RewardsPage() {
  const { t } = useI18n();
  const [tab, setTab] = useState<'catalogue' | 'mine'>('catalogue');
  return (
    <Stack gap="md">
      <Title order={1} fz={22}>
        {t('app.nav.rewards')}
      </Title>
      <SegmentedControl
        fullWidth
        value={tab}
        onChange={(v) => setTab(v as 'catalogue' | 'mine')}
        data={[
          { value: 'catalogue', label: t('app.rewards.catalogue') },
          { value: 'mine', label: t('app.rewards.mine') },
        ]}
      />
      {tab === 'catalogue' ? <Catalogue onRedeemed={() => setTab('mine')} /> : <MyRedemptions />}
    </Stack>
  );
}

function Catalogue({ onRedeemed }: { onRedeemed: () => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const q = useQuery<CatalogueItem[]>('me-rewards', (signal) => client.get<{ items: CatalogueItem[] }>('/api/v1/me/rewards', signal).then((r) => r.items));
  const [picked, setPicked] = useState<CatalogueItem | null>(null);
  const [result, setResult] = useState<Redemption | null>(null);

  if (q.error) return <ErrorAlert error={q.error} onRetry={q.reload} />;
  if (q.loading)
    return (
      <Stack>
        {[1, 2, 3].map((i) => (
          <Skeleton key={i} height={110} radius="lg" />
        ))}
      </Stack>
    );
  const items = q.data ?? [];
  if (items.length === 0)
    return (
      <Card>
        <EmptyBlock icon={<IconGift size={26} />} title={t('app.rewards.empty')} description={t('app.rewards.emptyHint')} />
      </Card>
    );

  const reasonText = (r: string | null) => {
    if (!r) return '';
    const key = `error.${r}`;
    return hasMessage(key) ? t(key) : r;
  };

  return (
    <>
      <Stack gap="sm">
        {items.map((r) => (
          <Card key={r.id} padding="md">
            <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
              <Group gap="sm" wrap="nowrap" align="flex-start" style={{ minWidth: 0 }}>
                <ThemeIcon size={46} radius="md" variant="light" color={r.type === 'donation' ? 'pink' : 'brand'}>
                  <IconGift size={24} />
                </ThemeIcon>
                <div style={{ minWidth: 0 }}>
                  <Group gap={6}>
                    <Text fw={700}>{f.name(r.title)}</Text>
                    {r.freshness !== 'repeat' && (
                      <Badge size="xs" color={r.freshness === 'rotated' ? 'orange' : 'teal'} variant="light" tt="none">
                        {t(r.freshness === 'rotated' ? 'app.rewards.rotated' : 'app.rewards.new')}
                      </Badge>
                    )}
                  </Group>
                  <Text size="xs" c="dimmed">
                    {TYPE_KEYS[r.type] ? t(TYPE_KEYS[r.type]!) : r.type}
                    {r.stock !== null ? ` · ${t('app.rewards.left', { n: f.num(r.stock) })}` : ''}
                  </Text>
                  {f.name(r.description) && (
                    <Text size="sm" mt={4} lineClamp={2}>
                      {f.name(r.description)}
                    </Text>
                  )}
                  {!r.redeemable && r.reason && (
                    <Text size="xs" c="orange.8" mt={4}>
                      {reasonText(r.reason)}
                    </Text>
                  )}
                </div>
              </Group>
              <Stack gap={6} align="flex-end" style={{ flexShrink: 0 }}>
                <Text fw={800} className="vafa-num" c="brand.8">
                  {f.points(r.costPoints)}
                </Text>
                <Button size="xs" disabled={!r.redeemable} onClick={() => setPicked(r)} aria-label={t('app.rewards.redeemNamed', { name: isolate(f.name(r.title)) })}>
                  {t('app.rewards.redeem')}
                </Button>
              </Stack>
            </Group>
          </Card>
        ))}
      </Stack>
      {picked && (
        <RedeemModal
          item={picked}
          onClose={() => setPicked(null)}
          onDone={(red) => {
            setPicked(null);
            setResult(red);
            q.reload();
          }}
        />
      )}
      <Modal opened={result !== null} onClose={() => setResult(null)} title={<Text fw={700}>{t('app.rewards.doneTitle')}</Text>} centered radius="lg">
        {result && (
          <Stack gap="md" align="center" ta="center">
            <ThemeIcon size={56} radius="xl" color="teal" variant="light">
              <IconCheck size={30} />
            </ThemeIcon>
            {result.code ? (
              <>
                <Text size="sm">{t('app.rewards.yourCode')}</Text>
                <CodeBox code={result.code} />
                {result.codeExpiresAt && (
                  <Text size="xs" c="dimmed">
                    {t('app.rewards.validUntil', { date: f.date(result.codeExpiresAt) })}
                  </Text>
                )}
              </>
            ) : (
              <Text size="sm">{t(result.status === 'pending' ? 'app.rewards.pendingNote' : 'app.rewards.doneNote')}</Text>
            )}
            <Button
              variant="light"
              onClick={() => {
                setResult(null);
                onRedeemed();
              }}
            >
              {t('app.rewards.mine')}
            </Button>
          </Stack>
        )}
      </Modal>
    </>
  );
}

function RedeemModal({ item, onClose, onDone }: { item: CatalogueItem; onClose: () => void; onDone: (r: Redemption) => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [key] = useState(() => crypto.randomUUID());
  const [address, setAddress] = useState('');
  const needsAddress = item.type === 'product';

  const redeem = async () => {
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { rewardId: item.id };
      if (needsAddress) body.delivery = { address: address.trim() };
      const red = await client.post<Redemption>('/api/v1/me/redemptions', body, { 'idempotency-key': key });
      notifications.show({ color: 'teal', message: t('app.rewards.doneTitle') });
      onDone(red);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={onClose} title={<Text fw={700}>{t('app.rewards.confirmTitle')}</Text>} centered radius="lg">
      <Stack gap="md">
        <Text size="sm">{t('app.rewards.confirmBody', { name: isolate(f.name(item.title)), points: f.points(item.costPoints) })}</Text>
        {item.copayRials > 0 && <Text size="sm">{t('app.rewards.copay', { amount: f.money(item.copayRials) })}</Text>}
        {needsAddress && <TextInput label={t('app.rewards.address')} value={address} onChange={(e) => setAddress(e.currentTarget.value)} required data-autofocus />}
        {error ? <ErrorAlert error={error} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button onClick={redeem} loading={busy} disabled={needsAddress && address.trim().length < 5}>
            {t('app.rewards.confirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function CodeBox({ code }: { code: string }) {
  const { t } = useI18n();
  return (
    <Group gap="xs" wrap="nowrap" justify="center">
      <Text fz={22} fw={800} ff="monospace" data-testid="coupon-code" style={{ letterSpacing: 1 }}>
        <Ltr>{code}</Ltr>
      </Text>
      <CopyButton value={code}>
        {({ copied, copy }) => (
          <Button size="compact-sm" variant={copied ? 'light' : 'default'} onClick={copy} leftSection={copied ? <IconCheck size={14} /> : <IconCopy size={14} />}>
            {copied ? t('common.copied') : t('common.copy')}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}

const STATUS_KEYS: Record<string, MessageKey> = {
  pending: 'redemption.status.pending',
  fulfilled: 'redemption.status.fulfilled',
  failed: 'redemption.status.failed',
  cancelled: 'redemption.status.cancelled',
};

function MyRedemptions() {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const q = useQuery<Page<Redemption>>('me-redemptions', (signal) => client.get<Page<Redemption>>('/api/v1/me/redemptions?limit=50', signal));
  const rewards = useQuery<CatalogueItem[]>('me-rewards-names', (signal) => client.get<{ items: CatalogueItem[] }>('/api/v1/me/rewards', signal).then((r) => r.items));
  const nameOf = (id: string) => {
    const r = rewards.data?.find((x) => x.id === id);
    return r ? f.name(r.title) : t('app.rewards.reward');
  };
  if (q.error) return <ErrorAlert error={q.error} onRetry={q.reload} />;
  if (q.loading) return <Skeleton height={120} radius="lg" />;
  const items = q.data?.items ?? [];
  if (items.length === 0)
    return (
      <Card>
        <EmptyBlock icon={<IconTicket size={26} />} title={t('app.rewards.noneYet')} description={t('app.rewards.noneYetHint')} />
      </Card>
    );
  return (
    <SimpleGrid cols={1} spacing="sm">
      {items.map((r) => (
        <Card key={r.id} padding="md">
          <Group justify="space-between" wrap="nowrap">
            <div>
              <Text fw={700}>{nameOf(r.rewardId)}</Text>
              <Text size="xs" c="dimmed">
                {f.date(r.createdAt, 'dateTime')} · {f.points(r.points)}
              </Text>
            </div>
            <Badge variant="light" color={r.status === 'cancelled' || r.status === 'failed' ? 'gray' : r.status === 'pending' ? 'orange' : 'teal'} tt="none">
              {STATUS_KEYS[r.status] ? t(STATUS_KEYS[r.status]!) : r.status}
            </Badge>
          </Group>
          {r.code && (
            <Stack gap={4} mt="sm" align="center">
              <CodeBox code={r.code} />
              {r.codeExpiresAt && (
                <Text size="xs" c="dimmed">
                  {t('app.rewards.validUntil', { date: f.date(r.codeExpiresAt) })}
                </Text>
              )}
            </Stack>
          )}
        </Card>
      ))}
    </SimpleGrid>
  );
}
