import { useEffect, useState, type FormEvent } from 'react';
import { Button, Card, Group, RingProgress, Select, SimpleGrid, Stack, Switch, TagsInput, Text, TextInput, ThemeIcon, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { ApiError } from '../../shared/api';
import { isValidNationalCode, normalizeDigits } from '../../shared/digits';
import { useQuery } from '../../shared/hooks';
import { useI18n, type MessageKey } from '../../shared/i18n';
import { IconCheck, IconLogout } from '../../shared/icons';
import { formatJalali, isoDateToJalali, parseJalali } from '../../shared/jalali';
import { JalaliDateInput } from '../../shared/JalaliDateInput';
import { PROFILE_FIELDS, type Member, type ProfileField } from '../../shared/types';
import { FIELD_LABEL } from '../../shared/profile';
import { CodeText, ErrorAlert, MobileText } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useMemberSession } from '../session';

type Form = {
  firstName: string;
  lastName: string;
  email: string;
  nationalCode: string;
  birthDate: string;
  city: string;
  gender: string;
  maritalStatus: string;
  education: string;
  interests: string[];
  consent: Member['consent'];
};

function toForm(m: Member): Form {
  const j = m.birthDate ? isoDateToJalali(m.birthDate) : null;
  return {
    firstName: m.firstName ?? '',
    lastName: m.lastName ?? '',
    email: m.email ?? '',
    nationalCode: '',
    birthDate: j ? formatJalali(j) : '',
    city: m.city ?? '',
    gender: m.gender ?? '',
    maritalStatus: m.maritalStatus ?? '',
    education: m.education ?? '',
    interests: m.interests ?? [],
    consent: m.consent,
  };
}


function filled(m: Member, f: ProfileField): boolean {
  const v = f === 'nationalCode' ? m.nationalCodeMasked : m[f];
  return Array.isArray(v) ? v.length > 0 : v !== null && v !== undefined && v !== '';
}

export default function ProfilePage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client, session, setMember, signOut } = useMemberSession();
  const me = useQuery<Member>('me', (signal) => client.get<Member>('/api/v1/me', signal));
  const m = me.data ?? session?.member;
  const [form, setForm] = useState<Form | null>(m ? toForm(m) : null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [errors, setErrors] = useState<Partial<Record<keyof Form, string>>>({});

  useEffect(() => {
    if (me.data) setForm(toForm(me.data));
  }, [me.data]);

  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((s) => (s ? { ...s, [k]: v } : s));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form) return;
    const errs: Partial<Record<keyof Form, string>> = {};
    if (form.birthDate.trim() && !parseJalali(form.birthDate)) errs.birthDate = t('jalali.invalid');
    if (form.nationalCode.trim() && !isValidNationalCode(form.nationalCode)) errs.nationalCode = t('member.form.nationalCodeInvalid');
    if (form.email.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(form.email.trim())) errs.email = t('member.form.emailInvalid');
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const text = (s: string) => (s.trim() ? s.trim() : null);
    const body: Record<string, unknown> = {
      firstName: text(form.firstName),
      lastName: text(form.lastName),
      email: text(form.email),
      birthDate: text(normalizeDigits(form.birthDate)),
      city: text(form.city),
      gender: form.gender || null,
      maritalStatus: form.maritalStatus || null,
      education: text(form.education),
      interests: form.interests,
      consent: form.consent,
    };
    if (form.nationalCode.trim()) body.nationalCode = normalizeDigits(form.nationalCode).trim();
    setBusy(true);
    setError(null);
    try {
      const next = await client.patch<Member>('/api/v1/me', body);
      me.setData(next);
      setMember(next);
      notifications.show({ color: 'teal', message: t('common.saved') });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'invalid_date') setErrors({ birthDate: t('error.invalid_date') });
      if (err instanceof ApiError && err.code === 'invalid_national_code') setErrors({ nationalCode: t('error.invalid_national_code') });
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const options = (pairs: [string, MessageKey][]) => pairs.map(([value, key]) => ({ value, label: t(key) }));

  return (
    <Stack gap="md">
      <Title order={1} fz={22}>
        {t('app.profile.title')}
      </Title>
      {m && (
        <Card padding="md">
          <Group wrap="nowrap" gap="md" align="flex-start">
            <RingProgress
              size={96}
              thickness={9}
              roundCaps
              sections={[{ value: m.profileCompleteness, color: 'brand' }]}
              label={
                <Text ta="center" fw={800} className="vafa-num" data-testid="profile-completeness">
                  {f.percent(m.profileCompleteness / 100)}
                </Text>
              }
            />
            <Stack gap={4} style={{ flex: 1 }}>
              <Text fw={700}>{t('member.profileCompleteness')}</Text>
              <Text size="xs" c="dimmed">
                {m.profileCompleteness >= 100 ? t('app.profile.complete') : t('app.profile.completeHint')}
              </Text>
              <Group gap={8} mt={6}>
                {PROFILE_FIELDS.map((x) => {
                  const done = filled(m, x);
                  return (
                    <Group key={x} gap={4} wrap="nowrap">
                      <ThemeIcon size={16} radius="xl" color={done ? 'teal' : 'gray'} variant={done ? 'filled' : 'light'} aria-label={t(done ? 'app.profile.fieldDone' : 'app.profile.fieldMissing')}>
                        <IconCheck size={11} />
                      </ThemeIcon>
                      <Text size="xs" c={done ? undefined : 'dimmed'}>
                        {t(FIELD_LABEL[x])}
                      </Text>
                    </Group>
                  );
                })}
              </Group>
            </Stack>
          </Group>
        </Card>
      )}
      <Card padding="md">
        <form onSubmit={submit} noValidate>
          <Stack gap="md">
            {error ? <ErrorAlert error={error} /> : null}
            <Group justify="space-between">
              <Text size="sm" c="dimmed">
                {t('member.mobile')}
              </Text>
              <Text size="sm" fw={600}>
                <MobileText value={m?.mobile || m?.mobileMasked} />
              </Text>
            </Group>
            <SimpleGrid cols={2}>
              <TextInput label={t('member.firstName')} value={form?.firstName ?? ''} onChange={(e) => set('firstName', e.currentTarget.value)} autoComplete="given-name" />
              <TextInput label={t('member.lastName')} value={form?.lastName ?? ''} onChange={(e) => set('lastName', e.currentTarget.value)} autoComplete="family-name" />
            </SimpleGrid>
            <JalaliDateInput label={t('member.birthDate')} description={t('app.profile.birthDateHint')} value={form?.birthDate ?? ''} onChange={(v) => set('birthDate', v)} maxYear={1410} error={errors.birthDate} />
            <SimpleGrid cols={2}>
              <TextInput label={t('member.city')} value={form?.city ?? ''} onChange={(e) => set('city', e.currentTarget.value)} autoComplete="address-level2" />
              <Select label={t('member.gender')} value={form?.gender || null} onChange={(v) => set('gender', v ?? '')} clearable data={options([['female', 'gender.female'], ['male', 'gender.male'], ['other', 'gender.other']])} />
              <Select label={t('member.maritalStatus')} value={form?.maritalStatus || null} onChange={(v) => set('maritalStatus', v ?? '')} clearable data={options([['single', 'marital.single'], ['married', 'marital.married']])} />
              <TextInput label={t('member.education')} value={form?.education ?? ''} onChange={(e) => set('education', e.currentTarget.value)} />
            </SimpleGrid>
            <TextInput label={t('member.email')} value={form?.email ?? ''} onChange={(e) => set('email', e.currentTarget.value)} error={errors.email} dir="ltr" type="email" autoComplete="email" />
            <TextInput
              label={t('member.nationalCode')}
              description={m?.nationalCodeMasked ? t('app.profile.nationalCodeOnFile', { code: f.digits(m.nationalCodeMasked) }) : t('app.profile.nationalCodeHint')}
              value={f.digits(form?.nationalCode ?? '')}
              onChange={(e) => set('nationalCode', normalizeDigits(e.currentTarget.value).replace(/\D/g, '').slice(0, 10))}
              error={errors.nationalCode}
              dir="ltr"
              inputMode="numeric"
              autoComplete="off"
            />
            <TagsInput label={t('member.interests')} description={t('member.tagsHint')} value={form?.interests ?? []} onChange={(v) => set('interests', v)} />
            <Stack gap="xs">
              <Text size="sm" fw={600}>
                {t('app.profile.messages')}
              </Text>
              <Switch label={t('app.profile.consentSms')} checked={form?.consent.sms ?? false} onChange={(e) => form && set('consent', { ...form.consent, sms: e.currentTarget.checked })} />
              <Switch label={t('app.profile.consentEmail')} checked={form?.consent.email ?? false} onChange={(e) => form && set('consent', { ...form.consent, email: e.currentTarget.checked })} />
              <Switch label={t('app.profile.consentMarketing')} checked={form?.consent.marketing ?? false} onChange={(e) => form && set('consent', { ...form.consent, marketing: e.currentTarget.checked })} />
            </Stack>
            <Button type="submit" loading={busy} disabled={!form}>
              {t('common.save')}
            </Button>
          </Stack>
        </form>
      </Card>
      {m?.referralCode && (
        <Card padding="md">
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {t('member.referralCode')}
            </Text>
            <Text fw={700}>
              <CodeText value={m.referralCode} />
            </Text>
          </Group>
        </Card>
      )}
      <Button variant="subtle" color="red" leftSection={<IconLogout size={18} />} onClick={signOut}>
        {t('auth.signOut')}
      </Button>
    </Stack>
  );
}
