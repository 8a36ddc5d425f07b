import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app.js';
import { idempotencyClaim, principalOf } from '../../platform/http/app.js';
import { sendProblem, sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import type { Db } from '../../platform/db.js';
import type { LedgerService } from './service.js';
import { verifyLedger } from './verify.js';
import { isUnit, type Unit } from './domain.js';
import type { Result } from '../../platform/result.js';

const Points = z.number().int().positive().max(1e12);
const MemberParams = z.object({ id: z.string().min(1).max(64) });
const UnitQ = z.string().max(100).refine(isUnit, 'unknown unit').optional();

export interface LedgerRouteDeps {
  ledger: LedgerService;
  db: Db;
  /** Members module: does this member exist in the club? */
  memberInClub(clubId: string, memberId: string): Promise<boolean>;
  club(clubId: string): Promise<{ id: string; allowTransfers: boolean; pointValueRials: number } | null>;
}

export function ledgerRoutes(app: App, d: LedgerRouteDeps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = anyOf(ROLES.operatorsRead, ROLES.systems);

  /** The member must be in the caller's club; anything else is 404, never a hint. */
  async function member(req: FastifyRequest, reply: FastifyReply, id: string): Promise<boolean> {
    if (await d.memberInClub(principalOf(req).clubId, id)) return true;
    await sendProblem(reply, 'member_not_found');
    return false;
  }
  function claim(req: FastifyRequest, reply: FastifyReply) {
    const c = idempotencyClaim(req);
    if (c === undefined) void sendProblem(reply, 'idempotency_key_required');
    return c;
  }
  const ctx = (req: FastifyRequest, idem: ReturnType<typeof idempotencyClaim>) => ({ actor: principalOf(req).actor, requestId: req.id, idempotency: idem ?? null });
  /** A write on one member of the caller's club: 404 for anyone else's, the idempotency claim, 201 on success. */
  async function memberWrite<T>(req: FastifyRequest, reply: FastifyReply, memberId: string, run: (clubId: string, idem: ReturnType<typeof idempotencyClaim>) => Promise<Result<T>>) {
    if (!(await member(req, reply, memberId))) return reply;
    const idem = claim(req, reply);
    if (idem === undefined) return reply;
    return sendResult(reply, await run(principalOf(req).clubId, idem), 201);
  }

  const balanceOf = async (clubId: string, memberId: string) => {
    const points = await d.ledger.balance(clubId, memberId, 'points');
    const wallet = await d.ledger.balance(clubId, memberId, 'rials');
    return { memberId, points, walletRials: wallet.balance };
  };

  r.get('/api/v1/members/:id/balance', {
    schema: { tags: ['ledger'], summary: 'Balance: available, pending, expiring soon; wallet rials', params: MemberParams },
    config: { allow: read },
  }, async (req, reply) => {
    if (!(await member(req, reply, req.params.id))) return reply;
    return balanceOf(principalOf(req).clubId, req.params.id);
  });

  const HistoryQ = z.object({ unit: UnitQ, cursor: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) });
  r.get('/api/v1/members/:id/history', {
    schema: { tags: ['ledger'], summary: 'Ledger history with running balance, newest first', params: MemberParams, querystring: HistoryQ },
    config: { allow: read },
  }, async (req, reply) => {
    if (!(await member(req, reply, req.params.id))) return reply;
    return d.ledger.history(principalOf(req).clubId, req.params.id, { unit: req.query.unit as Unit | undefined, cursor: req.query.cursor, limit: req.query.limit });
  });

  r.post('/api/v1/members/:id/adjustments', {
    schema: {
      tags: ['ledger'],
      summary: 'Operator adjustment with a mandatory reason (audited)',
      params: MemberParams,
      body: z.object({ points: z.number().int().min(-1e12).max(1e12).refine((n) => n !== 0, 'must not be 0'), reason: z.string().trim().min(3).max(500) }).strict(),
    },
    config: { allow: ROLES.operatorsWrite },
  }, async (req, reply) =>
    memberWrite(req, reply, req.params.id, (clubId, idem) => d.ledger.adjust(clubId, req.params.id, req.body, ctx(req, idem))));

  r.post('/api/v1/members/:id/spend', {
    schema: {
      tags: ['ledger'],
      summary: 'Spend available points now (soonest-expiring first)',
      params: MemberParams,
      body: z.object({ points: Points, reference: z.string().max(200).optional(), memo: z.string().max(500).optional() }).strict(),
    },
    config: { allow: anyOf(ROLES.systems, ROLES.operatorsWrite) },
  }, async (req, reply) =>
    memberWrite(req, reply, req.params.id, (clubId, idem) => d.ledger.spend(clubId, req.params.id, req.body, ctx(req, idem))));

  r.post('/api/v1/members/:id/holds', {
    schema: {
      tags: ['ledger'],
      summary: 'Hold points (two-phase): capture or release later',
      params: MemberParams,
      body: z.object({ points: Points, reference: z.string().max(200).optional(), ttlSeconds: z.number().int().min(10).max(7 * 86400).optional() }).strict(),
    },
    config: { allow: anyOf(ROLES.systems, ROLES.operatorsWrite) },
  }, async (req, reply) =>
    memberWrite(req, reply, req.params.id, (clubId, idem) => d.ledger.hold(clubId, req.params.id, req.body, ctx(req, idem))));

  const HoldParams = z.object({ id: z.string().min(1).max(64) });
  r.get('/api/v1/holds/:id', {
    schema: { tags: ['ledger'], summary: 'A hold', params: HoldParams },
    config: { allow: anyOf(ROLES.systems, ROLES.operatorsRead) },
  }, async (req, reply) => sendResult(reply, await d.ledger.getHold(principalOf(req).clubId, req.params.id)));

  for (const action of ['capture', 'release'] as const) {
    r.post(`/api/v1/holds/:id/${action}`, {
      schema: { tags: ['ledger'], summary: action === 'capture' ? 'Capture a hold: the points are redeemed' : 'Release a hold: the points go back', params: HoldParams },
      config: { allow: anyOf(ROLES.systems, ROLES.operatorsWrite) },
    }, async (req, reply) => {
      const idem = claim(req, reply);
      if (idem === undefined) return reply;
      const c = principalOf(req).clubId;
      return sendResult(reply, action === 'capture' ? await d.ledger.capture(c, req.params.id, ctx(req, idem)) : await d.ledger.release(c, req.params.id, ctx(req, idem)));
    });
  }

  const TransferBody = z.object({ toMemberId: z.string().min(1).max(64), points: Points, memo: z.string().max(500).optional() }).strict();
  r.post('/api/v1/members/:id/transfers', {
    schema: { tags: ['ledger'], summary: 'Transfer points to another member (if the club allows)', params: MemberParams, body: TransferBody },
    config: { allow: anyOf(ROLES.systems, ROLES.operatorsWrite) },
  }, async (req, reply) =>
    memberWrite(req, reply, req.params.id, async (clubId, idem) => d.ledger.transfer((await d.club(clubId))!, req.params.id, req.body.toMemberId, req.body.points, { ...ctx(req, idem), memo: req.body.memo })));

  r.post('/api/v1/members/:id/conversions', {
    schema: { tags: ['ledger'], summary: 'Convert points to rial credit in the wallet at the club rate', params: MemberParams, body: z.object({ points: Points }).strict() },
    config: { allow: anyOf(ROLES.systems, ROLES.operatorsWrite) },
  }, async (req, reply) =>
    memberWrite(req, reply, req.params.id, async (clubId, idem) => d.ledger.convert((await d.club(clubId))!, req.params.id, req.body.points, ctx(req, idem))));

  // --- the member's own view -----------------------------------------------------------
  r.get('/api/v1/me/balance', { schema: { tags: ['me'], summary: 'My balance' }, config: { allow: ROLES.member } }, async (req) => {
    const p = principalOf(req);
    return balanceOf(p.clubId, p.subjectId);
  });
  r.get('/api/v1/me/history', { schema: { tags: ['me'], summary: 'My ledger history', querystring: HistoryQ }, config: { allow: ROLES.member } }, async (req) => {
    const p = principalOf(req);
    return d.ledger.history(p.clubId, p.subjectId, { unit: req.query.unit as Unit | undefined, cursor: req.query.cursor, limit: req.query.limit });
  });
  r.post('/api/v1/me/transfers', { schema: { tags: ['me'], summary: 'Send points to another member', body: TransferBody }, config: { allow: ROLES.member } }, async (req, reply) => {
    const p = principalOf(req);
    if (!(await d.memberInClub(p.clubId, req.body.toMemberId))) return sendProblem(reply, 'member_not_found');
    const club = (await d.club(p.clubId))!;
    return sendResult(reply, await d.ledger.transfer(club, p.subjectId, req.body.toMemberId, req.body.points, { ...ctx(req, idempotencyClaim(req)), memo: req.body.memo }), 201);
  });
  r.post('/api/v1/me/conversions', { schema: { tags: ['me'], summary: 'Convert my points to wallet rials', body: z.object({ points: Points }).strict() }, config: { allow: ROLES.member } }, async (req, reply) => {
    const p = principalOf(req);
    const club = (await d.club(p.clubId))!;
    return sendResult(reply, await d.ledger.convert(club, p.subjectId, req.body.points, ctx(req, idempotencyClaim(req))), 201);
  });

  // --- operators -----------------------------------------------------------------------
  r.get('/api/v1/ledger/system-accounts', {
    schema: { tags: ['ledger'], summary: 'System account balances (issued, redeemed, expired, held…), derived from lines' },
    config: { allow: ROLES.operatorsRead },
  }, async (req) => ({ items: await d.ledger.systemBalances(principalOf(req).clubId) }));

  r.get('/api/v1/ledger/verify', {
    schema: { tags: ['ledger'], summary: "Recompute the club's balances from lines and check every invariant" },
    config: { allow: ROLES.owner },
  }, async (req) => verifyLedger(d.db, principalOf(req).clubId));
}
