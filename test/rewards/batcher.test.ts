/**
 * The redemption group batcher on its own (no database): groups per key, groups in flight,
 * gathering the next group while another is in flight, and per-item redo of a failed group.
 */
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/modules/rewards/batcher.js';

const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function harness(opts: { maxBatch?: number; maxInflight?: number; gatherMs?: number; busy?: { size: number; inflight: number } } = {}) {
  const groups: number[][] = [];
  const gates: (() => void)[] = [];
  let running = 0;
  let maxRunning = 0;
  const b = new Batcher<number, string>(
    async (items) => {
      groups.push(items);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => gates.push(r));
      running--;
      if (items.length > 1 && items.includes(-1)) throw new Error('poison');
      if (items[0] === -1) throw new Error('poison alone');
      return items.map((i) => `ok ${i}`);
    },
    { maxBatch: opts.maxBatch ?? 64, maxInflight: opts.maxInflight ?? 2, gatherMs: opts.gatherMs, busy: opts.busy },
  );
  /** Lets the oldest running group finish. */
  const finishOne = async () => {
    gates.shift()?.();
    await tick();
    await tick();
  };
  return { b, groups, finishOne, running: () => running, maxRunning: () => maxRunning };
}

describe('redemption batcher', () => {
  it('a lone request goes on the next turn; requests of one turn share a group; keys never mix', async () => {
    const h = harness({ gatherMs: 50 });
    const p = h.b.submit('r1', 1);
    await tick();
    expect(h.groups).toEqual([[1]]);
    const more = [h.b.submit('r2', 2), h.b.submit('r2', 3), h.b.submit('r1', 4)];
    await tick();
    expect(h.groups).toEqual([[1], [2, 3], [4]]);
    while (h.running()) await h.finishOne();
    expect(await Promise.all([p, ...more])).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4']);
  });

  it('at most maxInflight groups of a key at once; the rest wait and form the next group', async () => {
    const h = harness({ maxInflight: 2 });
    const ps = [1, 2].map((i) => h.b.submit('k', i));
    await tick();
    ps.push(h.b.submit('k', 3));
    await tick();
    ps.push(...[4, 5, 6].map((i) => h.b.submit('k', i)));
    await tick();
    expect(h.groups).toEqual([[1, 2], [3]]);
    await h.finishOne();
    expect(h.groups).toEqual([[1, 2], [3], [4, 5, 6]]);
    while (h.running()) await h.finishOne();
    expect(await Promise.all(ps)).toHaveLength(6);
    expect(h.maxRunning()).toBe(2);
  });

  it('after large groups, a slot freed while another group is in flight waits for the next group to fill (or gatherMs)', async () => {
    const h = harness({ maxInflight: 2, gatherMs: 40 });
    const all: Promise<string>[] = [];
    // Two large groups in flight (16 and 16).
    for (let g = 0; g < 2; g++) {
      all.push(...Array.from({ length: 16 }, (_, i) => h.b.submit('hot', g * 100 + i)));
      await tick();
    }
    expect(h.groups.map((g) => g.length)).toEqual([16, 16]);
    // One finishes; its clients come back one by one. The first does not start a group of one.
    await h.finishOne();
    all.push(h.b.submit('hot', 500));
    await tick();
    await tick();
    expect(h.groups).toHaveLength(2);
    // Once as many wait as the recent groups had, the group goes at once (well before gatherMs).
    all.push(...Array.from({ length: 14 }, (_, i) => h.b.submit('hot', 501 + i)));
    await tick();
    await tick();
    expect(h.groups).toHaveLength(2);
    all.push(h.b.submit('hot', 515));
    await tick();
    await tick();
    expect(h.groups.map((g) => g.length)).toEqual([16, 16, 16]);
    // A straggler after that waits at most gatherMs, then goes alone.
    await h.finishOne();
    all.push(h.b.submit('hot', 600));
    await tick();
    expect(h.groups).toHaveLength(3);
    await sleep(60);
    expect(h.groups.map((g) => g.length)).toEqual([16, 16, 16, 1]);
    while (h.running()) await h.finishOne();
    expect(await Promise.all(all)).toHaveLength(16 + 16 + 16 + 1);
  });

  it('with nothing else in flight a group never waits, whatever the recent sizes', async () => {
    const h = harness({ maxInflight: 2, gatherMs: 1000 });
    const first = Array.from({ length: 20 }, (_, i) => h.b.submit('k', i));
    await tick();
    while (h.running()) await h.finishOne();
    await Promise.all(first);
    const lone = h.b.submit('k', 99);
    await tick();
    expect(h.groups.at(-1)).toEqual([99]);
    await h.finishOne();
    expect(await lone).toBe('ok 99');
  });

  it('light load: up to maxInflight small groups and no gathering; heavy load: fewer, larger groups', async () => {
    const h = harness({ maxInflight: 4, gatherMs: 1000, busy: { size: 8, inflight: 2 } });
    const all: Promise<string>[] = [];
    for (let i = 0; i < 4; i++) {
      all.push(h.b.submit('k', i));
      await tick();
    }
    expect(h.groups).toEqual([[0], [1], [2], [3]]); // four at once, none waited
    while (h.running()) await h.finishOne();
    // A burst: one large group, then under heavy load only two in flight.
    all.push(...Array.from({ length: 40 }, (_, i) => h.b.submit('k', 100 + i)));
    await tick();
    all.push(...Array.from({ length: 40 }, (_, i) => h.b.submit('k', 200 + i)));
    await tick();
    all.push(...Array.from({ length: 40 }, (_, i) => h.b.submit('k', 300 + i)));
    await tick();
    expect(h.groups.slice(4).map((g) => g.length)).toEqual([40, 40]);
    expect(h.running()).toBe(2);
    while (h.running()) await h.finishOne();
    expect(h.groups.slice(4).map((g) => g.length)).toEqual([40, 40, 40]);
    expect(await Promise.all(all)).toHaveLength(124);
  });

  it('a group that throws is redone item by item: the bad item fails alone', async () => {
    const h = harness();
    const ps = [1, -1, 2].map((i) => h.b.submit('k', i).then((x) => x, (e: Error) => `error ${e.message}`));
    await tick();
    const settle = (async () => {
      for (let i = 0; i < 10; i++) await h.finishOne();
    })();
    expect(await Promise.all(ps)).toEqual(['ok 1', 'error poison alone', 'ok 2']);
    await settle;
    expect(h.b.stats.fallbacks).toBe(1);
  });
});
