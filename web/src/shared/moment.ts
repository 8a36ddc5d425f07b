/** Waiting for a moment in wall-clock time (a draw's cut-off, its draw time) without missing it. */

export type Clock = {
  now: () => number;
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
};

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Calls `onPassed(now)` once, as soon as the clock reaches `at` (ms since the epoch): at once
 * if it already has — a caller that looked earlier may be late by now — and otherwise from a
 * timer that checks the clock again when it fires. A timer that fires early (a clock that
 * moved) waits again; a long wait is cut into steps of at most `maxStep`, so a sleeping
 * laptop or a throttled tab is late by one step at most. Returns a function that cancels.
 */
export function whenPassed(at: number, onPassed: (now: number) => void, clock: Clock = realClock, maxStep = 60_000): () => void {
  let handle: unknown;
  let cancelled = false;
  const check = () => {
    if (cancelled) return;
    const now = clock.now();
    if (!(at > now)) {
      onPassed(now);
      return;
    }
    handle = clock.setTimeout(check, Math.min(at - now + 20, maxStep));
  };
  check();
  return () => {
    cancelled = true;
    if (handle !== undefined) clock.clearTimeout(handle);
  };
}
