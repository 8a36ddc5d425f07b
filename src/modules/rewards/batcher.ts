/**
 * Group commit for redemptions of one reward. Every transaction of a stocked reward ends on
 * the same row (its stock), locked until commit, and most of a redemption's statements are
 * set-based over the group (see RewardService.redeemGroup): so the more redemptions share
 * one transaction, the fewer round trips and commits each costs.
 *
 * Requests for a key are queued; the queue is pumped once per event-loop turn
 * (`setImmediate`), so every request read in the same I/O phase joins one group, and while
 * `maxInflight` groups of that key are committing, newcomers wait and form the next group
 * (up to `maxBatch`). With no concurrency a group is one redemption and waits one turn.
 * Each request is answered after its group committed. If a whole group throws (a bug, a
 * broken connection) each of its items is redone alone, so one bad item cannot fail its
 * neighbours.
 */
type Waiting<I, O> = { item: I; resolve: (o: O) => void; reject: (e: unknown) => void };
type Queue<I, O> = { items: Waiting<I, O>[]; inflight: number; scheduled: boolean };

export interface BatcherOptions {
  /** Most items in one group (one transaction). */
  maxBatch: number;
  /** Groups of one key in flight at once. */
  maxInflight: number;
}

export class Batcher<I, O> {
  private readonly queues = new Map<string, Queue<I, O>>();
  /** Figures for tests and the bench. */
  readonly stats = { groups: 0, items: 0, fallbacks: 0 };

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly opts: BatcherOptions = { maxBatch: 64, maxInflight: 2 },
  ) {}

  submit(key: string, item: I): Promise<O> {
    let q = this.queues.get(key);
    if (!q) {
      q = { items: [], inflight: 0, scheduled: false };
      this.queues.set(key, q);
    }
    const queue = q;
    const p = new Promise<O>((resolve, reject) => queue.items.push({ item, resolve, reject }));
    this.schedule(key, queue);
    return p;
  }

  private schedule(key: string, q: Queue<I, O>) {
    if (q.scheduled || q.inflight >= this.opts.maxInflight || !q.items.length) return;
    q.scheduled = true;
    setImmediate(() => {
      q.scheduled = false;
      this.pump(key, q);
    });
  }

  private pump(key: string, q: Queue<I, O>) {
    while (q.inflight < this.opts.maxInflight && q.items.length) {
      const batch = q.items.splice(0, this.opts.maxBatch);
      q.inflight++;
      void this.runBatch(batch).finally(() => {
        q.inflight--;
        if (q.items.length) this.schedule(key, q);
        else if (q.inflight === 0 && !q.scheduled && this.queues.get(key) === q) this.queues.delete(key);
      });
    }
  }

  private async runBatch(batch: Waiting<I, O>[]) {
    this.stats.groups++;
    this.stats.items += batch.length;
    try {
      const outs = await this.run(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(outs[i]!));
    } catch (e) {
      if (batch.length === 1) return batch[0]!.reject(e);
      this.stats.fallbacks++;
      for (const b of batch) {
        try {
          b.resolve((await this.run([b.item]))[0]!);
        } catch (err) {
          b.reject(err);
        }
      }
    }
  }
}
