/**
 * Set-based debits for a group of members (ledger/many.ts), on both engines: each debit sees
 * what the ones before it took, one that cannot be covered fails alone and writes nothing,
 * holds are real holds, and the ledger verifies clean. On PostgreSQL, overlapping groups in
 * parallel transactions neither deadlock nor overspend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEngines, pgUrl, testVafa, type TestVafa } from '../engines.js';
import { inTx } from '../../src/platform/db.js';
import { ok } from '../../src/platform/result.js';
import { verifyLedger, type DebitAsk, type DebitOutcome } from '../../src/modules/ledger/index.js';
import { newClub, newMember } from './harness.js';

async function fund(v: TestVafa, clubId: string, memberId: string, points: number, opts: { unit?: 'points' | 'rials'; expiresAt?: Date | null } = {}) {
  const r = await v.services.ledger.adjust(clubId, memberId, { points, reason: 'test funds', unit: opts.unit, expiresAt: opts.expiresAt ?? null }, { actor: 'test' });
  if (!r.ok) throw new Error(`fund: ${r.code}`);
}

const spend = (memberId: string, points: number, unit: 'points' | 'rials' = 'points'): DebitAsk => ({ memberId, actor: 'test', legs: [{ unit, amount: points, hold: null, memo: 'm', meta: { n: points } }] });

async function debit(v: TestVafa, clubId: string, asks: DebitAsk[]): Promise<DebitOutcome[]> {
  const r = await inTx(v.database.db, async (tx) => ok(await v.services.ledger.debitManyInTx(tx, clubId, asks)));
  return r.value;
}

describeEngines('ledger: debits for many members at once', (engine) => {
  let v: TestVafa;
  let clubId: string;
  beforeAll(async () => {
    v = await testVafa(engine);
    clubId = await newClub(v);
  });
  afterAll(() => v?.close());

  const balance = async (m: string, unit: 'points' | 'rials' = 'points') => (await v.services.ledger.balance(clubId, m, unit)).balance;

  it('debits in list order over the locked lots: soonest expiry first, a member twice sees what it took, one short fails alone', async () => {
    const [a, b, c] = [await newMember(v, clubId), await newMember(v, clubId), await newMember(v, clubId)];
    const soon = new Date(Date.now() + 10 * 86400_000);
    await fund(v, clubId, a, 300); // never expires
    await fund(v, clubId, a, 200, { expiresAt: soon });
    await fund(v, clubId, b, 100);
    await fund(v, clubId, c, 200);
    const out = await debit(v, clubId, [
      spend(a, 250),
      spend(a, 200),
      spend(a, 100), // only 50 left: fails alone
      { memberId: b, actor: 'test', legs: [{ unit: 'points', amount: 100, hold: { reference: 'redemption:x', ttlSeconds: 3600 } }] },
      spend(c, 1000),
    ]);
    expect(out.map((o) => o.ok)).toEqual([true, true, false, true, false]);
    const [a1, a2, a3, b1, c1] = out;
    if (!a1!.ok || !a2!.ok || !b1!.ok || a3!.ok || c1!.ok) throw new Error('unreachable');
    // The first spend took the expiring lot first, then 50 of the other; the second the next 200.
    const lots = (await sql<{ id: string; expires_at: Date | null; remaining: number }>`select id, expires_at, remaining from lots where club_id = ${clubId} and member_id = ${a} order by id`.execute(v.database.db)).rows;
    const expiring = lots.find((l) => l.expires_at)!;
    const lasting = lots.find((l) => !l.expires_at)!;
    expect(a1!.legs[0]!.allocations).toEqual([{ lotId: expiring.id, amount: 200 }, { lotId: lasting.id, amount: 50 }]);
    expect(a2!.legs[0]!.allocations).toEqual([{ lotId: lasting.id, amount: 200 }]);
    expect(lots.map((l) => Number(l.remaining)).sort()).toEqual([0, 50]);
    expect([a1!.legs[0]!.balance, a2!.legs[0]!.balance]).toEqual([250, 50]);
    expect(a3!.result).toMatchObject({ ok: false, code: 'insufficient_points', extra: { available: 50 } });
    expect(c1!.result).toMatchObject({ ok: false, code: 'insufficient_points', extra: { available: 200 } });
    expect([await balance(a), await balance(b), await balance(c)]).toEqual([50, 0, 200]);
    // b's points are held: a pending hold with its allocations, and a hold entry.
    const hold = await v.services.ledger.getHold(clubId, b1!.legs[0]!.holdId!);
    expect(hold.ok && hold.value).toMatchObject({ memberId: b, points: 100, status: 'pending', reference: 'redemption:x' });
    const kinds = (await sql<{ kind: string; member_id: string; n: number }>`select kind, member_id, count(*)::int as n from journal_entries where club_id = ${clubId} and member_id = any(${[a, b, c]}::text[]) and kind in ('spend', 'hold') group by kind, member_id order by kind, member_id`.execute(v.database.db)).rows;
    expect(kinds).toEqual([{ kind: 'hold', member_id: b, n: 1 }, { kind: 'spend', member_id: a, n: 2 }]);
    // The hold captures like any other.
    expect((await v.services.ledger.capture(clubId, b1!.legs[0]!.holdId!, { actor: 'test' })).ok).toBe(true);
    expect((await verifyLedger(v.database.db, clubId)).problems).toEqual([]);
  });

  it('all legs of one debit or none: points and rials together; a member without a balance row is short', async () => {
    const [a, b] = [await newMember(v, clubId), await newMember(v, clubId)];
    await fund(v, clubId, a, 500);
    await fund(v, clubId, a, 1000, { unit: 'rials' });
    const both = (m: string, rials: number): DebitAsk => ({ memberId: m, actor: 'test', legs: [{ unit: 'points', amount: 100, hold: null }, { unit: 'rials', amount: rials, hold: null }] });
    const out = await debit(v, clubId, [both(a, 5000), both(a, 600), spend(b, 1)]);
    expect(out[0]).toMatchObject({ ok: false, leg: 1, unit: 'rials' });
    expect(out[1]!.ok).toBe(true);
    expect(out[2]).toMatchObject({ ok: false, leg: 0, unit: 'points' });
    expect([await balance(a), await balance(a, 'rials')]).toEqual([400, 400]);
    expect((await verifyLedger(v.database.db, clubId)).problems).toEqual([]);
  });
});

describe.skipIf(!pgUrl())('ledger: debits for many members under concurrency [postgres]', () => {
  let v: TestVafa;
  let clubId: string;
  beforeAll(async () => {
    v = await testVafa('postgres', { poolMax: 12 });
    clubId = await newClub(v);
  });
  afterAll(() => v?.close());

  it('groups over the same members in parallel, asked in different orders: no deadlock, no point spent twice', async () => {
    const members: string[] = [];
    for (let i = 0; i < 6; i++) {
      const m = await newMember(v, clubId);
      await fund(v, clubId, m, 500);
      members.push(m);
    }
    // 12 groups, each asking 100 from every member (in a shuffled order): 5 of them can be covered per member.
    const shuffled = (k: number) => [...members].sort((x, y) => ((x + k).localeCompare(y + k) * (k % 2 ? -1 : 1)));
    // A plain transaction, not inTx: a deadlock would throw here instead of being retried.
    const outs = await Promise.all(Array.from({ length: 12 }, (_, k) => v.database.db.transaction().execute((tx) => v.services.ledger.debitManyInTx(tx, clubId, shuffled(k).map((m) => spend(m, 100))))));
    for (const m of members) {
      const wins = outs.filter((o, k) => o[shuffled(k).indexOf(m)]!.ok).length;
      expect(wins).toBe(5);
      expect((await v.services.ledger.balance(clubId, m)).balance).toBe(0);
    }
    expect((await verifyLedger(v.database.db, clubId)).problems).toEqual([]);
  });
});
