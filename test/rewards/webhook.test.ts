/**
 * Digital rewards through the club's signed fulfilment webhook: a real local HTTP server,
 * retries driven by calling the worker's outbox dispatch with a ManualClock (no sleeping).
 * The clock is set far in the past so this file only ever claims its own outbox rows.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines, ManualClock, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';
import { dispatchDue, type ClaimedMessage } from '../../src/platform/outbox.js';
import { verifyWebhook } from '../../src/platform/webhooks.js';
import { verifyLedger } from '../../src/modules/ledger/index.js';
import { available, fund, idem, reward } from './helpers.js';

describeEngines('digital rewards: signed fulfilment webhook', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  let server: Server;
  let secret = '';
  const clock = new ManualClock(new Date('2001-03-21T08:00:00Z'));
  /** per redemption: how many times to fail before answering 200 (Infinity = always fail) */
  const failFirst = new Map<string, number>();
  const seen: { redemptionId: string; delivery: string; valid: boolean }[] = [];

  // The worker's handler chain, as in src/worker.ts.
  const handle = async (m: ClaimedMessage) => {
    if (!(await v.services.webhooks.handle(m)) && !(await v.services.rewards.handleOutbox(m))) await v.services.notifier.handle(m);
  };
  /** One worker tick at the current (manual) time. */
  const tick = () => dispatchDue(v.database.db, handle, clock.now());

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const data = JSON.parse(body) as { data: { redemptionId: string } };
        const id = data.data.redemptionId;
        seen.push({ redemptionId: id, delivery: String(req.headers['x-vafa-delivery']), valid: verifyWebhook(secret, req.headers, body, Math.floor(clock.now().getTime() / 1000)) });
        const left = failFirst.get(id) ?? 0;
        failFirst.set(id, left - 1);
        res.writeHead(left > 0 ? 503 : 200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    v = await testVafa(engine, { clock });
    c = await makeClub(v);
    const s = await call(v, 'PATCH', '/api/v1/rewards-settings', c.ownerToken, { fulfilmentWebhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fulfil` });
    expect(s.status).toBe(200);
    secret = s.json.webhookSecret;
    expect(secret).toMatch(/^whsec_/);
  });
  afterAll(async () => {
    await v.close();
    await new Promise((r) => server.close(r));
  });

  async function redeemDigital(points: number) {
    const m = await makeMember(v, c.clubId, Math.floor(Math.random() * 1e6), { consent: { sms: true } });
    await fund(v, c.clubId, m, points);
    const rewardId = await reward(v, c, { type: 'digital', costPoints: 400, stock: 10, title: { fa: 'بسته ۲ گیگ', en: '2 GB' }, config: { fulfilment: { sku: 'DATA-2GB', gb: 2 } } });
    const r = await call(v, 'POST', `/api/v1/members/${m}/redemptions`, c.apiKey, { rewardId }, idem());
    expect(r.json).toMatchObject({ status: 'pending', points: 400 });
    return { m, rewardId, id: r.json.id as string };
  }
  const status = async (id: string) => (await call(v, 'GET', `/api/v1/redemptions/${id}`, c.apiKey)).json.status;

  it('fails 3 times, then succeeds: retried with exponential backoff, then captured', async () => {
    const { m, id } = await redeemDigital(1000);
    failFirst.set(id, 3);
    expect(await available(v, c.clubId, m)).toBe(600);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const before = seen.length;
      await tick();
      expect(seen.length).toBe(before + 1); // exactly one POST per due attempt
      if (attempt < 4) {
        expect(await status(id)).toBe('pending');
        // Not due again before its backoff…
        await tick();
        expect(seen.length).toBe(before + 1);
        const due = await v.database.db.selectFrom('outbox').select('available_at').where('club_id', '=', c.clubId).where('topic', '=', 'webhook.send').where('dispatched_at', 'is', null).executeTakeFirstOrThrow();
        delays.push(new Date(due.available_at).getTime() - clock.now().getTime());
        clock.set(new Date(due.available_at));
      }
    }
    expect(delays).toEqual([2000, 4000, 8000]); // doubling
    expect(await status(id)).toBe('fulfilled');
    expect(seen.filter((s) => s.redemptionId === id).every((s) => s.valid)).toBe(true);
    expect(new Set(seen.filter((s) => s.redemptionId === id).map((s) => s.delivery)).size).toBe(1); // same delivery id every retry
    expect(await available(v, c.clubId, m)).toBe(600);
    await tick();
    expect(v.sms.sent.some((s) => s.text.includes('بسته ۲ گیگ') && s.text.includes('فعال شد'))).toBe(true);
  });

  it('always fails: given up after its attempts, the points come back exactly once and the member is told', async () => {
    const { m, rewardId, id } = await redeemDigital(400);
    failFirst.set(id, Infinity);
    expect(await available(v, c.clubId, m)).toBe(0);
    for (let i = 0; i < 20; i++) {
      await tick();
      clock.advance(3_600_000);
    }
    expect(seen.filter((s) => s.redemptionId === id).length).toBe(8); // DEFAULT_MAX_ATTEMPTS
    expect(await status(id)).toBe('failed');
    expect(await available(v, c.clubId, m)).toBe(400);
    expect((await call(v, 'GET', `/api/v1/rewards/${rewardId}`, c.apiKey)).json.stock).toBe(10);
    // A repeated final outcome (at-least-once delivery) changes nothing.
    await (v.services.webhooks as unknown as { callbacks: Map<string, (o: unknown) => Promise<void>> }).callbacks.get('rewards.digital')!({ clubId: c.clubId, deliveryId: 'x', delivered: false, attempts: 8, status: 503, error: 'again', context: { redemptionId: id } });
    expect(await available(v, c.clubId, m)).toBe(400);
    const releases = await v.database.db.selectFrom('journal_entries').select('id').where('club_id', '=', c.clubId).where('member_id', '=', m).where('kind', '=', 'release').execute();
    expect(releases.length).toBe(1);
    expect(v.sms.sent.some((s) => s.text.includes('ممکن نشد') && s.text.includes('۴۰۰'))).toBe(true);
    expect((await verifyLedger(v.database.db, c.clubId)).problems).toEqual([]);
  });
});
