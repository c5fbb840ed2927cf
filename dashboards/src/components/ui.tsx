import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.client.ts';
import { onLinkClick } from '../router.ts';

export function Link(props: { href: string; class?: string; children: ComponentChildren; 'aria-current'?: 'page' | undefined }) {
  return (
    <a href={props.href} class={props.class} aria-current={props['aria-current']} onClick={(e) => onLinkClick(e, props.href)}>
      {props.children}
    </a>
  );
}

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads once per key; a newer load wins over a slower older one (filters changed while a page was
 * loading), so a stale answer never replaces a fresh one.
 */
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (error: unknown) => mine === seq.current && setState({ data: null, error, loading: false }),
    );
    // `load` is a fresh closure each render; the key says when it asks for something else.
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof ApiError && error.status === 403) {
    return (
      <div class="notice notice-error" role="alert">
        Not allowed: this needs role <strong>{error.neededRole ?? 'higher'}</strong>. {error.message}
      </div>
    );
  }
  const msg = error instanceof Error ? error.message : String(error);
  return (
    <div class="notice notice-error" role="alert">
      {msg}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Badge({ kind, children }: { kind: string; children: ComponentChildren }) {
  return <span class={`badge badge-${kind}`}>{children}</span>;
}

/** Keyset pagination: the API gives the cursor of the next page; the stack remembers the way back. */
export function usePager(resetKey: string) {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const [lastKey, setLastKey] = useState(resetKey);
  let current = stack;
  if (lastKey !== resetKey) {
    current = [null];
    setLastKey(resetKey);
    setStack(current);
  }
  const cursor = current[current.length - 1] ?? null;
  return {
    cursor,
    page: current.length,
    next: (c: string) => setStack([...current, c]),
    prev: () => setStack(current.length > 1 ? current.slice(0, -1) : current),
  };
}

export function Pager(props: { page: number; nextCursor: string | null; onNext: (c: string) => void; onPrev: () => void; label: string }) {
  return (
    <nav class="pager" aria-label={`${props.label} pages`}>
      <button type="button" disabled={props.page <= 1} onClick={props.onPrev}>
        ← Previous
      </button>
      <span class="muted">Page {props.page}</span>
      <button type="button" disabled={!props.nextCursor} onClick={() => props.nextCursor && props.onNext(props.nextCursor)}>
        Next →
      </button>
    </nav>
  );
}

export function Stat(props: { label: string; value: string; hint?: string; tone?: 'warn' | 'bad' }) {
  return (
    <div class={`stat ${props.tone ? `stat-${props.tone}` : ''}`}>
      <div class="stat-value">{props.value}</div>
      <div class="stat-label">{props.label}</div>
      {props.hint && <div class="stat-hint muted">{props.hint}</div>}
    </div>
  );
}
