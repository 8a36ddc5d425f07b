/**
 * Referrals, pure: the club's programme and the checks a qualifying referral passes.
 * A new member joins with a referrer's code (members module); both are rewarded only when
 * the new member completes the qualifying action (their first purchase by default), the
 * referrer at most `monthlyCap` per Jalali month, and the referrer's points stay pending
 * through the purchase's return window (the club's pendingDays).
 */
import { z } from 'zod';
import { formatNumber } from '../../platform/persian.js';

export const ReferralSettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** The event type that qualifies the referee; the first one that meets the minimum counts. */
    qualifyingEvent: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/).default('purchase'),
    minAmountRials: z.int().min(0).max(1e15).default(0),
    referrerPoints: z.int().min(0).max(1e9),
    refereePoints: z.int().min(0).max(1e9).default(0),
    /** Per referrer per Jalali month (IRAN.md: «حداکثر ۱۵۰ امتیاز یا ۳ دعوت در ماه»). */
    monthlyCap: z.object({ points: z.int().min(0).optional(), count: z.int().min(0).optional() }).strict().default({}),
  })
  .strict();
export type ReferralSettings = z.infer<typeof ReferralSettingsSchema>;

export interface Party {
  id: string;
  mobile: string;
  nationalCodeHash: string | null;
}

/** Why a referral is refused, or null: the same person on both sides. */
export function selfReferral(referrer: Party, referee: Party, sharedDevice: boolean): string | null {
  if (referrer.id === referee.id) return 'same member';
  if (referrer.mobile === referee.mobile) return 'same mobile';
  if (referrer.nationalCodeHash && referrer.nationalCodeHash === referee.nationalCodeHash) return 'same national code';
  if (sharedDevice) return 'same device';
  return null;
}

/** The referrer's points after the monthly cap: what is left of it, never below zero. */
export function cappedReferrerPoints(s: ReferralSettings, usedThisMonth: { count: number; points: number }): { points: number; capped: boolean } {
  if (s.monthlyCap.count !== undefined && usedThisMonth.count >= s.monthlyCap.count) return { points: 0, capped: true };
  let points = s.referrerPoints;
  if (s.monthlyCap.points !== undefined) points = Math.min(points, Math.max(0, s.monthlyCap.points - usedThisMonth.points));
  return { points, capped: points < s.referrerPoints };
}

/** A device fingerprint as events carry it (attributes.deviceFingerprint), or null. */
export function fingerprintOf(attributes: Record<string, unknown> | undefined): string | null {
  const f = attributes?.deviceFingerprint;
  return typeof f === 'string' && f.length >= 4 && f.length <= 200 ? f : null;
}

// ───────────────────────────── refunds

/** The reason a referral carries once its qualifying purchase was refunded inside the return window. */
export const VOIDED_BY_REFUND = 'purchase refunded';

/**
 * Whether a refund voids the referral its purchase qualified: only inside the return window
 * (the referrer's points are still pending), and only when what is left of the purchase no
 * longer qualifies (refunded in full, or below the programme's minimum). After the window the
 * referrer's points were released for a purchase that stood its return window: they stay.
 */
export function voidsReferral(p: { purchaseRials: number; refundedRials: number; minAmountRials: number; refundAt: Date; availableAt: Date | null }): boolean {
  if (!p.availableAt || p.refundAt.getTime() >= p.availableAt.getTime()) return false;
  const left = p.purchaseRials - p.refundedRials;
  return left <= 0 || left < p.minAmountRials;
}

/** The referrer's notice, a transactional line. */
export function referralVoidedSms(p: { clubName: string; points: number }): string {
  const pts = p.points > 0 ? ` و ${formatNumber(p.points, 'fa')} امتیاز معرفی در انتظار شما لغو شد` : '';
  return `${p.clubName}: خرید دوستی که دعوت کرده بودید مرجوع شد${pts}. با خرید بعدی او، معرفی دوباره حساب می‌شود.`;
}
