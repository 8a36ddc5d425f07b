/**
 * Rewards over HTTP: parse, authorise, call the service, shape the reply. Systems (API
 * keys) must send an Idempotency-Key on every mutating call; people may.
 */
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app.js';
import { idempotencyClaim, principalOf } from '../../platform/http/app.js';
import { sendProblem, sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import type { MemberService } from '../members/index.js';
import { RewardCreateSchema, RewardPatchSchema, REWARD_TYPES } from './domain.js';
import type { RewardService } from './service.js';

const Id = z.string().min(1).max(64);
const IdParams = z.object({ id: Id });
const Rials = z.number().int().min(0).max(1e15);
const Points = z.number().int().positive().max(1e12);
const MemberRef = z.union([z.object({ id: Id }).strict(), z.object({ mobile: z.string().min(1).max(40) }).strict(), z.object({ customerNo: z.string().min(1).max(64) }).strict()]);

const Delivery = z.object({
  recipient: z.string().trim().min(1).max(200),
  mobile: z.string().trim().max(40).optional(),
  address: z.string().trim().min(5).max(1000),
  postalCode: z.string().trim().max(20).optional(),
  city: z.string().trim().max(100).optional(),
}).strict();

const RedeemBody = z.object({
  rewardId: Id,
  choice: Id.optional().describe('bundle: the chosen option (a reward id)'),
  quantity: z.number().int().min(1).max(1000).optional().describe('donation / draw_ticket: units of the cost'),
  delivery: Delivery.optional().describe('product: where to send it'),
}).strict();

export interface RewardRouteDeps {
  rewards: RewardService;
  members: MemberService;
}

export function rewardRoutes(app: App, d: RewardRouteDeps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { rewards } = d;
  const write = ROLES.operatorsWrite;
  const read = anyOf(ROLES.operatorsRead, ROLES.systems);
  const redeemers = anyOf(ROLES.systems, ROLES.operatorsWrite);
  const till = anyOf(ROLES.systems, ROLES.operatorsWrite, ['partner', 'merchant']);

  function claim(req: FastifyRequest, reply: FastifyReply) {
    const c = idempotencyClaim(req);
    if (c === undefined) void sendProblem(reply, 'idempotency_key_required');
    return c;
  }
  const ctx = (req: FastifyRequest, idem: ReturnType<typeof idempotencyClaim> = null) => ({ actor: principalOf(req).actor, requestId: req.id, idempotency: idem ?? null });
  const clubOf = (req: FastifyRequest) => principalOf(req).clubId;
  /** A member of the caller's club, by id, mobile or customer number; else 404. */
  async function memberId(req: FastifyRequest, reply: FastifyReply, ref: z.infer<typeof MemberRef>): Promise<string | null> {
    const m = await d.members.lookup(clubOf(req), ref);
    if (!m.ok) {
      await sendProblem(reply, m.code, m.detail);
      return null;
    }
    return m.value.id;
  }

  // --- catalogue (operators) ------------------------------------------------------------
  r.post('/api/v1/rewards', {
    schema: { tags: ['rewards'], summary: 'Create a reward (coupon, product, digital, partner_voucher, wallet_credit, donation, draw_ticket, bundle)', body: RewardCreateSchema },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await rewards.create(clubOf(req), req.body, ctx(req, idempotencyClaim(req))), 201));

  r.get('/api/v1/rewards', {
    schema: { tags: ['rewards'], summary: 'The catalogue as operators see it', querystring: z.object({ status: z.enum(['active', 'archived']).optional(), type: z.enum(REWARD_TYPES).optional() }) },
    config: { allow: read },
  }, async (req) => ({ items: await rewards.list(clubOf(req), req.query) }));

  r.get('/api/v1/rewards/:id', { schema: { tags: ['rewards'], summary: 'A reward (with its code pool counts)', params: IdParams }, config: { allow: read } },
    async (req, reply) => sendResult(reply, await rewards.get(clubOf(req), req.params.id)));

  r.patch('/api/v1/rewards/:id', { schema: { tags: ['rewards'], summary: 'Change a reward (audited)', params: IdParams, body: RewardPatchSchema }, config: { allow: write } },
    async (req, reply) => sendResult(reply, await rewards.update(clubOf(req), req.params.id, req.body, ctx(req))));

  r.post('/api/v1/rewards/:id/stock', {
    schema: { tags: ['rewards'], summary: 'Add (or remove, negative) stock without racing redemptions', params: IdParams, body: z.object({ add: z.number().int().min(-1e12).max(1e12) }).strict() },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await rewards.addStock(clubOf(req), req.params.id, req.body.add, ctx(req))));

  r.post('/api/v1/rewards/:id/archive', { schema: { tags: ['rewards'], summary: 'Archive a reward: no longer redeemable, history kept', params: IdParams }, config: { allow: write } },
    async (req, reply) => sendResult(reply, await rewards.archive(clubOf(req), req.params.id, ctx(req))));

  r.post('/api/v1/rewards/:id/codes', {
    schema: {
      tags: ['rewards'],
      summary: 'Upload codes to a coupon / voucher pool (up to 10,000 per call; `vafa coupons upload` streams larger files)',
      params: IdParams,
      body: z.object({ codes: z.array(z.union([z.string().min(1).max(64), z.object({ code: z.string().min(1).max(64), expiresAt: z.iso.datetime({ offset: true }).optional() }).strict()])).min(1).max(10_000) }).strict(),
    },
    config: { allow: write },
  }, async (req, reply) => {
    const codes = req.body.codes.map((c) => (typeof c === 'string' ? { code: c } : { code: c.code, expiresAt: c.expiresAt ? new Date(c.expiresAt) : null }));
    return sendResult(reply, await rewards.uploadCodes(clubOf(req), req.params.id, codes, ctx(req)), 201);
  });

  r.get('/api/v1/rewards/:id/fatigue', {
    schema: { tags: ['rewards'], summary: 'Fatigue curve: redemption rate by how many times a member already took the reward', params: IdParams },
    config: { allow: ROLES.operatorsRead },
  }, async (req, reply) => sendResult(reply, await rewards.fatigue(clubOf(req), req.params.id)));

  // --- redemption by systems and operators ------------------------------------------------
  r.get('/api/v1/members/:id/rewards', {
    schema: { tags: ['rewards'], summary: "A member's catalogue, fresh rewards first", params: IdParams },
    config: { allow: read },
  }, async (req, reply) => sendResult(reply, await rewards.catalogueFor(clubOf(req), req.params.id)));

  r.post('/api/v1/members/:id/redemptions', {
    schema: { tags: ['rewards'], summary: 'Redeem a reward for a member: points held and stock reserved atomically', params: IdParams, body: RedeemBody },
    config: { allow: redeemers },
  }, async (req, reply) => {
    const idem = claim(req, reply);
    if (idem === undefined) return reply;
    return sendResult(reply, await rewards.redeem(clubOf(req), req.params.id, req.body, ctx(req, idem)), 201);
  });

  const RedemptionQ = z.object({ memberId: Id.optional(), rewardId: Id.optional(), status: z.enum(['pending', 'fulfilled', 'failed', 'cancelled']).optional(), cursor: Id.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) });
  r.get('/api/v1/redemptions', { schema: { tags: ['rewards'], summary: 'Redemptions, newest first', querystring: RedemptionQ }, config: { allow: read } },
    async (req) => rewards.listRedemptions(clubOf(req), { ...req.query, before: req.query.cursor }));

  r.get('/api/v1/redemptions/:id', { schema: { tags: ['rewards'], summary: 'A redemption', params: IdParams }, config: { allow: read } },
    async (req, reply) => sendResult(reply, await rewards.getRedemption(clubOf(req), req.params.id)));

  r.post('/api/v1/redemptions/:id/fulfilment', {
    schema: {
      tags: ['rewards'],
      summary: 'Move a redemption: shipped (points captured) → delivered, or cancelled (points released or returned as lots)',
      params: IdParams,
      body: z.object({ status: z.enum(['shipped', 'delivered', 'cancelled']), tracking: z.string().max(200).optional(), reason: z.string().max(500).optional() }).strict(),
    },
    config: { allow: redeemers },
  }, async (req, reply) => {
    const idem = claim(req, reply);
    if (idem === undefined) return reply;
    return sendResult(reply, await rewards.fulfil(clubOf(req), req.params.id, req.body.status, { ...ctx(req, idem), tracking: req.body.tracking, reason: req.body.reason }));
  });

  // --- coupons at the till ------------------------------------------------------------------
  const CodeParams = z.object({ code: z.string().min(1).max(64) });
  r.post('/api/v1/coupons/:code/validate', { schema: { tags: ['coupons'], summary: 'Is this code valid now? (no change)', params: CodeParams }, config: { allow: till } },
    async (req, reply) => sendResult(reply, await rewards.validateCoupon(clubOf(req), req.params.code)));

  r.post('/api/v1/coupons/:code/consume', {
    schema: { tags: ['coupons'], summary: 'Consume a code once (idempotent by Idempotency-Key)', params: CodeParams, body: z.object({ purchaseEventId: z.string().max(128).optional() }).strict().optional() },
    config: { allow: till },
  }, async (req, reply) => {
    const idem = claim(req, reply);
    if (idem === undefined) return reply;
    return sendResult(reply, await rewards.consumeCoupon(clubOf(req), req.params.code, { ...ctx(req, idem), purchaseEventId: req.body?.purchaseEventId }));
  });

  // --- points at the till -----------------------------------------------------------------
  r.post('/api/v1/pos/quote', {
    schema: { tags: ['pos'], summary: "How many rials the member's points can pay of this basket, under the club's limits", body: z.object({ member: MemberRef, basketRials: Rials, points: Points.optional() }).strict() },
    config: { allow: till },
  }, async (req, reply) => {
    const id = await memberId(req, reply, req.body.member);
    if (!id) return reply;
    return rewards.quote(clubOf(req), id, req.body.basketRials, req.body.points);
  });

  r.post('/api/v1/pos/burn', {
    schema: {
      tags: ['pos'],
      summary: 'Pay part of the basket with points (idempotent); returns the discount. Link purchaseEventId so a refund reverses it.',
      body: z.object({ member: MemberRef, basketRials: Rials, points: Points.optional().describe('default: as many as allowed'), purchaseEventId: z.string().min(1).max(128).optional() }).strict(),
    },
    config: { allow: till },
  }, async (req, reply) => {
    const idem = claim(req, reply);
    if (idem === undefined) return reply;
    const id = await memberId(req, reply, req.body.member);
    if (!id) return reply;
    return sendResult(reply, await rewards.burn(clubOf(req), id, req.body, ctx(req, idem)), 201);
  });

  r.post('/api/v1/pos/burns/:id/reverse', {
    schema: { tags: ['pos'], summary: 'Give a burn back (all, or in proportion to a partial refund)', params: IdParams, body: z.object({ refundRials: Rials.optional(), purchaseRials: Rials.optional() }).strict().optional() },
    config: { allow: till },
  }, async (req, reply) => {
    const idem = claim(req, reply);
    if (idem === undefined) return reply;
    return sendResult(reply, await rewards.reverseBurn(clubOf(req), req.params.id, req.body ?? {}, ctx(req, idem)));
  });

  r.post('/api/v1/pos/refunds', {
    schema: { tags: ['pos'], summary: 'A purchase was refunded: reverse the burns linked to its eventId (proportionally for a partial refund)', body: z.object({ purchaseEventId: z.string().min(1).max(128), refundRials: Rials.optional(), purchaseRials: Rials.optional() }).strict() },
    config: { allow: till },
  }, async (req, reply) => {
    const idem = claim(req, reply);
    if (idem === undefined) return reply;
    return sendResult(reply, await rewards.reverseForPurchase(clubOf(req), req.body, ctx(req, idem)));
  });

  // --- settings and partners ----------------------------------------------------------------
  r.get('/api/v1/rewards-settings', { schema: { tags: ['rewards'], summary: 'Till limits, returns policy, fulfilment webhook' }, config: { allow: ROLES.operatorsRead } },
    async (req) => rewards.settings(clubOf(req)));

  r.patch('/api/v1/rewards-settings', {
    schema: {
      tags: ['rewards'],
      summary: 'Change rewards settings; setting the fulfilment webhook the first time (or rotating) returns its signing secret once',
      body: z.object({
        pos: z.object({ maxPercent: z.number().int().min(0).max(100), minPoints: z.number().int().min(0).max(1e12), pointValueRials: z.number().int().positive().max(1e9).nullable() }).partial().strict().optional(),
        returnKeepsExpiry: z.boolean().optional(),
        fulfilmentWebhookUrl: z.url().max(1000).optional(),
        rotateWebhookSecret: z.boolean().optional(),
      }).strict(),
    },
    config: { allow: ROLES.owner },
  }, async (req, reply) => sendResult(reply, await rewards.updateSettings(clubOf(req), req.body, ctx(req))));

  r.post('/api/v1/partners', {
    schema: { tags: ['partners'], summary: 'A partner brand that funds vouchers', body: z.object({ name: z.object({ fa: z.string().trim().min(1).max(200), en: z.string().trim().max(200).optional() }).strict(), contact: z.string().max(200).optional() }).strict() },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await rewards.createPartner(clubOf(req), req.body, ctx(req)), 201));

  r.get('/api/v1/partners', { schema: { tags: ['partners'], summary: 'Partners and what the club owes each' }, config: { allow: ROLES.operatorsRead } },
    async (req) => ({ items: await rewards.listPartners(clubOf(req)) }));

  r.post('/api/v1/partners/:id/settlements', {
    schema: { tags: ['partners'], summary: 'Record a payment to the partner (owed goes down)', params: IdParams, body: z.object({ amountRials: z.number().int().positive().max(1e15) }).strict() },
    config: { allow: ROLES.owner },
  }, async (req, reply) => sendResult(reply, await rewards.settlePartner(clubOf(req), req.params.id, req.body.amountRials, ctx(req, idempotencyClaim(req))), 201));

  // --- the member's own ---------------------------------------------------------------------
  r.get('/api/v1/me/rewards', { schema: { tags: ['me'], summary: 'My catalogue: new and newly rotated rewards first, repeats last' }, config: { allow: ROLES.member } }, async (req, reply) => {
    const p = principalOf(req);
    return sendResult(reply, await rewards.catalogueFor(p.clubId, p.subjectId));
  });

  r.post('/api/v1/me/redemptions', { schema: { tags: ['me'], summary: 'Redeem a reward', body: RedeemBody }, config: { allow: ROLES.member } }, async (req, reply) => {
    const p = principalOf(req);
    return sendResult(reply, await rewards.redeem(p.clubId, p.subjectId, req.body, ctx(req, idempotencyClaim(req))), 201);
  });

  r.get('/api/v1/me/redemptions', {
    schema: { tags: ['me'], summary: 'My redemptions, newest first', querystring: z.object({ cursor: Id.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }) },
    config: { allow: ROLES.member },
  }, async (req) => {
    const p = principalOf(req);
    return rewards.listRedemptions(p.clubId, { memberId: p.subjectId, before: req.query.cursor, limit: req.query.limit });
  });

  r.post('/api/v1/me/redemptions/:id/cancel', { schema: { tags: ['me'], summary: 'Cancel my redemption before it ships (points come back)', params: IdParams }, config: { allow: ROLES.member } }, async (req, reply) => {
    const p = principalOf(req);
    return sendResult(reply, await rewards.fulfil(p.clubId, req.params.id, 'cancelled', { ...ctx(req, idempotencyClaim(req)), memberId: p.subjectId }));
  });
}
