import { useEffect, useState } from 'preact/hooks';

/** History-API routing: the server answers every console route with the same shell. */

const listeners = new Set<() => void>();
const notify = () => {
  for (const fn of listeners) fn();
};
addEventListener('popstate', notify);

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function useLocation(): Location {
  const read = () => ({ path: location.pathname, query: new URLSearchParams(location.search) });
  const [loc, setLoc] = useState<Location>(read);
  useEffect(() => {
    const fn = () => setLoc(read());
    listeners.add(fn);
    return () => void listeners.delete(fn);
  }, []);
  return loc;
}

/** Matches `/findings/:id` style patterns; parameters come back decoded. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    if (seg.startsWith(':')) {
      if (!s[i]) return null;
      params[seg.slice(1)] = decodeURIComponent(s[i]!);
    } else if (seg !== s[i]) return null;
  }
  return params;
}

/** A click on a same-origin link navigates in place unless the user asked for a new tab or window. */
export function onLinkClick(e: MouseEvent, href: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(href);
}
