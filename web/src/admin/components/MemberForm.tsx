import { useState, type FormEvent } from 'react';
import { Button, Checkbox, Divider, Group, Select, SimpleGrid, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import { ApiError, type FieldError } from '../../shared/api';
import { isValidNationalCode, normalizeDigits, normalizeMobile } from '../../shared/digits';
import { useI18n } from '../../shared/i18n';
import { isoDateToJalali, formatJalali, parseJalali } from '../../shared/jalali';
import { JalaliDateInput } from '../../shared/JalaliDateInput';
import type { Member } from '../../shared/types';
import { ErrorAlert } from '../../shared/ui';

export type MemberFormValues = {
  mobile: string;
  nationalCode: string;
  customerNo: string;
  firstName: string;
  lastName: string;
  email: string;
  birthDate: string;
  city: string;
  gender: string;
  maritalStatus: string;
  education: string;
  interests: string[];
  groups: string[];
  status: string;
  consent: { sms: boolean; email: boolean; marketing: boolean };
};

export function initialValues(m?: Member): MemberFormValues {
  const j = m?.birthDate ? isoDateToJalali(m.birthDate) : null;
  return {
    mobile: '',
    nationalCode: '',
    customerNo: m?.customerNo ?? '',
    firstName: m?.firstName ?? '',
    lastName: m?.lastName ?? '',
    email: m?.email ?? '',
    birthDate: j ? formatJalali(j) : '',
    city: m?.city ?? '',
    gender: m?.gender ?? '',
    maritalStatus: m?.maritalStatus ?? '',
    education: m?.education ?? '',
    interests: m?.interests ?? [],
    groups: m?.groups ?? [],
    status: m?.status ?? 'active',
    consent: m?.consent ?? { sms: true, email: false, marketing: false },
  };
}

function fieldOf(e: FieldError): string {
  const p = Array.isArray(e.path) ? e.path.join('/') : e.path ?? e.field ?? '';
  return p.replace(/^body\/?/, '').split('/')[0] ?? '';
}

/** Groups are slugs (doctor, lawyer, دانشجو): lower case, spaces become dashes. */
const groupSlug = (g: string) => normalizeDigits(g).trim().toLowerCase().replace(/\s+/g, '-');

/** Create (with mobile) or edit a member; on edit sends the fields as they stand, blanks as null. */
export function MemberForm({ member, onSubmit, onCancel }: { member?: Member; onSubmit: (body: Record<string, unknown>) => Promise<void>; onCancel: () => void }) {
  const { t } = useI18n();
  const editing = Boolean(member);
  const [v, setV] = useState<MemberFormValues>(() => initialValues(member));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [serverError, setServerError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof MemberFormValues>(k: K, value: MemberFormValues[K]) => setV((s) => ({ ...s, [k]: value }));

  const validate = (): Record<string, string> => {
    const e: Record<string, string> = {};
    if (!editing && !normalizeMobile(v.mobile)) e.mobile = t('member.form.mobileInvalid');
    if (v.nationalCode.trim() && !isValidNationalCode(v.nationalCode)) e.nationalCode = t('member.form.nationalCodeInvalid');
    if (v.birthDate.trim() && !parseJalali(v.birthDate)) e.birthDate = t('jalali.invalid');
    if (v.email.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.email.trim())) e.email = t('member.form.emailInvalid');
    return e;
  };

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const e = validate();
    setErrors(e);
    if (Object.keys(e).length > 0) return;
    // Creating: omit blanks. Editing: a blank clears the field (null).
    const blank = editing ? null : undefined;
    const text = (s: string) => (s.trim() ? s.trim() : blank);
    const body: Record<string, unknown> = {
      firstName: text(v.firstName),
      lastName: text(v.lastName),
      customerNo: text(normalizeDigits(v.customerNo)),
      email: text(v.email),
      birthDate: text(normalizeDigits(v.birthDate)),
      city: text(v.city),
      gender: v.gender || blank,
      maritalStatus: v.maritalStatus || blank,
      education: text(v.education),
      interests: v.interests,
      groups: v.groups.map(groupSlug).filter(Boolean),
      consent: v.consent,
    };
    if (!editing) body.mobile = normalizeMobile(v.mobile);
    else body.status = v.status;
    if (v.nationalCode.trim()) body.nationalCode = normalizeDigits(v.nationalCode).trim();
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    setBusy(true);
    setServerError(null);
    try {
      await onSubmit(body);
    } catch (err) {
      if (err instanceof ApiError && err.errors?.length) {
        const fe: Record<string, string> = {};
        for (const x of err.errors) fe[fieldOf(x)] = x.message ?? t('error.validation_failed');
        setErrors(fe);
      } else if (err instanceof ApiError && err.code === 'invalid_date') setErrors({ birthDate: t('error.invalid_date') });
      else if (err instanceof ApiError && err.code === 'invalid_national_code') setErrors({ nationalCode: t('error.invalid_national_code') });
      else if (err instanceof ApiError && err.code === 'invalid_mobile') setErrors({ mobile: t('error.invalid_mobile') });
      setServerError(err);
    } finally {
      setBusy(false);
    }
  };

  const options = (pairs: [string, Parameters<typeof t>[0]][]) => pairs.map(([value, key]) => ({ value, label: t(key) }));

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        {serverError ? <ErrorAlert error={serverError} /> : null}
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {!editing && (
            <TextInput
              label={t('member.mobile')}
              placeholder="0912 345 6789"
              value={v.mobile}
              onChange={(e) => set('mobile', e.currentTarget.value)}
              error={errors.mobile}
              required
              dir="ltr"
              inputMode="tel"
              autoComplete="off"
              data-autofocus
            />
          )}
          <TextInput label={t('member.customerNo')} value={v.customerNo} onChange={(e) => set('customerNo', e.currentTarget.value)} error={errors.customerNo} dir="ltr" autoComplete="off" />
          <TextInput label={t('member.firstName')} value={v.firstName} onChange={(e) => set('firstName', e.currentTarget.value)} error={errors.firstName} />
          <TextInput label={t('member.lastName')} value={v.lastName} onChange={(e) => set('lastName', e.currentTarget.value)} error={errors.lastName} />
          <TextInput
            label={t('member.nationalCode')}
            description={editing ? t('member.form.nationalCodeReplace') : undefined}
            value={v.nationalCode}
            onChange={(e) => set('nationalCode', normalizeDigits(e.currentTarget.value))}
            error={errors.nationalCode}
            dir="ltr"
            inputMode="numeric"
            maxLength={10}
            autoComplete="off"
          />
          <JalaliDateInput label={t('member.birthDate')} value={v.birthDate} onChange={(x) => set('birthDate', x)} maxYear={1410} error={errors.birthDate} />
          <TextInput label={t('member.email')} value={v.email} onChange={(e) => set('email', e.currentTarget.value)} error={errors.email} dir="ltr" type="email" autoComplete="off" />
          <TextInput label={t('member.city')} value={v.city} onChange={(e) => set('city', e.currentTarget.value)} error={errors.city} />
          <Select
            label={t('member.gender')}
            value={v.gender || null}
            onChange={(x) => set('gender', x ?? '')}
            clearable
            data={options([['female', 'gender.female'], ['male', 'gender.male'], ['other', 'gender.other']])}
            error={errors.gender}
          />
          <Select
            label={t('member.maritalStatus')}
            value={v.maritalStatus || null}
            onChange={(x) => set('maritalStatus', x ?? '')}
            clearable
            data={options([['single', 'marital.single'], ['married', 'marital.married']])}
            error={errors.maritalStatus}
          />
          <TextInput label={t('member.education')} value={v.education} onChange={(e) => set('education', e.currentTarget.value)} error={errors.education} />
          <TagsInput label={t('member.interests')} description={t('member.tagsHint')} value={v.interests} onChange={(x) => set('interests', x)} error={errors.interests} />
          <TagsInput label={t('member.groups')} description={t('member.groupsHint')} value={v.groups} onChange={(x) => set('groups', x)} error={errors.groups} />
          {editing && (
            <Select
              label={t('member.status')}
              value={v.status}
              onChange={(x) => x && set('status', x)}
              allowDeselect={false}
              data={options([['active', 'status.active'], ['suspended', 'status.suspended'], ['closed', 'status.closed']])}
            />
          )}
        </SimpleGrid>
        <Divider />
        <Stack gap={6}>
          <Text size="sm" fw={500}>
            {t('member.consent')}
          </Text>
          <Group gap="lg">
            <Checkbox label={t('member.consent.sms')} checked={v.consent.sms} onChange={(e) => set('consent', { ...v.consent, sms: e.currentTarget.checked })} />
            <Checkbox label={t('member.consent.email')} checked={v.consent.email} onChange={(e) => set('consent', { ...v.consent, email: e.currentTarget.checked })} />
            <Checkbox label={t('member.consent.marketing')} checked={v.consent.marketing} onChange={(e) => set('consent', { ...v.consent, marketing: e.currentTarget.checked })} />
          </Group>
        </Stack>
        <Group justify="flex-end" mt="sm">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={busy}>
            {editing ? t('common.save') : t('member.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
