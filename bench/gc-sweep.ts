/**
 * Group-commit tuning, in-process (no HTTP): the real EventService on one engine, C
 * concurrent single events, for several values of the committer's `maxInflight` (how many
 * group transactions may be open at once). Reaches into the committer's options, which are
 * private: a tuning aid run only by name (`--only gcsweep`); it reports "not available"
 * when the service has no such knob.
 */
import pino from 'pino';
import { buildServices } from '../src/app.js';
import type { Database } from '../src/platform/db.js';
import { makeSecrets, hashJson } from '../src/platform/crypto.js';
import { systemClock } from '../src/platform/clock.js';
import { LogSmsChannel } from '../src/platform/sms.js';
import { BENCH_SECRET } from './seed.js';
import { mulberry32, summarise, type LatencySummary } from './load.js';

export interface SweepPoint {
  maxInflight: number;
  connections: number;
  eventsPerSec: number;
  eventsPerTransaction: number | null;
  latencyMs: LatencySummary;
}

export async function groupCommitSweep(database: Database, clubId: string, memberIds: string[], o: { inflight: number[]; connections: number[]; durationMs: number; run: string }): Promise<SweepPoint[] | null> {
  const logger = pino({ level: 'silent' });
  const services = buildServices({ database, secrets: makeSecrets(BENCH_SECRET), clock: systemClock, logger, sms: new LogSmsChannel(logger) });
  const committer = (services.events as unknown as { committer?: { opts?: { maxInflight: number } } }).committer;
  const stats = () => (services.events as unknown as { groupCommitStats?: { batches: number; events: number } | null }).groupCommitStats ?? null;
  if (!committer?.opts || typeof committer.opts.maxInflight !== 'number') return null;
  const club = (await services.clubs.get(clubId))!;
  const rnd = mulberry32(7);
  let seq = 0;
  const out: SweepPoint[] = [];
  for (const mi of o.inflight) {
    committer.opts.maxInflight = Math.max(mi, 4);
    (committer.opts as { maxInflightPerGroup?: number }).maxInflightPerGroup = mi; // one club: the per-club limit is what binds
    for (const c of o.connections) {
      const s0 = { ...(stats() ?? { batches: 0, events: 0 }) };
      const lat: number[] = [];
      const t0 = performance.now();
      let n = 0;
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (performance.now() - t0 < o.durationMs) {
            const e = { eventId: `${o.run}-${seq++}`, type: 'purchase', member: { id: memberIds[Math.floor(rnd() * memberIds.length)]! }, amountRials: 10_000 * (5 + Math.floor(rnd() * 500)) };
            const a = performance.now();
            const r = await services.events.ingestOne(club, e, { key: e.eventId, requestHash: hashJson(e) });
            if (!r.ok) throw new Error(`ingestOne: ${r.code}`);
            lat.push(performance.now() - a);
            n++;
          }
        }),
      );
      const s1 = stats();
      out.push({
        maxInflight: mi,
        connections: c,
        eventsPerSec: Math.round((n / (performance.now() - t0)) * 1000),
        eventsPerTransaction: s1 ? Math.round(((s1.events - s0.events) / Math.max(1, s1.batches - s0.batches)) * 10) / 10 : null,
        latencyMs: summarise(lat),
      });
    }
  }
  return out;
}
