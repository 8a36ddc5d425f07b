import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app.js';
import { idempotencyClaim, principalOf } from '../../platform/http/app.js';
import { sendProblem, sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import type { Club, ClubService } from '../clubs/index.js';
import { BadgeCreateSchema, ChallengeCreateSchema, StreakCreateSchema } from './domain.js';
import type { Ctx, GameService } from './service.js';

const IdParams = z.object({ id: z.string().min(1).max(64) });

export function gameRoutes(app: App, games: GameService, clubs: ClubService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['gamification'];
  const read = anyOf(ROLES.operatorsRead, ROLES.systems);
  const club = async (req: FastifyRequest): Promise<Club> => (await clubs.get(principalOf(req).clubId))!;
  function ctx(req: FastifyRequest, reply: FastifyReply): Ctx | null {
    const c = idempotencyClaim(req);
    if (c === undefined) {
      void sendProblem(reply, 'idempotency_key_required');
      return null;
    }
    return { actor: principalOf(req).actor, requestId: req.id, idempotency: c };
  }

  r.post('/api/v1/badges', {
    schema: { tags, summary: 'Define a badge: CEL criteria over counts/amounts of a Jalali period and streaks, e.g. counts.purchase >= 5 (period month)', body: BadgeCreateSchema },
    config: { allow: ROLES.operatorsWrite },
  }, async (req, reply) => {
    const c = ctx(req, reply);
    return c ? sendResult(reply, await games.createBadge(await club(req), req.body, c), 201) : reply;
  });

  r.post('/api/v1/streaks', {
    schema: { tags, summary: 'Define a streak: consecutive days or weeks with an event of a type', body: StreakCreateSchema },
    config: { allow: ROLES.operatorsWrite },
  }, async (req, reply) => {
    const c = ctx(req, reply);
    return c ? sendResult(reply, await games.createStreak(await club(req), req.body, c), 201) : reply;
  });

  r.post('/api/v1/challenges', {
    schema: { tags, summary: 'Define a challenge: reach a target (events or rials of a type) before a deadline (Jalali window)', body: ChallengeCreateSchema },
    config: { allow: ROLES.operatorsWrite },
  }, async (req, reply) => {
    const c = ctx(req, reply);
    return c ? sendResult(reply, await games.createChallenge(await club(req), req.body, c), 201) : reply;
  });

  r.get('/api/v1/game', { schema: { tags, summary: 'Badges, streaks and challenges of the club' }, config: { allow: read } }, async (req) => games.list(principalOf(req).clubId));

  for (const kind of ['badge', 'streak', 'challenge'] as const) {
    for (const [action, active] of [['activate', true], ['deactivate', false]] as const) {
      r.post(`/api/v1/${kind === 'badge' ? 'badges' : kind === 'streak' ? 'streaks' : 'challenges'}/:id/${action}`, {
        schema: { tags, summary: `${action[0]!.toUpperCase()}${action.slice(1)} a ${kind}`, params: IdParams },
        config: { allow: ROLES.operatorsWrite },
      }, async (req, reply) => sendResult(reply, await games.setActive(principalOf(req).clubId, kind, req.params.id, active, { actor: principalOf(req).actor, requestId: req.id })));
    }
  }

  const me = ROLES.member;
  r.get('/api/v1/me/badges', { schema: { tags: ['me'], summary: 'Badges: which I earned, when, and which I can still earn' }, config: { allow: me } }, async (req) =>
    games.memberBadges(await club(req), principalOf(req).subjectId));
  r.get('/api/v1/me/streaks', { schema: { tags: ['me'], summary: 'My streaks: current (0 once broken), best' }, config: { allow: me } }, async (req) =>
    games.memberStreaks(await club(req), principalOf(req).subjectId));
  r.get('/api/v1/me/challenges', { schema: { tags: ['me'], summary: 'Challenges: my progress, target and deadline' }, config: { allow: me } }, async (req) =>
    games.memberChallenges(await club(req), principalOf(req).subjectId));
}
