/** The console's only way to the API: same origin, bearer credential from the session, typed errors. */

const TOKEN_KEY = 'shadow-ai.credential';

export type Role = 'viewer' | 'analyst' | 'admin';
const ROLES: readonly Role[] = ['viewer', 'analyst', 'admin'];

export function roleAtLeast(have: Role | null, need: Role): boolean {
  return have !== null && ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/**
 * sessionStorage, not localStorage: the credential lives as long as the tab and is gone when it closes;
 * the API keeps no cookie, so nothing is sent unless this code sends it.
 */
export const credential = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /**
   * The request-body fields a 400 names, with the validator's words for each: the API reports schema
   * failures as `body/<field>[/<index>]: <message>`, joined by `; `.
   */
  get fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.status !== 400) return out;
    for (const part of this.message.split('; ')) {
      const m = /^body\/([A-Za-z0-9_]+)(\/\d+)?: (.+)$/.exec(part);
      if (m) out[m[1]!] ??= m[2] ? `item ${Number(m[2].slice(1)) + 1}: ${m[3]!}` : m[3]!;
    }
    return out;
  }

  /** The role a 403 names ("this needs the analyst role; …"), for telling the user what they lack. */
  get neededRole(): Role | null {
    const m = /needs the (viewer|analyst|admin) role/.exec(this.message);
    return m ? (m[1] as Role) : null;
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();
/** Called when the API refuses the credential (401): the app returns to sign-in. */
export function onUnauthorized(fn: Listener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, token = credential.get()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? null : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const e = (parsed ?? {}) as { error?: unknown; message?: unknown };
    const err = new ApiError(res.status, typeof e.error === 'string' ? e.error : 'http_error', typeof e.message === 'string' ? e.message : `${res.status} ${res.statusText}`);
    if (res.status === 401) for (const fn of unauthorizedListeners) fn();
    throw err;
  }
  return parsed as T;
}

export const get = <T>(path: string, query?: Query) => api<T>('GET', withQuery(path, query));
