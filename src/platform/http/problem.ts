/**
 * RFC 9457 problem+json. The one place where result codes become HTTP statuses.
 */
import type { FastifyReply } from 'fastify';
import { RESULT_CODES, type ResultCode } from '../result-codes.js';
import type { Result } from '../result.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ResultCode;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
  [extra: string]: unknown;
}

export function problemOf(code: ResultCode, detail?: string, extra?: Record<string, unknown>): Problem {
  const c = RESULT_CODES[code];
  return {
    ...(extra ?? {}), // first: an extra (e.g. a hold's `status: 'posted'`) must never override the HTTP status or code
    type: `urn:vafa:problem:${code}`,
    title: c.title,
    status: c.status,
    code,
    ...(detail ? { detail } : {}),
  };
}

export function sendProblem(reply: FastifyReply, code: ResultCode, detail?: string, extra?: Record<string, unknown>) {
  const p = problemOf(code, detail, { ...extra, requestId: reply.request.id, instance: reply.request.url.split('?')[0] });
  return reply.code(p.status).type('application/problem+json').send(JSON.stringify(p));
}

/** Shape a use case's Result: the value with okStatus, or the problem for its code. */
export function sendResult<T>(reply: FastifyReply, result: Result<T>, okStatus = 200, shape?: (v: T) => unknown) {
  if (!result.ok) return sendProblem(reply, result.code, result.detail, result.extra);
  return reply.code(okStatus).send(shape ? shape(result.value) : result.value);
}
