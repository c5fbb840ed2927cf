import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.client.ts';
import { onLinkClick } from '../router.ts';
import { fmtInt } from '../format.ts';

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

/**
 * Previous / next over keyset pages. With `shown` and `pageSize` it says which rows are on screen, and with
 * `total` (counted by the API for the first page) out of how many; without it "more" is what the next
 * cursor promises.
 */
export function Pager(props: {
  page: number;
  nextCursor: string | null;
  onNext: (c: string) => void;
  onPrev: () => void;
  label: string;
  shown?: number;
  pageSize?: number;
  total?: number | undefined;
}) {
  const first = props.pageSize !== undefined ? (props.page - 1) * props.pageSize + 1 : null;
  return (
    <nav class="pager" aria-label={`${props.label} pages`}>
      <button type="button" disabled={props.page <= 1} onClick={props.onPrev}>
        ← Previous
      </button>
      <span class="muted">
        Page {props.page}
        {first !== null && props.shown !== undefined && props.shown > 0 && (
          <>
            {' '}
            · rows {first}–{first + props.shown - 1}
            {props.total !== undefined ? ` of ${fmtInt(props.total)}` : props.nextCursor ? ', more on the next page' : ', the last page'}
          </>
        )}
      </span>
      <button type="button" disabled={!props.nextCursor} onClick={() => props.nextCursor && props.onNext(props.nextCursor)}>
        Next →
      </button>
    </nav>
  );
}

/** The `<option>`s of a select: values shown as they are, or value/label pairs. */
export function Options(props: { values: readonly (string | { value: string; label: string })[] }) {
  return (
    <>
      {props.values.map((v) => {
        const { value, label } = typeof v === 'string' ? { value: v, label: v } : v;
        return (
          <option key={value} value={value}>
            {label}
          </option>
        );
      })}
    </>
  );
}

/** A time-window choice: `{ value: '30', label: 'last 30 days' }`. */
export const lastDays = (days: number) => ({ value: String(days), label: `last ${days} days` });

export function Stat(props: { label: string; value: string; hint?: string; tone?: 'warn' | 'bad' }) {
  return (
    <div class={`stat ${props.tone ? `stat-${props.tone}` : ''}`}>
      <div class="stat-value">{props.value}</div>
      <div class="stat-label">{props.label}</div>
      {props.hint && <div class="stat-hint muted">{props.hint}</div>}
    </div>
  );
}

/** The outcome of an action, announced to screen readers. */
export function Notice({ tone, children }: { tone: 'ok' | 'error'; children: ComponentChildren }) {
  return (
    <p class={`notice notice-${tone}`} role="status">
      {children}
    </p>
  );
}

/** What a form control gets from its `Field`: its id, and the hint and error that describe it. */
export interface FieldControl {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/**
 * A labelled form control with an optional hint and the API's error for it, both tied to the control
 * (`aria-describedby`) so a screen reader reads them with it. The label holds only the label text, so
 * the control's accessible name stays exactly `label`.
 */
export function Field(props: { label: string; hint?: string; error?: string | null | undefined; children: (control: FieldControl) => ComponentChildren }) {
  const id = useId();
  const describedBy = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.children({ id, 'aria-invalid': props.error ? true : undefined, 'aria-describedby': describedBy || undefined })}
      {props.hint && (
        <span id={`${id}-hint`} class="muted small">
          {props.hint}
        </span>
      )}
      {props.error && (
        <span id={`${id}-error`} class="field-error">
          {props.error}
        </span>
      )}
    </div>
  );
}

/**
 * A panel that asks before an action: heading, fields, submit and cancel, and the API's answer when it
 * refuses. Opening it moves focus to its first field (or to Cancel when there is none, so Enter never
 * confirms a destructive action by accident); Escape cancels; closing it gives focus back to the control
 * that opened it, or to the page heading when that control is gone (a removed row).
 */
export function ActionForm(props: {
  title: ComponentChildren;
  submitLabel: string;
  tone?: 'primary' | 'danger';
  busy?: boolean;
  error: unknown;
  onSubmit: () => void;
  onCancel: () => void;
  children?: ComponentChildren;
}) {
  const headingId = useId();
  const form = useRef<HTMLFormElement>(null);
  useLayoutEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const first = form.current?.querySelector<HTMLElement>('input, select, textarea') ?? form.current?.querySelector<HTMLElement>('button[data-cancel]');
    first?.focus();
    return () => {
      // TRICKY: runs while the form unmounts, so wait for the DOM to settle; and only when focus went down
      // with the form, not when another form (the next row's edit) has just taken it.
      queueMicrotask(() => {
        const lost = document.activeElement === null || document.activeElement === document.body;
        if (lost) (opener?.isConnected ? opener : document.querySelector<HTMLElement>('main h1'))?.focus();
      });
    };
  }, []);
  return (
    <form
      ref={form}
      class="panel confirm"
      aria-labelledby={headingId}
      onSubmit={(e) => {
        e.preventDefault();
        if (!props.busy) props.onSubmit();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          props.onCancel();
        }
      }}
    >
      <h2 id={headingId}>{props.title}</h2>
      {props.children}
      <div class="actions">
        {/* aria-disabled, not disabled: a disabled button drops focus to the body, where Escape and Tab lose their place. */}
        <button type="submit" class={props.tone ?? 'primary'} aria-disabled={props.busy ? 'true' : undefined}>
          {props.submitLabel}
        </button>
        <button type="button" class="ghost" data-cancel onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      <ErrorBox error={props.error} />
    </form>
  );
}
