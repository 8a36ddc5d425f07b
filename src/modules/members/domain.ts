/**
 * A member: one clean record per customer. Pure: validation and normalisation of what a
 * caller sends, profile completeness. Encryption is passed in (it needs the secret).
 */
import { z } from 'zod';
import { normalizeMobile, normalizeNationalCode, normalizeText } from '../../platform/persian.js';
import { formatJalali, parseDateInput } from '../../platform/jalali.js';
import { fail, ok, type Result } from '../../platform/result.js';

const text = (max: number) => z.string().max(max).transform(normalizeText);

export const JOIN_CHANNELS = ['api', 'pos', 'app', 'web', 'branch', 'import', 'referral'] as const;

/** What a caller may set. `.strict()`: balance, tier or points cannot be mass-assigned. */
export const MemberFieldsSchema = z
  .object({
    mobile: z.string().min(1).max(40),
    nationalCode: z.string().max(20).nullable(),
    customerNo: text(64).nullable(),
    firstName: text(100).nullable(),
    lastName: text(100).nullable(),
    email: z.email().max(200).nullable(),
    birthDate: z.string().max(20).nullable().describe('Jalali (1370/05/12) or ISO (1991-08-03)'),
    city: text(100).nullable(),
    gender: z.enum(['female', 'male', 'other']).nullable(),
    maritalStatus: z.enum(['single', 'married']).nullable(),
    education: text(100).nullable(),
    interests: z.array(text(50)).max(20),
    groups: z.array(z.string().trim().toLowerCase().regex(/^[\p{L}\p{N}_-]{1,50}$/u)).max(20),
    consent: z.object({ sms: z.boolean(), email: z.boolean(), marketing: z.boolean() }).partial(),
    status: z.enum(['active', 'suspended', 'closed']),
  })
  .partial()
  .strict();

export const MemberCreateSchema = MemberFieldsSchema.extend({
  mobile: z.string().min(1).max(40),
  referredByCode: z.string().trim().max(20).optional().describe("The referrer's referral code"),
  joinedVia: z.enum(JOIN_CHANNELS).optional(),
}).strict();
export type MemberCreate = z.infer<typeof MemberCreateSchema>;
export const MemberPatchSchema = MemberFieldsSchema;
export type MemberPatch = z.infer<typeof MemberPatchSchema>;
/** What a member may change about themselves. */
export const SelfPatchSchema = MemberFieldsSchema.omit({ mobile: true, status: true, customerNo: true, groups: true }).strict();

export interface Member {
  id: string;
  mobile: string;
  mobileMasked: string;
  nationalCodeMasked: string | null;
  customerNo: string | null;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  birthDate: string | null;
  birthDateJalali: string | null;
  city: string | null;
  gender: 'female' | 'male' | 'other' | null;
  maritalStatus: 'single' | 'married' | null;
  education: string | null;
  interests: string[];
  groups: string[];
  consent: { sms: boolean; email: boolean; marketing: boolean };
  status: 'active' | 'suspended' | 'closed';
  tier: string | null;
  referralCode: string;
  referredBy: string | null;
  joinedVia: string;
  profileCompleteness: number;
  createdAt: string;
  updatedAt: string;
}

/** Normalised, validated columns ready for the store (national code still in clear). */
export interface MemberColumns {
  mobile?: string;
  nationalCode?: string | null;
  customerNo?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  birthDate?: string | null;
  city?: string | null;
  gender?: 'female' | 'male' | 'other' | null;
  maritalStatus?: 'single' | 'married' | null;
  education?: string | null;
  interests?: string[];
  groups?: string[];
  consentSms?: boolean;
  consentEmail?: boolean;
  consentMarketing?: boolean;
  status?: 'active' | 'suspended' | 'closed';
}

export function normaliseFields(input: MemberPatch): Result<MemberColumns> {
  const c: MemberColumns = {};
  if (input.mobile !== undefined) {
    const m = normalizeMobile(input.mobile);
    if (!m) return fail('invalid_mobile', `"${input.mobile}" is not an Iranian mobile number`);
    c.mobile = m;
  }
  if (input.nationalCode !== undefined) {
    if (input.nationalCode === null || input.nationalCode.trim() === '') c.nationalCode = null;
    else {
      const n = normalizeNationalCode(input.nationalCode);
      if (!n) return fail('invalid_national_code', 'the national code fails its check digit');
      c.nationalCode = n;
    }
  }
  if (input.birthDate !== undefined) {
    if (input.birthDate === null || input.birthDate.trim() === '') c.birthDate = null;
    else {
      const iso = parseDateInput(input.birthDate);
      if (!iso) return fail('invalid_date', `"${input.birthDate}" is not a valid Jalali or ISO date`);
      c.birthDate = iso;
    }
  }
  for (const k of ['customerNo', 'firstName', 'lastName', 'city', 'education'] as const) {
    if (input[k] !== undefined) c[k] = input[k] === '' ? null : input[k];
  }
  if (input.email !== undefined) c.email = input.email?.toLowerCase() ?? null;
  if (input.gender !== undefined) c.gender = input.gender;
  if (input.maritalStatus !== undefined) c.maritalStatus = input.maritalStatus;
  if (input.interests !== undefined) c.interests = [...new Set(input.interests)];
  if (input.groups !== undefined) c.groups = [...new Set(input.groups)];
  if (input.consent?.sms !== undefined) c.consentSms = input.consent.sms;
  if (input.consent?.email !== undefined) c.consentEmail = input.consent.email;
  if (input.consent?.marketing !== undefined) c.consentMarketing = input.consent.marketing;
  if (input.status !== undefined) c.status = input.status;
  return ok(c);
}

/** The optional profile fields whose completion the club rewards (IRAN.md: 5 points each). */
export const PROFILE_FIELDS = ['firstName', 'lastName', 'birthDate', 'city', 'gender', 'email', 'nationalCode', 'maritalStatus', 'education', 'interests'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

export function filledProfileFields(m: { [K in ProfileField]?: unknown }): ProfileField[] {
  return PROFILE_FIELDS.filter((f) => {
    const v = m[f];
    return Array.isArray(v) ? v.length > 0 : v !== null && v !== undefined && v !== '';
  });
}

export const completeness = (m: { [K in ProfileField]?: unknown }): number =>
  Math.round((filledProfileFields(m).length * 100) / PROFILE_FIELDS.length);

const REF_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ'; // no 0/O, 1/I
/** A referral code from random bytes (passed in: domain code does no I/O). */
export function referralCode(bytes: Uint8Array): string {
  return Array.from(bytes.slice(0, 8), (b) => REF_ALPHABET[b % 32]).join('');
}

export const jalaliOrNull = (iso: string | null): string | null => (iso ? formatJalali(iso) : null);
