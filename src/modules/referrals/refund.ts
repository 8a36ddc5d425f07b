/**
 * A refunded qualifying purchase and the referral it qualified, in the refund's transaction
 * (an `EventService.onRefund` hook, wired in app.ts).
 *
 * Inside the return window (the referrer's points still pending) a refund that leaves the
 * purchase no longer qualifying — refunded in full, or below the programme's minimum —
 * voids the referral: the referrer's pending points are taken back (a `reverse` entry), the
 * referral is marked `rejected` / "purchase refunded" (it no longer counts towards the
 * referrer's monthly cap), the referrer is told, and the referee's next qualifying purchase
 * may qualify it again. The referee's welcome points are an award of the purchase itself, so
 * the ledger's reversal of the purchase already took them back with its other points.
 *
 * After the window nothing is clawed back: the referrer's points were released for a purchase
 * that stood its return window, may already be spent, and the referrer did nothing wrong.
 */
import { sql } from 'kysely';
import type { Tx } from '../../platform/db.js';
import { enqueue } from '../../platform/outbox.js';
import type { RefundHook } from '../events/index.js';
import type { LedgerService } from '../ledger/index.js';
import { referralVoidedSms, voidsReferral, VOIDED_BY_REFUND, type ReferralSettings } from './domain.js';
import { REFERRAL_TAG } from './service.js';

export interface ReferralRefundDeps {
  ledger: Pick<LedgerService, 'reverseCreditsInTx'>;
  settings(tx: Tx, clubId: string): Promise<ReferralSettings | null>;
  /** Called when a referral was voided: the earn path may look for this referee again. */
  reopened(tx: Tx, clubId: string, refereeId: string): Promise<void>;
}

export function referralRefundHook(d: ReferralRefundDeps): RefundHook {
  return async (tx, r) => {
    const clubId = r.club.id;
    const row = (await sql<{ referrer_id: string; status: string; available_at: Date | null }>`
      select referrer_id, status, available_at from referrals
      where club_id = ${clubId} and referee_id = ${r.memberId} and event_id = ${r.purchaseEventId}
      for update`.execute(tx)).rows[0];
    if (!row || (row.status !== 'qualified' && row.status !== 'capped')) return;
    const s = await d.settings(tx, clubId);
    const voids = voidsReferral({
      purchaseRials: r.purchaseRials,
      refundedRials: r.refundedBeforeRials + r.refundRials,
      minAmountRials: s?.minAmountRials ?? 0,
      refundAt: r.occurredAt,
      availableAt: row.available_at ? new Date(row.available_at) : null,
    });
    if (!voids) return;
    const rev = await d.ledger.reverseCreditsInTx(tx, {
      clubId, memberId: row.referrer_id, ruleVersion: REFERRAL_TAG,
      metaContains: { refereeId: r.memberId, eventId: r.purchaseEventId },
      memo: 'referral voided: purchase refunded',
      meta: { refereeId: r.memberId, purchaseEventId: r.purchaseEventId, refundEventId: r.refundEventId },
    });
    await sql`update referrals set status = 'rejected', reason = ${VOIDED_BY_REFUND}, referrer_points = 0, referee_points = 0
      where club_id = ${clubId} and referee_id = ${r.memberId}`.execute(tx);
    await enqueue(tx, [{
      clubId, topic: 'referral.voided',
      payload: {
        memberId: row.referrer_id, refereeId: r.memberId, purchaseEventId: r.purchaseEventId, refundEventId: r.refundEventId,
        points: rev.points, unrecovered: rev.unrecovered,
        sms: { kind: 'transactional', template: 'referral.voided', text: referralVoidedSms({ clubName: r.club.name.fa, points: rev.points }) },
      },
    }]);
    await d.reopened(tx, clubId, r.memberId);
  };
}
