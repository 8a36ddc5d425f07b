/**
 * Ledger scenarios, table-driven, through LedgerService and EventService on both engines.
 * Each scenario gets its own club and a ManualClock reset to EPOCHS.scenarios; after
 * every scenario `verifyLedger` must come back clean for that club.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { verifyLedger } from '../../src/modules/ledger/verify.js';
import { expiryInstant } from '../../src/platform/jalali.js';
import type { Club } from '../../src/modules/clubs/index.js';
import { EPOCHS, expireClub, expireClubHolds, newClub, newMember } from './harness.js';

const DAY = 86_400_000;

interface Ctx {
  v: TestVafa;
  clock: ManualClock;
  clubId: string;
  club: Club;
  m(name: string): Promise<string>;
  holds: Map<string, string>;
  events: Map<string, string>; // external id → internal id
}

type Step =
  | { op: 'purchase'; m: string; id: string; rials: number; points?: number; code?: string }
  | { op: 'event'; m: string; id: string; type: string; points?: number; code?: string }
  | { op: 'refund'; m: string; id: string; of: string; rials: number; reversed?: number; unrecovered?: number; code?: string }
  | { op: 'spend'; m: string; points: number; code?: string }
  | { op: 'adjust'; m: string; points: number; expiresInDays?: number; code?: string }
  | { op: 'hold'; m: string; as: string; points: number; ttlSeconds?: number; code?: string }
  | { op: 'capture' | 'release'; hold: string; status?: string; code?: string }
  | { op: 'holdStatus'; hold: string; status: 'pending' | 'posted' | 'voided' | 'expired' }
  | { op: 'expireHolds' }
  | { op: 'advance'; days?: number; seconds?: number }
  | { op: 'expire'; points: number }
  | { op: 'transfer'; from: string; to: string; points: number; code?: string }
  | { op: 'convert'; m: string; points: number; rials?: number; code?: string }
  | { op: 'status'; m: string; status: 'active' | 'suspended' | 'closed' }
  | { op: 'balance'; m: string; balance: number; available?: number; pending?: number; wallet?: number }
  | { op: 'system'; accounts: Record<string, number> }
  | { op: 'check'; name: string; fn: (c: Ctx) => Promise<void> };

interface Scenario {
  name: string;
  club?: Record<string, unknown>;
  steps: Step[];
}

/** Lots of a member, oldest first: remaining and expiry. */
async function lotsOf(c: Ctx, name: string) {
  const rows = await sql<{ amount: number; remaining: number; expires_at: Date | null }>`
    select amount, remaining, expires_at from lots where club_id = ${c.clubId} and member_id = ${await c.m(name)} and unit = 'points' order by id`.execute(c.v.database.db);
  return rows.rows.map((r) => ({ amount: Number(r.amount), remaining: Number(r.remaining), expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null }));
}

const scenarios: Scenario[] = [
  {
    name: 'earn: a purchase earns base-rate points (floored), available at once; custom events and tiny purchases earn nothing',
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_234_567, points: 123 },
      { op: 'event', m: 'ali', id: 'visit-1', type: 'app_login', points: 0 },
      { op: 'purchase', m: 'ali', id: 'p2', rials: 9_999, points: 0 },
      { op: 'balance', m: 'ali', balance: 123, available: 123, pending: 0 },
      { op: 'system', accounts: { 'system:issued': -123 } },
      {
        op: 'check',
        name: 'one lot, expiring 12 Jalali months later at the start of the next day in Tehran',
        fn: async (c) => {
          expect(await lotsOf(c, 'ali')).toEqual([{ amount: 123, remaining: 123, expiresAt: expiryInstant(EPOCHS.scenarios, 12, 'Asia/Tehran').toISOString() }]);
        },
      },
    ],
  },
  {
    name: 'running balances: one post with a member twice gets each line its own balance after, in list order',
    steps: [
      { op: 'purchase', m: 'ali', id: 'p0', rials: 100_000, points: 10 },
      {
        op: 'check',
        name: 'a batch with ali three times and sara once: every line continues the one before it',
        fn: async (c) => {
          const ev = (id: string, m: string, rials: number) => ({ eventId: id, type: 'purchase', member: { id: m }, amountRials: rials });
          const [ali, sara] = [await c.m('ali'), await c.m('sara')];
          const r = await c.v.services.events.ingestBatch(c.club, [ev('b1', ali, 200_000), ev('b2', sara, 70_000), ev('b3', ali, 50_000), ev('b4', ali, 10_000)] as never, null);
          expect(r.ok).toBe(true);
          const lines = await sql<{ member_id: string; amount: number; balance_after: number }>`
            select l.member_id, l.amount, l.balance_after from journal_lines l join journal_entries e on e.id = l.entry_id
            where l.club_id = ${c.clubId} and l.member_id is not null order by e.id`.execute(c.v.database.db);
          const seen = lines.rows.map((l) => [l.member_id === ali ? 'ali' : 'sara', Number(l.amount), Number(l.balance_after)]);
          expect(seen).toEqual([['ali', 10, 10], ['ali', 20, 30], ['sara', 7, 7], ['ali', 5, 35], ['ali', 1, 36]]);
        },
      },
      { op: 'spend', m: 'ali', points: 6 },
      { op: 'balance', m: 'ali', balance: 30, available: 30 },
      {
        op: 'check',
        name: 'the spend line carries the balance after it',
        fn: async (c) => {
          const h = await c.v.services.ledger.history(c.clubId, await c.m('ali'), { unit: 'points', limit: 1 });
          expect(JSON.stringify(h)).toContain('"balanceAfter":30');
        },
      },
    ],
  },
  {
    name: 'spend across lots: soonest expiry first, never-expiring last',
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 }, // expires in 12 months
      { op: 'adjust', m: 'ali', points: 50, expiresInDays: 30 }, // newer, but expires sooner
      { op: 'adjust', m: 'ali', points: 20 }, // never expires
      { op: 'spend', m: 'ali', points: 60 },
      {
        op: 'check',
        name: 'the 30-day lot went first, then the 12-month one',
        fn: async (c) => expect((await lotsOf(c, 'ali')).map((l) => l.remaining)).toEqual([90, 0, 20]),
      },
      { op: 'advance', days: 31 },
      { op: 'expire', points: 0 }, // nothing was left of the 30-day lot
      { op: 'spend', m: 'ali', points: 100 },
      { op: 'balance', m: 'ali', balance: 10, available: 10 },
      { op: 'check', name: 'only the never-expiring lot is left', fn: async (c) => expect((await lotsOf(c, 'ali')).map((l) => l.remaining)).toEqual([0, 0, 10]) },
      { op: 'advance', days: 400 },
      { op: 'expire', points: 0 },
      { op: 'spend', m: 'ali', points: 11, code: 'insufficient_points' },
      { op: 'balance', m: 'ali', balance: 10, available: 10 },
    ],
  },
  {
    name: 'expiry: what is left of a lot expires at the instant computed in the club zone, not a second earlier',
    club: { expiryMonths: 1 },
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 },
      { op: 'spend', m: 'ali', points: 30 },
      { op: 'advance', days: 29 },
      { op: 'expire', points: 0 },
      {
        op: 'check',
        name: 'one millisecond before the expiry instant nothing expires; at it, the rest does',
        fn: async (c) => {
          const expiry = expiryInstant(EPOCHS.scenarios, 1, 'Asia/Tehran');
          // 1391/03/21 + 1 month → end of 1391/04/21 in Tehran (then on summer time, +04:30).
          expect(expiry.toISOString()).toBe('2012-07-11T19:30:00.000Z');
          c.clock.set(new Date(expiry.getTime() - 1));
          expect(await expireClub(c.v, c.clubId)).toBe(0);
          expect((await c.v.services.ledger.balance(c.clubId, await c.m('ali'))).available).toBe(70);
          c.clock.set(expiry);
          expect((await c.v.services.ledger.balance(c.clubId, await c.m('ali'))).available).toBe(0); // no longer spendable, even before the job runs
          expect(await expireClub(c.v, c.clubId)).toBe(70);
        },
      },
      { op: 'balance', m: 'ali', balance: 0, available: 0 },
      { op: 'expire', points: 0 }, // running again takes nothing more
      { op: 'spend', m: 'ali', points: 1, code: 'insufficient_points' },
      { op: 'system', accounts: { 'system:issued': -100, 'system:redeemed': 30, 'system:expired': 70 } },
    ],
  },
  {
    name: 'pending: purchase points are not spendable (spend, hold, transfer, convert) until the return window passes',
    club: { pendingDays: 14, allowTransfers: true },
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 },
      { op: 'balance', m: 'ali', balance: 100, available: 0, pending: 100 },
      { op: 'spend', m: 'ali', points: 1, code: 'insufficient_points' },
      { op: 'hold', m: 'ali', as: 'h', points: 1, code: 'insufficient_points' },
      { op: 'transfer', from: 'ali', to: 'sara', points: 1, code: 'insufficient_points' },
      { op: 'convert', m: 'ali', points: 1, code: 'insufficient_points' },
      { op: 'advance', days: 13 },
      { op: 'spend', m: 'ali', points: 1, code: 'insufficient_points' },
      { op: 'advance', days: 1 }, // exactly 14 days after the purchase
      { op: 'balance', m: 'ali', balance: 100, available: 100, pending: 0 },
      { op: 'spend', m: 'ali', points: 100 },
      { op: 'balance', m: 'ali', balance: 0, available: 0, pending: 0 },
    ],
  },
  {
    name: 'refund: partial, then the rest; beyond the purchase is refused',
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 },
      { op: 'refund', m: 'ali', id: 'r1', of: 'p1', rials: 300_000, reversed: 30, unrecovered: 0 },
      { op: 'balance', m: 'ali', balance: 70 },
      { op: 'refund', m: 'ali', id: 'r2', of: 'p1', rials: 700_000, reversed: 70, unrecovered: 0 },
      { op: 'balance', m: 'ali', balance: 0 },
      { op: 'refund', m: 'ali', id: 'r3', of: 'p1', rials: 1, code: 'refund_exceeds_purchase' },
      { op: 'refund', m: 'ali', id: 'r4', of: 'no-such-purchase', rials: 1, code: 'event_not_found' },
      { op: 'event', m: 'ali', id: 'visit', type: 'app_login', points: 0 },
      { op: 'refund', m: 'ali', id: 'r5', of: 'visit', rials: 1, code: 'not_a_purchase' },
      { op: 'refund', m: 'sara', id: 'r6', of: 'p1', rials: 0, code: 'refund_member_mismatch' }, // another member's purchase
      { op: 'system', accounts: { 'system:issued': -100, 'system:reversed': 100 } },
    ],
  },
  {
    name: 'refund: floored partial refunds add up to exactly what the purchase earned',
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_005_000, points: 100 },
      { op: 'refund', m: 'ali', id: 'r1', of: 'p1', rials: 333_333, reversed: 33 },
      { op: 'refund', m: 'ali', id: 'r2', of: 'p1', rials: 333_333, reversed: 33 },
      { op: 'refund', m: 'ali', id: 'r3', of: 'p1', rials: 338_334, reversed: 34 },
      { op: 'balance', m: 'ali', balance: 0 },
    ],
  },
  {
    name: 'refund a purchase in one go beyond its amount: refused, nothing taken',
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 100_000, points: 10 },
      { op: 'refund', m: 'ali', id: 'r1', of: 'p1', rials: 100_001, code: 'refund_exceeds_purchase' },
      { op: 'balance', m: 'ali', balance: 10 },
      { op: 'refund', m: 'ali', id: 'r1', of: 'p1', rials: 100_000, reversed: 10 }, // the same id may be used again: the failure wrote nothing
      { op: 'balance', m: 'ali', balance: 0 },
    ],
  },
  {
    name: 'refund after the member spent part: the rest is reported unrecovered, the balance never goes negative',
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 },
      { op: 'spend', m: 'ali', points: 80 },
      { op: 'refund', m: 'ali', id: 'r1', of: 'p1', rials: 1_000_000, reversed: 20, unrecovered: 80 },
      { op: 'balance', m: 'ali', balance: 0, available: 0 },
      { op: 'purchase', m: 'ali', id: 'p2', rials: 500_000, points: 50 }, // later points are not clawed back
      { op: 'balance', m: 'ali', balance: 50 },
    ],
  },
  {
    name: 'refund after everything was spent: a zero-line record, a second refund targets nothing more',
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 },
      { op: 'spend', m: 'ali', points: 100 },
      { op: 'refund', m: 'ali', id: 'r1', of: 'p1', rials: 500_000, reversed: 0, unrecovered: 50 },
      { op: 'purchase', m: 'ali', id: 'p2', rials: 2_000_000, points: 200 },
      { op: 'refund', m: 'ali', id: 'r2', of: 'p1', rials: 500_000, reversed: 50, unrecovered: 0 },
      { op: 'balance', m: 'ali', balance: 150 },
    ],
  },
  {
    name: 'refund takes back pending points first',
    club: { pendingDays: 14 },
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 },
      { op: 'advance', days: 15 },
      { op: 'adjust', m: 'ali', points: 30 },
      { op: 'purchase', m: 'ali', id: 'p2', rials: 500_000, points: 50 }, // pending
      { op: 'spend', m: 'ali', points: 100 }, // all of p1's lot
      { op: 'balance', m: 'ali', balance: 80, available: 30, pending: 50 },
      { op: 'refund', m: 'ali', id: 'r1', of: 'p1', rials: 500_000, reversed: 50, unrecovered: 0 },
      { op: 'balance', m: 'ali', balance: 30, available: 30, pending: 0 },
    ],
  },
  {
    name: "refund takes the purchase's own pending lot before the member's available points",
    club: { pendingDays: 14 },
    steps: [
      { op: 'adjust', m: 'ali', points: 40 },
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 },
      { op: 'refund', m: 'ali', id: 'r1', of: 'p1', rials: 1_000_000, reversed: 100 },
      { op: 'balance', m: 'ali', balance: 40, available: 40, pending: 0 },
    ],
  },
  {
    name: 'hold → capture: the held points are redeemed; capture is repeatable, release after it is refused',
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 },
      { op: 'hold', m: 'ali', as: 'h', points: 40 },
      { op: 'balance', m: 'ali', balance: 60, available: 60 },
      { op: 'system', accounts: { 'system:issued': -100, 'system:held': 40 } },
      { op: 'capture', hold: 'h', status: 'posted' },
      { op: 'capture', hold: 'h', status: 'posted' },
      { op: 'release', hold: 'h', code: 'hold_not_pending' },
      { op: 'balance', m: 'ali', balance: 60 },
      { op: 'system', accounts: { 'system:issued': -100, 'system:held': 0, 'system:redeemed': 40 } },
      { op: 'hold', m: 'ali', as: 'big', points: 61, code: 'insufficient_points' },
    ],
  },
  {
    name: 'hold → release: the points go back to the very lots they came from',
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 }, // 12 months
      { op: 'adjust', m: 'ali', points: 50, expiresInDays: 30 },
      { op: 'hold', m: 'ali', as: 'h', points: 70 }, // 50 from the 30-day lot, 20 from p1
      { op: 'balance', m: 'ali', balance: 80 },
      { op: 'release', hold: 'h', status: 'voided' },
      { op: 'release', hold: 'h', status: 'voided' },
      { op: 'capture', hold: 'h', code: 'hold_not_pending' },
      { op: 'balance', m: 'ali', balance: 150, available: 150 },
      { op: 'check', name: 'lots restored', fn: async (c) => expect((await lotsOf(c, 'ali')).map((l) => l.remaining)).toEqual([100, 50]) },
      { op: 'advance', days: 31 },
      { op: 'expire', points: 50 },
      { op: 'system', accounts: { 'system:issued': -100, 'system:adjustments': -50, 'system:held': 0, 'system:expired': 50 } },
    ],
  },
  {
    name: 'hold expiry: a pending hold past its time is voided by the job and its points return',
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 },
      { op: 'hold', m: 'ali', as: 'h', points: 40, ttlSeconds: 60 },
      { op: 'advance', seconds: 59 },
      { op: 'expireHolds' },
      { op: 'holdStatus', hold: 'h', status: 'pending' },
      { op: 'advance', seconds: 1 },
      { op: 'expireHolds' },
      { op: 'holdStatus', hold: 'h', status: 'expired' },
      { op: 'balance', m: 'ali', balance: 100, available: 100 },
      { op: 'capture', hold: 'h', code: 'hold_not_pending' },
      { op: 'release', hold: 'h', code: 'hold_not_pending' },
    ],
  },
  {
    name: 'transfer: refused when the club does not allow it',
    club: { allowTransfers: false },
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 },
      { op: 'transfer', from: 'ali', to: 'sara', points: 10, code: 'transfer_not_allowed' },
      { op: 'balance', m: 'ali', balance: 100 },
      { op: 'balance', m: 'sara', balance: 0 },
    ],
  },
  {
    name: "transfer: the receiver's lots keep the expiry of the lots they came from",
    club: { allowTransfers: true },
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 }, // 12 months
      { op: 'adjust', m: 'ali', points: 50, expiresInDays: 40 },
      { op: 'transfer', from: 'ali', to: 'sara', points: 80 },
      { op: 'balance', m: 'ali', balance: 70, available: 70 },
      { op: 'balance', m: 'sara', balance: 80, available: 80 },
      {
        op: 'check',
        name: "sara's lots: 50 expiring with the 40-day lot, 30 with the purchase lot",
        fn: async (c) => {
          const ali = await lotsOf(c, 'ali');
          const sara = await lotsOf(c, 'sara');
          expect(sara.map((l) => [l.amount, l.expiresAt]).sort()).toEqual([[30, ali[0]!.expiresAt], [50, ali[1]!.expiresAt]].sort());
        },
      },
      { op: 'transfer', from: 'sara', to: 'sara', points: 1, code: 'same_member' },
      { op: 'transfer', from: 'sara', to: 'ali', points: 81, code: 'insufficient_points' },
      { op: 'advance', days: 41 },
      { op: 'expire', points: 50 }, // sara's 50; ali's 40-day lot had been given away in full
      { op: 'balance', m: 'sara', balance: 30 },
      { op: 'balance', m: 'ali', balance: 70 },
      { op: 'transfer', from: 'sara', to: 'ali', points: 30 },
      { op: 'balance', m: 'ali', balance: 100 },
    ],
  },
  {
    name: 'conversion: points become wallet rials at the club rate',
    club: { pointValueRials: 2_500 },
    steps: [
      { op: 'purchase', m: 'ali', id: 'p1', rials: 1_000_000, points: 100 },
      { op: 'convert', m: 'ali', points: 40, rials: 100_000 },
      { op: 'balance', m: 'ali', balance: 60, available: 60, wallet: 100_000 },
      { op: 'convert', m: 'ali', points: 61, code: 'insufficient_points' },
      { op: 'convert', m: 'ali', points: 60, rials: 150_000 },
      { op: 'balance', m: 'ali', balance: 0, wallet: 250_000 },
      { op: 'system', accounts: { 'system:issued': -100, 'system:converted': 100, 'system:conversion': -250_000 } },
    ],
  },
  {
    name: 'adjust ±: credits and debits with a reason; a debit cannot overdraw; works for a suspended member',
    steps: [
      { op: 'adjust', m: 'ali', points: 25 },
      { op: 'adjust', m: 'ali', points: -10 },
      { op: 'adjust', m: 'ali', points: -16, code: 'insufficient_points' },
      { op: 'balance', m: 'ali', balance: 15 },
      { op: 'status', m: 'ali', status: 'suspended' },
      { op: 'spend', m: 'ali', points: 1, code: 'member_inactive' },
      { op: 'adjust', m: 'ali', points: 5 },
      { op: 'balance', m: 'ali', balance: 20 },
      { op: 'system', accounts: { 'system:adjustments': -20 } },
    ],
  },
  {
    name: 'a member of another club is not found by any operation',
    steps: [
      {
        op: 'check',
        name: 'all operations answer member_not_found / hold_not_found',
        fn: async (c) => {
          const otherClub = await newClub(c.v, { allowTransfers: true });
          const stranger = await newMember(c.v, otherClub);
          await c.v.services.ledger.adjust(otherClub, stranger, { points: 100, reason: 'seed' }, { actor: 'test' });
          const hold = await c.v.services.ledger.hold(otherClub, stranger, { points: 10 }, { actor: 'test' });
          const ctx = { actor: 'test' };
          const L = c.v.services.ledger;
          const club = { ...c.club, allowTransfers: true };
          const results = [
            await L.spend(c.clubId, stranger, { points: 1 }, ctx),
            await L.hold(c.clubId, stranger, { points: 1 }, ctx),
            await L.adjust(c.clubId, stranger, { points: 1, reason: 'x' }, ctx),
            await L.convert(club, stranger, 1, ctx),
            await L.transfer(club, stranger, await c.m('ali'), 1, ctx),
            await L.transfer(club, await c.m('ali'), stranger, 1, ctx),
          ];
          for (const r of results) expect(r).toMatchObject({ ok: false, code: 'member_not_found' });
          expect(hold.ok).toBe(true);
          if (!hold.ok) return;
          expect(await L.capture(c.clubId, hold.value.id, ctx)).toMatchObject({ ok: false, code: 'hold_not_found' });
          expect(await L.release(c.clubId, hold.value.id, ctx)).toMatchObject({ ok: false, code: 'hold_not_found' });
          expect(await L.getHold(c.clubId, hold.value.id)).toMatchObject({ ok: false, code: 'hold_not_found' });
          expect((await L.balance(otherClub, stranger)).balance).toBe(90);
          expect(await L.getHold(otherClub, hold.value.id)).toMatchObject({ ok: true, value: { status: 'pending' } });
          expect((await verifyLedger(c.v.database.db, otherClub)).ok).toBe(true);
        },
      },
    ],
  },
];

async function run(c: Ctx, s: Step, where: string) {
  const L = c.v.services.ledger;
  const E = c.v.services.events;
  const ctx = { actor: 'operator:test' };
  const outcome = (r: { ok: boolean; code?: string; value?: unknown }) => (r.ok ? 'ok' : r.code);
  switch (s.op) {
    case 'purchase':
    case 'event': {
      const r = await E.ingestOne(c.club, { eventId: s.id, type: s.op === 'purchase' ? 'purchase' : s.type, member: { id: await c.m(s.m) }, ...(s.op === 'purchase' ? { amountRials: s.rials } : {}) }, null);
      expect(outcome(r), where).toBe(s.code ?? 'ok');
      if (r.ok) {
        expect(r.value.status, where).toBe('created');
        c.events.set(s.id, r.value.id!);
        if (s.points !== undefined) expect(r.value.points, where).toBe(s.points);
      }
      return;
    }
    case 'refund': {
      const r = await E.ingestOne(c.club, { eventId: s.id, type: 'refund', refundOf: s.of, member: { id: await c.m(s.m) }, amountRials: s.rials }, null);
      expect(outcome(r), where).toBe(s.code ?? 'ok');
      if (r.ok) {
        expect(r.value.status, where).toBe('created');
        if (s.reversed !== undefined) {
          expect(r.value.reversed, where).toBe(s.reversed);
          expect(r.value.points, where).toBe(-s.reversed);
        }
        if (s.unrecovered !== undefined) expect(r.value.unrecovered, where).toBe(s.unrecovered);
      }
      return;
    }
    case 'spend': {
      const before = await L.balance(c.clubId, await c.m(s.m));
      const r = await L.spend(c.clubId, await c.m(s.m), { points: s.points }, ctx);
      expect(outcome(r), where).toBe(s.code ?? 'ok');
      if (r.ok) expect(r.value.balance, where).toBe(before.balance - s.points);
      return;
    }
    case 'adjust': {
      const expiresAt = s.expiresInDays === undefined ? null : new Date(c.clock.now().getTime() + s.expiresInDays * DAY);
      const r = await L.adjust(c.clubId, await c.m(s.m), { points: s.points, reason: 'scenario', expiresAt }, ctx);
      expect(outcome(r), where).toBe(s.code ?? 'ok');
      return;
    }
    case 'hold': {
      const r = await L.hold(c.clubId, await c.m(s.m), { points: s.points, ttlSeconds: s.ttlSeconds }, ctx);
      expect(outcome(r), where).toBe(s.code ?? 'ok');
      if (r.ok) {
        expect(r.value.status).toBe('pending');
        c.holds.set(s.as, r.value.id);
      }
      return;
    }
    case 'capture':
    case 'release': {
      const id = c.holds.get(s.hold)!;
      const r = s.op === 'capture' ? await L.capture(c.clubId, id, ctx) : await L.release(c.clubId, id, ctx);
      expect(outcome(r), where).toBe(s.code ?? 'ok');
      if (r.ok && s.status) expect(r.value.status, where).toBe(s.status);
      return;
    }
    case 'holdStatus': {
      const r = await L.getHold(c.clubId, c.holds.get(s.hold)!);
      expect(r.ok && r.value.status, where).toBe(s.status);
      return;
    }
    case 'expireHolds':
      return expireClubHolds(c.v, c.clubId);
    case 'advance':
      c.clock.advance((s.days ?? 0) * DAY + (s.seconds ?? 0) * 1000);
      return;
    case 'expire':
      expect(await expireClub(c.v, c.clubId), where).toBe(s.points);
      return;
    case 'transfer': {
      const r = await L.transfer(c.club, await c.m(s.from), await c.m(s.to), s.points, ctx);
      expect(outcome(r), where).toBe(s.code ?? 'ok');
      return;
    }
    case 'convert': {
      const r = await L.convert(c.club, await c.m(s.m), s.points, ctx);
      expect(outcome(r), where).toBe(s.code ?? 'ok');
      if (r.ok && s.rials !== undefined) expect(r.value.rials, where).toBe(s.rials);
      return;
    }
    case 'status': {
      const r = await c.v.services.members.update(c.clubId, await c.m(s.m), { status: s.status }, { actor: 'test' });
      expect(r.ok, where).toBe(true);
      return;
    }
    case 'balance': {
      const id = await c.m(s.m);
      const b = await L.balance(c.clubId, id);
      const want: Record<string, number> = { balance: s.balance };
      if (s.available !== undefined) want.available = s.available;
      if (s.pending !== undefined) want.pending = s.pending;
      expect(b, where).toMatchObject(want);
      if (s.wallet !== undefined) expect((await L.balance(c.clubId, id, 'rials')).balance, where).toBe(s.wallet);
      return;
    }
    case 'system': {
      const rows = await L.systemBalances(c.clubId);
      const got = Object.fromEntries(Object.keys(s.accounts).map((a) => [a, rows.filter((r) => r.account === a).reduce((sum, r) => sum + r.balance, 0)]));
      expect(got, where).toEqual(s.accounts);
      return;
    }
    case 'check':
      return s.fn(c);
  }
}

describeEngines('ledger scenarios', (engine) => {
  let v: TestVafa;
  const clock = new ManualClock(EPOCHS.scenarios);
  beforeAll(async () => {
    v = await testVafa(engine, { clock });
  });
  afterAll(() => v.close());

  it.each(scenarios)('$name', async (sc) => {
    clock.set(EPOCHS.scenarios);
    const clubId = await newClub(v, sc.club ?? {});
    const club = (await v.services.clubs.get(clubId))!;
    const members = new Map<string, Promise<string>>();
    const c: Ctx = {
      v,
      clock,
      clubId,
      club,
      m: (name) => {
        if (!members.has(name)) members.set(name, newMember(v, clubId));
        return members.get(name)!;
      },
      holds: new Map(),
      events: new Map(),
    };
    for (const [i, step] of sc.steps.entries()) {
      await run(c, step, `step ${i + 1} ${JSON.stringify(step, (k, val) => (k === 'fn' ? undefined : val))}`);
    }
    const report = await verifyLedger(v.database.db, clubId);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
