/** Builders for the festival tests, through the real services and the HTTP API. */
import { expect } from 'vitest';
import type { TestVafa } from '../engines.js';
import { call, mobile, type ClubFixture } from '../fixtures.js';

let keySeq = 0;
export const idem = () => ({ 'idempotency-key': `f-${process.pid}-${++keySeq}-${Math.random().toString(36).slice(2)}` });

/** A member session token through the real one-time-code sign-in. */
export async function memberToken(v: TestVafa, c: ClubFixture, n: number): Promise<string> {
  const req = await v.services.access.requestOtp(c.slug, mobile(n));
  if (!req.ok) throw new Error(`otp: ${req.code}`);
  const sms = [...v.sms.sent].reverse().find((s) => s.clubId === c.clubId && s.to.endsWith(mobile(n).slice(1)));
  const code = /(\d{5,6})/.exec(sms!.text.replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x06f0)))![1]!;
  const ver = await v.services.access.verifyOtp(c.slug, mobile(n), code);
  if (!ver.ok) throw new Error(`verify: ${ver.code}`);
  return ver.value.token;
}

/** Enrols a member through the API (groups decide festival audiences). */
export async function enrol(v: TestVafa, c: ClubFixture, n: number, groups: string[] = []): Promise<string> {
  const r = await call(v, 'POST', '/api/v1/members', c.apiKey, { mobile: mobile(n), groups }, idem());
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json.id;
}

export async function purchase(v: TestVafa, c: ClubFixture, memberId: string, amountRials: number, eventId = `p-${++keySeq}-${Math.random().toString(36).slice(2)}`) {
  const r = await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId, type: 'purchase', member: { id: memberId }, amountRials }, idem());
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json;
}

export async function festival(v: TestVafa, c: ClubFixture, body: Record<string, unknown>) {
  const r = await call(v, 'POST', '/api/v1/festivals', c.ownerToken, {
    name: { fa: 'جشنوارهٔ آزمون', en: 'Test festival' },
    window: { from: '1404/01/15', to: '1404/01/31' },
    indicators: [{ eventType: 'purchase', score: 1, per: { rials: 100_000 } }],
    ...body,
  });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json;
}

export async function festivalBalance(v: TestVafa, clubId: string, memberId: string, festivalId: string): Promise<number> {
  return (await v.services.ledger.balance(clubId, memberId, `festival:${festivalId}`)).balance;
}
