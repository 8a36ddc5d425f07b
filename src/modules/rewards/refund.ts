/**
 * A refunded purchase and the points paid on it at the till, in the refund's transaction (an
 * `EventService.onRefund` hook, wired in app.ts): every POS burn linked to the purchase's
 * eventId gives back its share — cumulative over the purchase's refunds (what this purchase
 * has had refunded so far, this refund included), so a refund event and a manual
 * `POST /pos/refunds` for the same purchase never give back more than was burned. The points
 * come back as new lots (`release` entries) and the member is told (`pos.burn_reversed`).
 */
import { sql } from 'kysely';
import type { RefundHook } from '../events/index.js';
import type { RewardService } from './service.js';

export function burnsRefundHook(rewards: Pick<RewardService, 'reverseBurnsForRefund'>): RefundHook {
  return async (tx, r) => {
    const ids = [r.purchaseExternalId, r.purchaseEventId];
    // Most purchases were not paid with points: one index probe, and nothing more to do.
    const any = await sql`select 1 from pos_burns where club_id = ${r.club.id} and purchase_event_id = any(${ids}::text[]) limit 1`.execute(tx);
    if (!any.rows.length) return;
    const refundedRials = r.refundedBeforeRials + r.refundRials;
    // The till links a burn to the caller's eventId (it knows no other); an integration that
    // linked the internal id after the purchase was posted is honoured too.
    for (const purchaseEventId of new Set(ids))
      await rewards.reverseBurnsForRefund(tx, { club: r.club, purchaseEventId, purchaseRials: r.purchaseRials, refundedRials, actor: 'system:refund' });
  };
}
