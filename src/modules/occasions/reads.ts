/**
 * Read-only look-ups of the members and ledger tables for the daily occasions job, kept in
 * this one file until those doors offer them:
 *   MemberService.birthdayCandidates / anniversaryCandidates / profileCandidates / contact
 *   LedgerService.expiringBetween(db, clubId, from, to)
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';

export interface Candidate {
  id: string;
  firstName: string | null;
  birthDate: string | null;
  joinedAt: Date;
}

const toCandidate = (r: { id: string; first_name: string | null; birth_date: string | null; created_at: Date }): Candidate => ({
  id: r.id,
  firstName: r.first_name,
  birthDate: r.birth_date ? String(r.birth_date).slice(0, 10) : null,
  joinedAt: new Date(r.created_at),
});

/** Active members born on any of these Gregorian (month, day) pairs (uses members_birthday). */
export async function birthdayCandidates(ex: Executor, clubId: string, pairs: { month: number; day: number }[]): Promise<Candidate[]> {
  const r = await sql<{ id: string; first_name: string | null; birth_date: string | null; created_at: Date }>`
    select id, first_name, birth_date, created_at from members
    where club_id = ${clubId} and status = 'active' and birth_date is not null
      and (extract(month from birth_date), extract(day from birth_date)) in
          (select m::numeric, d::numeric from unnest(${pairs.map((p) => p.month)}::int[], ${pairs.map((p) => p.day)}::int[]) as t(m, d))`.execute(ex);
  return r.rows.map(toCandidate);
}

/** Active members who joined on these local (month, day) pairs at least a year before `before`. */
export async function anniversaryCandidates(ex: Executor, clubId: string, tz: string, pairs: { month: number; day: number }[], before: Date): Promise<Candidate[]> {
  const r = await sql<{ id: string; first_name: string | null; birth_date: string | null; created_at: Date }>`
    select id, first_name, birth_date, created_at from members
    where club_id = ${clubId} and status = 'active' and created_at < ${before}
      and (extract(month from created_at at time zone ${tz}), extract(day from created_at at time zone ${tz})) in
          (select m::numeric, d::numeric from unnest(${pairs.map((p) => p.month)}::int[], ${pairs.map((p) => p.day)}::int[]) as t(m, d))`.execute(ex);
  return r.rows.map(toCandidate);
}

export interface ProfileRow {
  id: string;
  consent: boolean;
  values: Record<string, unknown>;
}

/** Members changed since `since` (all members when null), with their optional profile fields. */
export async function profileCandidates(ex: Executor, clubId: string, since: Date | null, afterId: string | null, limit: number): Promise<ProfileRow[]> {
  const r = await sql<Record<string, unknown> & { id: string; consent_marketing: boolean }>`
    select id, consent_marketing, first_name, last_name, birth_date, city, gender, email, national_code_hash, marital_status, education, interests
    from members where club_id = ${clubId} and status = 'active'
      ${since ? sql`and updated_at >= ${since}` : sql``} ${afterId ? sql`and id > ${afterId}` : sql``}
    order by id limit ${limit}`.execute(ex);
  return r.rows.map((m) => ({
    id: m.id,
    consent: m.consent_marketing,
    values: {
      firstName: m.first_name, lastName: m.last_name, birthDate: m.birth_date, city: m.city, gender: m.gender, email: m.email,
      nationalCode: m.national_code_hash, maritalStatus: m.marital_status, education: m.education, interests: m.interests,
    },
  }));
}

export async function contact(ex: Executor, clubId: string, memberId: string): Promise<{ mobile: string; consentSms: boolean; status: string } | null> {
  const r = await sql<{ mobile: string; consent_sms: boolean; status: string }>`select mobile, consent_sms, status from members where club_id = ${clubId} and id = ${memberId}`.execute(ex);
  const m = r.rows[0];
  return m ? { mobile: m.mobile, consentSms: m.consent_sms, status: m.status } : null;
}

/** Points per member whose lots expire in [from, to). */
export async function expiringBetween(ex: Executor, clubId: string, from: Date, to: Date): Promise<{ memberId: string; points: number; expiresAt: Date }[]> {
  const r = await sql<{ member_id: string; points: number; expires_at: Date }>`
    select member_id, sum(remaining)::bigint as points, min(expires_at) as expires_at from lots
    where club_id = ${clubId} and unit = 'points' and remaining > 0 and expires_at >= ${from} and expires_at < ${to}
    group by member_id order by member_id`.execute(ex);
  return r.rows.map((x) => ({ memberId: x.member_id, points: Number(x.points), expiresAt: new Date(x.expires_at) }));
}
