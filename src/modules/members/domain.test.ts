import { describe, expect, it } from 'vitest';
import { completeness, MemberCreateSchema, MemberPatchSchema, normaliseFields, SelfPatchSchema, type MemberPatch } from './domain.js';

const fa = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x06f0 + Number(d)));
const ar = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));

/** A 10-digit national code with a valid check digit. */
function validNationalCode(body9: string): string {
  const sum = [...body9].reduce((s, d, i) => s + Number(d) * (10 - i), 0);
  const r = sum % 11;
  return body9 + String(r < 2 ? r : 11 - r);
}
const NC = validNationalCode('123456789'); // 1234567891
const NC_BAD = NC.slice(0, 9) + String((Number(NC[9]) + 1) % 10);
const NC_SHORT = validNationalCode('001234567').replace(/^0+/, ''); // older cards drop leading zeros

describe('normaliseFields', () => {
  const ok: { name: string; input: MemberPatch; want: Record<string, unknown> }[] = [
    { name: 'mobile 09…', input: { mobile: '09123456789' }, want: { mobile: '+989123456789' } },
    { name: 'mobile in Persian digits', input: { mobile: fa('09123456789') }, want: { mobile: '+989123456789' } },
    { name: 'mobile in Arabic-Indic digits', input: { mobile: ar('09123456789') }, want: { mobile: '+989123456789' } },
    { name: 'mobile +98 with spaces', input: { mobile: '+98 912 345 6789' }, want: { mobile: '+989123456789' } },
    { name: 'mobile 0098…', input: { mobile: '00989123456789' }, want: { mobile: '+989123456789' } },
    { name: 'mobile without trunk zero', input: { mobile: '9123456789' }, want: { mobile: '+989123456789' } },
    { name: 'national code', input: { nationalCode: NC }, want: { nationalCode: NC } },
    { name: 'national code in Persian digits', input: { nationalCode: fa(NC) }, want: { nationalCode: NC } },
    { name: 'national code with its leading zeros dropped', input: { nationalCode: NC_SHORT }, want: { nationalCode: NC_SHORT.padStart(10, '0') } },
    { name: 'national code cleared', input: { nationalCode: null }, want: { nationalCode: null } },
    { name: 'national code blank → null', input: { nationalCode: '  ' }, want: { nationalCode: null } },
    { name: 'Jalali birth date, Persian digits', input: { birthDate: fa('1370/05/12') }, want: { birthDate: '1991-08-03' } },
    { name: 'Jalali leap day 1403/12/30', input: { birthDate: '1403/12/30' }, want: { birthDate: '2025-03-20' } },
    { name: 'Jalali date without zero padding', input: { birthDate: '1370/5/12' }, want: { birthDate: '1991-08-03' } },
    { name: 'ISO birth date', input: { birthDate: '1991-08-03' }, want: { birthDate: '1991-08-03' } },
    { name: 'birth date cleared', input: { birthDate: '' }, want: { birthDate: null } },
    { name: 'e-mail lower-cased', input: { email: 'Ali@Example.IR' }, want: { email: 'ali@example.ir' } },
    { name: 'empty name → null', input: { firstName: '' }, want: { firstName: null } },
    { name: 'interests and groups de-duplicated', input: { interests: ['کتاب', 'کتاب', 'سفر'], groups: ['doctor', 'doctor'] }, want: { interests: ['کتاب', 'سفر'], groups: ['doctor'] } },
    { name: 'consent flags', input: { consent: { sms: true, marketing: false } }, want: { consentSms: true, consentMarketing: false } },
    { name: 'nothing given → nothing set', input: {}, want: {} },
  ];
  it.each(ok)('$name', ({ input, want }) => {
    const r = normaliseFields(input);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toEqual(want);
  });

  const bad: { name: string; input: MemberPatch; code: string }[] = [
    { name: 'landline', input: { mobile: '02188776655' }, code: 'invalid_mobile' },
    { name: 'too short', input: { mobile: '0912345' }, code: 'invalid_mobile' },
    { name: 'foreign number', input: { mobile: '+14155550100' }, code: 'invalid_mobile' },
    { name: 'letters', input: { mobile: 'not a phone' }, code: 'invalid_mobile' },
    { name: 'national code with a wrong check digit', input: { nationalCode: NC_BAD }, code: 'invalid_national_code' },
    { name: 'national code, wrong check digit, Persian digits', input: { nationalCode: fa(NC_BAD) }, code: 'invalid_national_code' },
    { name: 'national code of one repeated digit', input: { nationalCode: '1111111111' }, code: 'invalid_national_code' },
    { name: 'national code too long', input: { nationalCode: '12345678901' }, code: 'invalid_national_code' },
    { name: '1404/12/30 (1404 is not a leap year)', input: { birthDate: '1404/12/30' }, code: 'invalid_date' },
    { name: 'Jalali month 13', input: { birthDate: '1370/13/01' }, code: 'invalid_date' },
    { name: 'ISO 30 February', input: { birthDate: '2025-02-30' }, code: 'invalid_date' },
    { name: 'free text date', input: { birthDate: 'yesterday' }, code: 'invalid_date' },
  ];
  it.each(bad)('$name → $code', ({ input, code }) => {
    const r = normaliseFields(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });
});

describe('completeness', () => {
  it.each([
    { name: 'nothing filled', m: {}, want: 0 },
    { name: 'three of ten', m: { firstName: 'علی', lastName: 'رضایی', city: 'تهران' }, want: 30 },
    { name: 'empty values do not count', m: { firstName: '', lastName: null, interests: [], email: undefined }, want: 0 },
    { name: 'a non-empty list counts', m: { interests: ['کتاب'] }, want: 10 },
    {
      name: 'everything filled',
      m: { firstName: 'a', lastName: 'b', birthDate: '1991-08-03', city: 'c', gender: 'female', email: 'e@x.ir', nationalCode: 'hash', maritalStatus: 'single', education: 'phd', interests: ['x'] },
      want: 100,
    },
    { name: 'fields outside the profile do not count', m: { mobile: '+989123456789', tier: 'gold' } as Record<string, unknown>, want: 0 },
  ])('$name → $want%', ({ m, want }) => expect(completeness(m)).toBe(want));
});

describe('member schemas reject mass assignment', () => {
  const schemas = { create: MemberCreateSchema, patch: MemberPatchSchema, self: SelfPatchSchema };
  const cases = ['balance', 'tier', 'points', 'id', 'clubId', 'referralCode'].flatMap((field) =>
    (Object.keys(schemas) as (keyof typeof schemas)[]).map((schema) => ({ schema, field })),
  );
  it.each(cases)('$schema rejects `$field`', ({ schema, field }) => {
    const r = schemas[schema].safeParse({ ...(schema === 'create' ? { mobile: '09123456789' } : {}), [field]: field === 'balance' || field === 'points' ? 1_000_000 : 'gold' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(field);
  });

  it('a member may not change their own mobile, status or groups', () => {
    for (const body of [{ mobile: '09120000000' }, { status: 'active' }, { groups: ['vip'] }, { customerNo: 'C1' }]) {
      expect(SelfPatchSchema.safeParse(body).success, JSON.stringify(body)).toBe(false);
    }
  });

  it('the same fields without extras pass', () => {
    expect(MemberCreateSchema.safeParse({ mobile: '09123456789', firstName: 'علی' }).success).toBe(true);
    expect(MemberPatchSchema.safeParse({ firstName: 'علی' }).success).toBe(true);
    expect(SelfPatchSchema.safeParse({ firstName: 'علی' }).success).toBe(true);
  });
});
