import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import type { Secrets } from '../../platform/crypto.js';
import { maskMobile, maskNationalCode } from '../../platform/persian.js';
import { completeness, jalaliOrNull, type Member, type MemberColumns } from './domain.js';

export interface MemberRow {
  id: string;
  club_id: string;
  mobile: string;
  national_code_enc: string | null;
  national_code_hash: string | null;
  national_code_masked: string | null;
  customer_no: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  birth_date: string | null;
  city: string | null;
  gender: Member['gender'];
  marital_status: Member['maritalStatus'];
  education: string | null;
  interests: string[];
  groups: string[];
  consent_sms: boolean;
  consent_email: boolean;
  consent_marketing: boolean;
  status: Member['status'];
  referral_code: string;
  referred_by: string | null;
  joined_via: string;
  tier: string | null;
  created_at: Date;
  updated_at: Date;
}

export function toMember(r: MemberRow): Member {
  const birth = r.birth_date ? String(r.birth_date).slice(0, 10) : null;
  return {
    id: r.id,
    mobile: r.mobile,
    mobileMasked: maskMobile(r.mobile),
    nationalCodeMasked: r.national_code_masked,
    customerNo: r.customer_no,
    firstName: r.first_name,
    lastName: r.last_name,
    email: r.email,
    birthDate: birth,
    birthDateJalali: jalaliOrNull(birth),
    city: r.city,
    gender: r.gender,
    maritalStatus: r.marital_status,
    education: r.education,
    interests: r.interests ?? [],
    groups: r.groups ?? [],
    consent: { sms: r.consent_sms, email: r.consent_email, marketing: r.consent_marketing },
    status: r.status,
    tier: r.tier,
    referralCode: r.referral_code,
    referredBy: r.referred_by,
    joinedVia: r.joined_via,
    profileCompleteness: completeness({
      firstName: r.first_name,
      lastName: r.last_name,
      birthDate: birth,
      city: r.city,
      gender: r.gender,
      email: r.email,
      nationalCode: r.national_code_hash,
      maritalStatus: r.marital_status,
      education: r.education,
      interests: r.interests,
    }),
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** Column values for insert/update; the national code is encrypted with a blind index. */
export function toRow(c: MemberColumns, secrets: Secrets): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  if (c.mobile !== undefined) r.mobile = c.mobile;
  if (c.nationalCode !== undefined) {
    r.national_code_enc = c.nationalCode ? secrets.encrypt(c.nationalCode) : null;
    r.national_code_hash = c.nationalCode ? secrets.blindIndex('national_code', c.nationalCode) : null;
    r.national_code_masked = c.nationalCode ? maskNationalCode(c.nationalCode) : null;
  }
  const map: [keyof MemberColumns, string][] = [
    ['customerNo', 'customer_no'], ['firstName', 'first_name'], ['lastName', 'last_name'], ['email', 'email'],
    ['birthDate', 'birth_date'], ['city', 'city'], ['gender', 'gender'], ['maritalStatus', 'marital_status'],
    ['education', 'education'], ['interests', 'interests'], ['groups', 'groups'], ['consentSms', 'consent_sms'],
    ['consentEmail', 'consent_email'], ['consentMarketing', 'consent_marketing'], ['status', 'status'],
  ];
  for (const [k, col] of map) if (c[k] !== undefined) r[col] = c[k];
  return r;
}

export type MemberRef = { id: string } | { mobile: string } | { customerNo: string } | { nationalCode: string };

export async function findMember(db: Executor, clubId: string, by: { id?: string; mobile?: string; customerNo?: string; nationalCodeHash?: string; referralCode?: string }, lock = false): Promise<MemberRow | null> {
  let q = db.selectFrom('members').selectAll().where('club_id', '=', clubId);
  if (by.id !== undefined) q = q.where('id', '=', by.id);
  else if (by.mobile !== undefined) q = q.where('mobile', '=', by.mobile);
  else if (by.customerNo !== undefined) q = q.where('customer_no', '=', by.customerNo);
  else if (by.nationalCodeHash !== undefined) q = q.where('national_code_hash', '=', by.nationalCodeHash);
  else if (by.referralCode !== undefined) q = q.where('referral_code', '=', by.referralCode);
  else return null;
  const row = await (lock ? q.forUpdate() : q).executeTakeFirst();
  return (row as MemberRow | undefined) ?? null;
}

export interface ListQuery {
  clubId: string;
  q?: { mobile?: string; nationalCodeHash?: string; text?: string };
  group?: string;
  status?: string;
  cursor?: string;
  limit: number;
}

/** Newest first, keyset-paged by id (UUIDv7 ids are time-ordered). */
export async function listMembers(db: Executor, lq: ListQuery): Promise<MemberRow[]> {
  let q = db.selectFrom('members').selectAll().where('club_id', '=', lq.clubId);
  if (lq.q?.mobile) q = q.where('mobile', '=', lq.q.mobile);
  else if (lq.q?.nationalCodeHash) q = q.where('national_code_hash', '=', lq.q.nationalCodeHash);
  else if (lq.q?.text) {
    const t = lq.q.text;
    const like = `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb('customer_no', '=', t),
        eb('id', '=', t),
        eb('referral_code', '=', t.toUpperCase()),
        eb(sql`coalesce(first_name, '') || ' ' || coalesce(last_name, '')`, 'ilike', like),
      ]),
    );
  }
  if (lq.group) q = q.where(sql<boolean>`${lq.group} = any(groups)`);
  if (lq.status) q = q.where('status', '=', lq.status);
  if (lq.cursor) q = q.where('id', '<', lq.cursor);
  return (await q.orderBy('id', 'desc').limit(lq.limit).execute()) as MemberRow[];
}

/** What the earning engine and its wrappers read about a member, in the earn transaction. */
export interface MemberFacts {
  id: string;
  status: string;
  tier: string | null;
  groups: string[];
  city: string | null;
  birthDate: string | null;
  joinedAt: Date;
  referredBy: string | null;
  mobile: string;
  nationalCodeHash: string | null;
  /** Facts other modules add to the look-up (MemberService.addFact), by name. */
  extra?: Record<string, unknown>;
}

interface FactsRow {
  id: string;
  status: string;
  tier: string | null;
  groups: string[] | null;
  city: string | null;
  birth_date: string | null;
  created_at: Date;
  referred_by: string | null;
  mobile: string;
  national_code_hash: string | null;
  customer_no?: string | null;
}
export const FACT_COLUMNS = ['id', 'status', 'tier', 'groups', 'city', 'birth_date', 'created_at', 'referred_by', 'mobile', 'national_code_hash'] as const;

export function toFacts(r: FactsRow): MemberFacts {
  return {
    id: r.id,
    status: r.status,
    tier: r.tier,
    groups: r.groups ?? [],
    city: r.city,
    birthDate: r.birth_date ? String(r.birth_date).slice(0, 10) : null,
    joinedAt: new Date(r.created_at),
    referredBy: r.referred_by,
    mobile: r.mobile,
    nationalCodeHash: r.national_code_hash,
  };
}

export async function readFacts(ex: Executor, clubId: string, ids: string[]): Promise<Map<string, MemberFacts>> {
  const out = new Map<string, MemberFacts>();
  if (ids.length === 0) return out;
  const rows = await sql<FactsRow>`
    select id, status, tier, groups, city, birth_date, created_at, referred_by, mobile, national_code_hash
    from members where club_id = ${clubId} and id = any(${ids}::text[])`.execute(ex);
  for (const r of rows.rows) out.set(r.id, toFacts(r));
  return out;
}
