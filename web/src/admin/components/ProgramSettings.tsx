/** Club-wide programme settings beside the club's own: referrals and occasions (birthdays, anniversaries…). */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Button, Card, Chip, Group, Select, SimpleGrid, Stack, Switch, Text, TextInput, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { normalizeDigits } from '../../shared/digits';
import { eventLabel } from '../../shared/festival';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { FIELD_LABEL } from '../../shared/profile';
import { smsParts } from '../../shared/sms';
import { PROFILE_FIELDS, type OccasionSettings, type ReferralSettings } from '../../shared/types';
import { ErrorAlert } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

const int = (s: string) => (/^\d+$/.test(s) ? Number(s) : NaN);

function useNum() {
  const f = useFormat();
  return (v: string, set: (s: string) => void, disabled: boolean) => ({
    value: f.digits(v),
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => set(normalizeDigits(e.currentTarget.value).replace(/\D/g, '')),
    inputMode: 'numeric' as const,
    disabled,
  });
}

function SettingsCard({ title, hint, children, onSubmit, busy, readOnly, error, testId }: { title: string; hint: string; children: ReactNode; onSubmit: (e: FormEvent) => void; busy: boolean; readOnly: boolean; error: unknown; testId: string }) {
  const { t } = useI18n();
  return (
    <Card data-testid={testId}>
      <form onSubmit={onSubmit} noValidate>
        <Title order={3} fz="md">
          {title}
        </Title>
        <Text size="sm" c="dimmed" mt={4} mb="md">
          {hint}
        </Text>
        <Stack gap="md">
          {error ? <ErrorAlert error={error} /> : null}
          {children}
          {!readOnly && (
            <Group justify="flex-end">
              <Button type="submit" loading={busy}>
                {t('common.save')}
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Card>
  );
}

export function ReferralSettingsCard() {
  const { t } = useI18n();
  const f = useFormat();
  const num = useNum();
  const { client, can } = useAdmin();
  const readOnly = !can('write');
  const q = useQuery<ReferralSettings | null>('referral-settings', (signal) => client.get<{ settings: ReferralSettings | null }>('/api/v1/referrals/settings', signal).then((r) => r.settings));
  const types = useQuery<string[]>('event-types', (signal) => client.get<{ builtIn: string[]; custom: ({ name: string } | string)[] }>('/api/v1/event-types', signal).then((r) => [...r.builtIn, ...r.custom.map((c) => (typeof c === 'string' ? c : c.name))]));
  const [enabled, setEnabled] = useState(true);
  const [event, setEvent] = useState('purchase');
  const [min, setMin] = useState('');
  const [mine, setMine] = useState('100');
  const [theirs, setTheirs] = useState('50');
  const [capCount, setCapCount] = useState('');
  const [capPoints, setCapPoints] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const s = q.data;
    if (!s) return;
    setEnabled(s.enabled);
    setEvent(s.qualifyingEvent);
    setMin(s.minAmountRials ? String(s.minAmountRials) : '');
    setMine(String(s.referrerPoints));
    setTheirs(String(s.refereePoints));
    setCapCount(s.monthlyCap.count !== undefined ? String(s.monthlyCap.count) : '');
    setCapPoints(s.monthlyCap.points !== undefined ? String(s.monthlyCap.points) : '');
  }, [q.data]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (Number.isNaN(int(mine))) return;
    setBusy(true);
    setError(null);
    try {
      const r = await client.put<{ settings: ReferralSettings }>('/api/v1/referrals/settings', {
        enabled,
        qualifyingEvent: event,
        minAmountRials: min ? int(min) : 0,
        referrerPoints: int(mine),
        refereePoints: theirs ? int(theirs) : 0,
        monthlyCap: { ...(capCount ? { count: int(capCount) } : {}), ...(capPoints ? { points: int(capPoints) } : {}) },
      });
      q.setData(r.settings);
      notifications.show({ color: 'teal', message: t('common.saved') });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (q.error) return <ErrorAlert error={q.error} onRetry={q.reload} />;
  return (
    <SettingsCard title={t('program.referrals')} hint={t('program.referralsHint')} onSubmit={submit} busy={busy} readOnly={readOnly} error={error} testId="referral-settings">
      <Switch checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} label={t('program.referralsOn')} disabled={readOnly} />
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput label={t('program.referrerPoints')} {...num(mine, setMine, readOnly)} required />
        <TextInput label={t('program.refereePoints')} {...num(theirs, setTheirs, readOnly)} />
        <Select label={t('program.qualifyingEvent')} value={event} onChange={(v) => v && setEvent(v)} data={(types.data ?? ['purchase']).map((x) => ({ value: x, label: eventLabel(x, t) }))} allowDeselect={false} disabled={readOnly} />
        <TextInput label={t('program.minAmount')} description={min ? f.money(int(min)) : t('festival.form.optional')} {...num(min, setMin, readOnly)} />
        <TextInput label={t('program.capCount')} description={t('program.capHint')} {...num(capCount, setCapCount, readOnly)} />
        <TextInput label={t('program.capPoints')} description={t('program.capHint')} {...num(capPoints, setCapPoints, readOnly)} />
      </SimpleGrid>
    </SettingsCard>
  );
}

type OccForm = {
  birthdayOn: boolean;
  birthdayPoints: string;
  birthdaySms: boolean;
  birthdayText: string;
  anniversaryOn: boolean;
  anniversaryPoints: string;
  anniversarySms: boolean;
  anniversaryText: string;
  profileOn: boolean;
  perField: string;
  fields: string[];
  requireConsent: boolean;
  expiryOn: boolean;
  daysBefore: string;
  expiryText: string;
  sendHour: string;
};

function toForm(s: OccasionSettings | null): OccForm {
  return {
    birthdayOn: Boolean(s?.birthday),
    birthdayPoints: String(s?.birthday?.points ?? 100),
    birthdaySms: s?.birthday?.sms ?? true,
    birthdayText: s?.birthday?.text ?? '',
    anniversaryOn: Boolean(s?.anniversary),
    anniversaryPoints: String(s?.anniversary?.points ?? 100),
    anniversarySms: s?.anniversary?.sms ?? true,
    anniversaryText: s?.anniversary?.text ?? '',
    profileOn: Boolean(s?.profileFields),
    perField: String(s?.profileFields?.pointsPerField ?? 5),
    fields: s?.profileFields?.fields ?? [...PROFILE_FIELDS],
    requireConsent: s?.profileFields?.requireConsent ?? true,
    expiryOn: Boolean(s?.expiryReminder),
    daysBefore: String(s?.expiryReminder?.daysBefore ?? 7),
    expiryText: s?.expiryReminder?.text ?? '',
    sendHour: String(s?.sendHour ?? 10),
  };
}

export function OccasionSettingsCard() {
  const { t } = useI18n();
  const f = useFormat();
  const num = useNum();
  const { client, can } = useAdmin();
  const readOnly = !can('write');
  const q = useQuery<OccasionSettings | null>('occasion-settings', (signal) => client.get<{ settings: OccasionSettings | null }>('/api/v1/occasions/settings', signal).then((r) => r.settings));
  const [form, setForm] = useState<OccForm>(() => toForm(null));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (q.data !== undefined) setForm(toForm(q.data));
  }, [q.data]);
  const set = <K extends keyof OccForm>(k: K, v: OccForm[K]) => setForm((s) => ({ ...s, [k]: v }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const text = (s: string) => (s.trim() ? { text: s.trim() } : {});
    try {
      const r = await client.put<{ settings: OccasionSettings }>('/api/v1/occasions/settings', {
        ...(form.birthdayOn ? { birthday: { points: int(form.birthdayPoints) || 0, sms: form.birthdaySms, ...text(form.birthdayText) } } : {}),
        ...(form.anniversaryOn ? { anniversary: { points: int(form.anniversaryPoints) || 0, sms: form.anniversarySms, ...text(form.anniversaryText) } } : {}),
        ...(form.profileOn && form.fields.length ? { profileFields: { pointsPerField: Math.max(1, int(form.perField) || 1), fields: form.fields, requireConsent: form.requireConsent } } : {}),
        ...(form.expiryOn ? { expiryReminder: { daysBefore: Math.min(90, Math.max(1, int(form.daysBefore) || 7)), ...text(form.expiryText) } } : {}),
        sendHour: int(form.sendHour),
      });
      q.setData(r.settings);
      notifications.show({ color: 'teal', message: t('common.saved') });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const template = (value: string, onChange: (s: string) => void, vars: string) => {
    const p = smsParts(value);
    return (
      <div>
        <Textarea label={t('program.text')} description={t('program.textHint', { vars })} placeholder={t('program.textDefault')} value={value} onChange={(e) => onChange(e.currentTarget.value)} autosize minRows={2} disabled={readOnly} />
        {p.chars > 0 && (
          <Text size="xs" c="dimmed" mt={4} className="vafa-num">
            {t('program.smsParts', { chars: f.num(p.chars), parts: f.num(p.parts) })}
          </Text>
        )}
      </div>
    );
  };

  if (q.error) return <ErrorAlert error={q.error} onRetry={q.reload} />;
  return (
    <SettingsCard title={t('program.occasions')} hint={t('program.occasionsHint')} onSubmit={submit} busy={busy} readOnly={readOnly} error={error} testId="occasion-settings">
      <Section on={form.birthdayOn} onToggle={(v) => set('birthdayOn', v)} label={t('program.birthday')} hint={t('program.birthdayHint')} readOnly={readOnly}>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t('program.giftPoints')} {...num(form.birthdayPoints, (v) => set('birthdayPoints', v), readOnly)} />
          <Switch mt={28} checked={form.birthdaySms} onChange={(e) => set('birthdaySms', e.currentTarget.checked)} label={t('program.sendSms')} disabled={readOnly} />
        </SimpleGrid>
        {template(form.birthdayText, (v) => set('birthdayText', v), '{name} {club} {points}')}
      </Section>
      <Section on={form.anniversaryOn} onToggle={(v) => set('anniversaryOn', v)} label={t('program.anniversary')} hint={t('program.anniversaryHint')} readOnly={readOnly}>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t('program.giftPoints')} {...num(form.anniversaryPoints, (v) => set('anniversaryPoints', v), readOnly)} />
          <Switch mt={28} checked={form.anniversarySms} onChange={(e) => set('anniversarySms', e.currentTarget.checked)} label={t('program.sendSms')} disabled={readOnly} />
        </SimpleGrid>
        {template(form.anniversaryText, (v) => set('anniversaryText', v), '{name} {club} {points} {years}')}
      </Section>
      <Section on={form.profileOn} onToggle={(v) => set('profileOn', v)} label={t('program.profile')} hint={t('program.profileHint')} readOnly={readOnly}>
        <TextInput label={t('program.perField')} {...num(form.perField, (v) => set('perField', v), readOnly)} maw={220} />
        <Chip.Group multiple value={form.fields} onChange={(v) => set('fields', v)}>
          <Group gap={6}>
            {PROFILE_FIELDS.map((x) => (
              <Chip key={x} value={x} size="xs" disabled={readOnly}>
                {t(FIELD_LABEL[x])}
              </Chip>
            ))}
          </Group>
        </Chip.Group>
        <Switch checked={form.requireConsent} onChange={(e) => set('requireConsent', e.currentTarget.checked)} label={t('program.requireConsent')} disabled={readOnly} />
      </Section>
      <Section on={form.expiryOn} onToggle={(v) => set('expiryOn', v)} label={t('program.expiry')} hint={t('program.expiryHint')} readOnly={readOnly}>
        <TextInput label={t('program.daysBefore')} {...num(form.daysBefore, (v) => set('daysBefore', v), readOnly)} maw={220} />
        {template(form.expiryText, (v) => set('expiryText', v), '{club} {points} {date}')}
      </Section>
      <Select
        label={t('program.sendHour')}
        description={t('program.sendHourHint')}
        value={form.sendHour}
        onChange={(v) => v && set('sendHour', v)}
        data={Array.from({ length: 14 }, (_, i) => ({ value: String(i + 8), label: f.digits(`${String(i + 8).padStart(2, '0')}:00`) }))}
        allowDeselect={false}
        maw={220}
        disabled={readOnly}
      />
    </SettingsCard>
  );
}

function Section({ on, onToggle, label, hint, readOnly, children }: { on: boolean; onToggle: (v: boolean) => void; label: string; hint: string; readOnly: boolean; children: ReactNode }) {
  return (
    <Card withBorder padding="sm" radius="md" bg={on ? undefined : 'gray.0'}>
      <Switch checked={on} onChange={(e) => onToggle(e.currentTarget.checked)} label={<Text fw={600} size="sm">{label}</Text>} description={hint} disabled={readOnly} />
      {on && (
        <Stack gap="sm" mt="md">
          {children}
        </Stack>
      )}
    </Card>
  );
}
