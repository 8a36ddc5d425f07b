import type { Db } from '../../platform/db.js';
import { isUniqueViolation } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import { newId } from '../../platform/ids.js';
import { fail, ok, type Result } from '../../platform/result.js';
import { ClubCreateSchema, type Club, type ClubCreate, type ClubPatch } from './domain.js';
import { findClub, insertClub, listClubIds, updateClub } from './store.js';

/**
 * Club settings are read on every event, so they are cached in process. An update through
 * this service clears the entry at once; other processes see it within `ttlMs`.
 */
export class ClubService {
  private cache = new Map<string, { club: Club; at: number }>();
  constructor(
    private readonly db: Db,
    private readonly ttlMs = 5_000,
  ) {}

  async create(input: Omit<ClubCreate, never> | Record<string, unknown>, actor = 'system'): Promise<Result<Club>> {
    const parsed = ClubCreateSchema.safeParse(input);
    if (!parsed.success) return fail('validation_failed', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    try {
      return await this.db.transaction().execute(async (tx) => {
        const club = await insertClub(tx, newId('clb'), parsed.data);
        await audit(tx, { clubId: club.id, actor, action: 'club.created', target: club.id, after: club });
        return ok(club);
      });
    } catch (e) {
      if (isUniqueViolation(e)) return fail('conflict', `a club with slug "${parsed.data.slug}" exists`);
      throw e;
    }
  }

  async get(id: string): Promise<Club | null> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.club;
    const club = await findClub(this.db, { id });
    if (club) this.cache.set(id, { club, at: Date.now() });
    return club;
  }

  async bySlug(slug: string): Promise<Club | null> {
    return findClub(this.db, { slug: slug.trim().toLowerCase() });
  }

  async update(id: string, patch: ClubPatch, actor: string, requestId?: string): Promise<Result<Club>> {
    const result = await this.db.transaction().execute(async (tx) => {
      const before = await findClub(tx, { id });
      if (!before) return fail('club_not_found');
      const after = await updateClub(tx, id, patch);
      await audit(tx, { clubId: id, actor, action: 'club.updated', target: id, before, after, requestId });
      return ok(after!);
    });
    this.cache.delete(id);
    return result;
  }

  listIds(): Promise<string[]> {
    return listClubIds(this.db);
  }
}
