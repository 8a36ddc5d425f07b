/**
 * The HTTP shell: Fastify with zod validation, OpenAPI 3.1, problem+json errors, request
 * ids, metrics and the principal check. It knows no module: modules hand it plugins.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { Histogram } from 'prom-client';
import { sendProblem } from './problem.js';
import { hashJson, sha256 } from '../crypto.js';
import type { Principal, Role } from './principal.js';

export type App = FastifyInstance;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed to call the route; absent = public. */
    allow?: readonly Role[];
  }
}

export interface HttpDeps {
  logger: Logger;
  metrics: Registry;
  /** Resolves a bearer token / API key to its principal, or null. */
  authenticate(token: string): Promise<Principal | null>;
  /** Readiness probe (database reachable, migrations applied). */
  ready(): Promise<boolean>;
  bodyLimitBytes?: number;
}

/** No Vafa body nests deeper than this; deeper ones would only exercise recursive code. */
const MAX_JSON_DEPTH = 64;
/** The deepest [ / { nesting of a JSON text, brackets inside strings not counted; one pass. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) max = depth;
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

export async function createHttp(deps: HttpDeps): Promise<App> {
  const app: App = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes ?? 2 * 1024 * 1024,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && /^[\w.-]{1,64}$/.test(h) ? h : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    // Bad percent-encoding or an over-long path segment: problem+json like every other error.
    frameworkErrors: (err, _req, reply) =>
      sendProblem(reply as unknown as FastifyReply, 'validation_failed', err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the URL is not valid (bad percent-encoding)'),
  });
  // PostgreSQL text cannot hold U+0000 and jsonb refuses lone UTF-16 surrogates (\ud800):
  // refuse them at the door (400), not in the store (500). Both can only arrive escaped in
  // the JSON text, so the hot path costs one cheap scan of the raw body.
  const parseJson = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, text, done) => {
    if (jsonDepth(text as string) > MAX_JSON_DEPTH) return done(Object.assign(new Error(`the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400 }), undefined);
    if (!SUSPECT_ESCAPE.test(text as string)) return parseJson(req, text as string, done);
    parseJson(req, text as string, (err, body) => {
      if (err) return done(err, undefined);
      if (hasUnstorableText(body)) return done(Object.assign(new Error('a string contains a NUL character (\\u0000) or a lone surrogate (\\ud800–\\udfff)'), { statusCode: 400 }), undefined);
      done(null, body);
    });
  });
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.includes('%00')) return sendProblem(reply, 'validation_failed', 'the URL contains the NUL character (%00)');
  });
  // Per-request access logs cost the hot path; errors and warnings still log.
  app.addHook('onRoute', (route) => {
    route.logLevel ??= 'warn';
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Vafa (وفا) API',
        version: '1',
        description:
          'Customer-club and loyalty platform. Errors are RFC 9457 application/problem+json with a stable `code` (see docs/reference/result-codes.md). Mutating integration calls take an `Idempotency-Key` header.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API key (vafa_…) or session token' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  const httpDuration = new Histogram({
    name: 'vafa_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
    registers: [deps.metrics],
  });
  app.addHook('onResponse', async (req, reply) => {
    httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (reply.statusCode >= 500) req.log.error({ url: req.url, status: reply.statusCode }, 'request failed');
  });
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', req.id);
    return payload;
  });

  // onRequest, before the body is parsed and validated: a caller without the right to the
  // route gets 401/403, never the route's schema errors (and costs no body parsing).
  app.addHook('onRequest', async (req, reply) => {
    const allow = req.routeOptions.config?.allow;
    if (!allow) return;
    const token = bearerToken(req);
    const principal = token ? await deps.authenticate(token) : null;
    if (!principal) return sendProblem(reply, 'unauthenticated');
    if (!allow.includes(principal.role)) return sendProblem(reply, 'forbidden', `role ${principal.role} may not call this route`);
    req.principal = principal;
  });

  app.setNotFoundHandler((req, reply) => sendProblem(reply, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`));

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = (err.validation as { instancePath?: string; message?: string; params?: { issue?: { path?: unknown[] } } }[]).map((v) => ({
        path: `${(err as { validationContext?: string }).validationContext ?? 'body'}${v.instancePath ?? ''}`,
        message: v.message ?? 'invalid',
      }));
      return sendProblem(reply, 'validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
    }
    switch (err.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendProblem(reply, 'unsupported_media_type');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendProblem(reply, 'payload_too_large');
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return sendProblem(reply, 'malformed_json', err.message);
    }
    if (/nests deeper/.test(err.message)) return sendProblem(reply, 'malformed_json', err.message);
    if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
      return sendProblem(reply, 'malformed_json', 'the body is not valid JSON');
    }
    if (err.statusCode && err.statusCode < 500) {
      if (err.statusCode === 404) return sendProblem(reply, 'not_found');
      if (err.statusCode === 429) return sendProblem(reply, 'rate_limited');
      if (err.statusCode === 413) return sendProblem(reply, 'payload_too_large');
      if (err.statusCode === 415) return sendProblem(reply, 'unsupported_media_type');
      return sendProblem(reply, 'validation_failed', err.message);
    }
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, 'internal_error');
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = await deps.ready().catch(() => false);
    if (!ok) return sendProblem(reply, 'unavailable');
    return { status: 'ready' };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(deps.metrics.contentType);
    return deps.metrics.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  docsRoutes(app);

  return app;
}

const SUSPECT_ESCAPE = /\\u(0000|[dD][89a-fA-F])/;
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function hasUnstorableText(v: unknown): boolean {
  if (typeof v === 'string') return UNSTORABLE.test(v);
  if (Array.isArray(v)) return v.some(hasUnstorableText);
  if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => UNSTORABLE.test(k) || hasUnstorableText(x));
  return false;
}

export function bearerToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string' && h.startsWith('Bearer ')) return h.slice(7).trim() || null;
  const k = req.headers['x-api-key'];
  return typeof k === 'string' && k ? k : null;
}

/** The caller, once the onRequest hook admitted it (only on routes with `allow`). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error('route has no `allow` but reads the principal');
  return req.principal;
}

export function idempotencyKeyOf(req: FastifyRequest): string | null {
  const k = req.headers['idempotency-key'];
  return typeof k === 'string' && k.length > 0 && k.length <= 200 ? k : null;
}

/**
 * The idempotency claim of a mutating call: key + hash of method, path and body. Systems
 * (API keys) must send an Idempotency-Key; people (sessions) may. Returns undefined when a
 * required key is missing.
 */
export function idempotencyClaim(req: FastifyRequest, bodyHash?: string): { key: string; requestHash: string } | null | undefined {
  const key = idempotencyKeyOf(req);
  if (!key) return req.principal?.kind === 'apikey' ? undefined : null;
  // A route that hashes its body anyway (events) passes that hash: the body is walked once.
  if (bodyHash !== undefined) return { key, requestHash: sha256(`${req.method} ${req.routeOptions.url} ${hashJson(req.params ?? null)} ${bodyHash}`) };
  return { key, requestHash: hashJson({ m: req.method, p: req.routeOptions.url, params: req.params, body: req.body ?? null }) };
}

/**
 * The browsable API reference at /docs, loaded on its first request. Importing
 * @scalar/fastify-api-reference costs ~220 ms and ~16 MB (its OpenAPI parser, and the 3.5 MB
 * script it reads at registration), which every start paid for a page people open rarely. Its
 * plugin runs, unchanged, in a small Fastify instance of its own, built on the first request;
 * this app passes /docs and /docs/* through to it with inject().
 */
function docsRoutes(app: FastifyInstance): void {
  let inner: Promise<FastifyInstance> | null = null;
  const load = () =>
    (inner ??= (async () => {
      const { default: scalar } = await import('@scalar/fastify-api-reference');
      const docs = Fastify({ logger: false });
      await docs.register(scalar, { routePrefix: '/docs', configuration: { url: '/openapi.json', title: 'Vafa API' } });
      await docs.ready();
      return docs;
    })().catch((e: unknown) => {
      inner = null; // the next request tries again
      throw e;
    }));
  const passOn = async (req: FastifyRequest, reply: FastifyReply) => {
    const res = await (await load()).inject({ method: 'GET', url: req.url, headers: { host: req.headers.host ?? 'localhost' } });
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined && !HOP_HEADERS.has(name)) reply.header(name, value);
    return reply.code(res.statusCode).send(res.rawPayload);
  };
  app.get('/docs', { schema: { hide: true } }, passOn);
  app.get('/docs/*', { schema: { hide: true } }, passOn);
}

const HOP_HEADERS = new Set(['content-length', 'connection', 'date', 'transfer-encoding', 'keep-alive']);
