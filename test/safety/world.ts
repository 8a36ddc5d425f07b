/**
 * A club with one of everything, for the fuzz and the access matrix: credentials of every
 * role, two members with points and sessions, a pending hold, rewards and redemptions, a
 * coupon code, a points burn, a partner, a rule, an event type, a festival with a draw.
 * Built through the real services and the HTTP API; a resource whose module refuses the
 * fixture is left out (its routes are still walked with a made-up id).
 */
import { randomUUID } from 'node:crypto';
import type { TestVafa } from '../engines.js';
import { call, makeClub, makeMember, mobile, type ClubFixture } from '../fixtures.js';
import { formatJalali } from '../../src/platform/jalali.js';

export const PRINCIPALS = ['integration', 'pos', 'partner', 'owner', 'manager', 'analyst', 'support', 'member', 'none'] as const;
export type PrincipalName = (typeof PRINCIPALS)[number];

export interface World {
  club: ClubFixture;
  tokens: Record<Exclude<PrincipalName, 'none'>, string>;
  /** A second member's session (for "another member's resource"). */
  otherMemberToken: string;
  members: [string, string];
  /** Resource ids by kind; `mine` are the first member's, `theirs` the second's where it matters. */
  ids: Record<string, string | undefined>;
  /** Resource ids owned by the second member. */
  theirs: Record<string, string | undefined>;
  notes: string[];
}

let seq = 0;
const n0 = () => 8_000_000 + (process.pid % 500) * 2_000 + (++seq % 2_000);
export const idem = () => ({ 'idempotency-key': `w-${randomUUID()}` });

/** A member session through the real one-time-code sign-in. */
export async function memberSession(v: TestVafa, c: ClubFixture, mobileNo: string): Promise<string> {
  const req = await v.services.access.requestOtp(c.slug, mobileNo);
  if (!req.ok) throw new Error(`otp: ${req.code}`);
  const sms = [...v.sms.sent].reverse().find((s) => s.clubId === c.clubId && s.to.endsWith(mobileNo.slice(1)));
  const code = /(\d{6})/.exec(sms!.text.replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x06f0)))![1]!;
  const ver = await v.services.access.verifyOtp(c.slug, mobileNo, code);
  if (!ver.ok) throw new Error(`verify: ${ver.code}`);
  return ver.value.token;
}

const jalaliDaysFromNow = (v: TestVafa, days: number) => formatJalali(new Date(v.clock.now().getTime() + days * 86_400_000 + 3.5 * 3600_000).toISOString().slice(0, 10));

export async function buildWorld(v: TestVafa, opts: { operators?: boolean } = {}): Promise<World> {
  const notes: string[] = [];
  const club = await makeClub(v, { allowTransfers: true });
  const keys = {
    integration: club.apiKey,
    pos: (await v.services.access.createApiKey(club.clubId, { name: 'till', role: 'pos' }, 'test')).key,
    partner: (await v.services.access.createApiKey(club.clubId, { name: 'partner', role: 'partner' }, 'test')).key,
  };
  const sessions: Record<'manager' | 'analyst' | 'support', string> = { manager: club.ownerToken, analyst: club.ownerToken, support: club.ownerToken };
  if (opts.operators !== false) {
    for (const role of ['manager', 'analyst', 'support'] as const) {
      const password = `${role}-password-123`;
      const op = await v.services.access.createOperator(club.clubId, { username: role, name: role, role, password }, 'test');
      if (!op.ok) throw new Error(`operator ${role}: ${op.code}`);
      const login = await v.services.access.login(club.slug, role, password);
      if (!login.ok) throw new Error(`login ${role}`);
      sessions[role] = login.value.token;
    }
  }
  const n1 = n0();
  const n2 = n0();
  const m1 = await makeMember(v, club.clubId, n1);
  const m2 = await makeMember(v, club.clubId, n2);
  for (const m of [m1, m2]) {
    const f = await v.services.ledger.adjust(club.clubId, m, { points: 100_000, reason: 'fixture funds', expiresAt: null }, { actor: 'test' });
    if (!f.ok) throw new Error(`fund: ${f.code}`);
  }
  const memberToken = await memberSession(v, club, mobile(n1));
  const otherMemberToken = await memberSession(v, club, mobile(n2));
  const tokens = { ...keys, owner: club.ownerToken, ...sessions, member: memberToken };
  const ids: Record<string, string | undefined> = { member: m1 };
  const theirs: Record<string, string | undefined> = { member: m2 };
  const owner = club.ownerToken;
  const got = async (what: string, p: Promise<{ status: number; json: any }>, pick: (j: any) => string | undefined = (j) => j?.id) => {
    const r = await p;
    if (r.status >= 300) {
      notes.push(`${what}: ${r.status} ${r.json?.code ?? ''} ${r.json?.detail ?? ''}`.trim());
      return undefined;
    }
    return pick(r.json);
  };

  ids.hold = await got('hold', call(v, 'POST', `/api/v1/members/${m1}/holds`, owner, { points: 5 }));
  theirs.hold = await got('hold (second member)', call(v, 'POST', `/api/v1/members/${m2}/holds`, owner, { points: 5 }));
  ids.purchaseEventId = `sale-${randomUUID().slice(0, 8)}`;
  await got('purchase', call(v, 'POST', '/api/v1/events', owner, { eventId: ids.purchaseEventId, type: 'purchase', member: { id: m1 }, amountRials: 1_000_000 }));

  const title = { fa: 'جایزهٔ آزمون', en: 'Probe reward' };
  ids.reward = await got('donation reward', call(v, 'POST', '/api/v1/rewards', owner, { type: 'donation', title, costPoints: 10, config: { cause: { fa: 'محک' } } }));
  const product = await got('product reward', call(v, 'POST', '/api/v1/rewards', owner, { type: 'product', title, costPoints: 10, stock: 1000 }));
  const coupon = await got('coupon reward', call(v, 'POST', '/api/v1/rewards', owner, { type: 'coupon', title, costPoints: 10, config: { codes: { source: 'pattern', pattern: 'PRB-####-????', validDays: 30 } } }));
  const delivery = { recipient: 'سارا رضایی', address: 'تهران، خیابان ولیعصر، پلاک ۱۲' };
  if (product) {
    ids.redemption = await got('redemption', call(v, 'POST', '/api/v1/me/redemptions', memberToken, { rewardId: product, delivery }));
    theirs.redemption = await got('redemption (second member)', call(v, 'POST', '/api/v1/me/redemptions', otherMemberToken, { rewardId: product, delivery }));
    ids.product = product;
  }
  if (coupon) ids.coupon = await got('coupon code', call(v, 'POST', `/api/v1/members/${m1}/redemptions`, owner, { rewardId: coupon }), (j) => j?.code);
  ids.burn = await got('burn', call(v, 'POST', '/api/v1/pos/burn', owner, { member: { id: m1 }, basketRials: 1_000_000, points: 10, purchaseEventId: ids.purchaseEventId }), (j) => j?.burnId);
  theirs.burn = await got('burn (second member)', call(v, 'POST', '/api/v1/pos/burn', owner, { member: { id: m2 }, basketRials: 1_000_000, points: 10 }), (j) => j?.burnId);
  ids.partner = await got('partner', call(v, 'POST', '/api/v1/partners', owner, { name: { fa: 'همکار' } }));
  // A custom type whose name is this world's own: the other club's name must differ, or "their" id is ours.
  const typeName = `charger_${randomUUID().replace(/[^a-f]/g, '').slice(0, 8)}`;
  ids.eventType = await got('event type', call(v, 'POST', '/api/v1/event-types', owner, { name: typeName, schema: { type: 'object' } }), () => typeName);
  ids.rule = await got('rule', call(v, 'POST', '/api/v1/rules', owner, { name: { fa: 'قاعدهٔ آزمون' }, trigger: 'bill_paid', effects: [{ type: 'award', unit: 'points', amount: '1' }], status: 'paused' }));
  ids.festival = await got('festival', call(v, 'POST', '/api/v1/festivals', owner, {
    name: { fa: 'جشنوارهٔ آزمون', en: 'Probe festival' },
    window: { from: jalaliDaysFromNow(v, -1), to: jalaliDaysFromNow(v, 30) },
    indicators: [{ eventType: 'purchase', score: 1, per: { rials: 100_000 } }],
  }));
  if (ids.festival) ids.draw = await got('draw', call(v, 'POST', `/api/v1/festivals/${ids.festival}/draws`, owner, { title: { fa: 'قرعه' }, cutoffAt: jalaliDaysFromNow(v, 10), winners: 1 }));
  ids.badge = await got('badge', call(v, 'POST', '/api/v1/badges', owner, { code: 'probe_badge', name: { fa: 'نشان آزمون' }, criteria: 'true' }));
  ids.streak = await got('streak', call(v, 'POST', '/api/v1/streaks', owner, { code: 'probe_streak', name: { fa: 'پیاپی' }, eventType: 'purchase', unit: 'day' }));
  ids.challenge = await got('challenge', call(v, 'POST', '/api/v1/challenges', owner, {
    code: 'probe_challenge', name: { fa: 'چالش' }, eventType: 'purchase', target: 3, window: { from: jalaliDaysFromNow(v, -1), to: jalaliDaysFromNow(v, 30) },
  }));
  ids.clubSlug = club.slug;
  return { club, tokens, otherMemberToken, members: [m1, m2], ids, theirs, notes };
}

/** The id a path parameter takes, by the resource the path names before it. */
export function resourceOf(path: string, param: string): string {
  const segs = path.split('/');
  const i = segs.indexOf(`{${param}}`);
  const before = segs[i - 1] ?? '';
  if (param === 'memberId') return 'member';
  if (param === 'version') return 'version';
  if (param === 'code') return 'coupon';
  if (param === 'slug' && before === 'clubs') return 'clubSlug';
  if (param === 'name' && before === 'event-types') return 'eventType';
  const map: Record<string, string> = {
    members: 'member', holds: 'hold', rewards: 'reward', redemptions: 'redemption', burns: 'burn', partners: 'partner',
    rules: 'rule', festivals: 'festival', draws: 'draw', 'api-keys': 'apiKey', badges: 'badge', streaks: 'streak', challenges: 'challenge',
  };
  return map[before] ?? `unknown:${before}`;
}

/** Resources a member owns: "another member's" variant of the access matrix applies to them. */
export const MEMBER_OWNED = new Set(['member', 'hold', 'redemption', 'burn']);
