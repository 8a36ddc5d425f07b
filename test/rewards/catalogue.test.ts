/**
 * Rewards through the HTTP API, on PGlite and PostgreSQL: the catalogue, each type's
 * fulfilment, bad input with its own code, the till, freshness — and the ledger stays clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';
import { verifyLedger } from '../../src/modules/ledger/index.js';
import { available, fund, idem, memberToken, reward } from './helpers.js';

describeEngines('rewards', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  let other: ClubFixture;
  const clock = new ManualClock(new Date('2025-04-10T08:00:00Z')); // 1404/01/21, Tehran
  let n = 100;
  const member = async (points = 0, extra: Record<string, unknown> = {}) => {
    const id = await makeMember(v, c.clubId, ++n, { consent: { sms: true }, ...extra });
    if (points) await fund(v, c.clubId, id, points);
    return id;
  };
  const redeem = (memberId: string, body: Record<string, unknown>) => call(v, 'POST', `/api/v1/members/${memberId}/redemptions`, c.apiKey, body, idem());

  beforeAll(async () => {
    v = await testVafa(engine, { clock });
    c = await makeClub(v);
    other = await makeClub(v);
  });
  afterAll(() => v.close());

  describe('catalogue', () => {
    it('operators create, read, change, restock and archive; every change audited', async () => {
      const id = await reward(v, c, { type: 'product', stock: 3, availableFrom: '1404/01/01', availableUntil: '۱۴۰۴/۱۲/۲۹', title: { fa: 'ماگ', en: 'Mug' } });
      const got = await call(v, 'GET', `/api/v1/rewards/${id}`, c.apiKey);
      expect(got.json).toMatchObject({ type: 'product', stock: 3, window: { from: '1404/01/01', until: '1404/12/29' }, title: { fa: 'ماگ' } });
      const patched = await call(v, 'PATCH', `/api/v1/rewards/${id}`, c.ownerToken, { costPoints: 250 });
      expect(patched.json.costPoints).toBe(250);
      expect((await call(v, 'POST', `/api/v1/rewards/${id}/stock`, c.ownerToken, { add: 7 })).json.stock).toBe(10);
      expect((await call(v, 'POST', `/api/v1/rewards/${id}/stock`, c.ownerToken, { add: -11 })).json.code).toBe('validation_failed');
      expect((await call(v, 'POST', `/api/v1/rewards/${id}/archive`, c.ownerToken)).json.status).toBe('archived');
      const auditLog = await call(v, 'GET', '/api/v1/audit?limit=20', c.ownerToken);
      if (auditLog.status === 200) expect(JSON.stringify(auditLog.json)).toContain('reward.archived');
      // Another club's reward does not exist for this club.
      expect((await call(v, 'GET', `/api/v1/rewards/${id}`, other.apiKey)).status).toBe(404);
      // An integration key may not create rewards.
      expect((await call(v, 'POST', '/api/v1/rewards', c.apiKey, { type: 'product', title: { fa: 'x' }, costPoints: 1 })).status).toBe(403);
    });
  });

  describe('bad input: each its own code', () => {
    it('another club, expired, not started, archived, tier, audience, limit, stock, points', async () => {
      const m = await member(10_000);
      const foreign = await reward(v, other, { type: 'donation', config: { cause: { fa: 'محک' } } });
      expect((await redeem(m, { rewardId: foreign })).json).toMatchObject({ status: 404, code: 'reward_not_found' });

      const expired = await reward(v, c, { type: 'donation', config: { cause: { fa: 'محک' } }, availableUntil: '1404/01/20' });
      expect((await redeem(m, { rewardId: expired })).json.code).toBe('reward_expired');
      const later = await reward(v, c, { type: 'donation', config: { cause: { fa: 'محک' } }, availableFrom: '1404/02/01' });
      expect((await redeem(m, { rewardId: later })).json.code).toBe('reward_not_available');
      // The window is whole days in Tehran: 1404/01/21 is today until 20:30 UTC.
      const today = await reward(v, c, { type: 'donation', config: { cause: { fa: 'محک' } }, availableUntil: '1404/01/21' });
      expect((await redeem(m, { rewardId: today })).status).toBe(201);

      const archived = await reward(v, c, { type: 'donation', config: { cause: { fa: 'محک' } } });
      await call(v, 'POST', `/api/v1/rewards/${archived}/archive`, c.ownerToken);
      expect((await redeem(m, { rewardId: archived })).json.code).toBe('reward_archived');

      const gold = await reward(v, c, { type: 'donation', config: { cause: { fa: 'محک' } }, audience: { tiers: ['gold'] } });
      expect((await redeem(m, { rewardId: gold })).json).toMatchObject({ status: 403, code: 'below_tier' });
      const doctors = await reward(v, c, { type: 'donation', config: { cause: { fa: 'محک' } }, audience: { groups: ['doctor'] } });
      expect((await redeem(m, { rewardId: doctors })).json.code).toBe('not_in_audience');
      const doctor = await member(1000, { groups: ['doctor'] });
      expect((await redeem(doctor, { rewardId: doctors })).status).toBe(201);

      const twiceAMonth = await reward(v, c, { type: 'donation', config: { cause: { fa: 'محک' } }, costPoints: 10, limit: { count: 2, period: 'month' } });
      expect((await redeem(m, { rewardId: twiceAMonth })).status).toBe(201);
      expect((await redeem(m, { rewardId: twiceAMonth })).status).toBe(201);
      expect((await redeem(m, { rewardId: twiceAMonth })).json).toMatchObject({ status: 409, code: 'member_limit_reached' });
      // Next Jalali month (1404/02/01 = 2025-04-21): allowed again.
      clock.set(new Date('2025-04-21T06:00:00Z'));
      expect((await redeem(m, { rewardId: twiceAMonth })).status).toBe(201);
      clock.set(new Date('2025-04-10T08:00:00Z'));

      const one = await reward(v, c, { type: 'donation', config: { cause: { fa: 'محک' } }, stock: 1 });
      expect((await redeem(m, { rewardId: one })).status).toBe(201);
      expect((await redeem(m, { rewardId: one })).json.code).toBe('reward_out_of_stock');

      const poor = await member(50);
      const r = await redeem(poor, { rewardId: twiceAMonth.replace(twiceAMonth, gold) });
      expect(r.json.code).toBe('below_tier');
      const costly = await reward(v, c, { type: 'donation', config: { cause: { fa: 'محک' } }, costPoints: 51, stock: 5 });
      expect((await redeem(poor, { rewardId: costly })).json.code).toBe('insufficient_points');
      expect((await call(v, 'GET', `/api/v1/rewards/${costly}`, c.apiKey)).json.stock).toBe(5); // nothing reserved
      expect(await available(v, c.clubId, poor)).toBe(50);

      const ticket = await reward(v, c, { type: 'draw_ticket', config: { festivalId: 'fst_x' } });
      // Until the festivals module plugs its hook in: not_available_yet; with it, the festival decides.
      expect(['not_available_yet', 'festival_not_found']).toContain((await redeem(m, { rewardId: ticket })).json.code);
      const otherMember = await makeMember(v, other.clubId, 1);
      expect((await redeem(otherMember, { rewardId: costly })).json.code).toBe('member_not_found');
      // Systems must send an Idempotency-Key.
      expect((await call(v, 'POST', `/api/v1/members/${m}/redemptions`, c.apiKey, { rewardId: costly })).json.code).toBe('idempotency_key_required');
    });
  });

  describe('fulfilment by type', () => {
    it('coupon from a pattern: a code given once, validated and consumed once at the till', async () => {
      const m = await member(1000);
      const id = await reward(v, c, { type: 'coupon', costPoints: 200, config: { codes: { source: 'pattern', pattern: 'OFF-####-????', validDays: 30 } } });
      const r = await redeem(m, { rewardId: id });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ status: 'fulfilled', points: 200 });
      expect(r.json.code).toMatch(/^OFF-\d{4}-[A-Z]{4}$/);
      expect(await available(v, c.clubId, m)).toBe(800);
      const code = r.json.code as string;
      expect((await call(v, 'POST', `/api/v1/coupons/${code.toLowerCase()}/validate`, c.apiKey)).json).toMatchObject({ code, memberId: m, status: 'assigned' });
      const key = idem();
      const used = await call(v, 'POST', `/api/v1/coupons/${code}/consume`, c.apiKey, {}, key);
      expect(used.status).toBe(200);
      expect((await call(v, 'POST', `/api/v1/coupons/${code}/consume`, c.apiKey, {}, key)).json).toEqual(used.json); // idempotent replay
      expect((await call(v, 'POST', `/api/v1/coupons/${code}/consume`, c.apiKey, {}, idem())).json.code).toBe('coupon_used');
      expect((await call(v, 'POST', '/api/v1/coupons/NOPE-0000/validate', c.apiKey)).json.code).toBe('coupon_not_found');
      expect((await call(v, 'POST', `/api/v1/coupons/${code}/validate`, other.apiKey)).json.code).toBe('coupon_not_found');
    });

    it('coupon from an uploaded pool: codes run out → out of stock; expired codes are refused', async () => {
      const m = await member(1000);
      const id = await reward(v, c, { type: 'coupon', costPoints: 10, config: { codes: { source: 'pool', validDays: 1 } } });
      const up = await call(v, 'POST', `/api/v1/rewards/${id}/codes`, c.ownerToken, { codes: ['POOL-AAAA1', 'pool-aaaa2', 'POOL-AAAA1'] });
      expect(up.json).toEqual({ added: 2, skipped: 1 });
      const a = await redeem(m, { rewardId: id });
      const b = await redeem(m, { rewardId: id });
      expect([a.json.code, b.json.code].sort()).toEqual(['POOL-AAAA1', 'POOL-AAAA2']);
      expect((await redeem(m, { rewardId: id })).json.code).toBe('reward_out_of_stock');
      expect(await available(v, c.clubId, m)).toBe(980);
      expect((await call(v, 'GET', `/api/v1/rewards/${id}`, c.apiKey)).json.codes).toEqual({ assigned: 2 });
      clock.advance(2 * 86_400_000);
      expect((await call(v, 'POST', `/api/v1/coupons/${a.json.code}/consume`, c.apiKey, {}, idem())).json.code).toBe('coupon_expired');
      clock.set(new Date('2025-04-10T08:00:00Z'));
    });

    it('product: ordered → shipped (captured) → delivered; a return gives the points back as lots with their expiry', async () => {
      const m = await member();
      const expiry = new Date('2026-01-01T00:00:00Z');
      await fund(v, c.clubId, m, 300, expiry);
      const id = await reward(v, c, { type: 'product', costPoints: 300, stock: 2 });
      expect((await redeem(m, { rewardId: id })).json.code).toBe('delivery_required');
      const delivery = { recipient: 'سارا رضایی', address: 'تهران، خیابان ولیعصر، پلاک ۱۲', postalCode: '1234567890' };
      const r = await redeem(m, { rewardId: id, delivery });
      expect(r.json).toMatchObject({ status: 'pending', fulfilment: 'ordered', delivery });
      const bal = await v.services.ledger.balance(c.clubId, m);
      expect(bal).toMatchObject({ balance: 0, available: 0 });
      const step = (status: string) => call(v, 'POST', `/api/v1/redemptions/${r.json.id}/fulfilment`, c.apiKey, { status }, idem());
      expect((await step('delivered')).json).toMatchObject({ status: 'fulfilled', fulfilment: 'delivered' });
      expect((await step('shipped')).json.code).toBe('redemption_invalid_transition');
      expect((await step('cancelled')).json).toMatchObject({ status: 'cancelled', fulfilment: 'cancelled' });
      expect(await available(v, c.clubId, m)).toBe(300);
      expect((await v.services.ledger.balance(c.clubId, m)).expiringSoon).toEqual([]);
      const lots = await v.database.db.selectFrom('lots').select(['amount', 'expires_at']).where('club_id', '=', c.clubId).where('member_id', '=', m).where('remaining', '>', 0).execute();
      expect(lots.map((l) => new Date(l.expires_at).toISOString())).toEqual([expiry.toISOString()]);
      expect((await call(v, 'GET', `/api/v1/rewards/${id}`, c.apiKey)).json.stock).toBe(2);
      // Another club cannot move it.
      expect((await call(v, 'POST', `/api/v1/redemptions/${r.json.id}/fulfilment`, other.apiKey, { status: 'shipped' }, idem())).json.code).toBe('redemption_not_found');
    });

    it('points + rial co-payment from the wallet: both held, both captured at shipping, both back on a return', async () => {
      const m = await member(1000);
      await call(v, 'POST', `/api/v1/members/${m}/conversions`, c.apiKey, { points: 100 }, idem()); // 100,000 rials in the wallet
      const id = await reward(v, c, { type: 'product', costPoints: 500, copayRials: 250_000, stock: 5 });
      const delivery = { recipient: 'رضا', address: 'مشهد، بلوار وکیل‌آباد' };
      expect((await redeem(m, { rewardId: id, delivery })).json.code).toBe('insufficient_wallet');
      expect(await available(v, c.clubId, m)).toBe(900);
      await call(v, 'POST', `/api/v1/members/${m}/conversions`, c.apiKey, { points: 200 }, idem()); // 300,000 rials
      const r = await redeem(m, { rewardId: id, delivery });
      expect(r.json).toMatchObject({ status: 'pending', points: 500, copayRials: 250_000 });
      expect(await available(v, c.clubId, m, 'rials')).toBe(50_000);
      await call(v, 'POST', `/api/v1/redemptions/${r.json.id}/fulfilment`, c.apiKey, { status: 'shipped' }, idem());
      await call(v, 'POST', `/api/v1/redemptions/${r.json.id}/fulfilment`, c.apiKey, { status: 'cancelled', reason: 'returned' }, idem());
      expect(await available(v, c.clubId, m)).toBe(700);
      expect(await available(v, c.clubId, m, 'rials')).toBe(300_000);
    });

    it('a member cancels an order before it ships: the hold is released', async () => {
      const m = await member(500);
      const token = await memberToken(v, c, n);
      const id = await reward(v, c, { type: 'product', costPoints: 400, stock: 1 });
      const r = await call(v, 'POST', '/api/v1/me/redemptions', token, { rewardId: id, delivery: { recipient: 'من', address: 'شیراز، خیابان زند' } });
      expect(r.status).toBe(201);
      expect(await available(v, c.clubId, m)).toBe(100);
      expect((await call(v, 'POST', `/api/v1/me/redemptions/${r.json.id}/cancel`, token)).json.status).toBe('cancelled');
      expect(await available(v, c.clubId, m)).toBe(500);
      expect((await call(v, 'GET', '/api/v1/me/redemptions', token)).json.items[0]).toMatchObject({ id: r.json.id, status: 'cancelled' });
    });

    it('wallet credit at the tier rate, donation with a running total, partner voucher with settlement, bundle choice', async () => {
      const m = await member(5000);
      const wallet = await reward(v, c, { type: 'wallet_credit', costPoints: 100, config: { rateRials: 1500 } });
      expect((await redeem(m, { rewardId: wallet })).json).toMatchObject({ status: 'fulfilled', walletRials: 150_000 });
      expect(await available(v, c.clubId, m, 'rials')).toBe(150_000);

      const cause = await reward(v, c, { type: 'donation', costPoints: 50, config: { cause: { fa: 'بنیاد کودک', en: 'Child foundation' } } });
      await redeem(m, { rewardId: cause, quantity: 3 });
      const m2 = await member(100);
      await redeem(m2, { rewardId: cause });
      const cat = await call(v, 'GET', `/api/v1/members/${m2}/rewards`, c.apiKey);
      expect(cat.json.items.find((i: { id: string }) => i.id === cause).donated).toEqual({ points: 200, donors: 2 });

      const partner = await call(v, 'POST', '/api/v1/partners', c.ownerToken, { name: { fa: 'کافه نادری', en: 'Naderi cafe' } });
      const voucher = await reward(v, c, { type: 'partner_voucher', costPoints: 80, config: { partnerId: partner.json.id, settlementRials: 40_000, codes: { source: 'pattern', pattern: 'NDR-######' } } });
      const rv = await redeem(m, { rewardId: voucher });
      expect(rv.json.code).toMatch(/^NDR-\d{6}$/);
      await redeem(m, { rewardId: voucher });
      let partners = await call(v, 'GET', '/api/v1/partners', c.ownerToken);
      expect(partners.json.items[0]).toMatchObject({ id: partner.json.id, owedRials: 80_000 });
      // Cancelling an unused voucher returns the points and takes the settlement back.
      expect((await call(v, 'POST', `/api/v1/redemptions/${rv.json.id}/fulfilment`, c.ownerToken, { status: 'cancelled' })).json.status).toBe('cancelled');
      partners = await call(v, 'GET', '/api/v1/partners', c.ownerToken);
      expect(partners.json.items[0].owedRials).toBe(40_000);
      const paid = await call(v, 'POST', `/api/v1/partners/${partner.json.id}/settlements`, c.ownerToken, { amountRials: 40_000 });
      expect(paid.json).toMatchObject({ paidRials: 40_000, owedRials: 0 });
      const badVoucher = await call(v, 'POST', '/api/v1/rewards', c.ownerToken, { type: 'partner_voucher', title: { fa: 'x' }, costPoints: 1, config: { partnerId: 'ptn_nope', codes: { source: 'pool' } } });
      expect(badVoucher.json.code).toBe('partner_not_found');

      const gb = await reward(v, c, { type: 'coupon', costPoints: 0, config: { codes: { source: 'pattern', pattern: 'GB2-######' } } });
      const minutes = await reward(v, c, { type: 'wallet_credit', costPoints: 75, config: { rateRials: 1000 } });
      const pick = await reward(v, c, { type: 'bundle', costPoints: 20, title: { fa: 'هدیه‌ات را انتخاب کن' }, config: { options: [gb, minutes] }, limit: { count: 1, period: 'ever' } });
      expect((await redeem(m, { rewardId: pick })).json.code).toBe('bundle_choice_required');
      const chosen = await redeem(m, { rewardId: pick, choice: gb });
      expect(chosen.json).toMatchObject({ rewardId: gb, bundleId: pick, points: 20, status: 'fulfilled' });
      expect((await redeem(m, { rewardId: pick, choice: minutes })).json.code).toBe('member_limit_reached');
    });
  });

  describe('at the till', () => {
    it('quote, burn (idempotent), reverse on refund — points back exactly once', async () => {
      const m = await member();
      await fund(v, c.clubId, m, 700, new Date('2026-02-01T00:00:00Z'));
      const q = await call(v, 'POST', '/api/v1/pos/quote', c.apiKey, { member: { id: m }, basketRials: 1_000_000 });
      expect(q.json).toMatchObject({ availablePoints: 700, points: 500, discountRials: 500_000, payRials: 500_000, maxPercent: 50 });
      const key = idem();
      const body = { member: { mobile: `0912${String(n).padStart(7, '0')}` }, basketRials: 1_000_000, points: 300, purchaseEventId: 'sale-1' };
      const b = await call(v, 'POST', '/api/v1/pos/burn', c.apiKey, body, key);
      expect(b.status).toBe(201);
      expect(b.json).toMatchObject({ points: 300, discountRials: 300_000, balance: 400 });
      expect((await call(v, 'POST', '/api/v1/pos/burn', c.apiKey, body, key)).json).toEqual(b.json);
      expect(await available(v, c.clubId, m)).toBe(400);
      expect((await call(v, 'POST', '/api/v1/pos/burn', c.apiKey, { ...body, points: 501 }, idem())).json.code).toBe('validation_failed');
      // Half the purchase refunded, then the rest.
      const half = await call(v, 'POST', '/api/v1/pos/refunds', c.apiKey, { purchaseEventId: 'sale-1', refundRials: 500_000 }, idem());
      expect(half.json).toMatchObject({ burns: 1, points: 150 });
      const rest = await call(v, 'POST', '/api/v1/pos/refunds', c.apiKey, { purchaseEventId: 'sale-1', refundRials: 1_000_000 }, idem());
      expect(rest.json.points).toBe(150);
      expect((await call(v, 'POST', `/api/v1/pos/burns/${b.json.burnId}/reverse`, c.apiKey, {}, idem())).json.points).toBe(0);
      expect(await available(v, c.clubId, m)).toBe(700);
      expect((await call(v, 'POST', '/api/v1/pos/refunds', other.apiKey, { purchaseEventId: 'sale-1' }, idem())).json.code).toBe('burn_not_found');
    });
  });

  describe('freshness (R4)', () => {
    it('my catalogue puts new and newly rotated rewards first, repeats last; operators see the fatigue curve', async () => {
      const m = await member(10_000);
      const token = await memberToken(v, c, n);
      const fresh = await call(v, 'POST', '/api/v1/rewards', c.ownerToken, { type: 'donation', title: { fa: 'تازه' }, costPoints: 1, config: { cause: { fa: 'الف' } } });
      const taken = await reward(v, c, { type: 'donation', title: { fa: 'تکراری' }, costPoints: 1, config: { cause: { fa: 'ب' } } });
      await call(v, 'POST', '/api/v1/me/redemptions', token, { rewardId: taken });
      await call(v, 'POST', '/api/v1/me/redemptions', token, { rewardId: taken });
      const cat = await call(v, 'GET', '/api/v1/me/rewards', token);
      expect(cat.status).toBe(200);
      const ids = cat.json.items.map((i: { id: string }) => i.id);
      expect(ids.indexOf(fresh.json.id)).toBeLessThan(ids.indexOf(taken));
      expect(cat.json.items.at(-1)).toMatchObject({ id: taken, freshness: 'repeat', timesTaken: 2 });
      // Archived, expired and other-audience rewards are not shown to members.
      expect(cat.json.items.every((i: { status: string }) => i.status === 'active')).toBe(true);
      const m2 = await member(100);
      await redeem(m2, { rewardId: taken });
      const f = await call(v, 'GET', `/api/v1/rewards/${taken}/fatigue`, c.ownerToken);
      expect(f.json).toMatchObject({ redemptions: 3, members: 2 });
      expect(f.json.curve[1]).toEqual({ timesTakenBefore: 1, members: 2, tookAgain: 1, rate: 0.5 });
      expect(f.json.curve[0].rate).toBeGreaterThan(0);
    });
  });

  it('the ledger verifies clean, and no hold is left pending', async () => {
    const report = await verifyLedger(v.database.db, c.clubId);
    expect(report.problems).toEqual([]);
    const pending = await v.database.db.selectFrom('holds').select('id').where('club_id', '=', c.clubId).where('status', '=', 'pending').execute();
    const pendingRedemptions = await v.database.db.selectFrom('redemptions').select('hold_id').where('club_id', '=', c.clubId).where('status', '=', 'pending').execute();
    expect(pending.length).toBe(pendingRedemptions.length);
  });
});
