/**
 * Group commit for single events. A durable commit costs a disk flush, so one transaction
 * per event caps throughput at the disk's flush rate. Requests that arrive while earlier
 * transactions are in flight wait in a queue and are written together in ONE transaction;
 * each is answered only after that commit. There is no timer: an idle system commits a lone
 * event on the next turn of the event loop, a busy one batches naturally.
 *
 * Each event keeps its own outcome (one failing event does not fail its neighbours), and if
 * a whole group fails for an unexpected reason, its events are retried one by one so a
 * single poison event fails alone.
 */
export interface Pending<I, O> {
  input: I;
  resolve(o: O): void;
  reject(e: unknown): void;
}

export interface GroupCommitOptions {
  /** Most events in one transaction. */
  maxBatch: number;
  /** Transactions in flight at once (per process, all groups together). */
  maxInflight: number;
  /**
   * Transactions in flight at once for one group (a club). 1 by default: the next group
   * forms while the current one commits, so groups grow with the load instead of splitting
   * it over many small transactions (measured in docs/performance.md: 5 → 16–32 events a
   * transaction, PGlite 5× the throughput).
   */
  maxInflightPerGroup?: number;
}

export class GroupCommitter<I, O> {
  private queues = new Map<string, Pending<I, O>[]>();
  private inflight = 0;
  private readonly inflightOf = new Map<string, number>();
  private order: string[] = [];
  private scheduled = false;
  /** Figures for /metrics and the bench. */
  readonly stats = { batches: 0, events: 0, fallbacks: 0 };

  constructor(
    private readonly commitGroup: (group: string, inputs: I[]) => Promise<O[]>,
    private readonly commitOne: (group: string, input: I) => Promise<O>,
    private readonly opts: GroupCommitOptions,
  ) {}

  /** Queues one input of a group (a club: a transaction never mixes clubs). */
  submit(group: string, input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      let q = this.queues.get(group);
      if (!q) {
        q = [];
        this.queues.set(group, q);
        this.order.push(group);
      }
      q.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Pumps once per event-loop turn, not per request: every request read in the same I/O
   * phase joins the same group. (Pumping synchronously started a transaction for the first
   * request of a burst; on PGlite, whose statements complete without yielding to the loop,
   * every group was then one event.)
   */
  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump() {
    const perGroup = this.opts.maxInflightPerGroup ?? 1;
    let waiting = this.order.length;
    while (this.inflight < this.opts.maxInflight && waiting-- > 0) {
      const group = this.order.shift()!;
      const busy = this.inflightOf.get(group) ?? 0;
      if (busy >= perGroup) {
        this.order.push(group); // its turn comes when its transaction commits
        continue;
      }
      const q = this.queues.get(group)!;
      const batch = q.splice(0, this.opts.maxBatch);
      if (q.length) this.order.push(group);
      else this.queues.delete(group);
      this.inflight++;
      this.inflightOf.set(group, busy + 1);
      void this.run(group, batch).finally(() => {
        this.inflight--;
        const n = (this.inflightOf.get(group) ?? 1) - 1;
        if (n > 0) this.inflightOf.set(group, n);
        else this.inflightOf.delete(group);
        this.pump();
      });
    }
  }

  private async run(group: string, batch: Pending<I, O>[]) {
    this.stats.batches++;
    this.stats.events += batch.length;
    try {
      const outs = await this.commitGroup(group, batch.map((p) => p.input));
      batch.forEach((p, i) => p.resolve(outs[i]!));
    } catch {
      // Alone too, a failed group is redone in its own transaction: e.g. a key another
      // transaction claimed meanwhile is then replayed instead of failing the request.
      this.stats.fallbacks++;
      await Promise.all(
        batch.map((p) =>
          this.commitOne(group, p.input).then(
            (o) => p.resolve(o),
            (err) => p.reject(err),
          ),
        ),
      );
    }
  }
}
