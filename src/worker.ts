/**
 * Background work in the same process: outbox delivery, points expiry, stale holds.
 * Several processes may run it: outbox rows are claimed with FOR UPDATE SKIP LOCKED and
 * expiry locks balance rows in a fixed order.
 *
 * Outbox delivery goes by batches (claim, handle, one mark: see platform/outbox.ts) and is
 * paced so that notifications never starve ingestion, which shares the database (on PGlite
 * its one connection) and, in `npm start`, the process:
 *  - nothing due: sleep `intervalMs`;
 *  - a full batch (a backlog): go again soon, but after a pause of at least
 *    work × (1 − share) / share, so the loop spends at most `share` of the wall time
 *    delivering (`share` ½: sleep as long as the batch took);
 *  - while the event path is busy (events being committed, or the event loop loaded) the
 *    share drops to `busyShare` and the batch shrinks (halving down to `minBatchSize`); it
 *    grows back (doubling up to `batchSize`) once ingestion is quiet.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Db } from './platform/db.js';
import type { Clock } from './platform/clock.js';
import { dispatchBatch, type BatchHandler, type ClaimedMessage } from './platform/outbox.js';
import type { Services } from './app.js';

export interface WorkerOptions {
  /** Sleep when nothing is due (ms). */
  intervalMs?: number;
  /** Messages per outbox batch when ingestion is quiet. */
  batchSize?: number;
  /** Smallest batch while ingestion is busy. */
  minBatchSize?: number;
  /** Largest share of wall time the delivery loop may work through a backlog (0–1]. */
  share?: number;
  /** The same while the event path is busy. */
  busyShare?: number;
  /** Shortest pause between two batches of a backlog (ms): the loop always yields. */
  minPauseMs?: number;
  /** Expiry, stale holds and daily jobs run at most this often (ms). */
  jobsEveryMs?: number;
  /** Queued festival score is applied at least this often (ms); sooner after an earn queued some. */
  festivalEveryMs?: number;
  /** Outbox lease (ms): after it another process may deliver a claimed message again. */
  leaseMs?: number;
  /** Is ingestion busy right now? Default: events committed, or the event loop loaded. */
  busy?: () => boolean;
  /** Event-loop utilisation (0–1) above which the default `busy` says yes. */
  busyUtilization?: number;
  /** Committed events per second above which the default `busy` says yes. */
  busyEventsPerSec?: number;
  /** Injected for tests: how the loop waits, and a monotonic clock in ms. */
  sleep?: (ms: number) => Promise<void>;
  monotonicMs?: () => number;
  /** Told after every outbox batch (tests, metrics). */
  onBatch?: (b: BatchReport) => void;
}

export interface BatchReport {
  claimed: number;
  sent: number;
  failed: number;
  released: number;
  /** The batch size asked for. */
  limit: number;
  busy: boolean;
  /** How long the batch took, and the pause chosen after it (ms). */
  workMs: number;
  pauseMs: number;
}

/**
 * The worker's outbox handler. Signed webhooks and reward notices one by one (each decides
 * whether the message is its own); everything else to the notifier as ONE batch (one member
 * look-up); then occasion texts. A message failing in one stage goes to no later stage and
 * is retried as a whole, as before.
 */
export function outboxHandler(services: Pick<Services, 'webhooks' | 'rewards' | 'notifier' | 'occasions'>): BatchHandler {
  return async (batch, ctx) => {
    const failed = new Map<number, unknown>();
    const skipped: number[] = [];
    const started: ClaimedMessage[] = [];
    const toNotifier: ClaimedMessage[] = [];
    for (const m of batch) {
      // Webhook POSTs may take seconds: start none once the batch's budget is spent.
      if (performance.now() > ctx.deadline) {
        skipped.push(m.id);
        continue;
      }
      started.push(m);
      try {
        if (!(await services.webhooks.handle(m)) && !(await services.rewards.handleOutbox(m))) toNotifier.push(m);
      } catch (e) {
        failed.set(m.id, e);
      }
    }
    if (toNotifier.length) for (const [id, e] of await services.notifier.handleMany(toNotifier)) failed.set(id, e);
    for (const m of started) {
      if (failed.has(m.id)) continue;
      try {
        await services.occasions.deliver(m); // occasion.* messages carry their Persian text
      } catch (e) {
        failed.set(m.id, e);
      }
    }
    return { failed, skipped };
  };
}

/** Default busy signal: events committed since the last look, or a loaded event loop. */
function defaultBusy(services: Services, now: () => number, opts: { utilization: number; eventsPerSec: number }): () => boolean {
  let lastAt = now();
  // Single events through the group committer (absent: only the event loop tells).
  const committed = () => services.events.groupCommitStats?.events ?? 0;
  let lastEvents = committed();
  let lastElu = performance.eventLoopUtilization();
  return () => {
    const at = now();
    const events = committed();
    const elu = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(elu, lastElu).utilization;
    const rate = at > lastAt ? ((events - lastEvents) * 1000) / (at - lastAt) : 0;
    lastAt = at;
    lastEvents = events;
    lastElu = elu;
    return rate >= opts.eventsPerSec || utilization >= opts.utilization;
  };
}

export function startWorker(db: Db, clock: Clock, services: Services, logger: Logger, opts: WorkerOptions = {}) {
  const interval = opts.intervalMs ?? 1000;
  const maxBatch = Math.max(1, opts.batchSize ?? 100);
  const minBatch = Math.max(1, Math.min(maxBatch, opts.minBatchSize ?? 50));
  const share = Math.min(1, Math.max(0.01, opts.share ?? 0.5));
  const busyShare = Math.min(share, Math.max(0.01, opts.busyShare ?? 0.25));
  const minPause = Math.max(0, opts.minPauseMs ?? 2);
  const jobsEvery = opts.jobsEveryMs ?? 30 * interval;
  const mono = opts.monotonicMs ?? (() => performance.now());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref()));
  const busy = opts.busy ?? defaultBusy(services, mono, { utilization: opts.busyUtilization ?? 0.7, eventsPerSec: opts.busyEventsPerSec ?? 20 });
  const handler = outboxHandler(services);

  let stopped = false;
  let running: Promise<number> = Promise.resolve(0);
  let limit = maxBatch;
  let jobsAt = -Infinity;

  /** One round: a batch of the outbox, the periodic jobs when due. Returns the pause after it. */
  const tick = async (): Promise<number> => {
    let pause = interval;
    try {
      const isBusy = busy();
      limit = isBusy ? Math.max(minBatch, Math.floor(limit / 2)) : Math.min(maxBatch, limit * 2);
      const t0 = mono();
      const r = await dispatchBatch(db, handler, clock.now(), { limit, ...(opts.leaseMs ? { leaseMs: opts.leaseMs } : {}) });
      const workMs = Math.max(0, mono() - t0);
      // A full batch means more are waiting: go again after a pause that caps the loop's
      // share of the time (not after the idle interval: 100 messages/s would never catch up).
      if (r.claimed >= limit) {
        const s = isBusy ? busyShare : share;
        pause = Math.min(interval, Math.max(minPause, (workMs * (1 - s)) / s));
      }
      if (r.failed) logger.warn(r, 'outbox: some messages failed, will retry');
      opts.onBatch?.({ ...r, limit, busy: isBusy, workMs, pauseMs: pause });
    } catch (e) {
      logger.error({ err: e }, 'worker: outbox delivery failed');
    }
    try {
      // Expiry and stale holds are cheaper to check less often (by time, not by batch: a
      // backlog must not make them run every few milliseconds).
      if (mono() - jobsAt >= jobsEvery) {
        jobsAt = mono();
        const exp = await services.ledger.expireDue();
        if (exp.points) logger.info(exp, 'points expired');
        const holds = await services.ledger.expireHolds();
        if (holds) logger.info({ holds }, 'stale holds released');
        // Daily work in each club's zone, once per local day: occasions, tier reviews.
        const occasions = await services.occasions.runDue(clock.now());
        if (occasions.length) logger.info({ occasions }, 'daily occasions ran');
        // Festivals: draws at their moments, automatic enrolment, top performers at period end.
        const fest = await services.festivals.tick();
        if (fest.draws || fest.decided) logger.info(fest, 'festival work done');
        await services.tiers.reviewDue(async () => (await Promise.all((await services.clubs.listIds()).map((id) => services.clubs.get(id)))).filter((c) => c !== null));
      }
    } catch (e) {
      logger.error({ err: e }, 'worker tick failed');
    }
    return pause;
  };
  const loop = async () => {
    while (!stopped) {
      running = tick();
      const pause = await running;
      if (!stopped) await sleep(pause);
    }
  };
  void loop();

  // Festival score the earn path queued (festivals/service.ts applyQueued): a short loop of
  // its own, so leaderboards trail the earn path by a fraction of a second, not by the
  // outbox's pace. Reads that show festival score apply what is left first anyway.
  // While ingestion is busy it takes one small transaction per club and turn, so that it
  // never holds a shared connection (PGlite has one) for long; reads settle the rest.
  const festivalEvery = opts.festivalEveryMs ?? Math.min(interval, 250);
  const festivalBusy = opts.busy ?? defaultBusy(services, mono, { utilization: opts.busyUtilization ?? 0.7, eventsPerSec: opts.busyEventsPerSec ?? 20 });
  let festivalRunning: Promise<void> = Promise.resolve();
  const festivalLoop = async () => {
    while (!stopped) {
      festivalRunning = services.festivals.applyAllQueued(festivalBusy() ? { limit: 200, once: true } : {}).then(
        () => undefined,
        (e) => void logger.error({ err: e }, 'worker: applying festival score failed'),
      );
      await festivalRunning;
      if (!stopped) await sleep(festivalEvery);
    }
  };
  void festivalLoop();
  return {
    async stop() {
      stopped = true;
      await running;
      await festivalRunning;
    },
  };
}
