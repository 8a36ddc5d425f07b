/**
 * Bulk import from CSV: streamed (memory stays flat for a million rows), validated row by
 * row, inserted in multi-row chunks. Valid rows are kept; each bad row is reported with its
 * line number and reason.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import type { Secrets } from '../../platform/crypto.js';
import { newId } from '../../platform/ids.js';
import { normalizeText } from '../../platform/persian.js';
import { MemberFieldsSchema, normaliseFields, referralCode } from './domain.js';
import { toRow } from './store.js';

export interface ImportReport {
  rows: number;
  imported: number;
  failed: number;
  errors: { line: number; reason: string }[];
}

/** Header names we accept, English or Persian, mapped to member fields. */
const HEADERS: Record<string, string> = {
  mobile: 'mobile', 'موبایل': 'mobile', 'تلفن همراه': 'mobile',
  national_code: 'nationalCode', nationalcode: 'nationalCode', 'کد ملی': 'nationalCode',
  customer_no: 'customerNo', customerno: 'customerNo', 'شماره مشتری': 'customerNo',
  first_name: 'firstName', firstname: 'firstName', 'نام': 'firstName',
  last_name: 'lastName', lastname: 'lastName', 'نام خانوادگی': 'lastName',
  email: 'email', 'ایمیل': 'email',
  birth_date: 'birthDate', birthdate: 'birthDate', 'تاریخ تولد': 'birthDate',
  city: 'city', 'شهر': 'city',
  gender: 'gender', 'جنسیت': 'gender',
  groups: 'groups', 'گروه': 'groups',
  consent_sms: 'consentSms', consent_email: 'consentEmail', consent_marketing: 'consentMarketing',
};
const GENDERS: Record<string, string> = { f: 'female', female: 'female', 'زن': 'female', m: 'male', male: 'male', 'مرد': 'male', other: 'other' };
const truthy = (v: string) => ['1', 'true', 'yes', 'y', 'بله'].includes(v.trim().toLowerCase());

function rowToInput(rec: Record<string, string>) {
  const o: Record<string, unknown> = {};
  for (const [h, raw] of Object.entries(rec)) {
    const field = HEADERS[normalizeText(h).toLowerCase()];
    const v = (raw ?? '').trim();
    if (!field || v === '') continue;
    if (field === 'groups') o.groups = v.split(/[|;]/).map((g) => g.trim().toLowerCase()).filter(Boolean);
    else if (field === 'gender') o.gender = GENDERS[v.toLowerCase()] ?? v;
    else if (field.startsWith('consent')) o.consent = { ...(o.consent as object), [field.slice(7).toLowerCase()]: truthy(v) };
    else o[field] = v;
  }
  return o;
}

export async function importMembers(
  db: Db,
  secrets: Secrets,
  clubId: string,
  input: Readable,
  opts: { actor: string; chunkSize?: number; maxErrors?: number; onProgress?: (r: ImportReport) => void },
): Promise<ImportReport> {
  const chunkSize = opts.chunkSize ?? 1000;
  const maxErrors = opts.maxErrors ?? 10_000;
  const report: ImportReport = { rows: 0, imported: 0, failed: 0, errors: [] };
  const error = (line: number, reason: string) => {
    report.failed++;
    if (report.errors.length < maxErrors) report.errors.push({ line, reason });
  };
  let chunk: { line: number; values: Record<string, unknown> }[] = [];

  const flush = async () => {
    if (!chunk.length) return;
    const batch = chunk;
    chunk = [];
    const rows = await db
      .insertInto('members')
      .values(batch.map((b) => b.values))
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .execute();
    const ok = new Set(rows.map((r) => r.id as string));
    for (const b of batch) {
      if (ok.has(b.values.id as string)) report.imported++;
      else error(b.line, 'member_exists: mobile, national code or customer number already in the club');
    }
    opts.onProgress?.({ ...report, errors: [] });
  };

  const parser = input.pipe(parse({ columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true }));
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    report.rows++;
    const line = info.lines;
    const parsed = MemberFieldsSchema.safeParse(rowToInput(record));
    if (!parsed.success) {
      error(line, `validation_failed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      continue;
    }
    if (!parsed.data.mobile) {
      error(line, 'validation_failed: mobile is required');
      continue;
    }
    const cols = normaliseFields(parsed.data);
    if (!cols.ok) {
      error(line, `${cols.code}: ${cols.detail ?? ''}`.trim());
      continue;
    }
    chunk.push({
      line,
      values: { id: newId('mbr'), club_id: clubId, ...toRow(cols.value, secrets), referral_code: referralCode(randomBytes(8)), joined_via: 'import' },
    });
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
  report.errors.sort((a, b) => a.line - b.line);
  await audit(db, { clubId, actor: opts.actor, action: 'members.imported', after: { rows: report.rows, imported: report.imported, failed: report.failed } });
  await sql`analyze members`.execute(db).catch(() => undefined);
  return report;
}
