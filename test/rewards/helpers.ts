/** Builders for the rewards tests, through the real services and the HTTP API. */
import { expect } from 'vitest';
import type { TestVafa } from '../engines.js';
import { call, mobile, type ClubFixture } from '../fixtures.js';

let keySeq = 0;
export const idem = () => ({ 'idempotency-key': `k-${process.pid}-${++keySeq}-${Math.random().toString(36).slice(2)}` });

/** Gives the member available points (an operator adjustment: a lot with this expiry). */
export async function fund(v: TestVafa, clubId: string, memberId: string, points: number, expiresAt: Date | null = null) {
  const r = await v.services.ledger.adjust(clubId, memberId, { points, reason: 'test funds', expiresAt }, { actor: 'test' });
  if (!r.ok) throw new Error(`fund: ${r.code}`);
}

/** Creates a reward through the operator API. */
export async function reward(v: TestVafa, c: ClubFixture, body: Record<string, unknown>): Promise<string> {
  const r = await call(v, 'POST', '/api/v1/rewards', c.ownerToken, { title: { fa: 'جایزه', en: 'Reward' }, costPoints: 100, ...body });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json.id;
}

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

export async function available(v: TestVafa, clubId: string, memberId: string, unit: 'points' | 'rials' = 'points') {
  return (await v.services.ledger.balance(clubId, memberId, unit)).available;
}
