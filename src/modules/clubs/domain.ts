/** A club is a tenant: one business's loyalty programme and its settings. */
import { z } from 'zod';

export const ClubSettingsSchema = z.object({
  name: z.object({ fa: z.string().trim().min(1).max(200), en: z.string().trim().max(200).default('') }),
  timeZone: z.string().refine(isTimeZone, 'unknown IANA time zone').default('Asia/Tehran'),
  calendar: z.enum(['jalali', 'gregorian']).default('jalali'),
  currencyDisplay: z.enum(['rial', 'toman']).default('rial'),
  /** What one point is worth when converted to wallet credit. */
  pointValueRials: z.number().int().positive().max(1e12).default(1000),
  /** Jalali months until earned points expire; 0 = never. */
  expiryMonths: z.number().int().min(0).max(120).default(12),
  /** Purchase points stay pending this many days (the return window). */
  pendingDays: z.number().int().min(0).max(365).default(14),
  /** Base earning until rules take over: `points` per `perRials` spent, floored. */
  earnRate: z
    .object({ points: z.number().int().min(0).max(1e6), perRials: z.number().int().positive().max(1e12) })
    .default({ points: 1, perRials: 10_000 }),
  allowTransfers: z.boolean().default(false),
});
export type ClubSettings = z.infer<typeof ClubSettingsSchema>;

export const ClubCreateSchema = ClubSettingsSchema.extend({
  slug: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes'),
});
export type ClubCreate = z.infer<typeof ClubCreateSchema>;

export const ClubPatchSchema = ClubSettingsSchema.partial().strict();
export type ClubPatch = z.infer<typeof ClubPatchSchema>;

export interface Club extends ClubSettings {
  id: string;
  slug: string;
  createdAt: string;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Points a purchase earns at the club's base rate (floor: never invent a fraction). */
export function basePoints(amountRials: number, rate: ClubSettings['earnRate']): number {
  return Math.floor((amountRials * rate.points) / rate.perRials);
}
