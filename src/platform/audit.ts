/** Append-only audit log: who, what, when, before → after. Written in the caller's transaction. */
import type { Executor } from './db.js';

export interface AuditRecord {
  clubId: string;
  actor: string;
  action: string;
  target?: string | null;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
}

export async function audit(db: Executor, r: AuditRecord): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      club_id: r.clubId,
      actor: r.actor,
      action: r.action,
      target: r.target ?? null,
      before: r.before === undefined ? null : JSON.stringify(r.before),
      after: r.after === undefined ? null : JSON.stringify(r.after),
      request_id: r.requestId ?? null,
    })
    .execute();
}

export interface AuditRow {
  id: number;
  actor: string;
  action: string;
  target: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
  at: string;
}

export async function listAudit(db: Executor, clubId: string, opts: { before?: number; limit: number }): Promise<AuditRow[]> {
  let q = db.selectFrom('audit_log').selectAll().where('club_id', '=', clubId);
  if (opts.before) q = q.where('id', '<', opts.before);
  const rows = await q.orderBy('id', 'desc').limit(opts.limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    actor: r.actor,
    action: r.action,
    target: r.target,
    before: r.before,
    after: r.after,
    requestId: r.request_id,
    at: new Date(r.at).toISOString(),
  }));
}
