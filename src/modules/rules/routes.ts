import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/app.js';
import { sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import type { Club, ClubService } from '../clubs/index.js';
import { EventTypeInputSchema, EventTypeNameSchema, RuleInputSchema } from './input.js';
import type { RulesService } from './service.js';
import type { Db } from '../../platform/db.js';
import { BACKTEST_STREAM_DESCRIPTION, streamBacktest } from './backtest-stream.js';

const IdParams = z.object({ id: z.string().min(1).max(64) });
const StatusQ = z.object({ status: z.string().regex(/^(active|paused|archived)(,(active|paused|archived))*$/).optional().describe('comma-separated; default active,paused') });

export function ruleRoutes(app: App, rules: RulesService, clubs: ClubService, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const write = anyOf(ROLES.operatorsWrite);
  const read = anyOf(ROLES.operatorsRead);
  const by = (req: FastifyRequest) => ({ actor: principalOf(req).actor, requestId: req.id });
  const clubOf = async (req: FastifyRequest): Promise<Club> => (await clubs.get(principalOf(req).clubId))!;

  // ─── event types
  r.get('/api/v1/event-types', {
    schema: { tags: ['rules'], summary: 'Built-in and custom event types (with their attribute schemas)' },
    config: { allow: anyOf(ROLES.operatorsRead, ROLES.systems) },
  }, async (req) => rules.eventTypes(principalOf(req).clubId));

  r.post('/api/v1/event-types', {
    schema: { tags: ['rules'], summary: 'Declare a custom event type; `schema` (JSON Schema) validates its attributes on ingest', body: EventTypeInputSchema.extend({ name: EventTypeNameSchema }) },
    config: { allow: write },
  }, async (req, reply) => {
    const { name, ...input } = req.body;
    return sendResult(reply, await rules.putEventType(principalOf(req).clubId, name, input, by(req), 'create'), 201);
  });

  r.put('/api/v1/event-types/:name', {
    schema: { tags: ['rules'], summary: 'Change a custom event type (a new version of its schema)', params: z.object({ name: z.string().min(1).max(64) }), body: EventTypeInputSchema },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await rules.putEventType(principalOf(req).clubId, req.params.name, req.body, by(req), 'update')));

  r.delete('/api/v1/event-types/:name', {
    schema: { tags: ['rules'], summary: 'Archive a custom event type: its events are refused from then on', params: z.object({ name: z.string().min(1).max(64) }) },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await rules.archiveEventType(principalOf(req).clubId, req.params.name, by(req))));

  // ─── rules
  r.get('/api/v1/rules', {
    schema: { tags: ['rules'], summary: 'Earning rules (current version of each)', querystring: StatusQ },
    config: { allow: read },
  }, async (req) => ({ items: await rules.list(await clubOf(req), (req.query.status?.split(',') ?? ['active', 'paused']) as never) }));

  r.post('/api/v1/rules', {
    schema: {
      tags: ['rules'],
      summary: 'Create an earning rule. Window dates are Jalali in the club zone (the end date inclusive). CEL is compiled now: a broken expression is 422 invalid_expression with its position.',
      body: RuleInputSchema.extend({ status: z.enum(['active', 'paused']).optional() }),
    },
    config: { allow: write },
  }, async (req, reply) => {
    const { status, ...input } = req.body;
    return sendResult(reply, await rules.create(await clubOf(req), input, by(req), status ?? 'active'), 201);
  });

  r.post('/api/v1/rules/simulate', {
    schema: {
      tags: ['rules'],
      summary: 'Dry-run one event (stored: {eventId}; or made up) against live rules plus drafts; returns the awards and why each rule did or did not fire. Writes nothing.',
      body: z.object({
        event: z.record(z.string(), z.unknown()),
        member: z.record(z.string(), z.unknown()).optional(),
        drafts: z.array(z.unknown()).max(50).optional(),
        live: z.boolean().optional(),
      }).strict(),
    },
    config: { allow: read },
  }, async (req, reply) => sendResult(reply, await rules.simulate(await clubOf(req), req.body as never)));

  r.post('/api/v1/rules/backtest', {
    schema: {
      tags: ['rules'],
      summary: 'Backtest a draft rule over a period of stored events, streaming progress (NDJSON). Writes nothing.',
      description: BACKTEST_STREAM_DESCRIPTION,
      body: z.object({
        rule: z.record(z.string(), z.unknown()).describe('a draft rule, as POST /api/v1/rules takes it'),
        from: z.string().min(8).max(32).describe('first day, Jalali (1404/01/01) or ISO'),
        to: z.string().min(8).max(32).describe('last day (inclusive), Jalali or ISO'),
      }).strict(),
    },
    config: { allow: read },
  }, async (req, reply) => streamBacktest(reply, { rules, db, club: await clubOf(req) }, req.body));

  r.get('/api/v1/rules/:id', {
    schema: { tags: ['rules'], summary: 'A rule, its current version and the list of versions', params: IdParams },
    config: { allow: read },
  }, async (req, reply) => sendResult(reply, await rules.get(await clubOf(req), req.params.id)));

  r.get('/api/v1/rules/:id/versions/:version', {
    schema: { tags: ['rules'], summary: 'One version of a rule, as a ledger entry recorded it (rule_version = id@version)', params: IdParams.extend({ version: z.string().max(64) }) },
    config: { allow: read },
  }, async (req, reply) => sendResult(reply, await rules.version(await clubOf(req), req.params.id, Number(req.params.version))));

  r.put('/api/v1/rules/:id', {
    schema: { tags: ['rules'], summary: 'Edit a rule: makes a new version; points already earned keep the version that made them', params: IdParams, body: RuleInputSchema },
    config: { allow: write },
  }, async (req, reply) => sendResult(reply, await rules.update(await clubOf(req), req.params.id, req.body, by(req))));

  for (const [action, status] of [['pause', 'paused'], ['resume', 'active'], ['archive', 'archived']] as const) {
    r.post(`/api/v1/rules/:id/${action}`, {
      schema: { tags: ['rules'], summary: `${action[0]!.toUpperCase()}${action.slice(1)} a rule${action === 'archive' ? ' (final)' : ''}`, params: IdParams },
      config: { allow: write },
    }, async (req, reply) => sendResult(reply, await rules.setStatus(await clubOf(req), req.params.id, status, by(req))));
  }
}
