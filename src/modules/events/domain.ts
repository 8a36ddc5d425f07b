/** Events from the business's systems: purchases, refunds and custom actions. */
import { z } from 'zod';
import { hashJson } from '../../platform/crypto.js';

export const MemberRefSchema = z.union([
  z.object({ id: z.string().min(1).max(64) }).strict(),
  z.object({ mobile: z.string().min(1).max(40) }).strict(),
  z.object({ customerNo: z.string().min(1).max(64) }).strict(),
]);

const Rials = z.number().int().min(0).max(1e15);

export const LineItemSchema = z.object({
  sku: z.string().max(100),
  category: z.string().max(100).optional(),
  quantity: z.number().int().positive().max(1e6),
  amountRials: Rials,
}).strict();

export const EventInputSchema = z
  .object({
    eventId: z.string().min(1).max(128).describe("The caller's own event id, unique per club"),
    type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lowercase snake_case'),
    member: MemberRefSchema,
    amountRials: Rials.optional(),
    occurredAt: z.iso.datetime({ offset: true }).optional().describe('Defaults to the time of receipt'),
    refundOf: z.string().min(1).max(128).optional().describe('For refunds: the eventId of the purchase'),
    items: z.array(LineItemSchema).max(500).optional(),
    channel: z.string().max(50).optional(),
    store: z.string().max(100).optional(),
    attributes: z.record(z.string().max(100), z.unknown()).optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.type === 'purchase' || e.type === 'refund') && e.amountRials === undefined)
      ctx.addIssue({ code: 'custom', path: ['amountRials'], message: `a ${e.type} needs amountRials` });
    if (e.type === 'refund' && !e.refundOf) ctx.addIssue({ code: 'custom', path: ['refundOf'], message: 'a refund needs refundOf (the purchase eventId)' });
    if (e.type !== 'refund' && e.refundOf) ctx.addIssue({ code: 'custom', path: ['refundOf'], message: 'only refunds have refundOf' });
    if (e.attributes && JSON.stringify(e.attributes).length > 8_000) ctx.addIssue({ code: 'custom', path: ['attributes'], message: 'attributes larger than 8 KB' });
  });
export type EventInput = z.infer<typeof EventInputSchema>;

export const MAX_BATCH = 1000;
export const BatchInputSchema = z.object({ events: z.array(z.unknown()).min(1) }).strict();

export type EventStatus = 'created' | 'exists' | 'failed';
export interface EventOutcome {
  eventId: string;
  status: EventStatus;
  id?: string;
  memberId?: string;
  points?: number;
  /** refunds: points taken back, and what the member had already spent */
  reversed?: number;
  unrecovered?: number;
  code?: string;
  detail?: string;
}

/** What identifies "the same event" for idempotency: everything the caller sent. */
const hashes = new WeakMap<EventInput, string>();
export const eventHash = (e: EventInput): string => {
  let h = hashes.get(e);
  if (h === undefined) hashes.set(e, (h = hashJson(e)));
  return h;
};

/** Events may not claim to come from the future (clock skew allowance: 5 minutes). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
