/**
 * Expected outcomes are values, not exceptions (TigerBeetle-style result codes).
 * A use case returns Ok or Fail; only bugs and broken infrastructure throw.
 */
import type { ResultCode } from './result-codes.js';

export type Ok<T> = { ok: true; value: T };
export type Fail = { ok: false; code: ResultCode; detail?: string; extra?: Record<string, unknown> };
export type Result<T> = Ok<T> | Fail;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const fail = (code: ResultCode, detail?: string, extra?: Record<string, unknown>): Fail => ({
  ok: false,
  code,
  ...(detail !== undefined ? { detail } : {}),
  ...(extra !== undefined ? { extra } : {}),
});
