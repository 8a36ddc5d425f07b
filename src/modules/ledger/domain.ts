/**
 * The double-entry points ledger, the pure part: accounts, units, entry drafts that must
 * balance, and lot allocation. No I/O, no clock — `now` comes in as an argument.
 */

/** A unit of value. Club points, rial wallet credit, a festival's own score (`festival:fst_…`). */
export type Unit = 'points' | 'rials' | `festival:${string}` | `staff:${string}` | `partner:${string}`;
export const isUnit = (u: string): u is Unit => u === 'points' || u === 'rials' || /^(festival|staff|partner):[\w-]{1,80}$/.test(u);

/**
 * System accounts. Every event touches one of them, so they have no balance row (one hot
 * row would serialise all traffic); their balances are sums of their lines.
 */
export const SYSTEM = {
  issued: 'system:issued',
  redeemed: 'system:redeemed',
  expired: 'system:expired',
  held: 'system:held',
  reversed: 'system:reversed',
  adjustments: 'system:adjustments',
  converted: 'system:converted',
  conversion: 'system:conversion',
} as const;
export type SystemAccount = (typeof SYSTEM)[keyof typeof SYSTEM];

export type EntryKind =
  | 'earn' | 'spend' | 'hold' | 'capture' | 'release' | 'reverse' | 'expire'
  | 'adjust' | 'transfer' | 'convert';

export interface LineDraft {
  /** member id (mbr_…) or a system account */
  account: string;
  memberId: string | null;
  unit: Unit;
  amount: number;
}

export interface LotDraft {
  id: string;
  memberId: string;
  unit: Unit;
  amount: number;
  availableAt: Date;
  expiresAt: Date | null;
  eventId: string | null;
}

export interface EntryDraft {
  id: string;
  clubId: string;
  kind: EntryKind;
  memberId: string | null;
  eventId?: string | null;
  holdId?: string | null;
  ruleVersion?: string | null;
  memo?: string | null;
  actor?: string | null;
  meta?: Record<string, unknown> | null;
  lines: LineDraft[];
  lots: LotDraft[];
}

/** Per unit, the lines of an entry sum to zero; amounts are safe integers; no zero lines. */
export function checkBalanced(lines: LineDraft[]): string | null {
  if (lines.length < 2) return 'an entry needs at least two lines';
  const sums = new Map<string, number>();
  for (const l of lines) {
    if (!Number.isSafeInteger(l.amount) || l.amount === 0) return `line amount ${l.amount} is not a non-zero safe integer`;
    sums.set(l.unit, (sums.get(l.unit) ?? 0) + l.amount);
  }
  for (const [unit, s] of sums) if (s !== 0) return `lines of unit ${unit} sum to ${s}, not 0`;
  return null;
}

export interface OpenLot {
  id: string;
  remaining: number;
  availableAt: Date;
  expiresAt: Date | null;
  createdAt: Date;
  eventId: string | null;
}

export interface Allocation {
  lotId: string;
  amount: number;
}

export const isAvailable = (lot: OpenLot, now: Date) =>
  lot.remaining > 0 && lot.availableAt <= now && (lot.expiresAt === null || lot.expiresAt > now);
export const isPending = (lot: OpenLot, now: Date) =>
  lot.remaining > 0 && lot.availableAt > now && (lot.expiresAt === null || lot.expiresAt > now);

/** Soonest expiry first (never-expiring last), then oldest. */
const bySoonestExpiry = (a: OpenLot, b: OpenLot) =>
  (a.expiresAt?.getTime() ?? Infinity) - (b.expiresAt?.getTime() ?? Infinity) || a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1);

/**
 * Spending consumes available lots, soonest expiry first. Returns null when the available
 * total does not cover `amount` (nothing is taken then).
 */
export function allocateSpend(lots: OpenLot[], amount: number, now: Date): Allocation[] | null {
  const r = take(lots.filter((l) => isAvailable(l, now)).sort(bySoonestExpiry), amount, false);
  return r.shortfall > 0 ? null : r.allocations;
}

/**
 * A refund takes back what its purchase earned: first from the purchase's own lots
 * (pending before available), then from the member's other lots (pending first, then
 * soonest expiry). What the member has already spent elsewhere is the shortfall — the
 * ledger never goes below zero, so it is reported, not taken.
 */
export function allocateReversal(lots: OpenLot[], purchaseEventId: string, amount: number, now: Date): { allocations: Allocation[]; shortfall: number } {
  const live = lots.filter((l) => l.remaining > 0 && (l.expiresAt === null || l.expiresAt > now));
  const pendingFirst = (a: OpenLot, b: OpenLot) => Number(isPending(b, now)) - Number(isPending(a, now)) || bySoonestExpiry(a, b);
  const own = live.filter((l) => l.eventId === purchaseEventId).sort(pendingFirst);
  const other = live.filter((l) => l.eventId !== purchaseEventId).sort(pendingFirst);
  return take([...own, ...other], amount, true);
}

function take(ordered: OpenLot[], amount: number, partial: boolean): { allocations: Allocation[]; shortfall: number } {
  const allocations: Allocation[] = [];
  let left = amount;
  for (const lot of ordered) {
    if (left === 0) break;
    const n = Math.min(lot.remaining, left);
    if (n > 0) {
      allocations.push({ lotId: lot.id, amount: n });
      left -= n;
    }
  }
  return { allocations: partial || left === 0 ? allocations : [], shortfall: left };
}

/**
 * Points to reverse for a refund, proportional to the rials refunded so far and never more
 * than the purchase earned: target(total refunded) − what earlier refunds already targeted.
 */
export function reversalTarget(input: { earned: number; purchaseRials: number; refundedBeforeRials: number; refundNowRials: number; targetedBefore: number }): number {
  const { earned, purchaseRials, refundedBeforeRials, refundNowRials, targetedBefore } = input;
  if (purchaseRials <= 0) return 0;
  const refunded = Math.min(purchaseRials, refundedBeforeRials + refundNowRials);
  const cumulative = refunded === purchaseRials ? earned : Math.floor((earned * refunded) / purchaseRials);
  return Math.max(0, Math.min(earned, cumulative) - targetedBefore);
}

/** Running balances after each line of one member account, given its final balance. */
export function balancesAfter(finalBalance: number, deltasInOrder: number[]): number[] {
  const out = new Array<number>(deltasInOrder.length);
  let b = finalBalance;
  for (let i = deltasInOrder.length - 1; i >= 0; i--) {
    out[i] = b;
    b -= deltasInOrder[i]!;
  }
  return out;
}
