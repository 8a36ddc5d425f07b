/**
 * Property test: random sequences of earn, spend, refund, hold, capture, release, expire,
 * transfer, convert and adjust across a few members, with a ManualClock moving forward,
 * never break the ledger's invariants (verifyLedger: every entry sums to zero per unit,
 * balance = sum of lines, lots = balance, no negative balance, held = pending holds).
 *
 * Default: 25 runs × 30 operations per engine (seconds). VAFA_PROPERTY_RUNS raises the
 * number of runs (the full suite uses 10000); VAFA_PROPERTY_SEED replays a failure.
 *
 * The PostgreSQL database is shared with other files whose expiry jobs may expire our
 * leftover lots between two of our operations, so besides verifyLedger only facts no
 * outside expiry can change are asserted per operation.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { verifyLedger } from '../../src/modules/ledger/verify.js';
import type { Club } from '../../src/modules/clubs/index.js';
import { EPOCHS, expireClub, expireClubHolds, newClub, newMember } from './harness.js';

const RUNS = Number(process.env.VAFA_PROPERTY_RUNS ?? 25);
const OPS = Number(process.env.VAFA_PROPERTY_OPS ?? 30);
const SEED = process.env.VAFA_PROPERTY_SEED ? Number(process.env.VAFA_PROPERTY_SEED) : undefined;

type Op =
  | { k: 'earn'; m: number; rials: number }
  | { k: 'replay'; p: number }
  | { k: 'refund'; p: number; how: 'part' | 'rest' | 'over'; frac: number }
  | { k: 'spend'; m: number; points: number }
  | { k: 'hold'; m: number; points: number; ttl: number }
  | { k: 'capture' | 'release'; h: number }
  | { k: 'expire' }
  | { k: 'advance'; seconds: number }
  | { k: 'transfer'; from: number; to: number; points: number }
  | { k: 'convert'; m: number; points: number }
  | { k: 'adjust'; m: number; points: number; expiresInDays: number | null };

const member = fc.nat({ max: 3 });
const points = fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 400 }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('earn' as const), m: member, rials: fc.integer({ min: 0, max: 5_000_000 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('replay' as const), p: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('refund' as const), p: fc.nat(), how: fc.constantFrom('part' as const, 'rest' as const, 'over' as const), frac: fc.double({ min: 0.01, max: 1, noNaN: true }) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('spend' as const), m: member, points }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('hold' as const), m: member, points, ttl: fc.integer({ min: 10, max: 3 * 86400 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('capture' as const), h: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('release' as const), h: fc.nat() }) },
  { weight: 2, arbitrary: fc.constant({ k: 'expire' as const }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('advance' as const), seconds: fc.oneof(fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 86400, max: 40 * 86400 })) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('transfer' as const), from: member, to: member, points }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('convert' as const), m: member, points }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('adjust' as const), m: member, points: fc.integer({ min: -200, max: 200 }).filter((n) => n !== 0), expiresInDays: fc.option(fc.integer({ min: 1, max: 90 })) }) },
);
/**
 * Club profiles. Runs share the club of their profile (each run brings fresh members), so
 * a club's ledger grows over many runs and verifyLedger checks all of it, interleavings of
 * earlier runs included.
 */
const PROFILES = [
  { pendingDays: 0, expiryMonths: 1, allowTransfers: true, pointValueRials: 1000 },
  { pendingDays: 0, expiryMonths: 0, allowTransfers: false, pointValueRials: 1 },
  { pendingDays: 3, expiryMonths: 3, allowTransfers: true, pointValueRials: 2500 },
  { pendingDays: 14, expiryMonths: 12, allowTransfers: true, pointValueRials: 1000 },
  { pendingDays: 3, expiryMonths: 1, allowTransfers: false, pointValueRials: 4999 },
];
/** Reaches every outcome the coverage check asks for (profile 1: no pending days, no expiry). */
const COVERAGE: Op[] = [
  { k: 'earn', m: 0, rials: 5_000_000 }, { k: 'earn', m: 1, rials: 5_000_000 }, { k: 'earn', m: 2, rials: 3_000_000 },
  { k: 'hold', m: 0, points: 10, ttl: 3600 }, { k: 'capture', h: 0 },
  { k: 'hold', m: 1, points: 10, ttl: 3600 }, { k: 'release', h: 1 },
  { k: 'spend', m: 0, points: 5 }, { k: 'spend', m: 2, points: 1_000_000 },
  { k: 'convert', m: 1, points: 5 }, { k: 'adjust', m: 2, points: 7, expiresInDays: null },
  { k: 'refund', p: 2, how: 'part', frac: 0.5 }, { k: 'replay', p: 0 },
];
const settingsArb = fc.record({ members: fc.integer({ min: 3, max: 4 }), profile: fc.nat({ max: PROFILES.length - 1 }) });

describeEngines('ledger property: random operations keep every invariant', (engine) => {
  let v: TestVafa;
  const clock = new ManualClock(EPOCHS.property);
  beforeAll(async () => {
    v = await testVafa(engine, { clock });
  });
  afterAll(() => v.close());

  it(`${RUNS} runs × ${OPS} operations`, async () => {
    let runs = 0;
    const clubs = new Map<string, string>();
    const tally: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(settingsArb, fc.array(opArb, { minLength: OPS, maxLength: OPS }), async (settings, ops) => {
        const run = ++runs;
        clock.set(EPOCHS.property);
        const n = settings.members;
        // A fresh club every 50 runs keeps verifyLedger's work per run bounded in long runs.
        const clubKey = `${settings.profile}:${Math.floor(run / 50)}`;
        let clubId = clubs.get(clubKey);
        if (!clubId) clubs.set(clubKey, (clubId = await newClub(v, PROFILES[settings.profile]!)));
        const club = (await v.services.clubs.get(clubId)) as Club;
        const members: string[] = [];
        for (let i = 0; i < n; i++) members.push(await newMember(v, clubId));
        const m = (i: number) => members[i % members.length]!;
        const purchases: { eventId: string; memberId: string; rials: number; earned: number; refundedRials: number; targeted: number }[] = [];
        const holds: string[] = [];
        const ctx = { actor: 'operator:property' };
        const L = v.services.ledger;
        const E = v.services.events;
        let seq = 0;
        const outcome = (op: Op, r: { ok: boolean; code?: string }, allowed: string[]) => {
          const o = r.ok ? 'ok' : r.code!;
          tally[`${op.k}:${o}`] = (tally[`${op.k}:${o}`] ?? 0) + 1;
          expect(allowed, `${op.k} answered ${o} (${JSON.stringify(op)})`).toContain(o);
        };

        for (const op of ops) {
          switch (op.k) {
            case 'earn': {
              const eventId = `e${run}-${++seq}`;
              const r = await E.ingestOne(club, { eventId, type: 'purchase', member: { id: m(op.m) }, amountRials: op.rials }, null);
              outcome(op, r, ['ok']);
              if (r.ok) {
                expect(r.value.points).toBe(Math.floor((op.rials * club.earnRate.points) / club.earnRate.perRials));
                purchases.push({ eventId, memberId: m(op.m), rials: op.rials, earned: r.value.points!, refundedRials: 0, targeted: 0 });
              }
              break;
            }
            case 'replay': {
              // The same event again: `exists`, with the points it first earned; nothing new.
              if (!purchases.length) break;
              const p = purchases[op.p % purchases.length]!;
              const r = await E.ingestOne(club, { eventId: p.eventId, type: 'purchase', member: { id: p.memberId }, amountRials: p.rials }, null);
              outcome(op, r, ['ok']);
              if (r.ok) expect(r.value).toMatchObject({ status: 'exists', points: p.earned });
              break;
            }
            case 'refund': {
              if (!purchases.length) break;
              const p = purchases[op.p % purchases.length]!;
              const left = p.rials - p.refundedRials;
              const rials = op.how === 'rest' ? left : op.how === 'over' ? left + 1 : Math.max(0, Math.floor(left * op.frac));
              const r = await E.ingestOne(club, { eventId: `r${run}-${++seq}`, type: 'refund', refundOf: p.eventId, member: { id: p.memberId }, amountRials: rials }, null);
              outcome(op, r, op.how === 'over' ? ['refund_exceeds_purchase'] : ['ok']);
              if (r.ok) {
                const { reversed, unrecovered } = r.value;
                expect(reversed).toBeGreaterThanOrEqual(0);
                expect(unrecovered).toBeGreaterThanOrEqual(0);
                expect(r.value.points).toBe(-reversed!);
                p.refundedRials += rials;
                p.targeted += reversed! + unrecovered!;
                // What the refunds target never exceeds what the purchase earned, and a
                // purchase refunded in full has targeted exactly that.
                expect(p.targeted).toBeLessThanOrEqual(p.earned);
                if (p.refundedRials === p.rials) expect(p.targeted).toBe(p.earned);
              }
              break;
            }
            case 'spend': {
              const r = await L.spend(clubId, m(op.m), { points: op.points }, ctx);
              outcome(op, r, ['ok', 'insufficient_points']);
              if (r.ok) expect(r.value.balance).toBeGreaterThanOrEqual(0);
              break;
            }
            case 'hold': {
              const r = await L.hold(clubId, m(op.m), { points: op.points, ttlSeconds: op.ttl }, ctx);
              outcome(op, r, ['ok', 'insufficient_points']);
              if (r.ok) holds.push(r.value.id);
              break;
            }
            case 'capture':
            case 'release': {
              if (!holds.length) break;
              const id = holds[op.h % holds.length]!;
              const r = op.k === 'capture' ? await L.capture(clubId, id, ctx) : await L.release(clubId, id, ctx);
              outcome(op, r, ['ok', 'hold_not_pending']);
              if (r.ok) expect(r.value.status).toBe(op.k === 'capture' ? 'posted' : 'voided');
              break;
            }
            case 'expire':
              await expireClub(v, clubId);
              await expireClubHolds(v, clubId);
              tally.expire = (tally.expire ?? 0) + 1;
              break;
            case 'advance':
              clock.advance(op.seconds * 1000);
              break;
            case 'transfer': {
              const r = await L.transfer(club, m(op.from), m(op.to), op.points, ctx);
              const allowed = !club.allowTransfers ? ['transfer_not_allowed'] : m(op.from) === m(op.to) ? ['same_member'] : ['ok', 'insufficient_points'];
              outcome(op, r, allowed);
              break;
            }
            case 'convert': {
              const r = await L.convert(club, m(op.m), op.points, ctx);
              outcome(op, r, ['ok', 'insufficient_points']);
              if (r.ok) expect(r.value.rials).toBe(op.points * club.pointValueRials);
              break;
            }
            case 'adjust': {
              const expiresAt = op.expiresInDays === null ? null : new Date(clock.now().getTime() + op.expiresInDays * 86400_000);
              const r = await L.adjust(clubId, m(op.m), { points: op.points, reason: 'property test', expiresAt }, ctx);
              outcome(op, r, op.points > 0 ? ['ok'] : ['ok', 'insufficient_points']);
              break;
            }
          }
        }

        const report = await verifyLedger(v.database.db, clubId);
        expect(report.problems, `seed/path in the fast-check report; ops ${JSON.stringify(ops)}`).toEqual([]);
        expect(report.ok).toBe(true);
        for (const id of members) {
          for (const unit of ['points', 'rials'] as const) {
            const b = await L.balance(clubId, id, unit);
            expect(b.balance).toBeGreaterThanOrEqual(0);
            expect(b.available + b.pending).toBeLessThanOrEqual(b.balance);
            // The running balance on the newest history line is the balance (unless another
            // file's expiry job, on a later clock, wrote the newest line: history orders by time).
            const h = await L.history(clubId, id, { unit, limit: 1 });
            const top = h.items[0];
            if (!top || new Date(top.at) <= clock.now()) expect(top?.balanceAfter ?? 0).toBe(b.balance);
          }
        }
      }),
      // No shrinking: runs share clubs and the database, so a shrunk replay would not see the
      // same state; the first failing sequence (printed with its seed) is the report.
      // One fixed sequence first, so every outcome the tally below asks for is reached on any
      // seed (random sequences sometimes never hold enough points to capture a hold).
      { numRuns: RUNS, endOnFailure: true, examples: [[{ members: 3, profile: 1 }, COVERAGE]], ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
    expect(runs).toBeGreaterThanOrEqual(RUNS);
    // The sequences must actually reach the interesting outcomes, not only the easy ones.
    if (RUNS >= 25) {
      for (const k of ['earn:ok', 'spend:ok', 'spend:insufficient_points', 'refund:ok', 'hold:ok', 'capture:ok', 'release:ok', 'convert:ok', 'adjust:ok']) {
        expect(tally[k] ?? 0, `no ${k} in ${RUNS} runs: ${JSON.stringify(tally)}`).toBeGreaterThan(0);
      }
    }
  }, Math.max(120_000, RUNS * 3_000));
});
