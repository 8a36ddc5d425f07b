import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/app.js';
import { sendProblem, sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import type { MemberService } from '../members/index.js';
import { ReferralSettingsSchema } from './domain.js';
import type { ReferralService } from './service.js';

const IdParams = z.object({ id: z.string().min(1).max(64) });

export function referralRoutes(app: App, referrals: ReferralService, members: MemberService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const by = (req: FastifyRequest) => ({ actor: principalOf(req).actor, requestId: req.id });

  r.get('/api/v1/referrals/settings', {
    schema: { tags: ['referrals'], summary: 'The referral programme' },
    config: { allow: anyOf(ROLES.operatorsRead) },
  }, async (req) => ({ settings: await referrals.settings(principalOf(req).clubId) }));

  r.put('/api/v1/referrals/settings', {
    schema: { tags: ['referrals'], summary: 'Set the referral programme: qualifying event, points for both, monthly cap per referrer', body: ReferralSettingsSchema },
    config: { allow: ROLES.operatorsWrite },
  }, async (req, reply) => sendResult(reply, await referrals.setSettings(principalOf(req).clubId, req.body, by(req)), 200, (settings) => ({ settings })));

  r.get('/api/v1/members/:id/referrals', {
    schema: { tags: ['referrals'], summary: 'Friends this member invited, and what each referral earned', params: IdParams },
    config: { allow: anyOf(ROLES.operatorsRead, ROLES.systems) },
  }, async (req, reply) => {
    const clubId = principalOf(req).clubId;
    if (!(await members.get(clubId, req.params.id)).ok) return sendProblem(reply, 'member_not_found');
    return { items: await referrals.ofReferrer(clubId, req.params.id) };
  });

  r.post('/api/v1/members/:id/devices', {
    schema: { tags: ['referrals'], summary: 'Record a device fingerprint the member uses (self-referral check)', params: IdParams, body: z.object({ fingerprint: z.string().min(4).max(200) }).strict() },
    config: { allow: anyOf(ROLES.systems, ROLES.operatorsWrite) },
  }, async (req, reply) => {
    const clubId = principalOf(req).clubId;
    if (!(await members.get(clubId, req.params.id)).ok) return sendProblem(reply, 'member_not_found');
    return sendResult(reply, await referrals.addDevice(clubId, req.params.id, req.body.fingerprint), 201);
  });
}
