import type { Activity, CatalogApp } from './app.schema.ts';
import { isIpLiteral, normalizeHost } from './host.ts';

export type MatchedBy = 'exact' | 'pattern' | 'suffix' | 'signature' | 'asn';

export interface CatalogMatch {
  app: CatalogApp;
  activity: Activity;
  matchedBy: MatchedBy;
  /** the catalog domain that matched, e.g. `chatgpt.com` for `ab.chatgpt.com` */
  domain: string;
}

export interface MatchRequest {
  host: string | null;
  url?: string | null;
  method?: string | null;
  userAgent?: string | null;
  /** DNS events cannot carry a path, so a plain match reports activity `dns` rather than `access`. */
  kind?: string | null;
  /** the destination's autonomous system, when enrichment knows it: used only when there is no host */
  destAsn?: number | null;
}

interface CompiledSignature {
  method: string;
  path: RegExp;
  userAgent: RegExp | null;
  activity: Activity;
}

interface HostEntry {
  app: CatalogApp;
  domain: string;
}

type HostLookup = { entry: HostEntry; matchedBy: 'exact' | 'pattern' | 'suffix' };

/** What a logged host resolves to: everything in `match` that depends on the host alone. */
interface ResolvedHost {
  /** normalised; null for an empty host or an IP literal (only the ASN can match those) */
  host: string | null;
  found: HostLookup | null;
  signatures: CompiledSignature[] | undefined;
}

const NO_HOST: ResolvedHost = Object.freeze({ host: null, found: null, signatures: undefined });

/** Hosts per memo generation: two generations of host names are well under a MiB. */
const HOST_MEMO_GENERATION = 2048;

/**
 * Host → app lookup, compiled once from the catalog. Order of precedence: an exact host, then a host
 * pattern (`bedrock-runtime.*.amazonaws.com`), then the longest listed suffix (walking up the labels). The catalog never lists a public suffix
 * or a shared-infrastructure registrable domain as a suffix (lint enforces it), so the walk can go up to
 * the last label without matching e.g. every `*.amazonaws.com` host.
 * A signature (host + method + path regex + optional user agent) refines a host match into an activity.
 */
export class Matcher {
  private readonly exact = new Map<string, HostEntry>();
  private readonly suffix = new Map<string, HostEntry>();
  /** pattern entries by their literal last two labels, e.g. `amazonaws.com` */
  private readonly patterns = new Map<string, { re: RegExp; entry: HostEntry }[]>();
  private readonly signatures = new Map<string, CompiledSignature[]>();
  private readonly asns = new Map<number, CatalogApp>();
  /**
   * Logged host → ResolvedHost, in two generations: a hit in the old one is promoted, and when the young one is
   * full it becomes the old one. Least-recently-used hosts fall out without a reorder on every hit. The memo
   * lives in the Matcher, which is built per Catalog, so a catalog swap (custom apps) starts from an empty one.
   */
  private youngHosts = new Map<string, ResolvedHost>();
  private oldHosts = new Map<string, ResolvedHost>();

  constructor(apps: readonly CatalogApp[]) {
    for (const app of apps) {
      for (const d of app.domains) {
        const entry = { app, domain: d.host };
        if (d.match === 'pattern') {
          const anchor = d.host.split('.').slice(-2).join('.');
          const re = new RegExp(`^${d.host.split('.').map((l) => (l === '*' ? '[a-z0-9-]+' : l)).join('\\.')}$`);
          const list = this.patterns.get(anchor) ?? [];
          list.push({ re, entry });
          this.patterns.set(anchor, list);
        } else (d.match === 'exact' ? this.exact : this.suffix).set(d.host, entry);
      }
      for (const asn of app.asns) this.asns.set(asn, app);
      for (const s of app.signatures) {
        const list = this.signatures.get(s.host) ?? [];
        list.push({
          method: s.method,
          path: new RegExp(s.path),
          userAgent: s.userAgent ? new RegExp(s.userAgent, 'i') : null,
          activity: s.activity,
        });
        this.signatures.set(s.host, list);
      }
    }
  }

  /** Host-only lookup; `host` must already be normalised (see normalizeHost). */
  lookupHost(host: string): HostLookup | null {
    const exact = this.exact.get(host);
    if (exact) return { entry: exact, matchedBy: 'exact' };
    if (this.patterns.size > 0) {
      const last = host.lastIndexOf('.');
      const prev = last > 0 ? host.lastIndexOf('.', last - 1) : -1;
      const list = prev > 0 ? this.patterns.get(host.slice(prev + 1)) : undefined;
      if (list) for (const p of list) if (p.re.test(host)) return { entry: p.entry, matchedBy: 'pattern' };
    }
    if (this.suffix.size === 0) return null;
    let candidate = host;
    for (;;) {
      const hit = this.suffix.get(candidate);
      if (hit) return { entry: hit, matchedBy: 'suffix' };
      const dot = candidate.indexOf('.');
      if (dot === -1) return null;
      candidate = candidate.slice(dot + 1);
    }
  }

  match(req: MatchRequest): CatalogMatch | null {
    const resolved = req.host ? this.resolveHost(req.host) : NO_HOST;
    if (resolved.host === null) {
      const app = req.destAsn ? this.asns.get(req.destAsn) : undefined;
      return app ? { app, activity: req.kind === 'dns' ? 'dns' : 'access', matchedBy: 'asn', domain: `AS${req.destAsn}` } : null;
    }
    const found = resolved.found;
    if (!found) return null;
    const plain: Activity = req.kind === 'dns' ? 'dns' : 'access';
    const sigs = resolved.signatures;
    if (sigs && req.url) {
      const path = pathOf(req.url);
      if (path !== null) {
        const method = req.method?.toUpperCase() ?? null;
        for (const sig of sigs) {
          if (sig.method !== 'ANY' && sig.method !== method) continue;
          if (!sig.path.test(path)) continue;
          if (sig.userAgent && !(req.userAgent && sig.userAgent.test(req.userAgent))) continue;
          return { app: found.entry.app, activity: sig.activity, matchedBy: 'signature', domain: found.entry.domain };
        }
      }
    }
    return { app: found.entry.app, activity: plain, matchedBy: found.matchedBy, domain: found.entry.domain };
  }

  /** Memoised: a log names the same few hosts over and over, and the suffix walk allocates per label. */
  private resolveHost(raw: string): ResolvedHost {
    let resolved = this.youngHosts.get(raw);
    if (resolved !== undefined) return resolved;
    const key = detached(raw);
    resolved = this.oldHosts.get(key) ?? this.computeHost(key);
    if (this.youngHosts.size >= HOST_MEMO_GENERATION) {
      this.oldHosts = this.youngHosts;
      this.youngHosts = new Map();
    }
    this.youngHosts.set(key, resolved);
    return resolved;
  }

  private computeHost(raw: string): ResolvedHost {
    const host = normalizeHost(raw);
    if (!host || isIpLiteral(host)) return NO_HOST;
    const found = this.lookupHost(host);
    // Signatures for this very host, else those written for the domain entry (suffix or pattern) that matched.
    const signatures = found === null
      ? undefined
      : this.signatures.get(host) ?? (found.entry.domain !== host ? this.signatures.get(found.entry.domain) : undefined);
    return { host, found, signatures };
  }
}

/**
 * `s` as a string of its own. TRICKY: a host cut out of a log line is, in V8, a view into the line, and the line
 * may itself be a view into a whole decoded message (a MiB): kept as a memo key, it would keep that alive. A
 * concatenation that is then sliced makes V8 copy the chars into a fresh string, so the memo holds only its hosts.
 */
function detached(s: string): string {
  return ` ${s}`.slice(1);
}

/** The path of an absolute URL or an origin-form request target, without query; null for CONNECT's host:port. */
export function pathOf(url: string): string | null {
  let start: number;
  if (url.startsWith('/')) start = 0;
  else {
    const scheme = url.indexOf('://');
    if (scheme === -1) return null;
    start = url.indexOf('/', scheme + 3);
    if (start === -1) return '/';
  }
  let end = url.length;
  const q = url.indexOf('?', start);
  if (q !== -1) end = q;
  const h = url.indexOf('#', start);
  if (h !== -1 && h < end) end = h;
  return url.slice(start, end);
}
