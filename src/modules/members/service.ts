import { sql, type RawBuilder } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { Db, Executor } from '../../platform/db.js';
import { inTx, isUniqueViolation } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import type { Secrets } from '../../platform/crypto.js';
import { newId } from '../../platform/ids.js';
import { enqueue } from '../../platform/outbox.js';
import { maskMobile, normalizeMobile, normalizeNationalCode, normalizeText } from '../../platform/persian.js';
import { fail, ok, type Result } from '../../platform/result.js';
import { normaliseFields, referralCode, type Member, type MemberCreate, type MemberPatch } from './domain.js';
import { FACT_COLUMNS, findMember, listMembers, readFacts, toFacts, toMember, toRow, type MemberFacts, type MemberRef, type MemberRow } from './store.js';

export interface Actor {
  actor: string;
  requestId?: string;
}

/** Masked view for the audit log: personal data never lands there in clear. */
const auditView = (m: Member) => ({ ...m, mobile: m.mobileMasked, email: m.email ? '***' : null });

/** A member fact's SQL: of the row (`members`), or of the club (a function of its id). */
export type FactExpr = RawBuilder<unknown> | ((clubId: string) => RawBuilder<unknown>);

export class MemberService {
  constructor(
    private readonly db: Db,
    private readonly secrets: Secrets,
  ) {}

  async create(clubId: string, input: MemberCreate, by: Actor, tx?: Executor): Promise<Result<Member>> {
    const cols = normaliseFields(input);
    if (!cols.ok) return cols;
    const run = async (t: Executor): Promise<Result<Member>> => {
      let referredBy: string | null = null;
      if (input.referredByCode) {
        const ref = await findMember(t, clubId, { referralCode: input.referredByCode.toUpperCase() });
        if (!ref) return fail('validation_failed', `unknown referral code "${input.referredByCode}"`);
        referredBy = ref.id;
      }
      const id = newId('mbr');
      try {
        const row = (await t
          .insertInto('members')
          .values({
            id,
            club_id: clubId,
            ...toRow(cols.value, this.secrets),
            referral_code: referralCode(randomBytes(8)),
            referred_by: referredBy,
            joined_via: input.joinedVia ?? (referredBy ? 'referral' : 'api'),
          })
          .returningAll()
          .executeTakeFirstOrThrow()) as MemberRow;
        const member = toMember(row);
        await audit(t, { clubId, actor: by.actor, action: 'member.created', target: id, after: auditView(member), requestId: by.requestId });
        await enqueue(t, [{ clubId, topic: 'member.joined', payload: { memberId: id, referredBy, joinedVia: member.joinedVia } }]);
        return ok(member);
      } catch (e) {
        if (isUniqueViolation(e)) return fail('member_exists', 'a member with that mobile, national code or customer number exists');
        throw e;
      }
    };
    return tx ? run(tx) : inTx(this.db, run);
  }

  async update(clubId: string, id: string, patch: MemberPatch, by: Actor): Promise<Result<Member>> {
    const cols = normaliseFields(patch);
    if (!cols.ok) return cols;
    try {
      return await inTx(this.db, async (tx) => {
        const before = await findMember(tx, clubId, { id }, true);
        if (!before) return fail('member_not_found');
        const values = toRow(cols.value, this.secrets);
        const row = Object.keys(values).length
          ? ((await tx
              .updateTable('members')
              .set({ ...values, updated_at: new Date() })
              .where('club_id', '=', clubId)
              .where('id', '=', id)
              .returningAll()
              .executeTakeFirstOrThrow()) as MemberRow)
          : before;
        const after = toMember(row);
        await audit(tx, { clubId, actor: by.actor, action: 'member.updated', target: id, before: auditView(toMember(before)), after: auditView(after), requestId: by.requestId });
        await enqueue(tx, [{ clubId, topic: 'member.updated', payload: { memberId: id, fields: Object.keys(cols.value) } }]);
        return ok(after);
      });
    } catch (e) {
      if (isUniqueViolation(e)) return fail('member_exists', 'another member has that mobile, national code or customer number');
      throw e;
    }
  }

  async get(clubId: string, id: string): Promise<Result<Member>> {
    const row = await findMember(this.db, clubId, { id });
    return row ? ok(toMember(row)) : fail('member_not_found');
  }

  /** Find by exactly one of id, mobile, national code or the business's customer number. */
  async lookup(clubId: string, ref: Partial<Record<'id' | 'mobile' | 'nationalCode' | 'customerNo', string>>): Promise<Result<Member>> {
    const row = await this.findByRef(this.db, clubId, ref);
    if (row === 'invalid_mobile') return fail('invalid_mobile');
    if (row === 'invalid_national_code') return fail('invalid_national_code');
    return row ? ok(toMember(row)) : fail('member_not_found');
  }

  private async findByRef(db: Executor, clubId: string, ref: Partial<Record<'id' | 'mobile' | 'nationalCode' | 'customerNo', string>>) {
    if (ref.id) return findMember(db, clubId, { id: ref.id });
    if (ref.mobile) {
      const m = normalizeMobile(ref.mobile);
      return m ? findMember(db, clubId, { mobile: m }) : ('invalid_mobile' as const);
    }
    if (ref.nationalCode) {
      const n = normalizeNationalCode(ref.nationalCode);
      return n ? findMember(db, clubId, { nationalCodeHash: this.secrets.blindIndex('national_code', n) }) : ('invalid_national_code' as const);
    }
    if (ref.customerNo) return findMember(db, clubId, { customerNo: normalizeText(ref.customerNo) });
    return null;
  }

  /**
   * Friends who joined with a member's referral code, newest first (the member app's invite
   * page): first name and masked mobile only. Index: members_referred_by (migration 0370).
   */
  async referredBy(clubId: string, referrerId: string, limit = 200): Promise<{ id: string; firstName: string | null; mobileMasked: string; status: Member['status']; joinedAt: string }[]> {
    const rows = await this.db
      .selectFrom('members')
      .select(['id', 'first_name', 'mobile', 'status', 'created_at'])
      .where('club_id', '=', clubId)
      .where('referred_by', '=', referrerId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id as string, firstName: (r.first_name as string | null) ?? null, mobileMasked: maskMobile(r.mobile as string), status: r.status as Member['status'], joinedAt: new Date(r.created_at as Date).toISOString() }));
  }

  async list(clubId: string, opts: { q?: string; group?: string; status?: string; cursor?: string; limit: number }) {
    let q: { mobile?: string; nationalCodeHash?: string; text?: string } | undefined;
    if (opts.q && opts.q.trim()) {
      const text = normalizeText(opts.q);
      const mobile = normalizeMobile(text);
      const nc = /^\d{10}$/.test(text) ? normalizeNationalCode(text) : null;
      q = mobile ? { mobile } : nc ? { nationalCodeHash: this.secrets.blindIndex('national_code', nc) } : { text };
    }
    const rows = await listMembers(this.db, { clubId, q, group: opts.group, status: opts.status, cursor: opts.cursor, limit: opts.limit });
    return { items: rows.map(toMember), nextCursor: rows.length === opts.limit ? rows.at(-1)!.id : null };
  }

  /**
   * Resolves the members events name (by id, mobile or customer number) in one query, and
   * returns what the earn path needs of each (so the rules need not read them again).
   */
  private readonly extraFacts: { name: string; expr: FactExpr; when?: (clubId: string) => boolean }[] = [];
  /**
   * Another module adds a fact to the earn path's member look-up: one more column of that
   * statement (`expr`, which may refer to the row as `members`), so the earn path learns it
   * without a statement of its own. It arrives as `facts.extra[name]`; `when` may leave it
   * out for a club that has no use for it (then `extra[name]` is absent). (The festivals
   * module adds the festivals a member takes part in, while the club runs a festival.)
   * A fact given as a function of the club id is one of the club, not of the member: an
   * uncorrelated sub-select, which PostgreSQL runs once per statement (an InitPlan).
   */
  addFact(name: string, expr: FactExpr, when?: (clubId: string) => boolean) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`fact name "${name}"`);
    this.extraFacts.push({ name, expr, ...(when ? { when } : {}) });
  }

  async resolveRefs(db: Executor, clubId: string, refs: MemberRef[]): Promise<(ref: MemberRef) => MemberFacts | null> {
    const ids = new Set<string>();
    const mobiles = new Set<string>();
    const customers = new Set<string>();
    for (const r of refs) {
      if ('id' in r) ids.add(r.id);
      else if ('mobile' in r) {
        const m = normalizeMobile(r.mobile);
        if (m) mobiles.add(m);
      } else if ('customerNo' in r) customers.add(normalizeText(r.customerNo));
    }
    const found = new Map<string, MemberFacts>();
    if (ids.size + mobiles.size + customers.size > 0) {
      // Arrays as parameters (= any), not IN lists: one parameter each however many members.
      // One indexed look-up per kind present, joined by UNION ALL: an OR of the three made
      // PostgreSQL scan the club's every member (3.5 ms at 10,000 members, growing with the club).
      const extra = this.extraFacts.filter((f) => !f.when || f.when(clubId));
      const cols = sql.join([...FACT_COLUMNS.map((c) => sql.ref(c)), ...extra.map((f) => sql`(${typeof f.expr === 'function' ? f.expr(clubId) : f.expr}) as ${sql.id(f.name)}`)]);
      const parts = [
        ids.size ? sql`select ${cols}, customer_no from members where club_id = ${clubId} and id = any(${[...ids]}::text[])` : null,
        mobiles.size ? sql`select ${cols}, customer_no from members where club_id = ${clubId} and mobile = any(${[...mobiles]}::text[])` : null,
        customers.size ? sql`select ${cols}, customer_no from members where club_id = ${clubId} and customer_no = any(${[...customers]}::text[])` : null,
      ].filter((q) => q !== null);
      const rows = (await sql<Record<string, unknown>>`${sql.join(parts, sql` union all `)}`.execute(db)).rows;
      for (const r of rows) {
        const v = toFacts(r as never);
        if (extra.length) v.extra = Object.fromEntries(extra.map((f) => [f.name, r[f.name]]));
        found.set(`id:${v.id}`, v);
        found.set(`m:${v.mobile}`, v);
        if (r.customer_no) found.set(`c:${r.customer_no}`, v);
      }
    }
    return (r) => {
      if ('id' in r) return found.get(`id:${r.id}`) ?? null;
      if ('mobile' in r) {
        const m = normalizeMobile(r.mobile);
        return m ? (found.get(`m:${m}`) ?? null) : null;
      }
      if ('customerNo' in r) return found.get(`c:${normalizeText(r.customerNo)}`) ?? null;
      return null;
    };
  }

  /** The earn facts of members by id, in the caller's transaction. */
  facts(ex: Executor, clubId: string, ids: string[]): Promise<Map<string, MemberFacts>> {
    return readFacts(ex, clubId, ids);
  }

  /** Member app sign-in: the member with this mobile, or a new one who joins via the app. */
  async findOrEnrolByMobile(clubId: string, mobile: string): Promise<{ id: string; status: string }> {
    const existing = await findMember(this.db, clubId, { mobile });
    if (existing) return { id: existing.id, status: existing.status };
    const created = await this.create(clubId, { mobile, joinedVia: 'app' }, { actor: 'member:self-enrol' });
    if (created.ok) return { id: created.value.id, status: created.value.status };
    const again = await findMember(this.db, clubId, { mobile }); // lost a race with a parallel sign-in
    if (!again) throw new Error(`could not enrol ${mobile}: ${created.code}`);
    return { id: again.id, status: again.status };
  }

  async exists(db: Executor, clubId: string, id: string): Promise<{ id: string; status: string } | null> {
    const r = await db.selectFrom('members').select(['id', 'status']).where('club_id', '=', clubId).where('id', '=', id).executeTakeFirst();
    return r ? { id: r.id as string, status: r.status as string } : null;
  }

  /** The tiers module's one write here: the member's current tier, in its transaction. */
  async setTier(tx: Executor, clubId: string, memberId: string, tier: string | null): Promise<boolean> {
    const r = await tx.updateTable('members').set({ tier, updated_at: new Date() }).where('club_id', '=', clubId).where('id', '=', memberId).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
