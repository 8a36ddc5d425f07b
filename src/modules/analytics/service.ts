/**
 * The dashboard's figures. A club's worth is its active members, not its member count, so
 * activity comes first. Every figure is one aggregate query over indexed columns; system
 * account flows come from journal lines (there is no hot system balance row to read).
 */
import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import type { Clock } from '../../platform/clock.js';
import { zonedParts } from '../../platform/jalali.js';

export interface Overview {
  members: number;
  active30: number;
  active90: number;
  pointsOutstanding: number;
  liabilityRials: number;
  issued30: number;
  redeemed30: number;
  expired30: number;
  redemptionRate: number | null;
  daily: { date: string; issued: number; redeemed: number; expired: number }[];
  tiers: { tier: string | null; members: number }[];
  joinedVia: { channel: string; members: number }[];
  /** The most redeemed rewards in the period (not failed or cancelled), most first, at most 5. */
  topRewards: { rewardId: string; title: { fa: string; en: string }; type: string; redemptions: number; members: number; points: number }[];
}

export class AnalyticsService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async overview(club: { id: string; timeZone: string; pointValueRials: number }, days = 30): Promise<Overview> {
    const now = this.clock.now();
    const since = (d: number) => new Date(now.getTime() - d * 86400_000);
    const clubId = club.id;
    const [counts, outstanding, flows, tiers, via, top] = await Promise.all([
      sql<{ members: number; active30: number; active90: number }>`
        select (select count(*) from members where club_id = ${clubId})::bigint as members,
               (select count(distinct member_id) from events where club_id = ${clubId} and occurred_at >= ${since(30)})::bigint as active30,
               (select count(distinct member_id) from events where club_id = ${clubId} and occurred_at >= ${since(90)})::bigint as active90`.execute(this.db),
      sql<{ s: number }>`select coalesce(sum(balance), 0)::bigint as s from member_balances where club_id = ${clubId} and unit = 'points'`.execute(this.db),
      sql<{ day: string; account: string; s: number }>`
        select to_char(created_at at time zone ${club.timeZone}, 'YYYY-MM-DD') as day, account, sum(amount)::bigint as s
        from journal_lines
        where club_id = ${clubId} and member_id is null and unit = 'points'
          and account in ('system:issued', 'system:redeemed', 'system:expired', 'system:reversed') and created_at >= ${since(days)}
        group by 1, 2 order by 1`.execute(this.db),
      sql<{ tier: string | null; members: number }>`select tier, count(*)::bigint as members from members where club_id = ${clubId} group by tier order by 2 desc`.execute(this.db),
      sql<{ channel: string; members: number }>`select joined_via as channel, count(*)::bigint as members from members where club_id = ${clubId} group by 1 order by 2 desc`.execute(this.db),
      sql<{ reward_id: string; title_fa: string | null; title_en: string | null; type: string; n: number; m: number; points: number }>`
        select r.reward_id, w.title_fa, w.title_en, r.type, r.n, r.m, r.points from (
          select reward_id, min(type) as type, sum(quantity)::bigint as n, count(distinct member_id)::bigint as m, sum(points)::bigint as points
          from redemptions
          where club_id = ${clubId} and created_at >= ${since(days)} and status in ('pending', 'fulfilled')
          group by reward_id order by n desc, points desc, reward_id limit 5
        ) r left join rewards w on w.club_id = ${clubId} and w.id = r.reward_id
        order by r.n desc, r.points desc, r.reward_id`.execute(this.db),
    ]);
    const byDay = new Map<string, { date: string; issued: number; redeemed: number; expired: number }>();
    for (let d = days - 1; d >= 0; d--) {
      const date = zonedParts(since(d), club.timeZone).isoDate;
      byDay.set(date, { date, issued: 0, redeemed: 0, expired: 0 });
    }
    for (const r of flows.rows) {
      const row = byDay.get(r.day);
      if (!row) continue;
      const s = Number(r.s);
      // issued is the source of credits, so its lines are negative; reversals give back.
      if (r.account === 'system:issued') row.issued += -s;
      else if (r.account === 'system:reversed') row.issued -= s;
      else if (r.account === 'system:redeemed') row.redeemed += s;
      else if (r.account === 'system:expired') row.expired += s;
    }
    const daily = [...byDay.values()];
    const sum = (k: 'issued' | 'redeemed' | 'expired') => daily.reduce((a, d) => a + d[k], 0);
    const issued30 = sum('issued');
    const redeemed30 = sum('redeemed');
    const pointsOutstanding = Number(outstanding.rows[0]?.s ?? 0);
    const c = counts.rows[0]!;
    return {
      members: Number(c.members),
      active30: Number(c.active30),
      active90: Number(c.active90),
      pointsOutstanding,
      liabilityRials: pointsOutstanding * club.pointValueRials,
      issued30,
      redeemed30,
      expired30: sum('expired'),
      redemptionRate: issued30 > 0 ? Math.round((redeemed30 / issued30) * 1000) / 1000 : null,
      daily,
      tiers: tiers.rows.map((t) => ({ tier: t.tier, members: Number(t.members) })),
      joinedVia: via.rows.map((t) => ({ channel: t.channel, members: Number(t.members) })),
      topRewards: top.rows.map((t) => ({ rewardId: t.reward_id, title: { fa: t.title_fa ?? t.reward_id, en: t.title_en ?? '' }, type: t.type, redemptions: Number(t.n), members: Number(t.m), points: Number(t.points) })),
    };
  }
}
