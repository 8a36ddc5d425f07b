import type { App } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/app.js';
import { sendProblem, sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import { ClubPatchSchema } from './domain.js';
import type { ClubService } from './service.js';

export function clubRoutes(app: App, clubs: ClubService) {
  const r = app.withTypeProvider<import('fastify-type-provider-zod').ZodTypeProvider>();
  r.get('/api/v1/club', {
    schema: { tags: ['club'], summary: "The caller's club and its settings" },
    config: { allow: anyOf(ROLES.operatorsRead, ROLES.systems, ['partner', 'member']) },
  }, async (req, reply) => {
    const club = await clubs.get(principalOf(req).clubId);
    return club ? club : sendProblem(reply, 'club_not_found');
  });
  r.patch('/api/v1/club', {
    schema: { tags: ['club'], summary: 'Change club settings (owner)', body: ClubPatchSchema },
    config: { allow: ROLES.owner },
  }, async (req, reply) => {
    const p = principalOf(req);
    return sendResult(reply, await clubs.update(p.clubId, req.body, p.actor, req.id));
  });
}
