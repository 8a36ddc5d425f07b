import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { App } from '../../platform/http/app.js';
import { bearerToken, principalOf } from '../../platform/http/app.js';
import { sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import { listAudit } from '../../platform/audit.js';
import type { Db } from '../../platform/db.js';
import { ok } from '../../platform/result.js';
import { ApiKeyCreateSchema, OperatorCreateSchema } from './domain.js';
import type { AccessService } from './service.js';

const Slug = z.string().trim().min(1).max(64);

export function accessRoutes(app: App, access: AccessService, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/auth/operator/login', {
    schema: {
      tags: ['auth'],
      summary: 'Operator sign-in; returns a session token',
      security: [],
      body: z.object({ club: Slug, username: z.string().min(1).max(100), password: z.string().min(1).max(200) }),
    },
  }, async (req, reply) => sendResult(reply, await access.login(req.body.club, req.body.username, req.body.password)));

  r.post('/api/v1/auth/member/otp', {
    schema: {
      tags: ['auth'],
      summary: 'Send a one-time sign-in code by SMS',
      security: [],
      body: z.object({ club: Slug, mobile: z.string().min(1).max(40) }),
    },
  }, async (req, reply) => sendResult(reply, await access.requestOtp(req.body.club, req.body.mobile), 202));

  r.post('/api/v1/auth/member/verify', {
    schema: {
      tags: ['auth'],
      summary: 'Exchange the one-time code for a member session token',
      security: [],
      body: z.object({ club: Slug, mobile: z.string().min(1).max(40), code: z.string().min(1).max(12) }),
    },
  }, async (req, reply) => sendResult(reply, await access.verifyOtp(req.body.club, req.body.mobile, req.body.code)));

  r.post('/api/v1/auth/logout', {
    schema: { tags: ['auth'], summary: 'End the current session' },
    config: { allow: anyOf(ROLES.operatorsRead, ROLES.member) },
  }, async (req, reply) => {
    await access.logout(bearerToken(req)!);
    return reply.code(204).send();
  });

  r.get('/api/v1/api-keys', {
    schema: { tags: ['access'], summary: 'API keys of the club (never the secret)' },
    config: { allow: ROLES.owner },
  }, async (req) => ({ items: await access.listApiKeys(principalOf(req).clubId) }));

  r.post('/api/v1/api-keys', {
    schema: { tags: ['access'], summary: 'Create an API key; the key is shown once', body: ApiKeyCreateSchema },
    config: { allow: ROLES.owner },
  }, async (req, reply) => {
    const p = principalOf(req);
    return reply.code(201).send(await access.createApiKey(p.clubId, req.body, p.actor));
  });

  r.delete('/api/v1/api-keys/:id', {
    schema: { tags: ['access'], summary: 'Revoke an API key', params: z.object({ id: z.string().max(64) }) },
    config: { allow: ROLES.owner },
  }, async (req, reply) => {
    const p = principalOf(req);
    return sendResult(reply, await access.revokeApiKey(p.clubId, req.params.id, p.actor));
  });

  r.get('/api/v1/operators', {
    schema: { tags: ['access'], summary: 'Operators of the club' },
    config: { allow: ROLES.owner },
  }, async (req) => ({ items: await access.listOperators(principalOf(req).clubId) }));

  r.post('/api/v1/operators', {
    schema: { tags: ['access'], summary: 'Create an operator account', body: OperatorCreateSchema },
    config: { allow: ROLES.owner },
  }, async (req, reply) => {
    const p = principalOf(req);
    return sendResult(reply, await access.createOperator(p.clubId, req.body, p.actor), 201);
  });

  r.get('/api/v1/audit', {
    schema: {
      tags: ['access'],
      summary: 'Audit log, newest first',
      querystring: z.object({ cursor: z.coerce.number().int().positive().optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }),
    },
    config: { allow: ROLES.operatorsWrite },
  }, async (req, reply) => {
    const items = await listAudit(db, principalOf(req).clubId, { before: req.query.cursor, limit: req.query.limit });
    return sendResult(reply, ok({ items, nextCursor: items.length === req.query.limit ? String(items.at(-1)!.id) : null }));
  });
}
