import { useCallback, useEffect, useRef, useState } from 'react';
import { whenPassed } from './moment';
import type { Page } from './types';

export type Query<T> = {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (d: T) => void;
};

/** Loads once per key change; aborts stale requests. `key === null` skips loading. */
export function useQuery<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): Query<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState<boolean>(key !== null);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    if (key === null) return;
    const ctrl = new AbortController();
    setLoading(true);
    setError(undefined);
    loadRef.current(ctrl.signal).then(
      (d) => {
        if (!ctrl.signal.aborted) {
          setData(d);
          setLoading(false);
        }
      },
      (e: unknown) => {
        if (!ctrl.signal.aborted) {
          setError(e);
          setLoading(false);
        }
      },
    );
    return () => ctrl.abort();
  }, [key, tick]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload, setData };
}

/**
 * Cursor paging with Previous / Next: keeps the stack of cursors that led to the current page,
 * so going back does not depend on the server offering a backward cursor.
 */
export function useCursorPages<T>(baseKey: string, load: (cursor: string | null, signal: AbortSignal) => Promise<Page<T>>) {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  useEffect(() => setStack([null]), [baseKey]);
  const cursor = stack[stack.length - 1] ?? null;
  const q = useQuery<Page<T>>(`${baseKey}|${cursor ?? ''}`, (signal) => load(cursor, signal));
  return {
    ...q,
    page: stack.length,
    hasPrev: stack.length > 1,
    hasNext: Boolean(q.data?.nextCursor),
    next: () => q.data?.nextCursor && setStack((s) => [...s, q.data!.nextCursor]),
    prev: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    first: () => setStack([null]),
  };
}

/**
 * Whether the wall clock has reached `at` (ms since the epoch; NaN counts as passed), turning
 * true by itself when it does. The moment is checked again when the effect runs, not only when
 * the component first rendered: on a busy page the cut-off can pass between the two.
 */
export function useMomentPassed(at: number): boolean {
  const [passed, setPassed] = useState(() => !(at > Date.now()));
  useEffect(() => {
    setPassed(!(at > Date.now()));
    return whenPassed(at, () => setPassed(true));
  }, [at]);
  return passed;
}
