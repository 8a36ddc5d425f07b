/**
 * What the daily occasions job reads outside its own tables. Members come through the
 * members module's door (src/modules/members/reads.ts); the one ledger read below (lots
 * about to expire) stays here until the ledger door offers it:
 *   LedgerService.expiringBetween(db, clubId, from, to)
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';

export {
  anniversaryCandidates,
  birthdayCandidates,
  memberContact as contact,
  profileCandidates,
  type OccasionCandidate as Candidate,
  type ProfileRow,
} from '../members/index.js';

/** Points per member whose lots expire in [from, to). */
export async function expiringBetween(ex: Executor, clubId: string, from: Date, to: Date): Promise<{ memberId: string; points: number; expiresAt: Date }[]> {
  const r = await sql<{ member_id: string; points: number; expires_at: Date }>`
    select member_id, sum(remaining)::bigint as points, min(expires_at) as expires_at from lots
    where club_id = ${clubId} and unit = 'points' and remaining > 0 and expires_at >= ${from} and expires_at < ${to}
    group by member_id order by member_id`.execute(ex);
  return r.rows.map((x) => ({ memberId: x.member_id, points: Number(x.points), expiresAt: new Date(x.expires_at) }));
}
