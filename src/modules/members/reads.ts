/**
 * The members door for other modules' read-only scans of the members table (the daily
 * occasions job, the tiers review, outbox delivery). Plain functions on an Executor, so a
 * caller may run them inside its own transaction. Nothing here writes.
 *
 * Indexes they rely on (EXPLAIN-checked on 100,000 members of a club, migrations/0360):
 *   birthdays      members_birthday (club_id, month, day of birth_date)
 *   anniversaries  members_joined_utc_md (club_id, UTC month, UTC day of created_at)
 *   profile scan   members_club_updated (club_id, updated_at) for "changed since" (the daily
 *                  case); the first full pass of a club walks the primary key by id
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';

export interface OccasionCandidate {
  id: string;
  firstName: string | null;
  birthDate: string | null;
  joinedAt: Date;
}

type CandidateRow = { id: string; first_name: string | null; birth_date: string | null; created_at: Date };
const toCandidate = (r: CandidateRow): OccasionCandidate => ({
  id: r.id,
  firstName: r.first_name,
  birthDate: r.birth_date ? String(r.birth_date).slice(0, 10) : null,
  joinedAt: new Date(r.created_at),
});

/** Active members born on any of these Gregorian (month, day) pairs (uses members_birthday). */
export async function birthdayCandidates(ex: Executor, clubId: string, pairs: { month: number; day: number }[]): Promise<OccasionCandidate[]> {
  if (pairs.length === 0) return [];
  const r = await sql<CandidateRow>`
    select id, first_name, birth_date, created_at from members
    where club_id = ${clubId} and status = 'active' and birth_date is not null
      and (extract(month from birth_date), extract(day from birth_date)) in
          (select m::numeric, d::numeric from unnest(${pairs.map((p) => p.month)}::int[], ${pairs.map((p) => p.day)}::int[]) as t(m, d))`.execute(ex);
  return r.rows.map(toCandidate);
}

/** The UTC (month, day) pairs a local (month, day) can fall on: ±1 day (leap and common years). */
function utcPairsAround(pairs: { month: number; day: number }[]): { month: number; day: number }[] {
  const out = new Map<string, { month: number; day: number }>();
  for (const p of pairs) {
    for (const year of [2024, 2025]) {
      const t = Date.UTC(year, p.month - 1, p.day);
      if (new Date(t).getUTCDate() !== p.day) continue; // 29 February in a common year
      for (const d of [-1, 0, 1]) {
        const x = new Date(t + d * 86_400_000);
        out.set(`${x.getUTCMonth() + 1}-${x.getUTCDate()}`, { month: x.getUTCMonth() + 1, day: x.getUTCDate() });
      }
    }
  }
  return [...out.values()];
}

/**
 * Active members who joined before `before` on one of these local (month, day) pairs of
 * any year, in the zone `tz`. The UTC month/day test (a superset: no zone is a day off UTC)
 * is answered by members_joined_utc_md; the exact local test runs on what it returns.
 */
export async function anniversaryCandidates(ex: Executor, clubId: string, tz: string, pairs: { month: number; day: number }[], before: Date): Promise<OccasionCandidate[]> {
  if (pairs.length === 0) return [];
  const utc = utcPairsAround(pairs);
  const r = await sql<CandidateRow>`
    select id, first_name, birth_date, created_at from members
    where club_id = ${clubId} and status = 'active' and created_at < ${before}
      and (extract(month from created_at at time zone 'UTC'), extract(day from created_at at time zone 'UTC')) in
          (select m::numeric, d::numeric from unnest(${utc.map((p) => p.month)}::int[], ${utc.map((p) => p.day)}::int[]) as t(m, d))
      and (extract(month from created_at at time zone ${tz}), extract(day from created_at at time zone ${tz})) in
          (select m::numeric, d::numeric from unnest(${pairs.map((p) => p.month)}::int[], ${pairs.map((p) => p.day)}::int[]) as t(m, d))`.execute(ex);
  return r.rows.map(toCandidate);
}

export interface ProfileRow {
  id: string;
  consent: boolean;
  values: Record<string, unknown>;
}

/**
 * Active members changed since `since` (all active members when null) with their optional
 * profile fields, a page at a time by id.
 */
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

/** Where and whether a member may be messaged. */
export async function memberContact(ex: Executor, clubId: string, memberId: string): Promise<{ mobile: string; consentSms: boolean; status: string } | null> {
  const r = await sql<{ mobile: string; consent_sms: boolean; status: string }>`select mobile, consent_sms, status from members where club_id = ${clubId} and id = ${memberId}`.execute(ex);
  const m = r.rows[0];
  return m ? { mobile: m.mobile, consentSms: m.consent_sms, status: m.status } : null;
}

/** Active members who hold a tier, a page at a time by id. */
export async function membersWithTier(ex: Executor, clubId: string, afterId: string | null, limit: number): Promise<{ id: string; tier: string; city: string | null; groups: string[] }[]> {
  const r = await sql<{ id: string; tier: string; city: string | null; groups: string[] }>`
    select id, tier, city, groups from members where club_id = ${clubId} and tier is not null and status = 'active'
      ${afterId ? sql`and id > ${afterId}` : sql``}
    order by id limit ${limit}`.execute(ex);
  return r.rows.map((m) => ({ ...m, groups: m.groups ?? [] }));
}
