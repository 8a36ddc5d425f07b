/**
 * EXPERIMENT, not product code: group-commit-next-turn.ts plus `maxInflight: 1` (one group
 * transaction at a time; the next group forms while it commits), the setting the in-process
 * sweep (`npm run bench -- --only gcsweep`) found fastest on both engines. Preload with
 * `npm run bench -- --server-import bench/patches/group-commit-one-in-flight.ts`.
 */
import { GroupCommitter } from '../../src/modules/events/group-commit.js';

type Pumpable = { pump(): void; __nextTurn?: boolean; opts: { maxInflight: number } };
const proto = GroupCommitter.prototype as unknown as Pumpable;
const pumpNow = proto.pump;
proto.pump = function (this: Pumpable) {
  this.opts.maxInflight = 1;
  if (this.__nextTurn) return;
  this.__nextTurn = true;
  setImmediate(() => {
    this.__nextTurn = false;
    pumpNow.call(this);
  });
};
