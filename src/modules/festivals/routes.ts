import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app.js';
import { idempotencyClaim, principalOf } from '../../platform/http/app.js';
import { sendProblem, sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import type { Club, ClubService } from '../clubs/index.js';
import type { MemberService } from '../members/index.js';
import { normalizeDigits } from '../../platform/persian.js';
import { CancelSchema, DrawCreateSchema, FestivalCreateSchema, FestivalPatchSchema } from './domain.js';
import type { Ctx, FestivalService } from './service.js';

const IdParams = z.object({ id: z.string().min(1).max(64) });
const MemberParams = z.object({ id: z.string().min(1).max(64), memberId: z.string().min(1).max(64) });
const BoardQ = z.object({
  category: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(100),
  memberId: z.string().max(64).optional(),
});

const ParticipantsQ = z.object({
  q: z.string().trim().max(64).optional(),
  via: z.enum(['opt_in', 'automatic']).optional(),
  sort: z.enum(['score', 'joined']).default('score'),
  limit: z.coerce.number().int().min(1).max(200).default(25),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
const DrawsQ = z.object({
  status: z.enum(['scheduled', 'snapshotted', 'drawn', 'cancelled']).optional(),
  festivalId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export interface FestivalRouteDeps {
  festivals: FestivalService;
  clubs: ClubService;
  members: MemberService;
}

export function festivalRoutes(app: App, d: FestivalRouteDeps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const write = ROLES.operatorsWrite;
  const read = anyOf(ROLES.operatorsRead, ROLES.systems);
  const tags = ['festivals'];

  const club = async (req: FastifyRequest): Promise<Club> => (await d.clubs.get(principalOf(req).clubId))!;
  /** The claim, or undefined after answering 400 (API keys must send Idempotency-Key). */
  function claim(req: FastifyRequest, reply: FastifyReply) {
    const c = idempotencyClaim(req);
    if (c === undefined) void sendProblem(reply, 'idempotency_key_required');
    return c;
  }
  const ctx = (req: FastifyRequest, idem: ReturnType<typeof idempotencyClaim>): Ctx => ({ actor: principalOf(req).actor, requestId: req.id, idempotency: idem ?? null });

  // ─── operators: festivals ───

  r.post('/api/v1/festivals', {
    schema: { tags, summary: 'Create a festival: window (Jalali dates, club zone), audience, enrolment, indicators, categories, staking, top performers', body: FestivalCreateSchema },
    config: { allow: write },
  }, async (req, reply) => {
    const idem = claim(req, reply);
    if (idem === undefined) return reply;
    return sendResult(reply, await d.festivals.create(await club(req), req.body, ctx(req, idem)), 201);
  });

  r.get('/api/v1/festivals', { schema: { tags, summary: 'Festivals of the club, newest first' }, config: { allow: read } }, async (req) => ({
    items: await d.festivals.list(principalOf(req).clubId),
  }));

  r.get('/api/v1/festivals/:id', { schema: { tags, summary: 'A festival', params: IdParams }, config: { allow: read } }, async (req, reply) =>
    sendResult(reply, await d.festivals.get(principalOf(req).clubId, req.params.id)));

  r.patch('/api/v1/festivals/:id', {
    schema: {
      tags,
      summary: 'Edit name, description, window, audience or enrolment. Before the start anything; once started the start date and enrolment are fixed, the audience may only widen and the end may not move into the past; once over, only the words',
      params: IdParams,
      body: FestivalPatchSchema,
    },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await d.festivals.update(await club(req), req.params.id, req.body, ctx(req, null))));

  r.post('/api/v1/festivals/:id/cancel', {
    schema: { tags, summary: 'Cancel a festival that has not ended: it stops scoring, takes no members or stakes, its undrawn draws never run, and staked points go back to members', params: IdParams, body: CancelSchema },
    config: { allow: write },
  }, async (req, reply) => {
    const idem = claim(req, reply);
    if (idem === undefined) return reply;
    return sendResult(reply, await d.festivals.cancel(await club(req), req.params.id, req.body, ctx(req, idem)));
  });

  r.get('/api/v1/festivals/:id/participants', {
    schema: { tags, summary: 'Participants, a page at a time with the total: q (entry code, member id or mobile digits), via, sort (score | joined)', params: IdParams, querystring: ParticipantsQ },
    config: { allow: read },
  }, async (req, reply) =>
    sendResult(reply, await d.festivals.participants(principalOf(req).clubId, req.params.id, { ...req.query, q: req.query.q ? normalizeDigits(req.query.q) : undefined })));

  r.post('/api/v1/festivals/:id/enrolment/sync', {
    schema: { tags, summary: 'Automatic enrolment: enrol the audience now (full = re-check every member, not only new ones)', params: IdParams, body: z.object({ full: z.boolean().default(false) }).strict().default({ full: false }) },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await d.festivals.syncEnrolment(await club(req), req.params.id, { full: req.body.full })));

  r.post('/api/v1/festivals/:id/participants', {
    schema: { tags, summary: 'Enrol a member (the audience still decides)', params: IdParams, body: z.object({ memberId: z.string().min(1).max(64) }).strict() },
    config: { allow: anyOf(ROLES.systems, ROLES.operatorsWrite) },
  }, async (req, reply) => {
    const idem = claim(req, reply);
    if (idem === undefined) return reply;
    const res = await d.festivals.join(await club(req), req.body.memberId, req.params.id, ctx(req, idem));
    return sendResult(reply, res, res.ok && res.value.created ? 201 : 200);
  });

  r.get('/api/v1/festivals/:id/leaderboard', {
    schema: { tags, summary: 'Top N of a category (score, or a performance category) and, with memberId, that member\'s rank', params: IdParams, querystring: BoardQ },
    config: { allow: read },
  }, async (req, reply) => {
    const clubId = principalOf(req).clubId;
    if (req.query.memberId && !(await d.members.get(clubId, req.query.memberId)).ok) return sendProblem(reply, 'member_not_found');
    return sendResult(reply, await d.festivals.leaderboard(clubId, req.params.id, { ...req.query, withMemberIds: true }));
  });

  r.get('/api/v1/festivals/:id/members/:memberId', {
    schema: { tags, summary: 'One member in the festival: entry, score, ranks, chances, wins', params: MemberParams },
    config: { allow: read },
  }, async (req, reply) => {
    const clubId = principalOf(req).clubId;
    if (!(await d.members.get(clubId, req.params.memberId)).ok) return sendProblem(reply, 'member_not_found');
    return sendResult(reply, await d.festivals.standing(clubId, req.params.memberId, req.params.id));
  });

  r.post('/api/v1/festivals/:id/top-performers', {
    schema: { tags, summary: 'Decide the top performers of each category (after the window; once)', params: IdParams },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await d.festivals.decideTopPerformers(await club(req), req.params.id, ctx(req, null))));

  r.get('/api/v1/festivals/:id/top-performers', { schema: { tags, summary: 'Top performers, once decided', params: IdParams }, config: { allow: read } }, async (req, reply) =>
    sendResult(reply, await d.festivals.topPerformers(principalOf(req).clubId, req.params.id)));

  // ─── operators: draws ───

  r.post('/api/v1/festivals/:id/draws', {
    schema: { tags, summary: 'Schedule a draw: the SHA-256 commitment of its secret seed is published now', params: IdParams, body: DrawCreateSchema },
    config: { allow: write },
  }, async (req, reply) => {
    const idem = claim(req, reply);
    if (idem === undefined) return reply;
    return sendResult(reply, await d.festivals.scheduleDraw(await club(req), req.params.id, req.body, ctx(req, idem)), 201);
  });

  r.get('/api/v1/festivals/:id/draws', { schema: { tags, summary: 'Draws of a festival', params: IdParams }, config: { allow: read } }, async (req, reply) =>
    sendResult(reply, await d.festivals.listDraws(principalOf(req).clubId, req.params.id)));

  r.get('/api/v1/draws', {
    schema: { tags, summary: 'Every draw of the club (all festivals), newest cut-off first, with its festival and status; a page at a time with the total', querystring: DrawsQ },
    config: { allow: read },
  }, async (req) => d.festivals.clubDraws(principalOf(req).clubId, req.query));

  r.get('/api/v1/draws/:id', { schema: { tags, summary: 'A draw, with its winners once drawn', params: IdParams }, config: { allow: ROLES.operatorsRead } }, async (req, reply) =>
    sendResult(reply, await d.festivals.getDraw(principalOf(req).clubId, req.params.id)));

  r.post('/api/v1/draws/:id/run', {
    schema: { tags, summary: 'Snapshot at the cut-off and draw at the draw time (the worker does this on its own; running twice is harmless)', params: IdParams },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await d.festivals.runDraw(await club(req), req.params.id, ctx(req, null))));

  // ─── public ───

  r.get('/api/v1/public/draws/:id', {
    schema: { tags, summary: 'The published draw document (docs/draws.md): commitment, then entries and digest, then seed and winners. No sign-in.', security: [], params: IdParams },
  }, async (req, reply) => {
    const doc = await d.festivals.publishedDraw(req.params.id);
    if (doc.ok) reply.header('cache-control', doc.value.status === 'drawn' ? 'public, max-age=3600' : 'no-cache');
    return sendResult(reply, doc);
  });

  // ─── members ───

  const me = ROLES.member;
  r.get('/api/v1/me/festivals', { schema: { tags: ['me'], summary: 'Festivals I can join or have joined' }, config: { allow: me } }, async (req, reply) =>
    sendResult(reply, await d.festivals.memberFestivals(await club(req), principalOf(req).subjectId)));

  r.get('/api/v1/me/festivals/:id', { schema: { tags: ['me'], summary: 'My entry, score, ranks, chances and wins in a festival', params: IdParams }, config: { allow: me } }, async (req, reply) =>
    sendResult(reply, await d.festivals.standing(principalOf(req).clubId, principalOf(req).subjectId, req.params.id)));

  r.post('/api/v1/me/festivals/:id/join', { schema: { tags: ['me'], summary: 'Join a festival', params: IdParams }, config: { allow: me } }, async (req, reply) => {
    const res = await d.festivals.join(await club(req), principalOf(req).subjectId, req.params.id, ctx(req, idempotencyClaim(req)));
    return sendResult(reply, res, res.ok && res.value.created ? 201 : 200);
  });

  r.post('/api/v1/me/festivals/:id/stakes', {
    schema: {
      tags: ['me'],
      summary: 'Stake club points for chances in the next draw ("5 points = 1 chance"); only whole chances are bought, the rest is kept',
      params: IdParams,
      body: z.object({ points: z.number().int().positive().max(1e12), drawId: z.string().max(64).optional() }).strict(),
    },
    config: { allow: me },
  }, async (req, reply) =>
    sendResult(reply, await d.festivals.stake(await club(req), principalOf(req).subjectId, req.params.id, req.body, ctx(req, idempotencyClaim(req))), 201));

  r.get('/api/v1/me/festivals/:id/leaderboard', {
    schema: { tags: ['me'], summary: 'Top N and my rank (refs are masked mobiles + entry codes)', params: IdParams, querystring: BoardQ.omit({ memberId: true }) },
    config: { allow: me },
  }, async (req, reply) =>
    sendResult(reply, await d.festivals.leaderboard(principalOf(req).clubId, req.params.id, { ...req.query, memberId: principalOf(req).subjectId })));
}
