import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { App } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/app.js';
import { sendProblem, sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import { MemberCreateSchema, MemberPatchSchema, SelfPatchSchema } from './domain.js';
import type { MemberService } from './service.js';

const IdParams = z.object({ id: z.string().min(1).max(64) });

export function memberRoutes(app: App, members: MemberService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const write = anyOf(ROLES.systems, ROLES.operatorsWrite);
  const read = anyOf(ROLES.systems, ROLES.operatorsRead);
  const by = (req: { id: string; principal: { actor: string } | null }) => ({ actor: req.principal!.actor, requestId: req.id });

  r.post('/api/v1/members', {
    schema: { tags: ['members'], summary: 'Enrol a member', body: MemberCreateSchema },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await members.create(principalOf(req).clubId, req.body, by(req)), 201));

  r.get('/api/v1/members', {
    schema: {
      tags: ['members'],
      summary: 'Search and page members (q: mobile, national code, customer number, referral code or name)',
      querystring: z.object({
        q: z.string().max(100).optional(),
        group: z.string().max(50).optional(),
        status: z.enum(['active', 'suspended', 'closed']).optional(),
        cursor: z.string().max(64).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
    },
    config: { allow: read },
  }, async (req) => members.list(principalOf(req).clubId, req.query));

  r.get('/api/v1/members/lookup', {
    schema: {
      tags: ['members'],
      summary: 'Find one member by mobile, national code, customer number or id',
      querystring: z.object({ id: z.string().max(64), mobile: z.string().max(40), nationalCode: z.string().max(20), customerNo: z.string().max(64) }).partial(),
    },
    config: { allow: read },
  }, async (req, reply) => {
    if (!Object.values(req.query).some(Boolean)) return sendProblem(reply, 'validation_failed', 'give one of id, mobile, nationalCode, customerNo');
    return sendResult(reply, await members.lookup(principalOf(req).clubId, req.query));
  });

  r.get('/api/v1/members/:id', {
    schema: { tags: ['members'], summary: 'A member', params: IdParams },
    config: { allow: read },
  }, async (req, reply) => sendResult(reply, await members.get(principalOf(req).clubId, req.params.id)));

  r.patch('/api/v1/members/:id', {
    schema: { tags: ['members'], summary: 'Change a member (unknown fields such as balance or tier are rejected)', params: IdParams, body: MemberPatchSchema },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await members.update(principalOf(req).clubId, req.params.id, req.body, by(req))));

  r.get('/api/v1/me', { schema: { tags: ['me'], summary: 'My profile' }, config: { allow: ROLES.member } }, async (req, reply) => {
    const p = principalOf(req);
    return sendResult(reply, await members.get(p.clubId, p.subjectId));
  });

  r.patch('/api/v1/me', {
    schema: { tags: ['me'], summary: 'Change my profile', body: SelfPatchSchema },
    config: { allow: ROLES.member },
  }, async (req, reply) => {
    const p = principalOf(req);
    return sendResult(reply, await members.update(p.clubId, p.subjectId, req.body, by(req)));
  });
}
