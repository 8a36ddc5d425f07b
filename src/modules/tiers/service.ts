/**
 * Tier use cases. Upgrades are decided by the earn path (rules module) in its own
 * transaction and applied here with `applyChanges`; downgrades happen in `review`, run by
 * the daily job in each club's zone.
 */
import type { Db, Executor, Tx } from '../../platform/db.js';
import { inTx } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import { zonedParts } from '../../platform/jalali.js';
import { enqueue } from '../../platform/outbox.js';
import { fail, ok, type Result } from '../../platform/result.js';
import type { MemberService } from '../members/index.js';
import {
  codeAt,
  inactiveBefore,
  qualifiedRank,
  rankOf,
  reviewOn,
  reviewRank,
  thresholdFor,
  TierProgramSchema,
  windowStart,
  type TierProgram,
} from './domain.js';
import { claimReview, finishReview, history, insertHistory, lastChanges, loadProgram, saveProgram, tieredMembers, type TierChange } from './store.js';

/** Activity sums live with the earn path (rules module); the composition root passes them in. */
export interface ActivityPort {
  sums(ex: Executor, clubId: string, memberIds: string[], fromDay: string, toDay: string): Promise<Map<string, { points: number; rials: number }>>;
  lastActive(ex: Executor, clubId: string, memberIds: string[]): Promise<Map<string, string>>;
}

export interface ReviewReport {
  period: string | null;
  reviewed: number;
  downgraded: number;
  inactive: number;
}

export class TierService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly members: MemberService,
    private readonly activity: ActivityPort,
    /** Tells the earn path's catalogue cache that the programme changed (same transaction). */
    private readonly changed: (tx: Tx, clubId: string) => Promise<void>,
  ) {}

  loadProgram(ex: Executor, clubId: string): Promise<TierProgram | null> {
    return loadProgram(ex, clubId);
  }

  async program(clubId: string): Promise<TierProgram | null> {
    return loadProgram(this.db, clubId);
  }

  async setProgram(clubId: string, input: unknown, by: { actor: string; requestId?: string }): Promise<Result<TierProgram | null>> {
    let program: TierProgram | null = null;
    if (input !== null) {
      const p = TierProgramSchema.safeParse(input);
      if (!p.success) return fail('invalid_tier_program', p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      program = p.data;
    }
    return inTx(this.db, async (tx) => {
      const before = await loadProgram(tx, clubId);
      await saveProgram(tx, clubId, program);
      await this.changed(tx, clubId);
      await audit(tx, { clubId, actor: by.actor, action: program ? 'tiers.program_set' : 'tiers.program_removed', target: clubId, before, after: program, requestId: by.requestId });
      return ok(program);
    });
  }

  /** Writes tier changes: the member's tier, its history and a `tier.changed` message each. */
  async applyChanges(tx: Tx, clubId: string, changes: TierChange[]): Promise<void> {
    if (changes.length === 0) return;
    for (const c of changes) await this.members.setTier(tx, clubId, c.memberId, c.to);
    await insertHistory(tx, clubId, changes, this.clock.now());
    await enqueue(tx, changes.map((c) => ({ clubId, topic: 'tier.changed', payload: { memberId: c.memberId, from: c.from, to: c.to, reason: c.reason, measure: c.measure } })));
  }

  /**
   * After a refund lowered a member's measure (the rules module's refund hook runs first):
   * an upgrade the measure no longer earns is undone at once — back to the highest level the
   * corrected measure still reaches, never below the tier held before that upgrade (falling
   * further is the period review's business, with its retention rules). Without this, buying
   * big, getting upgraded and returning the goods would keep the tier and its multiplier
   * until the period ends. Only the member's latest change is considered, and only if it
   * was an upgrade within the current window.
   */
  async reconsiderAfterRefund(tx: Tx, club: { id: string; timeZone: string }, memberId: string): Promise<void> {
    const program = await loadProgram(tx, club.id);
    if (!program) return;
    const [last] = await history(tx, club.id, memberId, 1);
    if (!last || last.reason !== 'upgrade') return;
    const today = zonedParts(this.clock.now(), club.timeZone).isoDate;
    const from = windowStart(program.window, today);
    if (zonedParts(new Date(last.at), club.timeZone).isoDate < from) return;
    const m = (await this.members.facts(tx, club.id, [memberId])).get(memberId);
    if (!m || m.tier !== last.to) return;
    const sums = (await this.activity.sums(tx, club.id, [memberId], from, today)).get(memberId) ?? { points: 0, rials: 0 };
    const measure = program.measure === 'points' ? sums.points : sums.rials;
    const now = rankOf(program, m.tier);
    const target = Math.max(qualifiedRank(program, m, measure), rankOf(program, last.from));
    if (target >= now) return;
    await this.applyChanges(tx, club.id, [{ memberId, from: m.tier, to: target < 0 ? null : program.levels[target]!.code, reason: 'refund', measure }]);
  }

  /** The member's tier, the measure in the current window and what the next level needs. */
  async memberTier(club: { id: string; timeZone: string }, member: { id: string; tier: string | null; city: string | null; groups: string[] }) {
    const program = await loadProgram(this.db, club.id);
    const today = zonedParts(this.clock.now(), club.timeZone).isoDate;
    const h = await history(this.db, club.id, member.id);
    if (!program) return { tier: member.tier, measure: null, window: null, next: null, history: h };
    const from = windowStart(program.window, today);
    const sums = (await this.activity.sums(this.db, club.id, [member.id], from, today)).get(member.id) ?? { points: 0, rials: 0 };
    const measure = program.measure === 'points' ? sums.points : sums.rials;
    const rank = rankOf(program, member.tier);
    const nextLevel = program.levels[rank + 1];
    const next = nextLevel ? { tier: nextLevel.code, threshold: thresholdFor(nextLevel, member), missing: Math.max(0, thresholdFor(nextLevel, member) - measure) } : null;
    return { tier: member.tier, measure, window: { from, to: today, measure: program.measure }, next, history: h };
  }

  /**
   * The daily review: on a period's first day, members whose measure over the ended window
   * no longer holds their tier go down (at most maxLevelsDown); every day, members inactive
   * for inactiveMonths go down inactiveLevelsDown. Idempotent: a period is reviewed once
   * (tier_reviews), and an inactivity demotion restarts the inactivity clock.
   */
  async review(club: { id: string; timeZone: string }, now = this.clock.now(), opts: { force?: boolean } = {}): Promise<ReviewReport> {
    const report: ReviewReport = { period: null, reviewed: 0, downgraded: 0, inactive: 0 };
    const program = await loadProgram(this.db, club.id);
    if (!program) return report;
    const today = zonedParts(now, club.timeZone).isoDate;
    // The scheduled run happens once per local day; an operator may force another.
    if (!opts.force && !(await claimReview(this.db, club.id, `day:${today}`))) return report;
    const period = reviewOn(program.window, today);
    const inactiveCutoff = inactiveBefore(program, today);
    if (!period && !inactiveCutoff) return report;
    report.period = period?.key ?? null;

    let after: string | null = null;
    let periodClaimed = false;
    for (;;) {
      const page = await tieredMembers(this.db, club.id, after, 500);
      if (page.length === 0) break;
      after = page.at(-1)!.id;
      await inTx(this.db, async (tx) => {
        if (period && !periodClaimed) {
          periodClaimed = true;
          if (!(await claimReview(tx, club.id, `${period.key}`))) period.key = '';
        }
        const ids = page.map((m) => m.id);
        const sums = period?.key ? await this.activity.sums(tx, club.id, ids, period.measureFrom, period.measureTo) : new Map();
        const lastActive = inactiveCutoff ? await this.activity.lastActive(tx, club.id, ids) : new Map<string, string>();
        const lastChange = inactiveCutoff ? await lastChanges(tx, club.id, ids) : new Map<string, Date>();
        const changes: TierChange[] = [];
        for (const m of page) {
          const current = rankOf(program, m.tier);
          let rank = current;
          let reason: TierChange['reason'] = 'period_review';
          let measure: number | null = null;
          if (period?.key) {
            const s = sums.get(m.id) ?? { points: 0, rials: 0 };
            const value = program.measure === 'points' ? s.points : s.rials;
            measure = value;
            rank = reviewRank(program, current, qualifiedRank(program, m, value));
          }
          if (inactiveCutoff && rank === current && current >= 0) {
            const active = lastActive.get(m.id);
            const changedOn = lastChange.get(m.id);
            const changedDay = changedOn ? zonedParts(changedOn, club.timeZone).isoDate : null;
            const latest = [active, changedDay].filter((d): d is string => !!d).sort().at(-1);
            if (latest !== undefined && latest < inactiveCutoff) {
              rank = Math.max(-1, current - program.retention.inactiveLevelsDown);
              reason = 'inactivity';
            }
          }
          report.reviewed++;
          if (rank < current) {
            changes.push({ memberId: m.id, from: m.tier, to: codeAt(program, rank), reason, measure });
            if (reason === 'inactivity') report.inactive++;
            else report.downgraded++;
          }
        }
        await this.applyChanges(tx, club.id, changes);
        if (period?.key) await finishReview(tx, club.id, period.key, report.reviewed);
        return ok(true);
      });
    }
    return report;
  }

  /** The worker's daily call: every club's review, once per local day each. */
  async reviewDue(clubs: () => Promise<{ id: string; timeZone: string }[]>, now = this.clock.now()): Promise<ReviewReport[]> {
    const out: ReviewReport[] = [];
    for (const club of await clubs()) out.push(await this.review(club, now));
    return out;
  }

  history(clubId: string, memberId: string) {
    return history(this.db, clubId, memberId);
  }
}
