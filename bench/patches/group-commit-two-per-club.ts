/**
 * EXPERIMENT, not product code: two group transactions in flight per club instead of one
 * (latency at moderate rates vs group size). Preload with
 * `npm run bench -- --server-import bench/patches/group-commit-two-per-club.ts`.
 */
import { GroupCommitter } from '../../src/modules/events/group-commit.js';

type Pumpable = { pump(): void; opts: { maxInflightPerGroup?: number } };
const proto = GroupCommitter.prototype as unknown as Pumpable;
const pump = proto.pump;
proto.pump = function (this: Pumpable) {
  this.opts.maxInflightPerGroup = Number(process.env.VAFA_GC_PER_CLUB ?? 2);
  pump.call(this);
};
