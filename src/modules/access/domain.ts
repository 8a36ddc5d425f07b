import { z } from 'zod';
import { INTEGRATION_ROLES, OPERATOR_ROLES } from '../../platform/http/principal.js';

export const ApiKeyCreateSchema = z.object({
  name: z.string().trim().min(1).max(100),
  role: z.enum(INTEGRATION_ROLES),
});
export type ApiKeyCreate = z.infer<typeof ApiKeyCreateSchema>;

export const OperatorCreateSchema = z.object({
  username: z.string().trim().toLowerCase().regex(/^[a-z0-9._@-]{3,100}$/),
  name: z.string().trim().max(200).default(''),
  role: z.enum(OPERATOR_ROLES),
  password: z.string().min(10).max(200),
});
export type OperatorCreate = z.infer<typeof OperatorCreateSchema>;

export const OTP = {
  digits: 6,
  ttlMs: 2 * 60_000,
  /** Wrong guesses per code before it is burnt. */
  attemptsPerCode: 5,
  /** Codes a mobile may request per hour. */
  requestsPerHour: 5,
  /** Wrong guesses per mobile per hour before sign-in locks for the hour. */
  failuresPerHour: 10,
} as const;

export const SESSION_TTL_MS = { operator: 12 * 3600_000, member: 30 * 24 * 3600_000 } as const;

export const API_KEY_PREFIX = 'vafa_';
export const SESSION_PREFIX = 'vss_';
