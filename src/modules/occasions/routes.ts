import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { App } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/app.js';
import { sendProblem, sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import { parseDateInput, zonedDateStart } from '../../platform/jalali.js';
import { ok } from '../../platform/result.js';
import type { ClubService } from '../clubs/index.js';
import { OccasionSettingsSchema } from './domain.js';
import type { OccasionService } from './service.js';

export function occasionRoutes(app: App, occasions: OccasionService, clubs: ClubService) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/occasions/settings', {
    schema: { tags: ['occasions'], summary: 'Birthday, anniversary, profile-completion and expiry-reminder settings' },
    config: { allow: anyOf(ROLES.operatorsRead) },
  }, async (req) => ({ settings: await occasions.settings(principalOf(req).clubId) }));

  r.put('/api/v1/occasions/settings', {
    schema: { tags: ['occasions'], summary: 'Set the occasions (texts are Persian templates with {name}, {club}, {points}, {years}, {date})', body: OccasionSettingsSchema },
    config: { allow: ROLES.operatorsWrite },
  }, async (req, reply) => sendResult(reply, await occasions.setSettings(principalOf(req).clubId, req.body, { actor: principalOf(req).actor, requestId: req.id }), 200, (settings) => ({ settings })));

  r.post('/api/v1/occasions/run', {
    schema: {
      tags: ['occasions'],
      summary: 'Run today’s occasions now (the daily job does this by itself; running twice awards once)',
      body: z.object({ date: z.string().max(20).optional().describe('Jalali date to run as (tests, catch-up); default today') }).strict().optional(),
    },
    config: { allow: ROLES.operatorsWrite },
  }, async (req, reply) => {
    const club = (await clubs.get(principalOf(req).clubId))!;
    let at: Date | undefined;
    if (req.body?.date) {
      const iso = parseDateInput(req.body.date);
      if (!iso) return sendProblem(reply, 'invalid_date', `"${req.body.date}" is not a Jalali date`);
      at = new Date(zonedDateStart(iso, club.timeZone).getTime() + 12 * 3_600_000);
    }
    return sendResult(reply, ok(await occasions.run(club, at)));
  });
}
