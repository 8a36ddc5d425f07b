import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { App } from '../../platform/http/app.js';
import { idempotencyClaim, principalOf } from '../../platform/http/app.js';
import { hashJson, sha256 } from '../../platform/crypto.js';
import { sendProblem, sendResult } from '../../platform/http/problem.js';
import { ROLES, anyOf } from '../../platform/http/principal.js';
import type { ClubService } from '../clubs/index.js';
import { BatchInputSchema, EventInputSchema, MAX_BATCH, eventHash, type EventInput, type EventOutcome } from './domain.js';
import type { EventService } from './service.js';

const OutcomeSchema = z.object({
  eventId: z.string(),
  status: z.enum(['created', 'exists', 'failed']),
  id: z.string().optional(),
  memberId: z.string().optional(),
  points: z.number().optional(),
  reversed: z.number().optional(),
  unrecovered: z.number().optional(),
  code: z.string().optional(),
  detail: z.string().optional(),
});

export function eventRoutes(app: App, events: EventService, clubs: ClubService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const allow = anyOf(ROLES.systems, ROLES.operatorsWrite);

  r.post('/api/v1/events', {
    schema: {
      tags: ['events'],
      summary: 'Post one event (purchase, refund, custom). Idempotent by Idempotency-Key and by eventId.',
      body: EventInputSchema,
      headers: z.object({ 'idempotency-key': z.string().max(200).optional() }).passthrough(),
      response: { 200: OutcomeSchema, 201: OutcomeSchema },
    },
    // The hot route: the schema documents the answer; the service builds it, so plain
    // JSON.stringify serialises it (zod re-validating every outcome cost CPU per event).
    serializerCompiler: () => (data) => JSON.stringify(data),
    config: { allow },
  }, async (req, reply) => {
    const claim = idempotencyClaim(req, eventHash(req.body));
    if (claim === undefined) return sendProblem(reply, 'idempotency_key_required');
    const club = (await clubs.get(principalOf(req).clubId))!;
    const r = await events.ingestOne(club, req.body, claim);
    if (!r.ok) return sendResult(reply, r);
    return reply.code(r.value.status === 'created' ? 201 : 200).send(r.value);
  });

  r.post('/api/v1/events/batch', {
    schema: {
      tags: ['events'],
      summary: `Post up to ${MAX_BATCH} events in one call and one transaction; each gets its own outcome`,
      body: BatchInputSchema,
    },
    config: { allow },
  }, async (req, reply) => {
    const raw = req.body.events;
    if (raw.length > MAX_BATCH) return sendProblem(reply, 'batch_too_large', `${raw.length} events; at most ${MAX_BATCH}`);
    // Validate each event on its own: one malformed event is its own failed outcome.
    const valid: EventInput[] = [];
    // Each event is hashed once: the hashes make the body's (for the Idempotency-Key) and
    // are kept for the events' own (eventHash caches by object).
    const hashes: string[] = [];
    const slots: (EventOutcome | number)[] = raw.map((e, i) => {
      const p = EventInputSchema.safeParse(e);
      if (!p.success) {
        hashes.push(hashJson(e));
        const eventId = typeof (e as { eventId?: unknown })?.eventId === 'string' ? (e as { eventId: string }).eventId : `#${i}`;
        return { eventId, status: 'failed', code: 'validation_failed', detail: p.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ') };
      }
      hashes.push(eventHash(p.data));
      valid.push(p.data);
      return valid.length - 1;
    });
    const claim = idempotencyClaim(req, sha256(`batch ${hashes.join(' ')}`));
    if (claim === undefined) return sendProblem(reply, 'idempotency_key_required');
    const club = (await clubs.get(principalOf(req).clubId))!;
    const r = valid.length
      ? await events.ingestBatch(club, valid, claim)
      : { ok: true as const, value: { results: [] as EventOutcome[], summary: {} } };
    if (!r.ok) return sendResult(reply, r);
    const results = slots.map((s) => (typeof s === 'number' ? r.value.results[s]! : s));
    const summary = { created: 0, exists: 0, failed: 0, points: 0 };
    for (const o of results) {
      summary[o.status]++;
      summary.points += o.points ?? 0;
    }
    return reply.code(200).send({ results, summary });
  });
}
