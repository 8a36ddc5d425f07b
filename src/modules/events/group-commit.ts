/**
 * Group commit for single events. A durable commit costs a disk flush, so one transaction
 * per event caps throughput at the disk's flush rate. Requests that arrive while earlier
 * transactions are in flight wait in a queue and are written together in ONE transaction;
 * each is answered only after that commit. There is no timer: an idle system commits a lone
 * event at once, a busy one batches naturally.
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
  /** Transactions in flight at once (per process). */
  maxInflight: number;
}

export class GroupCommitter<I, O> {
  private queues = new Map<string, Pending<I, O>[]>();
  private inflight = 0;
  private order: string[] = [];
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
      this.pump();
    });
  }

  private pump() {
    while (this.inflight < this.opts.maxInflight && this.order.length) {
      const group = this.order.shift()!;
      const q = this.queues.get(group)!;
      const batch = q.splice(0, this.opts.maxBatch);
      if (q.length) this.order.push(group);
      else this.queues.delete(group);
      this.inflight++;
      void this.run(group, batch).finally(() => {
        this.inflight--;
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
