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
 *
 * Gathering: when a slot frees while another group of the key is still in flight, and
 * fewer requests wait than the recent group size, the next group waits up to `gatherMs`
 * (or until that many have come); the group in flight keeps the database busy meanwhile,
 * and holds the reward's stock row the new group would queue on anyway. Under closed-loop load the answered clients'
 * next requests arrive a little after their group's commit; starting at once would send the
 * first of them alone and make the rest wait a whole group — groups of 1 and 31 instead of
 * 16 and 16, twice the commits on the reward's stock row. With nothing else in flight, or
 * at low load (recent groups of one or two), nothing ever waits.
 * Each request is answered after its group committed. If a whole group throws (a bug, a
 * broken connection) each of its items is redone alone, so one bad item cannot fail its
 * neighbours.
 */
type Waiting<I, O> = { item: I; resolve: (o: O) => void; reject: (e: unknown) => void };
type Queue<I, O> = { items: Waiting<I, O>[]; inflight: number; scheduled: boolean; recent: number; gathering: ReturnType<typeof setTimeout> | null; gatherFor: number };

export interface BatcherOptions {
  /** Most items in one group (one transaction). */
  maxBatch: number;
  /** Groups of one key in flight at once. */
  maxInflight: number;
  /** Longest wait for a group to fill while another of its key is in flight (ms); 0: never. */
  gatherMs?: number;
  /**
   * Under heavy load (recent groups of at least `size`), at most `inflight` groups of a key:
   * fewer, larger groups; and only then does a group gather. At light load `maxInflight`
   * keeps a newcomer from waiting for a slot, and nothing waits to gather.
   */
  busy?: { size: number; inflight: number };
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
      q = { items: [], inflight: 0, scheduled: false, recent: 0, gathering: null, gatherFor: 0 };
      this.queues.set(key, q);
    }
    const queue = q;
    const p = new Promise<O>((resolve, reject) => queue.items.push({ item, resolve, reject }));
    if (queue.gathering && queue.items.length >= queue.gatherFor) {
      // Enough came: go on the next turn rather than at the end of the wait.
      clearTimeout(queue.gathering);
      queue.gathering = null;
      queue.scheduled = false;
    }
    this.schedule(key, queue);
    return p;
  }

  /** Recent groups are large (always, when no `busy` threshold is set). */
  private busy(q: Queue<I, O>): boolean {
    return !this.opts.busy || q.recent >= this.opts.busy.size;
  }

  /** Groups of this key allowed in flight now. */
  private limit(q: Queue<I, O>): number {
    return this.opts.busy && this.busy(q) ? Math.min(this.opts.busy.inflight, this.opts.maxInflight) : this.opts.maxInflight;
  }

  private schedule(key: string, q: Queue<I, O>) {
    if (q.scheduled || q.inflight >= this.limit(q) || !q.items.length) return;
    q.scheduled = true;
    const want = Math.min(this.opts.maxBatch, Math.floor(q.recent));
    const gatherMs = this.opts.gatherMs ?? 0;
    if (gatherMs > 0 && q.inflight > 0 && this.busy(q) && q.items.length < want) {
      q.gatherFor = want;
      q.gathering = setTimeout(() => {
        q.gathering = null;
        q.scheduled = false;
        this.pump(key, q);
      }, gatherMs);
      return;
    }
    setImmediate(() => {
      q.scheduled = false;
      this.pump(key, q);
    });
  }

  private pump(key: string, q: Queue<I, O>) {
    while (q.inflight < this.limit(q) && q.items.length) {
      const batch = q.items.splice(0, this.opts.maxBatch);
      // The recent group size: a slow-moving mean, so one small group does not end gathering.
      q.recent = q.recent ? (q.recent * 3 + batch.length) / 4 : batch.length;
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
