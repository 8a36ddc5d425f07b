import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/app.js';
import { sendProblem, sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import { jalaliMonthRange, zonedParts } from '../../platform/jalali.js';
import type { Clock } from '../../platform/clock.js';
import type { ClubService } from '../clubs/index.js';
import type { MemberService } from '../members/index.js';
import { cappedReferrerPoints, ReferralSettingsSchema } from './domain.js';
import type { ReferralService } from './service.js';

const IdParams = z.object({ id: z.string().min(1).max(64) });

/** `env`: the club (zone, slug) and the time, for the member's own view; without it Tehran and the system clock. */
export function referralRoutes(app: App, referrals: ReferralService, members: MemberService, env: { clubs?: ClubService; clock?: Clock } = {}) {
  const { clubs } = env;
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

  r.get('/api/v1/me/referrals', {
    schema: {
      tags: ['me'],
      summary: 'My referral code and link, the friends who joined with it (status: pending until their first qualifying event, then qualified, capped or rejected), the programme terms and this Jalali month against the cap',
    },
    config: { allow: ROLES.member },
  }, async (req, reply) => {
    const p = principalOf(req);
    const me = await members.get(p.clubId, p.subjectId);
    if (!me.ok) return sendProblem(reply, 'member_not_found');
    const club = clubs ? await clubs.get(p.clubId) : null;
    const [settings, settled, joined] = await Promise.all([referrals.settings(p.clubId), referrals.ofReferrer(p.clubId, p.subjectId), members.referredBy(p.clubId, p.subjectId)]);
    const byReferee = new Map(settled.map((x) => [x.refereeId, x]));
    const friends = joined.map((f) => {
      const r = byReferee.get(f.id);
      return {
        refereeId: f.id,
        name: f.firstName,
        mobileMasked: f.mobileMasked,
        joinedAt: f.joinedAt,
        status: r?.status ?? 'pending',
        reason: r?.reason ?? null,
        referrerPoints: r?.referrerPoints ?? 0,
        refereePoints: r?.refereePoints ?? 0,
        availableAt: r?.availableAt ?? null,
        at: r?.at ?? f.joinedAt,
      };
    });
    // Referrals whose friend is no longer listed (closed) still count: keep them.
    for (const r of settled) if (!friends.some((f) => f.refereeId === r.refereeId)) friends.push({ refereeId: r.refereeId, name: null, mobileMasked: '', joinedAt: r.at, status: r.status, reason: r.reason, referrerPoints: r.referrerPoints, refereePoints: r.refereePoints, availableAt: r.availableAt, at: r.at });
    // This Jalali month in the club's zone, counted as the cap counts it (qualified, by time).
    const tz = club?.timeZone ?? 'Asia/Tehran';
    const { jy, jm } = zonedParts(env.clock?.now() ?? new Date(), tz).jalali;
    const month = jalaliMonthRange({ jy, jm }, tz);
    const inMonth = settled.filter((x) => x.status === 'qualified' && new Date(x.at) >= month.start && new Date(x.at) < month.end);
    const thisMonth = { count: inMonth.length, points: inMonth.reduce((s, x) => s + x.referrerPoints, 0) };
    const left = settings ? cappedReferrerPoints(settings, thisMonth) : null;
    const slug = club?.slug ?? '';
    return {
      code: me.value.referralCode,
      link: `/app/login?club=${encodeURIComponent(slug)}&ref=${encodeURIComponent(me.value.referralCode)}`,
      settings: settings && settings.enabled ? { ...settings } : null,
      items: friends,
      totals: {
        invited: friends.length,
        pending: friends.filter((f) => f.status === 'pending').length,
        qualified: friends.filter((f) => f.status === 'qualified').length,
        earned: friends.reduce((s, f) => s + f.referrerPoints, 0),
      },
      thisMonth: { ...thisMonth, capReached: left ? left.capped && left.points === 0 : false },
    };
  });

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
