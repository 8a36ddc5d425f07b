/**
 * EXPERIMENT, not product code: a proposed change to src/modules/events/group-commit.ts,
 * applied to the server child at start (`npm run bench -- --server-import
 * bench/patches/group-commit-next-turn.ts`) so its effect can be measured before anyone
 * edits src/.
 *
 * The change: `submit()` no longer starts a group transaction synchronously; it schedules
 * the pump for the next turn of the event loop (setImmediate), once. Every request that
 * arrived in the same I/O phase joins one group.
 *
 * Why it matters on PGlite: PGlite runs each statement synchronously inside an async
 * wrapper, so a whole transaction completes in one microtask chain, without the event loop
 * ever polling sockets. With the synchronous pump, each HTTP request's handler starts its
 * own one-event transaction and finishes it before the next request is even read: groups of
 * one, no group commit at all, and requests served in whatever order the loop reaches them.
 */
import { GroupCommitter } from '../../src/modules/events/group-commit.js';

type Pumpable = { pump(): void; __nextTurn?: boolean };
const proto = GroupCommitter.prototype as unknown as Pumpable;
const pumpNow = proto.pump;
proto.pump = function (this: Pumpable) {
  if (this.__nextTurn) return;
  this.__nextTurn = true;
  setImmediate(() => {
    this.__nextTurn = false;
    pumpNow.call(this);
  });
};
