/** Builders for a club with an owner, an API key and members, through the real services. */
import { randomUUID } from 'node:crypto';
import type { TestVafa } from './engines.js';

export interface ClubFixture {
  clubId: string;
  slug: string;
  apiKey: string;
  ownerToken: string;
  ownerPassword: string;
}

let seq = 0;
/** National codes that pass the check digit, for tests. */
export function nationalCode(n: number): string {
  const body = String(100000000 + n).slice(-9);
  const sum = [...body].reduce((s, d, i) => s + Number(d) * (10 - i), 0);
  const r = sum % 11;
  return body + String(r < 2 ? r : 11 - r);
}
export const mobile = (n: number) => `0912${String(n).padStart(7, '0')}`;

export async function makeClub(v: TestVafa, settings: Record<string, unknown> = {}): Promise<ClubFixture> {
  const slug = `t${process.pid}-${++seq}-${randomUUID().slice(0, 8)}`;
  const club = await v.services.clubs.create({ slug, name: { fa: 'باشگاه آزمون', en: 'Test club' }, pendingDays: 0, ...settings });
  if (!club.ok) throw new Error(`club: ${club.code} ${club.detail}`);
  const clubId = club.value.id;
  const ownerPassword = 'correct horse battery';
  await v.services.access.createOperator(clubId, { username: 'owner', name: 'Owner', role: 'owner', password: ownerPassword }, 'test');
  const key = await v.services.access.createApiKey(clubId, { name: 'pos', role: 'integration' }, 'test');
  const login = await v.services.access.login(slug, 'owner', ownerPassword);
  if (!login.ok) throw new Error('login failed');
  return { clubId, slug, apiKey: key.key, ownerToken: login.value.token, ownerPassword };
}

export async function makeMember(v: TestVafa, clubId: string, n: number, extra: Record<string, unknown> = {}): Promise<string> {
  const m = await v.services.members.create(clubId, { mobile: mobile(n), ...extra }, { actor: 'test' });
  if (!m.ok) throw new Error(`member: ${m.code} ${m.detail}`);
  return m.value.id;
}

/** app.inject with JSON and a bearer token. */
export async function call(v: TestVafa, method: string, url: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const res = await v.app.inject({
    method: method as 'GET',
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  let json: any = undefined;
  try {
    json = res.json();
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, json, headers: res.headers, body: res.body };
}
