/**
 * What a refunded purchase takes back from the earning engine's own state, in the refund's
 * transaction (an `EventService.onRefund` hook, wired in app.ts):
 *
 * - the activity day of the purchase (`member_days`, the tier measure): the refund's rials,
 *   and the purchase's rule points (base rate and rules, not referral or badge points —
 *   exactly what the earn path put there) in proportion to the rials refunded;
 * - the member's counters (`purchase_rials`, and `purchase` once the purchase is refunded in
 *   full), so "first purchase" style conditions see the truth again;
 * - the usage of limited rules that fired on the purchase (per-member periods and budgets):
 *   points in proportion, one `time` once the purchase is refunded in full.
 *
 * Shares are cumulative (`reversalTarget`, the ledger's own rule: floor(x × refunded /
 * purchase), all of it at a full refund), so two partial refunds never take back more than
 * the purchase put in. Every refund event runs this once: the events module inserts the
 * refund under its purchase's lock, and a replayed eventId never reaches the hooks.
 * Nothing here goes below zero. The tier is reconsidered right after, by the tiers module's
 * hook (`TierService.reconsiderAfterRefund`), on the corrected measure.
 */
import { sql } from 'kysely';
import type { Tx } from '../../platform/db.js';
import { periodKey, zonedParts } from '../../platform/jalali.js';
import type { RefundContext, RefundHook } from '../events/index.js';
import { reversalTarget, type LedgerService } from '../ledger/index.js';
import { compileRule } from './domain.js';
import { storedEvent } from './reads.js';
import { usageKey, type UsageKey } from './store.js';

/** The marker counter the earn path sets once a referee's referral is settled. */
const REFERRAL_COUNTER = 'referral';

/** How much of `amount` this refund takes back (cumulative over the purchase's refunds). */
export function refundShare(amount: number, r: Pick<RefundContext, 'purchaseRials' | 'refundedBeforeRials' | 'refundRials'>): number {
  const before = reversalTarget({ earned: amount, purchaseRials: r.purchaseRials, refundedBeforeRials: 0, refundNowRials: r.refundedBeforeRials, targetedBefore: 0 });
  return reversalTarget({ earned: amount, purchaseRials: r.purchaseRials, refundedBeforeRials: r.refundedBeforeRials, refundNowRials: r.refundRials, targetedBefore: before });
}

const RULE_TAG = /^(.+)@(\d+)$/;

/** What a refund needs of a rule version (versions are immutable, so this never goes stale). */
type RuleLimitsView = { limits: { perMember?: { period: string }[]; budgetPoints?: number }; cappedUnit: string } | null;
const versions = new Map<string, RuleLimitsView>();
const VERSIONS_MAX = 2000;

async function ruleVersion(tx: Tx, clubId: string, ruleId: string, version: number): Promise<RuleLimitsView> {
  const k = `${clubId}\u0000${ruleId}\u0000${version}`;
  if (versions.has(k)) return versions.get(k)!;
  const def = (await sql<{ definition: unknown }>`
    select definition from rule_versions where club_id = ${clubId} and rule_id = ${ruleId} and version = ${version}`.execute(tx)).rows[0]?.definition;
  if (def === undefined) return null;
  const c = compileRule(def as never, { id: ruleId, version });
  const view: RuleLimitsView = c.ok ? { limits: c.rule.limits, cappedUnit: c.rule.cappedUnit } : null;
  if (versions.size >= VERSIONS_MAX) versions.delete(versions.keys().next().value!);
  versions.set(k, view);
  return view;
}

export function rulesRefundHook(ledger: Pick<LedgerService, 'earnedBy'>): RefundHook {
  return async (tx, r) => {
    const clubId = r.club.id;
    const purchase = await storedEvent(tx, clubId, r.purchaseExternalId);
    if (!purchase || purchase.type !== 'purchase') return;
    const tz = r.club.timeZone;
    const earned = (await ledger.earnedBy(tx, clubId, r.purchaseEventId)).filter((e) => e.memberId === r.memberId);
    // One whole purchase leaves the counters only when the last rial of it is refunded.
    const times = refundShare(1, r);

    // Usage of limited rules that fired on the purchase, per rule version it earned under.
    const byRule = new Map<string, Map<string, number>>();
    for (const e of earned) {
      if (!e.ruleVersion || !RULE_TAG.test(e.ruleVersion)) continue;
      const units = byRule.get(e.ruleVersion) ?? new Map<string, number>();
      units.set(e.unit, (units.get(e.unit) ?? 0) + e.points);
      byRule.set(e.ruleVersion, units);
    }
    const usage = new Map<string, UsageKey & { points: number; times: number }>();
    for (const [tag, units] of byRule) {
      const [, ruleId, version] = RULE_TAG.exec(tag)!;
      const rule = await ruleVersion(tx, clubId, ruleId!, Number(version));
      if (!rule) continue;
      const limits = rule.limits;
      if (!limits.perMember?.length && limits.budgetPoints === undefined) continue;
      const points = refundShare(units.get(rule.cappedUnit) ?? 0, r);
      const add = (memberId: string, key: string) => {
        const k = usageKey(ruleId!, memberId, key);
        const d = usage.get(k) ?? { ruleId: ruleId!, memberId, periodKey: key, points: 0, times: 0 };
        d.points += points;
        d.times += times;
        usage.set(k, d);
      };
      for (const key of new Set((limits.perMember ?? []).map((l) => (l.period === 'lifetime' ? 'lifetime' : periodKey(purchase.occurredAt, l.period as 'day' | 'week' | 'month' | 'year', tz))))) add(r.memberId, key);
      if (limits.budgetPoints !== undefined) add('', 'budget');
    }
    const u = [...usage.values()].filter((d) => d.points > 0 || d.times > 0).sort((a, b) => (usageKey(a.ruleId, a.memberId, a.periodKey) < usageKey(b.ruleId, b.memberId, b.periodKey) ? -1 : 1));
    if (u.length) {
      await sql`
        update rule_usage x set points = greatest(0, x.points - d.points), times = greatest(0, x.times - d.times)
        from unnest(${u.map((d) => d.ruleId)}::text[], ${u.map((d) => d.memberId)}::text[], ${u.map((d) => d.periodKey)}::text[],
                    ${u.map((d) => d.points)}::bigint[], ${u.map((d) => d.times)}::int[]) as d(r, m, p, points, times)
        where x.club_id = ${clubId} and x.rule_id = d.r and x.member_id = d.m and x.period_key = d.p`.execute(tx);
    }

    // Counters, then the activity day (the earn path's order of these two tables).
    const rials = r.refundRials;
    await sql`
      update member_counters set value = greatest(0, value - case name when 'purchase' then ${times}::bigint else ${rials}::bigint end)
      where club_id = ${clubId} and member_id = ${r.memberId} and name in ('purchase', 'purchase_rials')`.execute(tx);
    // The tier measure counts the points of the base rate and of rules (what the earn path
    // added to the day), not referral welcomes or badge rewards.
    const rulePoints = earned.filter((e) => e.unit === 'points' && e.ruleVersion !== null && e.ruleVersion !== 'referral').reduce((s, e) => s + e.points, 0);
    const points = refundShare(rulePoints, r);
    const day = zonedParts(purchase.occurredAt, tz).isoDate;
    await sql`
      update member_days set points = greatest(0, points - ${points}::bigint), rials = greatest(0, rials - ${rials}::bigint)
      where club_id = ${clubId} and member_id = ${r.memberId} and day = ${day}::date`.execute(tx);
  };
}

/**
 * The referee's referral was voided by the refund: clear the earn path's "settled" marker so
 * the member's next qualifying purchase can qualify the referral again.
 */
export async function reopenReferral(tx: Tx, clubId: string, memberId: string): Promise<void> {
  await sql`update member_counters set value = 0 where club_id = ${clubId} and member_id = ${memberId} and name = ${REFERRAL_COUNTER}`.execute(tx);
}
