import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { App } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/app.js';
import { sendProblem } from '../../platform/http/problem.js';
import { ROLES } from '../../platform/http/principal.js';
import type { ClubService } from '../clubs/index.js';
import type { AnalyticsService } from './service.js';

export function analyticsRoutes(app: App, analytics: AnalyticsService, clubs: ClubService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/v1/stats/overview', {
    schema: {
      tags: ['analytics'],
      summary: 'Dashboard: members, active members, liability, points issued/redeemed/expired per day, tiers, join channels, the most redeemed rewards (topRewards)',
      querystring: z.object({ days: z.coerce.number().int().min(7).max(366).default(30) }),
    },
    config: { allow: ROLES.operatorsRead },
  }, async (req, reply) => {
    const club = await clubs.get(principalOf(req).clubId);
    if (!club) return sendProblem(reply, 'club_not_found');
    return analytics.overview(club, req.query.days);
  });

  // The member app needs a club's public face before anyone signs in.
  r.get('/api/v1/public/clubs/:slug', {
    schema: { tags: ['public'], summary: "A club's public profile (name, currency display)", security: [], params: z.object({ slug: z.string().max(64) }) },
  }, async (req, reply) => {
    const club = await clubs.bySlug(req.params.slug);
    if (!club) return sendProblem(reply, 'club_not_found');
    return { slug: club.slug, name: club.name, currencyDisplay: club.currencyDisplay, timeZone: club.timeZone, calendar: club.calendar };
  });
}
