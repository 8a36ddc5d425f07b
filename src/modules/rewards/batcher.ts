/**
 * Group commit for redemptions of one reward. A redemption's work (hold, code, ledger
 * entries) runs in parallel across transactions, but every transaction of a stocked reward
 * ends on the same row lock, held until its commit — so with one redemption per
 * transaction the reward is capped at one WAL flush per redemption. Here up to
 * `maxInflight` transactions per reward run at once, and requests that arrive while they are
 * busy wait and then share one (up to `maxBatch`): parallel work, and each flush carries
 * several redemptions. With no concurrency a batch is one redemption and nothing waits.
 * If a whole batch throws (a bug, a broken connection) each of its items runs alone, so one
 * bad item cannot fail its neighbours.
 */
type Waiting<I, O> = { item: I; resolve: (o: O) => void; reject: (e: unknown) => void };

export class Batcher<I, O> {
  private readonly queues = new Map<string, { items: Waiting<I, O>[]; inflight: number }>();

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly opts: { maxBatch: number; maxInflight: number } = { maxBatch: 8, maxInflight: 8 },
  ) {}

  submit(key: string, item: I): Promise<O> {
    let q = this.queues.get(key);
    if (!q) {
      q = { items: [], inflight: 0 };
      this.queues.set(key, q);
    }
    const queue = q;
    const p = new Promise<O>((resolve, reject) => queue.items.push({ item, resolve, reject }));
    if (queue.inflight < this.opts.maxInflight) void this.work(key, queue);
    return p;
  }

  private async work(key: string, q: { items: Waiting<I, O>[]; inflight: number }) {
    q.inflight++;
    try {
      while (q.items.length) {
        const batch = q.items.splice(0, this.opts.maxBatch);
        try {
          const outs = await this.run(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(outs[i]!));
        } catch (e) {
          if (batch.length === 1) batch[0]!.reject(e);
          else
            for (const b of batch) {
              try {
                b.resolve((await this.run([b.item]))[0]!);
              } catch (err) {
                b.reject(err);
              }
            }
        }
      }
    } finally {
      q.inflight--;
      if (q.inflight === 0 && q.items.length === 0) this.queues.delete(key);
    }
  }
}
