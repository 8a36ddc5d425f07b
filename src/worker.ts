/**
 * Background work in the same process: outbox delivery, points expiry, stale holds.
 * Several processes may run it: outbox rows are claimed with FOR UPDATE SKIP LOCKED and
 * expiry locks balance rows in a fixed order.
 */
import type { Logger } from 'pino';
import type { Db } from './platform/db.js';
import type { Clock } from './platform/clock.js';
import { dispatchDue } from './platform/outbox.js';
import type { Services } from './app.js';

export interface WorkerOptions {
  intervalMs?: number;
}

export function startWorker(db: Db, clock: Clock, services: Services, logger: Logger, opts: WorkerOptions = {}) {
  const interval = opts.intervalMs ?? 1000;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let ticks = 0;
  // A full outbox batch means more are waiting: go again at once instead of sleeping, or
  // delivery is capped at one batch per interval (100 messages/s) however busy the club.
  const batch = 100;
  let backlog = false;
  const tick = async () => {
    backlog = false;
    try {
      // Signed webhooks and reward notices first; everything else to the notifier.
      const sent = await dispatchDue(db, async (m) => {
        if (!(await services.webhooks.handle(m)) && !(await services.rewards.handleOutbox(m))) await services.notifier.handle(m);
        await services.occasions.deliver(m); // occasion.* messages carry their Persian text
      }, clock.now(), batch);
      backlog = sent.sent + sent.failed >= batch;
      if (sent.failed) logger.warn(sent, 'outbox: some messages failed, will retry');
      // Expiry and stale holds are cheaper to check less often.
      if (ticks++ % 30 === 0) {
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
  };
  const loop = async () => {
    while (!stopped) {
      running = tick();
      await running;
      if (!backlog) await new Promise((r) => setTimeout(r, interval).unref());
    }
  };
  void loop();
  return {
    async stop() {
      stopped = true;
      await running;
    },
  };
}
