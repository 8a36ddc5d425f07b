/**
 * Who may call: API keys for systems, password sessions for operators, one-time SMS codes
 * for members. Tokens are random and stored only as SHA-256 hashes; passwords as argon2.
 */
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import { randomToken, sha256 } from '../../platform/crypto.js';
import type { Principal, Role } from '../../platform/http/principal.js';
import { newId } from '../../platform/ids.js';
import { normalizeDigits, normalizeMobile } from '../../platform/persian.js';
import { fail, ok, type Result } from '../../platform/result.js';
import type { SmsChannel } from '../../platform/sms.js';
import type { Club, ClubService } from '../clubs/index.js';
import { API_KEY_PREFIX, OTP, SESSION_PREFIX, SESSION_TTL_MS, type ApiKeyCreate, type OperatorCreate } from './domain.js';

/** Looks a member up by mobile or enrols them (self sign-up from the member app). */
export type MemberByMobile = (clubId: string, mobileE164: string) => Promise<{ id: string; status: string }>;

export interface ApiKeyView {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

const DUMMY_HASH_PROMISE = argonHash('not-a-real-password-but-takes-the-same-time');

export class AccessService {
  private cache = new Map<string, { principal: Principal | null; at: number }>();
  constructor(
    private readonly db: Db,
    private readonly clubs: ClubService,
    private readonly sms: SmsChannel,
    private readonly clock: Clock,
    private readonly memberByMobile: MemberByMobile,
    private readonly cacheTtlMs = 30_000,
  ) {}

  // --- principals -------------------------------------------------------------------
  async authenticate(token: string): Promise<Principal | null> {
    const h = sha256(token);
    const hit = this.cache.get(h);
    if (hit && Date.now() - hit.at < this.cacheTtlMs) return hit.principal;
    let principal: Principal | null = null;
    if (token.startsWith(API_KEY_PREFIX)) {
      const k = await this.db
        .selectFrom('api_keys')
        .select(['id', 'club_id', 'role'])
        .where('key_hash', '=', h)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (k) principal = { clubId: k.club_id, kind: 'apikey', role: k.role as Role, subjectId: k.id, actor: `apikey:${k.id}` };
    } else if (token.startsWith(SESSION_PREFIX)) {
      const s = await this.db
        .selectFrom('sessions')
        .select(['club_id', 'subject_kind', 'subject_id', 'role', 'expires_at'])
        .where('token_hash', '=', h)
        .executeTakeFirst();
      if (s && new Date(s.expires_at) > this.clock.now()) {
        const kind = s.subject_kind as 'operator' | 'member';
        principal = { clubId: s.club_id, kind, role: s.role as Role, subjectId: s.subject_id, actor: `${kind}:${s.subject_id}` };
      }
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(h, { principal, at: Date.now() });
    return principal;
  }

  private forget() {
    this.cache.clear();
  }

  // --- API keys ---------------------------------------------------------------------
  async createApiKey(clubId: string, input: ApiKeyCreate, actor: string): Promise<{ id: string; key: string; name: string; role: string }> {
    const id = newId('key');
    const prefix = randomToken(6).replace(/[-_]/g, 'x').slice(0, 8);
    const key = `${API_KEY_PREFIX}${prefix}_${randomToken(32)}`;
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('api_keys')
        .values({ id, club_id: clubId, name: input.name, role: input.role, prefix, key_hash: sha256(key), created_by: actor })
        .execute();
      await audit(tx, { clubId, actor, action: 'api_key.created', target: id, after: { name: input.name, role: input.role, prefix } });
    });
    return { id, key, name: input.name, role: input.role };
  }

  async listApiKeys(clubId: string): Promise<ApiKeyView[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().where('club_id', '=', clubId).orderBy('created_at', 'desc').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      prefix: `${API_KEY_PREFIX}${r.prefix}_…`,
      createdAt: new Date(r.created_at).toISOString(),
      revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
    }));
  }

  async revokeApiKey(clubId: string, id: string, actor: string): Promise<Result<{ id: string; revokedAt: string }>> {
    const now = this.clock.now();
    const r = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable('api_keys')
        .set({ revoked_at: now })
        .where('club_id', '=', clubId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (!row) return fail('not_found', 'no active API key with that id in your club');
      await audit(tx, { clubId, actor, action: 'api_key.revoked', target: id });
      return ok({ id, revokedAt: now.toISOString() });
    });
    this.forget();
    return r;
  }

  // --- operators --------------------------------------------------------------------
  async createOperator(clubId: string, input: OperatorCreate, actor: string): Promise<Result<{ id: string; username: string; role: string; name: string }>> {
    const id = newId('opr');
    const passwordHash = await argonHash(input.password);
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('operators')
          .values({ id, club_id: clubId, username: input.username, name: input.name, role: input.role, password_hash: passwordHash })
          .execute();
        await audit(tx, { clubId, actor, action: 'operator.created', target: id, after: { username: input.username, role: input.role } });
      });
    } catch (e) {
      if ((e as { code?: string }).code === '23505') return fail('conflict', `operator "${input.username}" exists`);
      throw e;
    }
    return ok({ id, username: input.username, role: input.role, name: input.name });
  }

  async listOperators(clubId: string) {
    const rows = await this.db
      .selectFrom('operators')
      .select(['id', 'username', 'name', 'role', 'created_at', 'disabled_at'])
      .where('club_id', '=', clubId)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      name: r.name,
      role: r.role,
      createdAt: new Date(r.created_at).toISOString(),
      disabled: r.disabled_at !== null,
    }));
  }

  async login(clubSlug: string, username: string, password: string): Promise<Result<{ token: string; operator: { id: string; name: string; role: string; username: string }; club: Club }>> {
    const club = await this.clubs.bySlug(clubSlug);
    const op = club
      ? await this.db
          .selectFrom('operators')
          .selectAll()
          .where('club_id', '=', club.id)
          .where('username', '=', username.trim().toLowerCase())
          .where('disabled_at', 'is', null)
          .executeTakeFirst()
      : undefined;
    // Same work whether or not the operator exists: no user enumeration by timing.
    const valid = await argonVerify(op ? op.password_hash : await DUMMY_HASH_PROMISE, password).catch(() => false);
    if (!club || !op || !valid) return fail('invalid_credentials');
    const token = await this.openSession(club.id, 'operator', op.id, op.role);
    await audit(this.db, { clubId: club.id, actor: `operator:${op.id}`, action: 'operator.signed_in', target: op.id });
    return ok({ token, operator: { id: op.id, name: op.name, role: op.role, username: op.username }, club });
  }

  async logout(token: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', sha256(token)).execute();
    this.cache.delete(sha256(token));
  }

  private async openSession(clubId: string, kind: 'operator' | 'member', subjectId: string, role: string): Promise<string> {
    const token = `${SESSION_PREFIX}${randomToken(32)}`;
    await this.db
      .insertInto('sessions')
      .values({
        token_hash: sha256(token),
        club_id: clubId,
        subject_kind: kind,
        subject_id: subjectId,
        role,
        expires_at: new Date(this.clock.now().getTime() + SESSION_TTL_MS[kind]),
      })
      .execute();
    return token;
  }

  // --- member one-time codes ----------------------------------------------------------
  async requestOtp(clubSlug: string, mobileInput: string): Promise<Result<{ sent: true; expiresInSeconds: number }>> {
    const club = await this.clubs.bySlug(clubSlug);
    if (!club) return fail('club_not_found');
    const mobile = normalizeMobile(mobileInput);
    if (!mobile) return fail('invalid_mobile');
    const now = this.clock.now();
    const hourAgo = new Date(now.getTime() - 3600_000);
    const recent = await sql<{ n: number; failures: number }>`
      select count(*)::int as n, coalesce(sum(attempts), 0)::int as failures from otp_codes
      where club_id = ${club.id} and mobile = ${mobile} and created_at > ${hourAgo}`.execute(this.db);
    const { n, failures } = recent.rows[0] ?? { n: 0, failures: 0 };
    if (n >= OTP.requestsPerHour || failures >= OTP.failuresPerHour) return fail('otp_rate_limited');
    const code = String(randomInt(0, 10 ** OTP.digits)).padStart(OTP.digits, '0');
    await this.db
      .insertInto('otp_codes')
      .values({
        id: newId('otp'),
        club_id: club.id,
        mobile,
        code_hash: sha256(`${club.id}:${mobile}:${code}`),
        created_at: now,
        expires_at: new Date(now.getTime() + OTP.ttlMs),
      })
      .execute();
    await this.sms.send({
      clubId: club.id,
      to: mobile,
      kind: 'transactional',
      text: `کد ورود شما به ${club.name.fa}: ${code}\nاین کد را به کسی ندهید.`,
    });
    return ok({ sent: true, expiresInSeconds: OTP.ttlMs / 1000 });
  }

  async verifyOtp(clubSlug: string, mobileInput: string, code: string): Promise<Result<{ token: string; memberId: string; clubId: string }>> {
    const club = await this.clubs.bySlug(clubSlug);
    if (!club) return fail('club_not_found');
    const mobile = normalizeMobile(mobileInput);
    if (!mobile) return fail('invalid_mobile');
    const now = this.clock.now();
    const hourAgo = new Date(now.getTime() - 3600_000);
    const outcome = await this.db.transaction().execute(async (tx) => {
      // The id (UUIDv7, time-ordered) breaks ties between codes issued in the same millisecond.
      const rows = await sql<{ id: string; code_hash: string; attempts: number; expires_at: Date; used_at: Date | null }>`
        select id, code_hash, attempts, expires_at, used_at from otp_codes
        where club_id = ${club.id} and mobile = ${mobile} and created_at > ${hourAgo}
        order by created_at desc, id desc for update`.execute(tx);
      const failures = rows.rows.reduce((s, r) => s + r.attempts, 0);
      if (failures >= OTP.failuresPerHour) return 'locked' as const;
      const latest = rows.rows[0];
      if (!latest || latest.used_at || new Date(latest.expires_at) <= now || latest.attempts >= OTP.attemptsPerCode) return 'invalid' as const;
      if (latest.code_hash !== sha256(`${club.id}:${mobile}:${normalizeDigits(code).trim()}`)) {
        await tx.updateTable('otp_codes').set({ attempts: latest.attempts + 1 }).where('id', '=', latest.id).execute();
        return 'invalid' as const;
      }
      await tx.updateTable('otp_codes').set({ used_at: now }).where('id', '=', latest.id).execute();
      return 'ok' as const;
    });
    if (outcome === 'locked') return fail('otp_rate_limited');
    if (outcome === 'invalid') return fail('otp_invalid');
    const member = await this.memberByMobile(club.id, mobile);
    if (member.status !== 'active') return fail('member_inactive');
    const token = await this.openSession(club.id, 'member', member.id, 'member');
    return ok({ token, memberId: member.id, clubId: club.id });
  }
}
