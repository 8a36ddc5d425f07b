/**
 * Referral use cases. `qualify` runs inside the earn transaction (called by the rules
 * module's earn function): it records the referral once per referee, refuses
 * self-referrals, caps the referrer per Jalali month (under an advisory lock on the
 * referrer, so two friends qualifying at once cannot both slip under the cap), credits the
 * referrer — pending through the purchase's return window — and returns the referee's
 * welcome points for the event's own awards.
 */
import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../platform/db.js';
import { inTx } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import { jalaliMonthRange, zonedParts } from '../../platform/jalali.js';
import { enqueue, type OutboxMessage } from '../../platform/outbox.js';
import { fail, ok, type Result } from '../../platform/result.js';
import { SYSTEM, type LedgerService } from '../ledger/index.js';
import { cappedReferrerPoints, ReferralSettingsSchema, selfReferral, VOIDED_BY_REFUND, type Party, type ReferralSettings } from './domain.js';

export const REFERRAL_TAG = 'referral';

export interface Candidate {
  /** Position in the caller's batch. */
  index: number;
  eventId: string;
  type: string;
  amountRials: number;
  occurredAt: Date;
  referee: Party & { referredBy: string };
}

export interface ReferralView {
  refereeId: string;
  referrerId: string;
  status: string;
  reason: string | null;
  referrerPoints: number;
  refereePoints: number;
  availableAt: string | null;
  at: string;
}

export class ReferralService {
  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerService,
    private readonly changed: (tx: Tx, clubId: string) => Promise<void>,
  ) {}

  async loadSettings(ex: Executor, clubId: string): Promise<ReferralSettings | null> {
    const r = await sql<{ definition: unknown }>`select definition from referral_settings where club_id = ${clubId}`.execute(ex);
    const p = r.rows[0] ? ReferralSettingsSchema.safeParse(r.rows[0].definition) : null;
    return p?.success ? p.data : null;
  }

  settings(clubId: string) {
    return this.loadSettings(this.db, clubId);
  }

  async setSettings(clubId: string, input: unknown, by: { actor: string; requestId?: string }): Promise<Result<ReferralSettings>> {
    const p = ReferralSettingsSchema.safeParse(input);
    if (!p.success) return fail('validation_failed', p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return inTx(this.db, async (tx) => {
      const before = await this.loadSettings(tx, clubId);
      await sql`insert into referral_settings (club_id, definition) values (${clubId}, ${JSON.stringify(p.data)}::jsonb)
        on conflict (club_id) do update set definition = excluded.definition, updated_at = now()`.execute(tx);
      await this.changed(tx, clubId);
      await audit(tx, { clubId, actor: by.actor, action: 'referrals.settings_set', target: clubId, before, after: p.data, requestId: by.requestId });
      return ok(p.data);
    });
  }

  /** Remembers device fingerprints seen on members' events or sent by the app. */
  async recordDevices(ex: Executor, clubId: string, pairs: { memberId: string; fingerprint: string }[]): Promise<void> {
    if (pairs.length === 0) return;
    const uniq = [...new Map(pairs.map((p) => [`${p.fingerprint}\u0000${p.memberId}`, p])).values()].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : a.memberId < b.memberId ? -1 : 1));
    await sql`insert into member_devices (club_id, fingerprint, member_id)
      select ${clubId}, f, m from unnest(${uniq.map((p) => p.fingerprint)}::text[], ${uniq.map((p) => p.memberId)}::text[]) with ordinality as t(f, m, o) order by o
      on conflict do nothing`.execute(ex);
  }

  async addDevice(clubId: string, memberId: string, fingerprint: string): Promise<Result<{ memberId: string; fingerprint: string }>> {
    return inTx(this.db, async (tx) => {
      await this.recordDevices(tx, clubId, [{ memberId, fingerprint }]);
      return ok({ memberId, fingerprint });
    });
  }

  /**
   * Candidates are the batch's events of referred members that match the qualifying type and
   * minimum. Returns, per settled candidate index, the referee's welcome points (0 when none).
   */
  async qualify(tx: Tx, club: { id: string; timeZone: string; pendingDays: number }, s: ReferralSettings, candidates: Candidate[], referrers: Map<string, Party & { status: string }>): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    const outbox: OutboxMessage[] = [];
    for (const c of candidates) {
      if (!s.enabled || c.type !== s.qualifyingEvent || c.amountRials < s.minAmountRials) continue;
      const referrer = referrers.get(c.referee.referredBy);
      if (!referrer) {
        out.set(c.index, 0); // the referrer is gone: nothing to settle, ever
        continue;
      }
      // One referral per referee: the first qualifying event claims it — or the next one, after
      // a refund inside the return window voided it (refund.ts).
      const claimed = await sql`insert into referrals (club_id, referee_id, referrer_id, status, event_id, at)
        values (${club.id}, ${c.referee.id}, ${referrer.id}, 'qualified', ${c.eventId}, ${c.occurredAt})
        on conflict (club_id, referee_id) do update set referrer_id = excluded.referrer_id, status = 'qualified', reason = null,
          event_id = excluded.event_id, at = excluded.at, referrer_points = 0, referee_points = 0, available_at = null
        where referrals.status = 'rejected' and referrals.reason = ${VOIDED_BY_REFUND}
        returning referee_id`.execute(tx);
      out.set(c.index, 0); // settled either way: the earn path stops looking for this referee
      if (claimed.rows.length === 0) continue;

      const devices = await sql<{ n: number }>`
        select count(*)::int as n from member_devices a join member_devices b on b.club_id = a.club_id and b.fingerprint = a.fingerprint
        where a.club_id = ${club.id} and a.member_id = ${referrer.id} and b.member_id = ${c.referee.id}`.execute(tx);
      const refused = referrer.status !== 'active' ? 'referrer inactive' : selfReferral(referrer, c.referee, Number(devices.rows[0]?.n ?? 0) > 0);
      if (refused) {
        await sql`update referrals set status = 'rejected', reason = ${refused} where club_id = ${club.id} and referee_id = ${c.referee.id}`.execute(tx);
        outbox.push({ clubId: club.id, topic: 'referral.rejected', payload: { memberId: referrer.id, refereeId: c.referee.id, reason: refused } });
        continue;
      }

      // Serialise the referrer's month: the cap is read and written under this lock.
      await sql`select pg_advisory_xact_lock(hashtext(${`${club.id}:referral:${referrer.id}`}))`.execute(tx);
      const month = jalaliMonthRange(monthOf(c.occurredAt, club.timeZone), club.timeZone);
      const used = (
        await sql<{ count: number; points: number }>`
          select count(*)::int as count, coalesce(sum(referrer_points), 0)::bigint as points from referrals
          where club_id = ${club.id} and referrer_id = ${referrer.id} and status = 'qualified' and referee_id <> ${c.referee.id}
            and at >= ${month.start} and at < ${month.end}`.execute(tx)
      ).rows[0] ?? { count: 0, points: 0 };
      const { points, capped } = cappedReferrerPoints(s, { count: Number(used.count), points: Number(used.points) });
      const availableAt = new Date(c.occurredAt.getTime() + club.pendingDays * 86_400_000);
      if (points > 0) {
        await this.ledger.credit(tx, club.id, [{
          memberId: referrer.id, unit: 'points', amount: points, kind: 'earn', source: SYSTEM.issued,
          // No event id: the refund of the referee's purchase must not reverse the referrer's lot.
          eventId: null, availableAt, expiresAt: null, memo: 'referral', ruleVersion: REFERRAL_TAG,
          meta: { refereeId: c.referee.id, eventId: c.eventId },
        }]);
      }
      const status = points === 0 && capped ? 'capped' : 'qualified';
      await sql`update referrals set status = ${status}, reason = ${capped ? 'monthly cap' : null}, referrer_points = ${points},
          referee_points = ${s.refereePoints}, available_at = ${availableAt}
        where club_id = ${club.id} and referee_id = ${c.referee.id}`.execute(tx);
      out.set(c.index, s.refereePoints);
      outbox.push({ clubId: club.id, topic: 'referral.qualified', payload: { memberId: referrer.id, refereeId: c.referee.id, referrerPoints: points, refereePoints: s.refereePoints, capped, availableAt: availableAt.toISOString() } });
    }
    await enqueue(tx, outbox);
    return out;
  }

  async ofReferrer(clubId: string, referrerId: string): Promise<ReferralView[]> {
    const r = await sql<{ referee_id: string; referrer_id: string; status: string; reason: string | null; referrer_points: number; referee_points: number; available_at: Date | null; at: Date }>`
      select * from referrals where club_id = ${clubId} and referrer_id = ${referrerId} order by at desc limit 200`.execute(this.db);
    return r.rows.map((x) => ({
      refereeId: x.referee_id,
      referrerId: x.referrer_id,
      status: x.status,
      reason: x.reason,
      referrerPoints: Number(x.referrer_points),
      refereePoints: Number(x.referee_points),
      availableAt: x.available_at ? new Date(x.available_at).toISOString() : null,
      at: new Date(x.at).toISOString(),
    }));
  }
}

function monthOf(at: Date, tz: string): { jy: number; jm: number } {
  const { jy, jm } = zonedParts(at, tz).jalali;
  return { jy, jm };
}
