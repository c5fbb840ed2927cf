import type { CatalogApp } from '@shadow-ai/catalog';

/**
 * Enforcement exports: a list of apps (the ones IT blocked, or the ones it sanctioned) rendered as
 * configuration for proxies, DNS servers and firewalls. Pure functions: the caller supplies the time and
 * catalog version, so the same input always gives byte-identical output (an ETag over the body is stable).
 *
 * How the catalog's three kinds of domain map onto tools that think in different terms:
 * - `suffix` (a domain and everything below it) maps onto each tool's "domain and subdomains" form.
 * - `exact` maps onto an exact-name form where the tool has one; DNS servers that only know zones
 *   (Unbound, dnsmasq) block the host's subdomains too, which the file says.
 * - `pattern` (`*` = exactly one label) only has a faithful form in PAC (shExpMatch plus a label count)
 *   and in squid.conf (dstdom_regex); everywhere else it is reported in `skipped`, never widened into
 *   a broader wildcard that would block unrelated customers of a shared cloud domain.
 * Entries that another entry of the same file already covers are left out: squid refuses
 * `.example.com` next to `example.com`, and duplicates make every other tool's list longer for nothing.
 */

export const EXPORT_FORMATS = ['squid', 'squid-conf', 'rpz', 'unbound', 'dnsmasq', 'hosts', 'pihole', 'adguard', 'edl', 'pac'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ExportList = 'blocked' | 'sanctioned';

export interface ExportInput {
  list: ExportList;
  apps: CatalogApp[];
  generatedAt: Date;
  catalogVersion: string;
  /**
   * PAC only: where matching hosts go, as a PAC result (`PROXY host:port`, `HTTPS host:port`, ...) or a
   * bare `host:port` (taken as `PROXY host:port`). Blocked list: defaults to a blackhole proxy.
   * Sanctioned list: defaults to DIRECT, which makes the PAC a no-op until a gateway is given.
   */
  proxy?: string;
}

export interface SkippedHost {
  host: string;
  reason: string;
}

export interface ExportResult {
  body: string;
  contentType: string;
  fileName: string;
  /** Distinct catalog hosts/domains the file enforces, after dropping those another entry covers. */
  entries: number;
  /** Hosts the format cannot express (or that are not valid DNS names), sorted by host. */
  skipped: SkippedHost[];
}

/** Where the squid-conf snippet expects the `squid` ACL file; the file name matches the export's. */
export function squidAclPath(list: ExportList): string {
  return `/etc/squid/shadow-ai-${list}.txt`;
}

/** Name of the squid ACL the squid-conf snippet defines (and of its pattern companion, `_patterns`). */
export function squidAclName(list: ExportList): string {
  return `shadow_ai_${list}`;
}

/** The zone name the RPZ file's comments suggest; the file itself works under any zone name. */
export const RPZ_ZONE = 'rpz.shadow-ai';

/**
 * Blackhole for blocked hosts in PAC: the discard port on loopback refuses the connection at once, and
 * because no `; DIRECT` fallback follows, the browser shows an error instead of going around the block.
 */
export const PAC_BLACKHOLE = 'PROXY 127.0.0.1:9';

export function isExportFormat(value: string): value is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(value);
}

export function renderExport(format: ExportFormat, input: ExportInput): ExportResult {
  if (Number.isNaN(input.generatedAt.getTime())) throw new RangeError('generatedAt is not a valid date');
  const hosts = collectHosts(input.apps);
  const ctx: RenderContext = { input, hosts };
  const rendered = RENDERERS[format](ctx);
  const skipped = [...hosts.invalid.map((host) => ({ host, reason: INVALID_REASON })), ...rendered.skipped].sort(byHost);
  return {
    body: rendered.body,
    contentType: CONTENT_TYPES[format],
    fileName: `shadow-ai-${input.list}.${FILE_EXTENSIONS[format]}`,
    entries: rendered.entries,
    skipped,
  };
}

// ---------------------------------------------------------------------------------------------------
// Host collection and reduction

interface HostSets {
  /** sorted, unique; a host listed both as exact and as suffix appears only here */
  suffix: string[];
  exact: string[];
  pattern: string[];
  /** hosts that are not plain lowercase DNS names (custom apps, hand-edited files): never emitted */
  invalid: string[];
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
// At least two labels: a single label (`localhost`, a bare TLD) would block far more than an app.
const DNS_NAME = new RegExp(`^(?=.{3,253}$)(?:${LABEL}\\.)+${LABEL}$`);
const PATTERN_NAME = new RegExp(`^(?=.{3,253}$)(?:(?:\\*|${LABEL})\\.)+${LABEL}$`);
const INVALID_REASON = 'not a valid lowercase DNS name';

function collectHosts(apps: readonly CatalogApp[]): HostSets {
  const suffix = new Set<string>();
  const exact = new Set<string>();
  const pattern = new Set<string>();
  const invalid = new Set<string>();
  for (const app of apps) {
    for (const d of app.domains) {
      const host = d.host.toLowerCase();
      if (d.match === 'pattern') {
        if (PATTERN_NAME.test(host) && host.includes('*')) pattern.add(host);
        else invalid.add(host);
      } else if (!DNS_NAME.test(host)) {
        invalid.add(host);
      } else if (d.match === 'suffix') {
        suffix.add(host);
      } else {
        exact.add(host);
      }
    }
  }
  for (const s of suffix) exact.delete(s);
  return { suffix: sorted(suffix), exact: sorted(exact), pattern: sorted(pattern), invalid: sorted(invalid) };
}

/** Proper parent domains of a name, nearest first: `a.b.com` → `b.com`, `com`. */
function parents(host: string): string[] {
  const out: string[] = [];
  for (let i = host.indexOf('.'); i !== -1; i = host.indexOf('.', i + 1)) out.push(host.slice(i + 1));
  return out;
}

interface Reduced {
  suffix: string[];
  exact: string[];
}

/**
 * Leaves out every entry that a kept entry already covers. `exactCoversSubdomains` is for tools whose
 * only construct is a zone (Unbound local-zone, dnsmasq address=): there an exact host covers its
 * subdomains as well, so `chat.openai.com` makes `eu.chat.openai.com` redundant.
 */
function reduce(hosts: HostSets, exactCoversSubdomains: boolean): Reduced {
  const covering = new Set(exactCoversSubdomains ? [...hosts.suffix, ...hosts.exact] : hosts.suffix);
  const uncovered = (h: string) => !parents(h).some((p) => covering.has(p));
  return {
    suffix: hosts.suffix.filter(uncovered),
    exact: hosts.exact.filter(uncovered),
  };
}

/** One line per kept entry, sorted by name so suffix and exact entries of one vendor sit together. */
function entriesByName(r: Reduced): { host: string; suffix: boolean }[] {
  return [...r.suffix.map((host) => ({ host, suffix: true })), ...r.exact.map((host) => ({ host, suffix: false }))].sort(byHost);
}

// ---------------------------------------------------------------------------------------------------
// Rendering

interface RenderContext {
  input: ExportInput;
  hosts: HostSets;
}

interface Rendered {
  body: string;
  entries: number;
  skipped: SkippedHost[];
}

const PATTERN_NOTE = "pattern host ('*' = exactly one label)";

const RENDERERS: Record<ExportFormat, (ctx: RenderContext) => Rendered> = {
  squid: renderSquidAcl,
  'squid-conf': renderSquidConf,
  rpz: renderRpz,
  unbound: renderUnbound,
  dnsmasq: renderDnsmasq,
  hosts: renderHosts,
  pihole: renderPihole,
  adguard: renderAdguard,
  edl: renderEdl,
  pac: renderPac,
};

const CONTENT_TYPES: Record<ExportFormat, string> = {
  squid: 'text/plain; charset=utf-8',
  'squid-conf': 'text/plain; charset=utf-8',
  // RFC 4027 registers text/dns for master (zone) files.
  rpz: 'text/dns',
  unbound: 'text/plain; charset=utf-8',
  dnsmasq: 'text/plain; charset=utf-8',
  hosts: 'text/plain; charset=utf-8',
  pihole: 'text/plain; charset=utf-8',
  adguard: 'text/plain; charset=utf-8',
  edl: 'text/plain; charset=utf-8',
  pac: 'application/x-ns-proxy-autoconfig',
};

const FILE_EXTENSIONS: Record<ExportFormat, string> = {
  // The same basename the squid-conf snippet names in squidAclPath().
  squid: 'txt',
  'squid-conf': 'squid.conf',
  rpz: 'rpz.zone',
  unbound: 'unbound.conf',
  dnsmasq: 'dnsmasq.conf',
  hosts: 'hosts',
  pihole: 'pihole.txt',
  adguard: 'adguard.txt',
  edl: 'edl.txt',
  pac: 'pac',
};

interface HeaderOptions {
  title: string;
  entries: number;
  skipped: readonly SkippedHost[];
  notes: readonly string[];
}

/** The comment block every commented format starts with; `prefix` is the tool's comment marker. */
function header(prefix: string, ctx: RenderContext, opts: HeaderOptions): string[] {
  const { input } = ctx;
  const lines = [
    `Shadow AI Watch: ${input.list} AI apps as ${opts.title}`,
    `list: ${input.list}`,
    `generated: ${input.generatedAt.toISOString()}`,
    `catalog: ${printable(input.catalogVersion)}`,
    `apps: ${input.apps.length}, entries: ${opts.entries}, skipped: ${opts.skipped.length + ctx.hosts.invalid.length}`,
    ...(opts.notes.length > 0 ? ['', ...opts.notes] : []),
    ...ctx.hosts.invalid.map((h) => `skipped ${printable(h)}: ${INVALID_REASON}`),
    ...opts.skipped.map((s) => `skipped ${s.host}: ${s.reason}`),
  ];
  return lines.map((l) => (l === '' ? prefix.trimEnd() : `${prefix}${l}`));
}

/** Text from outside (catalog version, invalid hosts) must not break out of a comment line. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

function patternsSkipped(ctx: RenderContext, why: string): SkippedHost[] {
  return ctx.hosts.pattern.map((host) => ({ host, reason: `${PATTERN_NOTE}: ${why}` }));
}

function body(lines: readonly string[]): string {
  return `${lines.join('\n')}\n`;
}

// --- squid ------------------------------------------------------------------------------------------

function renderSquidAcl(ctx: RenderContext): Rendered {
  const reduced = reduce(ctx.hosts, false);
  const entries = entriesByName(reduced);
  const skipped = patternsSkipped(ctx, 'a dstdomain ACL has no one-label wildcard (the squid-conf snippet matches it with dstdom_regex)');
  const lines = [
    ...header('# ', ctx, {
      title: 'a squid dstdomain ACL file',
      entries: entries.length,
      skipped,
      notes: [
        `Use it from squid.conf as ${squidAclPath(ctx.input.list)} (see the squid-conf export).`,
        "'.domain' matches the domain and all its subdomains; a bare name matches only itself.",
        "Entries a '.domain' line already covers are left out: squid rejects '.example.com' next to",
        "'example.com' and warns about nested entries.",
      ],
    }),
    ...entries.map((e) => (e.suffix ? `.${e.host}` : e.host)),
  ];
  return { body: body(lines), entries: entries.length, skipped };
}

/** POSIX extended regex for a pattern host; squid matches dstdom_regex against the lowercased host. */
function patternRegex(pattern: string): string {
  // Literal labels hold only [a-z0-9-], none of which is special in a regex.
  const labels = pattern.split('.').map((l) => (l === '*' ? '[^.]+' : l));
  return `^${labels.join('\\.')}$`;
}

function renderSquidConf(ctx: RenderContext): Rendered {
  const { list } = ctx.input;
  const acl = squidAclName(list);
  const patternAcl = `${acl}_patterns`;
  const aclEntries = entriesByName(reduce(ctx.hosts, false)).length;
  const patterns = ctx.hosts.pattern;
  const entries = aclEntries + patterns.length;
  const blocked = list === 'blocked';
  const notes = blocked
    ? [
        'Place these lines ABOVE the first "http_access allow" rule: squid applies the first http_access',
        'rule that matches.',
        'dstdomain compares the host name of the request: the URL host for plain HTTP, and for HTTPS the',
        'host of the CONNECT request, so the tunnel is refused (403) before any TLS starts. No SSL bump needed.',
      ]
    : [
        'Place these lines after your authentication rules, so sanctioned use stays attributed to users,',
        'and before any rule that denies AI traffic: squid applies the first http_access rule that matches.',
        "'localnet' is the client network ACL of the stock squid.conf; use your own client ACL instead if",
        'you have one.',
        'dstdomain matches plain-HTTP URL hosts and the host of HTTPS CONNECT requests alike.',
      ];
  const lines = [
    ...header('# ', ctx, {
      title: 'a squid.conf snippet',
      entries,
      skipped: [],
      notes: [
        `Needs the ACL file from the "squid" export at ${squidAclPath(list)} (${aclEntries} entries).`,
        ...notes,
        '-n: an IP-address URL is compared as it is, without a reverse DNS lookup that would delay every',
        'such request and match whatever name the address happens to have.',
        ...(patterns.length > 0 ? ["Pattern hosts ('*' = exactly one label) become a dstdom_regex ACL."] : []),
      ],
    }),
    `acl ${acl} dstdomain -n "${squidAclPath(list)}"`,
    ...patterns.map((p) => `acl ${patternAcl} dstdom_regex -n -i ${patternRegex(p)}`),
  ];
  if (blocked) {
    lines.push(`http_access deny ${acl}`);
    if (patterns.length > 0) lines.push(`http_access deny ${patternAcl}`);
  } else {
    lines.push(`http_access allow localnet ${acl}`);
    if (patterns.length > 0) lines.push(`http_access allow localnet ${patternAcl}`);
  }
  return { body: body(lines), entries, skipped: [] };
}

// --- BIND RPZ ---------------------------------------------------------------------------------------

/** Zone serial: generation time in epoch seconds, so every later export has a larger serial. */
function rpzSerial(at: Date): number {
  return Math.floor(at.getTime() / 1000) % 2 ** 32;
}

function renderRpz(ctx: RenderContext): Rendered {
  const blocked = ctx.input.list === 'blocked';
  const target = blocked ? '.' : 'rpz-passthru.';
  const entries = entriesByName(reduce(ctx.hosts, false));
  const skipped = patternsSkipped(ctx, "an RPZ wildcard is only the leftmost label and matches any number of labels");
  const file = `/etc/bind/shadow-ai-${ctx.input.list}.rpz.zone`;
  const lines = [
    ...header('; ', ctx, {
      title: 'a BIND response policy zone (RPZ)',
      entries: entries.length,
      skipped,
      notes: [
        'Owner names are relative and there is no $ORIGIN, so the file loads under whatever zone name',
        `named.conf gives it, e.g. "${RPZ_ZONE}" (chatgpt.com here becomes chatgpt.com.${RPZ_ZONE}.):`,
        `  zone "${RPZ_ZONE}" { type primary; file "${file}"; allow-query { none; }; };`,
        `  options { response-policy { zone "${RPZ_ZONE}"; }; };`,
        ...(blocked
          ? ['"CNAME ." answers NXDOMAIN.']
          : [
              '"CNAME rpz-passthru." exempts a name from the policy zones listed after this one in',
              'response-policy, so list this zone first.',
            ]),
        'A suffix domain has a second "*." record for its subdomains.',
        'Serial: generation time in seconds since 1970.',
      ],
    }),
    '$TTL 300',
    `@ IN SOA localhost. hostmaster.localhost. ( ${rpzSerial(ctx.input.generatedAt)} 3600 600 604800 300 )`,
    '@ IN NS localhost.',
    ...entries.flatMap((e) => (e.suffix ? [`${e.host} CNAME ${target}`, `*.${e.host} CNAME ${target}`] : [`${e.host} CNAME ${target}`])),
  ];
  return { body: body(lines), entries: entries.length, skipped };
}

// --- Unbound ----------------------------------------------------------------------------------------

function renderUnbound(ctx: RenderContext): Rendered {
  const blocked = ctx.input.list === 'blocked';
  // always_transparent resolves normally even inside a broader blocking local-zone: the most specific
  // local-zone wins, so it works as an exemption next to a blocklist.
  const type = blocked ? 'always_nxdomain' : 'always_transparent';
  const entries = entriesByName(reduce(ctx.hosts, true));
  const skipped = patternsSkipped(ctx, 'local-zone has no wildcards');
  const lines = [
    ...header('# ', ctx, {
      title: 'an Unbound server: clause',
      entries: entries.length,
      skipped,
      notes: [
        'Drop into /etc/unbound/unbound.conf.d/ (Debian includes *.conf from there) or include: it.',
        'A local-zone covers the name and every name below it, so exact hosts (e.g. chat.openai.com)',
        'take their subdomains along: DNS cannot tell one from the other without per-name data.',
      ],
    }),
    'server:',
    ...entries.map((e) => `    local-zone: "${e.host}." ${type}`),
  ];
  return { body: body(lines), entries: entries.length, skipped };
}

// --- dnsmasq ----------------------------------------------------------------------------------------

function renderDnsmasq(ctx: RenderContext): Rendered {
  const blocked = ctx.input.list === 'blocked';
  const entries = entriesByName(reduce(ctx.hosts, true));
  const skipped = patternsSkipped(ctx, 'dnsmasq domains have no one-label wildcard');
  const lines = [
    ...header('# ', ctx, {
      title: 'a dnsmasq configuration file',
      entries: entries.length,
      skipped,
      notes: [
        'Drop into /etc/dnsmasq.d/ or load with --conf-file.',
        blocked
          ? 'address=/domain/ with no address answers NXDOMAIN for the domain and every name below it,'
          : 'server=/domain/# sends the domain and every name below it to the standard upstream servers,',
        blocked
          ? 'so exact hosts (e.g. chat.openai.com) take their subdomains along.'
          : 'overriding a broader address=/.../ block; exact hosts take their subdomains along.',
      ],
    }),
    ...entries.map((e) => (blocked ? `address=/${e.host}/` : `server=/${e.host}/#`)),
  ];
  return { body: body(lines), entries: entries.length, skipped };
}

// --- hosts file and Pi-hole -------------------------------------------------------------------------

/** Every listed name by itself: these formats match exact names only, so nothing covers anything. */
function allNames(hosts: HostSets): string[] {
  return [...hosts.suffix, ...hosts.exact].sort();
}

const SUFFIX_NOT_COVERED = 'A suffix domain (e.g. chatgpt.com) is listed by itself; its subdomains are NOT covered.';

function renderHosts(ctx: RenderContext): Rendered {
  if (ctx.input.list === 'sanctioned') {
    const skipped = [
      ...allNames(ctx.hosts).map((host) => ({ host, reason: 'a hosts file can only block names, not allow them' })),
      ...patternsSkipped(ctx, 'a hosts file lists exact names only'),
    ];
    const lines = header('# ', ctx, {
      title: 'a hosts file',
      entries: 0,
      skipped,
      notes: ['A hosts file can only block names: there is nothing to write for a sanctioned list.'],
    });
    return { body: body(lines), entries: 0, skipped };
  }
  const names = allNames(ctx.hosts);
  const skipped = patternsSkipped(ctx, 'a hosts file lists exact names only');
  const lines = [
    ...header('# ', ctx, { title: 'a hosts file', entries: names.length, skipped, notes: [SUFFIX_NOT_COVERED] }),
    ...names.map((h) => `0.0.0.0 ${h}`),
  ];
  return { body: body(lines), entries: names.length, skipped };
}

function renderPihole(ctx: RenderContext): Rendered {
  const names = allNames(ctx.hosts);
  const skipped = patternsSkipped(ctx, 'a plain domain list has no wildcards');
  const lines = [
    ...header('# ', ctx, {
      title: 'a Pi-hole domain list',
      entries: names.length,
      skipped,
      notes: [
        ctx.input.list === 'blocked'
          ? 'Add as a blocklist subscription (Adlists), one domain per line.'
          : 'Add as an allowlist subscription, one domain per line.',
        SUFFIX_NOT_COVERED,
      ],
    }),
    ...names,
  ];
  return { body: body(lines), entries: names.length, skipped };
}

// --- AdGuard (adblock-style DNS rules) ---------------------------------------------------------------

function renderAdguard(ctx: RenderContext): Rendered {
  const allow = ctx.input.list === 'sanctioned' ? '@@' : '';
  const entries = entriesByName(reduce(ctx.hosts, false));
  const skipped = patternsSkipped(ctx, 'not written as a /regex/ rule: add one by hand if needed');
  const lines = [
    ...header('! ', ctx, {
      title: 'an AdGuard Home / AdGuard DNS filter list',
      entries: entries.length,
      skipped,
      notes: [
        "'||domain^' matches the domain and all its subdomains; '|host^' matches only that host.",
        ...(allow ? ["'@@' makes every rule an exception that unblocks what other lists block."] : []),
      ],
    }),
    ...entries.map((e) => `${allow}${e.suffix ? '||' : '|'}${e.host}^`),
  ];
  return { body: body(lines), entries: entries.length, skipped };
}

// --- Palo Alto Networks EDL --------------------------------------------------------------------------

/**
 * A PAN-OS domain EDL: `*.domain` covers the subdomains only, so a suffix domain takes two lines. No
 * comment lines: the EDL formats document comments for IP lists only, and a firewall that reads a
 * comment as an entry would log it as invalid on every refresh.
 */
function renderEdl(ctx: RenderContext): Rendered {
  const entries = entriesByName(reduce(ctx.hosts, false));
  const skipped = patternsSkipped(ctx, "PAN-OS allows '*' only as the leftmost label of a domain entry");
  const lines = entries.flatMap((e) => (e.suffix ? [e.host, `*.${e.host}`] : [e.host]));
  return { body: lines.length > 0 ? body(lines) : '', entries: entries.length, skipped };
}

// --- PAC --------------------------------------------------------------------------------------------

const PAC_KEYWORD = /^(?:PROXY|HTTPS|HTTP|SOCKS|SOCKS4|SOCKS5|DIRECT)\b/i;

function pacRoute(input: ExportInput): string {
  const proxy = input.proxy?.trim();
  if (!proxy) return input.list === 'blocked' ? PAC_BLACKHOLE : 'DIRECT';
  return PAC_KEYWORD.test(proxy) ? proxy : `PROXY ${proxy}`;
}

/** A JS string literal; U+2028/2029 are escaped too because pre-ES2019 engines end a line there. */
function jsString(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function jsArray(items: readonly string[], indent: string): string {
  if (items.length === 0) return '[]';
  return `[\n${items.map((i) => `${indent}  ${i}`).join(',\n')}\n${indent}]`;
}

function renderPac(ctx: RenderContext): Rendered {
  const route = pacRoute(ctx.input);
  const reduced = reduce(ctx.hosts, false);
  const patterns = ctx.hosts.pattern;
  const entries = reduced.suffix.length + reduced.exact.length + patterns.length;
  const notes =
    ctx.input.list === 'blocked'
      ? [
          `Matching hosts go to ${route}; everything else goes DIRECT.`,
          ...(route === PAC_BLACKHOLE
            ? ['127.0.0.1:9 refuses the connection and there is no DIRECT fallback, so the browser shows an error.']
            : []),
        ]
      : [`Matching hosts go to ${route}; everything else goes DIRECT.`];
  // ES3 syntax only (var, no arrow functions): PAC engines such as pacparser's are that old.
  const lines = [
    ...header('// ', ctx, {
      title: 'a proxy auto-config (PAC) file',
      entries,
      skipped: [],
      notes: [
        ...notes,
        'Suffix domains match themselves and their subdomains (dnsDomainIs), exact hosts only themselves;',
        "patterns ('*' = exactly one label) use shExpMatch plus a label count, since shExpMatch's '*'",
        'also spans dots.',
      ],
    }),
    `var SHADOW_AI_ROUTE = ${jsString(route)};`,
    `var SHADOW_AI_EXACT = ${jsArray(reduced.exact.map(jsString), '')};`,
    `var SHADOW_AI_SUFFIXES = ${jsArray(reduced.suffix.map(jsString), '')};`,
    `var SHADOW_AI_PATTERNS = ${jsArray(patterns.map((p) => `[${jsString(p)}, ${p.split('.').length}]`), '')};`,
    '',
    'function FindProxyForURL(url, host) {',
    '  var h = String(host).toLowerCase();',
    "  // A trailing dot (an absolute name) must not slip past the list.",
    "  if (h.charAt(h.length - 1) === '.') h = h.substring(0, h.length - 1);",
    '  var i;',
    '  for (i = 0; i < SHADOW_AI_EXACT.length; i++) {',
    '    if (h === SHADOW_AI_EXACT[i]) return SHADOW_AI_ROUTE;',
    '  }',
    '  for (i = 0; i < SHADOW_AI_SUFFIXES.length; i++) {',
    "    if (h === SHADOW_AI_SUFFIXES[i] || dnsDomainIs(h, '.' + SHADOW_AI_SUFFIXES[i])) return SHADOW_AI_ROUTE;",
    '  }',
    '  for (i = 0; i < SHADOW_AI_PATTERNS.length; i++) {',
    "    if (shExpMatch(h, SHADOW_AI_PATTERNS[i][0]) && h.split('.').length === SHADOW_AI_PATTERNS[i][1]) return SHADOW_AI_ROUTE;",
    '  }',
    "  return 'DIRECT';",
    '}',
  ];
  return { body: body(lines), entries, skipped: [] };
}

// ---------------------------------------------------------------------------------------------------

function sorted(set: Iterable<string>): string[] {
  return [...set].sort();
}

function byHost(a: { host: string }, b: { host: string }): number {
  return a.host < b.host ? -1 : a.host > b.host ? 1 : 0;
}
