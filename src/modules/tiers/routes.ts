import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/app.js';
import { sendProblem, sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import { ok } from '../../platform/result.js';
import type { ClubService } from '../clubs/index.js';
import type { MemberService } from '../members/index.js';
import { rankOf, thresholdFor, TierProgramSchema } from './domain.js';
import type { TierService } from './service.js';

export function tierRoutes(app: App, tiers: TierService, clubs: ClubService, members: MemberService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const by = (req: FastifyRequest) => ({ actor: principalOf(req).actor, requestId: req.id });

  r.get('/api/v1/tiers', {
    schema: { tags: ['tiers'], summary: 'The tier programme: measure, window, levels (thresholds, multipliers, rewards), retention' },
    config: { allow: anyOf(ROLES.operatorsRead, ROLES.systems, ROLES.member) },
  }, async (req) => ({ program: await tiers.program(principalOf(req).clubId) }));

  r.put('/api/v1/tiers', {
    schema: { tags: ['tiers'], summary: 'Set the tier programme (upgrades apply from the next event; downgrades at the next review)', body: TierProgramSchema },
    config: { allow: ROLES.operatorsWrite },
  }, async (req, reply) => sendResult(reply, await tiers.setProgram(principalOf(req).clubId, req.body, by(req)), 200, (program) => ({ program })));

  r.delete('/api/v1/tiers', {
    schema: { tags: ['tiers'], summary: 'Remove the tier programme (members keep their current tier label)' },
    config: { allow: ROLES.operatorsWrite },
  }, async (req, reply) => sendResult(reply, await tiers.setProgram(principalOf(req).clubId, null, by(req)), 200, () => ({ program: null })));

  r.post('/api/v1/tiers/review', {
    schema: { tags: ['tiers'], summary: 'Run today’s downgrade review now (the daily job does this on its own)' },
    config: { allow: ROLES.operatorsWrite },
  }, async (req, reply) => {
    const club = (await clubs.get(principalOf(req).clubId))!;
    return sendResult(reply, ok(await tiers.review(club, undefined, { force: true })));
  });

  r.get('/api/v1/me/tier', {
    schema: {
      tags: ['me'],
      summary: 'My tier: the measure in the current window, the next tier (threshold, what is missing, progress 0–1), every level with its threshold for me, and my tier history',
    },
    config: { allow: ROLES.member },
  }, async (req, reply) => {
    const p = principalOf(req);
    const m = await members.get(p.clubId, p.subjectId);
    if (!m.ok) return sendProblem(reply, 'member_not_found');
    const club = (await clubs.get(p.clubId))!;
    const [program, mine] = await Promise.all([tiers.program(p.clubId), tiers.memberTier(club, m.value)]);
    const levels = (program?.levels ?? []).map((l) => ({ code: l.code, name: l.name, threshold: thresholdFor(l, m.value), multiplier: l.multiplier }));
    const current = program ? rankOf(program, mine.tier) : -1;
    const level = current >= 0 ? levels[current]! : null;
    const next = mine.next
      ? { ...mine.next, name: levels.find((l) => l.code === mine.next!.tier)?.name ?? null, progress: mine.next.threshold > 0 ? Math.min(1, Math.max(0, (mine.next.threshold - mine.next.missing) / mine.next.threshold)) : 1 }
      : null;
    return { ...mine, name: level?.name ?? null, multiplier: level?.multiplier ?? 1, next, levels, top: program !== null && current === levels.length - 1 };
  });

  r.get('/api/v1/members/:id/tier', {
    schema: { tags: ['tiers'], summary: 'A member’s tier, measure in the current window, what the next level needs, and tier history', params: z.object({ id: z.string().min(1).max(64) }) },
    config: { allow: anyOf(ROLES.operatorsRead, ROLES.systems) },
  }, async (req, reply) => {
    const clubId = principalOf(req).clubId;
    const m = await members.get(clubId, req.params.id);
    if (!m.ok) return sendProblem(reply, 'member_not_found');
    const club = (await clubs.get(clubId))!;
    return tiers.memberTier(club, m.value);
  });
}
