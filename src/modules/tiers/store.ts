/** The tiers module's SQL: its programme, history and review markers. */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import { TierProgramSchema, type TierProgram } from './domain.js';
import { membersWithTier } from '../members/index.js';

export async function loadProgram(ex: Executor, clubId: string): Promise<TierProgram | null> {
  const r = await sql<{ definition: unknown }>`select definition from tier_programs where club_id = ${clubId}`.execute(ex);
  if (!r.rows[0]) return null;
  const p = TierProgramSchema.safeParse(r.rows[0].definition);
  return p.success ? p.data : null;
}

export async function saveProgram(ex: Executor, clubId: string, p: TierProgram | null): Promise<void> {
  if (p === null) {
    await sql`delete from tier_programs where club_id = ${clubId}`.execute(ex);
    return;
  }
  await sql`insert into tier_programs (club_id, definition) values (${clubId}, ${JSON.stringify(p)}::jsonb)
    on conflict (club_id) do update set definition = excluded.definition, updated_at = now()`.execute(ex);
}

export interface TierChange {
  memberId: string;
  from: string | null;
  to: string | null;
  reason: 'upgrade' | 'period_review' | 'inactivity' | 'manual' | 'refund';
  measure: number | null;
}

export async function insertHistory(ex: Executor, clubId: string, changes: TierChange[], at: Date): Promise<void> {
  if (changes.length === 0) return;
  await sql`insert into tier_history (club_id, member_id, from_tier, to_tier, reason, measure, at)
    select ${clubId}, m, f, t, r, ms, ${at} from unnest(${changes.map((c) => c.memberId)}::text[], ${changes.map((c) => c.from)}::text[],
      ${changes.map((c) => c.to)}::text[], ${changes.map((c) => c.reason)}::text[], ${changes.map((c) => c.measure)}::bigint[]) as x(m, f, t, r, ms)`.execute(ex);
}

export async function history(ex: Executor, clubId: string, memberId: string, limit = 50) {
  const r = await sql<{ from_tier: string | null; to_tier: string | null; reason: string; measure: number | null; at: Date }>`
    select from_tier, to_tier, reason, measure, at from tier_history where club_id = ${clubId} and member_id = ${memberId} order by id desc limit ${limit}`.execute(ex);
  return r.rows.map((h) => ({ from: h.from_tier, to: h.to_tier, reason: h.reason, measure: h.measure === null ? null : Number(h.measure), at: new Date(h.at).toISOString() }));
}

export async function lastChanges(ex: Executor, clubId: string, memberIds: string[]): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  if (memberIds.length === 0) return out;
  const r = await sql<{ member_id: string; at: Date }>`
    select member_id, max(at) as at from tier_history where club_id = ${clubId} and member_id = any(${memberIds}::text[]) group by member_id`.execute(ex);
  for (const row of r.rows) out.set(row.member_id, new Date(row.at));
  return out;
}

/** Claims a period review; false when it already ran. */
export async function claimReview(ex: Executor, clubId: string, key: string): Promise<boolean> {
  const r = await sql`insert into tier_reviews (club_id, period_key) values (${clubId}, ${key}) on conflict do nothing returning period_key`.execute(ex);
  return r.rows.length === 1;
}

export async function finishReview(ex: Executor, clubId: string, key: string, members: number): Promise<void> {
  await sql`update tier_reviews set members = ${members} where club_id = ${clubId} and period_key = ${key}`.execute(ex);
}

/** Members who hold a tier, a page at a time: the members module's read (its door). */
export const tieredMembers = (ex: Executor, clubId: string, afterId: string | null, limit: number) => membersWithTier(ex, clubId, afterId, limit);
