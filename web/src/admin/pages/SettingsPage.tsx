import { useEffect, useState, type FormEvent } from 'react';
import { Alert, Button, Card, Grid, Group, SegmentedControl, Select, SimpleGrid, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { normalizeDigits } from '../../shared/digits';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconAlert } from '../../shared/icons';
import type { Club } from '../../shared/types';
import { ErrorAlert, PageHeader } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';
import { OccasionSettingsCard, ReferralSettingsCard } from '../components/ProgramSettings';

const TIME_ZONES = ['Asia/Tehran', 'Asia/Dubai', 'Asia/Kabul', 'Europe/Istanbul', 'UTC'];

type Form = {
  nameFa: string;
  nameEn: string;
  timeZone: string;
  currencyDisplay: 'rial' | 'toman';
  pointValueRials: string;
  expiryMonths: string;
  pendingDays: string;
  earnPoints: string;
  earnPerRials: string;
  allowTransfers: boolean;
};

function toForm(c: Club): Form {
  return {
    nameFa: c.name.fa,
    nameEn: c.name.en,
    timeZone: c.timeZone,
    currencyDisplay: c.currencyDisplay,
    pointValueRials: String(c.pointValueRials),
    expiryMonths: String(c.expiryMonths),
    pendingDays: String(c.pendingDays),
    earnPoints: String(c.earnRate.points),
    earnPerRials: String(c.earnRate.perRials),
    allowTransfers: c.allowTransfers,
  };
}

const int = (s: string) => (/^\d+$/.test(s) ? Number(s) : NaN);

export default function SettingsPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can, setClub } = useAdmin();
  const q = useQuery<Club>('club', (signal) => client.get<Club>('/api/v1/club', signal));
  const [form, setForm] = useState<Form | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const readOnly = !can('owner');

  useEffect(() => {
    if (q.data) setForm(toForm(q.data));
  }, [q.data]);

  if (q.error) return <ErrorAlert error={q.error} onRetry={q.reload} />;

  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((s) => (s ? { ...s, [k]: v } : s));
  const numField = (k: 'pointValueRials' | 'expiryMonths' | 'pendingDays' | 'earnPoints' | 'earnPerRials') => ({
    value: form ? f.digits(form[k]) : '',
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => set(k, normalizeDigits(e.currentTarget.value).replace(/[^\d]/g, '')),
    inputMode: 'numeric' as const,
    dir: 'ltr' as const,
    styles: { input: { textAlign: f.locale === 'fa' ? ('right' as const) : ('left' as const) } },
    disabled: readOnly,
    error: form && Number.isNaN(int(form[k])) ? t('settings.numberRequired') : undefined,
  });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form) return;
    const nums = [form.pointValueRials, form.expiryMonths, form.pendingDays, form.earnPoints, form.earnPerRials].map(int);
    if (nums.some(Number.isNaN) || !form.nameFa.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const next = await client.patch<Club>('/api/v1/club', {
        name: { fa: form.nameFa.trim(), en: form.nameEn.trim() },
        timeZone: form.timeZone,
        currencyDisplay: form.currencyDisplay,
        pointValueRials: nums[0],
        expiryMonths: nums[1],
        pendingDays: nums[2],
        earnRate: { points: nums[3], perRials: nums[4] },
        allowTransfers: form.allowTransfers,
      });
      q.setData(next);
      setClub(next);
      notifications.show({ color: 'teal', message: t('common.saved') });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const example = form ? Math.floor((1_000_000 * int(form.earnPoints)) / Math.max(1, int(form.earnPerRials))) : 0;

  return (
    <>
      <PageHeader title={t('settings.title')} subtitle={t('settings.subtitle')} />
      {readOnly && (
        <Alert color="gray" variant="light" icon={<IconAlert />} mb="md">
          {t('settings.ownerOnly')}
        </Alert>
      )}
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          {error ? <ErrorAlert error={error} /> : null}
          <Grid gap="md">
            <Grid.Col span={{ base: 12, md: 6 }}>
              <Card h="100%">
                <Title order={3} fz="md" mb="md">
                  {t('settings.identity')}
                </Title>
                <Stack gap="md">
                  <TextInput label={t('settings.nameFa')} value={form?.nameFa ?? ''} onChange={(e) => set('nameFa', e.currentTarget.value)} required disabled={readOnly} dir="rtl" lang="fa" />
                  <TextInput label={t('settings.nameEn')} value={form?.nameEn ?? ''} onChange={(e) => set('nameEn', e.currentTarget.value)} disabled={readOnly} dir="ltr" lang="en" />
                  <TextInput label={t('settings.slug')} value={q.data?.slug ?? ''} readOnly disabled dir="ltr" description={t('settings.slugHint')} />
                  <Select
                    label={t('settings.timeZone')}
                    description={t('settings.timeZoneHint')}
                    value={form?.timeZone ?? null}
                    onChange={(v) => v && set('timeZone', v)}
                    data={Array.from(new Set([...(form ? [form.timeZone] : []), ...TIME_ZONES]))}
                    allowDeselect={false}
                    disabled={readOnly}
                    searchable
                  />
                  <div>
                    <Text size="sm" fw={500} mb={6} id="currency-label">
                      {t('settings.currencyDisplay')}
                    </Text>
                    <SegmentedControl
                      aria-labelledby="currency-label"
                      value={form?.currencyDisplay ?? 'rial'}
                      onChange={(v) => set('currencyDisplay', v as 'rial' | 'toman')}
                      disabled={readOnly}
                      data={[
                        { value: 'rial', label: t('unit.rialName') },
                        { value: 'toman', label: t('unit.tomanName') },
                      ]}
                    />
                    <Text size="xs" c="dimmed" mt={6}>
                      {t('settings.currencyHint')}
                    </Text>
                  </div>
                </Stack>
              </Card>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 6 }}>
              <Card h="100%">
                <Title order={3} fz="md" mb="md">
                  {t('settings.economy')}
                </Title>
                <Stack gap="md">
                  <SimpleGrid cols={2}>
                    <TextInput label={t('settings.earnPoints')} {...numField('earnPoints')} />
                    <TextInput label={t('settings.earnPerRials')} {...numField('earnPerRials')} />
                  </SimpleGrid>
                  <Text size="xs" c="dimmed" mt={-8}>
                    {t('settings.earnExample', { amount: f.money(1_000_000), n: f.num(Number.isFinite(example) ? example : 0) })}
                  </Text>
                  <TextInput label={t('settings.pointValueRials')} description={t('settings.pointValueHint')} {...numField('pointValueRials')} />
                  <SimpleGrid cols={2}>
                    <TextInput label={t('settings.expiryMonths')} description={t('settings.expiryHint')} {...numField('expiryMonths')} />
                    <TextInput label={t('settings.pendingDays')} description={t('settings.pendingHint')} {...numField('pendingDays')} />
                  </SimpleGrid>
                  <Switch
                    label={t('settings.allowTransfers')}
                    description={t('settings.allowTransfersHint')}
                    checked={form?.allowTransfers ?? false}
                    onChange={(e) => set('allowTransfers', e.currentTarget.checked)}
                    disabled={readOnly}
                  />
                </Stack>
              </Card>
            </Grid.Col>
          </Grid>
          {!readOnly && (
            <Group justify="flex-end">
              <Button variant="default" onClick={() => q.data && setForm(toForm(q.data))} disabled={busy}>
                {t('common.reset')}
              </Button>
              <Button type="submit" loading={busy} disabled={!form}>
                {t('common.save')}
              </Button>
            </Group>
          )}
        </Stack>
      </form>
      <Title order={2} fz={20} mt={40} mb={4}>
        {t('program.title')}
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        {t('program.subtitle')}
      </Text>
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 6 }}>
          <OccasionSettingsCard />
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 6 }}>
          <ReferralSettingsCard />
        </Grid.Col>
      </Grid>
    </>
  );
}

