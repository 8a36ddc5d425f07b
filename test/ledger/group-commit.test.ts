/**
 * The group committer on its own (no database): how requests form groups, how many
 * transactions run at once, and what happens when a group fails.
 */
import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../src/modules/events/group-commit.js';

const tick = () => new Promise((r) => setImmediate(r));

function harness(opts: { maxBatch?: number; maxInflight?: number; maxInflightPerGroup?: number } = {}) {
  const groups: { group: string; inputs: number[] }[] = [];
  const singles: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const gates: (() => void)[] = [];
  const committer = new GroupCommitter<number, string>(
    async (group, inputs) => {
      groups.push({ group, inputs });
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => gates.push(r));
      running--;
      if (inputs.includes(-1)) throw new Error('poison');
      return inputs.map((i) => `${group}:${i}`);
    },
    async (group, input) => {
      singles.push(input);
      if (input === -1) throw new Error('poison alone');
      return `${group}:${input}!`;
    },
    { maxBatch: opts.maxBatch ?? 200, maxInflight: opts.maxInflight ?? 4, maxInflightPerGroup: opts.maxInflightPerGroup },
  );
  const release = async () => {
    while (gates.length) gates.shift()!();
    await tick();
  };
  return { committer, groups, singles, release, maxRunning: () => maxRunning };
}

describe('group commit', () => {
  it('requests submitted in the same turn form one group; each gets its own answer after the commit', async () => {
    const h = harness();
    const answers = [1, 2, 3, 4, 5].map((i) => h.committer.submit('club', i));
    await tick();
    expect(h.groups).toEqual([{ group: 'club', inputs: [1, 2, 3, 4, 5] }]);
    await h.release();
    expect(await Promise.all(answers)).toEqual(['club:1', 'club:2', 'club:3', 'club:4', 'club:5']);
  });

  it('one transaction per club at a time: requests that arrive meanwhile wait and form the next group', async () => {
    const h = harness();
    const first = h.committer.submit('club', 1);
    await tick();
    const later = [2, 3, 4].map((i) => h.committer.submit('club', i));
    await tick();
    expect(h.groups.map((g) => g.inputs)).toEqual([[1]]);
    await h.release();
    await first;
    await tick();
    expect(h.groups.map((g) => g.inputs)).toEqual([[1], [2, 3, 4]]);
    await h.release();
    expect(await Promise.all(later)).toEqual(['club:2', 'club:3', 'club:4']);
    expect(h.maxRunning()).toBe(1);
  });

  it('different clubs commit side by side, never in one transaction, up to maxInflight', async () => {
    const h = harness({ maxInflight: 2 });
    const all = ['a', 'b', 'c'].map((club) => h.committer.submit(club, 1));
    await tick();
    expect(h.groups.map((g) => g.group)).toEqual(['a', 'b']);
    await h.release();
    await tick();
    expect(h.groups.map((g) => g.group)).toEqual(['a', 'b', 'c']);
    await h.release();
    expect(await Promise.all(all)).toEqual(['a:1', 'b:1', 'c:1']);
    expect(h.maxRunning()).toBe(2);
  });

  it('a group never exceeds maxBatch', async () => {
    const h = harness({ maxBatch: 3 });
    const all = [1, 2, 3, 4, 5, 6, 7].map((i) => h.committer.submit('club', i));
    await tick();
    await h.release();
    await h.release();
    await h.release();
    await Promise.all(all);
    expect(h.groups.map((g) => g.inputs)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('a group that fails is redone one by one: the poison fails alone, its neighbours succeed', async () => {
    const h = harness();
    const ok1 = h.committer.submit('club', 1);
    const poison = h.committer.submit('club', -1).catch((e: Error) => e);
    const ok2 = h.committer.submit('club', 2);
    await tick();
    await h.release();
    expect(await ok1).toBe('club:1!');
    expect(await ok2).toBe('club:2!');
    expect(((await poison) as Error).message).toBe('poison alone');
    expect(h.singles.sort()).toEqual([-1, 1, 2]);
    expect(h.committer.stats).toMatchObject({ batches: 1, events: 3, fallbacks: 1 });
  });
});
