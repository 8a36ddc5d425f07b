import type { Executor } from '../../platform/db.js';
import type { Club, ClubCreate, ClubPatch } from './domain.js';

interface ClubRow {
  id: string;
  slug: string;
  name_fa: string;
  name_en: string;
  time_zone: string;
  calendar: 'jalali' | 'gregorian';
  currency_display: 'rial' | 'toman';
  point_value_rials: number;
  expiry_months: number;
  pending_days: number;
  earn_points: number;
  earn_per_rials: number;
  allow_transfers: boolean;
  created_at: Date;
}

const toClub = (r: ClubRow): Club => ({
  id: r.id,
  slug: r.slug,
  name: { fa: r.name_fa, en: r.name_en },
  timeZone: r.time_zone,
  calendar: r.calendar,
  currencyDisplay: r.currency_display,
  pointValueRials: Number(r.point_value_rials),
  expiryMonths: r.expiry_months,
  pendingDays: r.pending_days,
  earnRate: { points: r.earn_points, perRials: Number(r.earn_per_rials) },
  allowTransfers: r.allow_transfers,
  createdAt: new Date(r.created_at).toISOString(),
});

function columns(s: Partial<ClubCreate>) {
  const c: Record<string, unknown> = {};
  if (s.slug !== undefined) c.slug = s.slug;
  if (s.name !== undefined) {
    c.name_fa = s.name.fa;
    c.name_en = s.name.en ?? '';
  }
  if (s.timeZone !== undefined) c.time_zone = s.timeZone;
  if (s.calendar !== undefined) c.calendar = s.calendar;
  if (s.currencyDisplay !== undefined) c.currency_display = s.currencyDisplay;
  if (s.pointValueRials !== undefined) c.point_value_rials = s.pointValueRials;
  if (s.expiryMonths !== undefined) c.expiry_months = s.expiryMonths;
  if (s.pendingDays !== undefined) c.pending_days = s.pendingDays;
  if (s.earnRate !== undefined) {
    c.earn_points = s.earnRate.points;
    c.earn_per_rials = s.earnRate.perRials;
  }
  if (s.allowTransfers !== undefined) c.allow_transfers = s.allowTransfers;
  return c;
}

export async function insertClub(db: Executor, id: string, s: ClubCreate): Promise<Club> {
  const row = await db.insertInto('clubs').values({ id, ...columns(s) }).returningAll().executeTakeFirstOrThrow();
  return toClub(row as ClubRow);
}

export async function findClub(db: Executor, by: { id?: string; slug?: string }): Promise<Club | null> {
  let q = db.selectFrom('clubs').selectAll();
  if (by.id) q = q.where('id', '=', by.id);
  else if (by.slug) q = q.where('slug', '=', by.slug);
  else return null;
  const row = await q.executeTakeFirst();
  return row ? toClub(row as ClubRow) : null;
}

export async function updateClub(db: Executor, id: string, patch: ClubPatch): Promise<Club | null> {
  const c = columns(patch);
  if (Object.keys(c).length === 0) return findClub(db, { id });
  const row = await db
    .updateTable('clubs')
    .set({ ...c, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? toClub(row as ClubRow) : null;
}

export async function listClubIds(db: Executor): Promise<string[]> {
  return (await db.selectFrom('clubs').select('id').orderBy('id').execute()).map((r) => r.id as string);
}
