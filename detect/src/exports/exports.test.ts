import { runInNewContext } from 'node:vm';
import { appSchema, type AppDomain, type CatalogApp } from '@shadow-ai/catalog';
import { describe, expect, it } from 'vitest';
import {
  EXPORT_FORMATS,
  isExportFormat,
  PAC_BLACKHOLE,
  renderExport,
  squidAclPath,
  type ExportFormat,
  type ExportInput,
  type ExportList,
} from './exports.ts';

const AT = new Date('2026-11-23T09:00:00.000Z');
const EPOCH = 1795424400;

function app(id: string, domains: AppDomain[]): CatalogApp {
  return appSchema.parse({
    id,
    name: id,
    vendor: id,
    category: 'chat-assistant',
    description: `${id} test app`,
    homepage: `https://${id}.example`,
    domains,
    references: [`https://${id}.example/docs`],
  });
}

/**
 * exact, suffix, pattern, and the overlaps the renderers must resolve: an exact host and a nested suffix
 * under a suffix, the same domain as exact in one app and suffix in another, a duplicate across apps,
 * and an exact host below another exact host (only zone-based DNS tools treat that as covered).
 */
const APPS: CatalogApp[] = [
  app('chatgpt', [
    { host: 'chatgpt.com', match: 'suffix' },
    { host: 'chat.openai.com', match: 'exact' },
    { host: 'cdn.chatgpt.com', match: 'exact' },
  ]),
  app('claude', [
    { host: 'claude.ai', match: 'suffix' },
    { host: 'api.claude.ai', match: 'suffix' },
    { host: 'chatgpt.com', match: 'exact' },
  ]),
  app('bedrock', [
    { host: 'bedrock-runtime.*.amazonaws.com', match: 'pattern' },
    { host: 'eu.chat.openai.com', match: 'exact' },
    { host: 'claude.ai', match: 'suffix' },
  ]),
];

const PATTERN = 'bedrock-runtime.*.amazonaws.com';

function input(list: ExportList = 'blocked', extra: Partial<ExportInput> = {}): ExportInput {
  return { list, apps: APPS, generatedAt: AT, catalogVersion: '2026.11.1+0123456789abcdef', ...extra };
}

function render(format: ExportFormat, list: ExportList = 'blocked', extra: Partial<ExportInput> = {}) {
  return renderExport(format, input(list, extra));
}

/** The lines that are not comments or blank: what the tool acts on. */
function rules(body: string, comment: string): string[] {
  return body.split('\n').filter((l) => l !== '' && !l.startsWith(comment));
}

describe('renderExport: common behaviour', () => {
  it.each(EXPORT_FORMATS)('%s is deterministic and independent of app and domain order', (format) => {
    const a = render(format);
    const shuffled = [...APPS].reverse().map((x) => ({ ...x, domains: [...x.domains].reverse() }));
    const b = renderExport(format, input('blocked', { apps: shuffled }));
    expect(b).toEqual(a);
    expect(render(format)).toEqual(a);
    expect(a.body.endsWith('\n')).toBe(true);
    expect(a.fileName).toMatch(/^shadow-ai-blocked\./);
    expect(render(format, 'sanctioned').fileName).toMatch(/^shadow-ai-sanctioned\./);
  });

  it.each(EXPORT_FORMATS.filter((f) => f !== 'edl'))('%s starts with a comment header naming list, time, catalog and counts', (format) => {
    const r = render(format);
    const head = r.body.split('\n').slice(0, 5).join('\n');
    expect(head).toContain('list: blocked');
    expect(head).toContain('generated: 2026-11-23T09:00:00.000Z');
    expect(head).toContain('catalog: 2026.11.1+0123456789abcdef');
    expect(head).toContain(`apps: 3, entries: ${r.entries}, skipped: ${r.skipped.length}`);
  });

  it.each(EXPORT_FORMATS.filter((f) => f !== 'pac' && f !== 'squid-conf'))('%s reports the pattern host as skipped', (format) => {
    const r = render(format);
    expect(r.skipped.map((s) => s.host)).toEqual([PATTERN]);
    expect(r.skipped[0]!.reason).toMatch(/pattern/);
    if (format !== 'edl') expect(r.body).toContain(`skipped ${PATTERN}: `);
  });

  it('never emits a host that is not a DNS name, and keeps outside text inside comments', () => {
    // A custom app that bypassed the schema must not inject configuration lines.
    const evil = { ...app('evil', [{ host: 'evil.example', match: 'exact' }]) };
    evil.domains = [{ host: 'evil.example\nhttp_access allow all', match: 'exact' }, { host: 'localhost', match: 'suffix' }];
    for (const format of EXPORT_FORMATS) {
      const r = renderExport(format, input('blocked', { apps: [...APPS, evil], catalogVersion: 'v1\nacl x src all' }));
      expect(r.body).not.toContain('\nhttp_access allow all');
      expect(r.body).not.toContain('\nacl x src all');
      expect(r.skipped.map((s) => s.host)).toEqual(
        expect.arrayContaining(['evil.example\nhttp_access allow all', 'localhost']),
      );
      expect(r.skipped.find((s) => s.host === 'localhost')!.reason).toBe('not a valid lowercase DNS name');
    }
  });

  it('rejects an invalid generation time', () => {
    expect(() => renderExport('squid', input('blocked', { generatedAt: new Date('nope') }))).toThrow(RangeError);
  });

  it('recognises format names', () => {
    expect(EXPORT_FORMATS.every(isExportFormat)).toBe(true);
    expect(isExportFormat('iptables')).toBe(false);
  });

  it('renders an empty list', () => {
    for (const format of EXPORT_FORMATS) {
      const r = renderExport(format, input('blocked', { apps: [] }));
      expect(r.entries).toBe(0);
      expect(r.skipped).toEqual([]);
    }
  });
});

describe('squid', () => {
  it('writes a dstdomain ACL file without entries a .domain line already covers', () => {
    const r = render('squid');
    expect(rules(r.body, '#')).toEqual(['chat.openai.com', '.chatgpt.com', '.claude.ai', 'eu.chat.openai.com']);
    expect(r.entries).toBe(4);
    expect(r.contentType).toBe('text/plain; charset=utf-8');
    expect(r.fileName).toBe('shadow-ai-blocked.txt');
    expect(squidAclPath('blocked')).toBe('/etc/squid/shadow-ai-blocked.txt');
  });

  it('squid-conf denies the blocked ACL (and the pattern regex) for HTTP and CONNECT alike', () => {
    const r = render('squid-conf');
    expect(rules(r.body, '#')).toEqual([
      'acl shadow_ai_blocked dstdomain -n "/etc/squid/shadow-ai-blocked.txt"',
      'acl shadow_ai_blocked_patterns dstdom_regex -n -i ^bedrock-runtime\\.[^.]+\\.amazonaws\\.com$',
      'http_access deny shadow_ai_blocked',
      'http_access deny shadow_ai_blocked_patterns',
    ]);
    expect(r.body).toContain('CONNECT');
    expect(r.entries).toBe(5);
    expect(r.skipped).toEqual([]);
  });

  it('squid-conf allows the sanctioned ACL for local clients', () => {
    const r = render('squid-conf', 'sanctioned');
    expect(rules(r.body, '#')).toEqual([
      'acl shadow_ai_sanctioned dstdomain -n "/etc/squid/shadow-ai-sanctioned.txt"',
      'acl shadow_ai_sanctioned_patterns dstdom_regex -n -i ^bedrock-runtime\\.[^.]+\\.amazonaws\\.com$',
      'http_access allow localnet shadow_ai_sanctioned',
      'http_access allow localnet shadow_ai_sanctioned_patterns',
    ]);
  });

  it('squid-conf leaves out the pattern ACL when there are no patterns', () => {
    const r = renderExport('squid-conf', input('blocked', { apps: [APPS[0]!] }));
    expect(rules(r.body, '#')).toEqual([
      'acl shadow_ai_blocked dstdomain -n "/etc/squid/shadow-ai-blocked.txt"',
      'http_access deny shadow_ai_blocked',
    ]);
  });
});

describe('rpz', () => {
  it('writes a relative-name zone: NXDOMAIN for exact hosts, domain and *.domain for suffixes', () => {
    const r = render('rpz');
    expect(rules(r.body, ';')).toEqual([
      '$TTL 300',
      `@ IN SOA localhost. hostmaster.localhost. ( ${EPOCH} 3600 600 604800 300 )`,
      '@ IN NS localhost.',
      'chat.openai.com CNAME .',
      'chatgpt.com CNAME .',
      '*.chatgpt.com CNAME .',
      'claude.ai CNAME .',
      '*.claude.ai CNAME .',
      'eu.chat.openai.com CNAME .',
    ]);
    expect(r.body).not.toMatch(/^\$ORIGIN/m);
    expect(r.contentType).toBe('text/dns');
    expect(r.entries).toBe(4);
  });

  it('passes sanctioned names through', () => {
    const r = render('rpz', 'sanctioned');
    expect(rules(r.body, ';')).toContain('*.chatgpt.com CNAME rpz-passthru.');
    expect(rules(r.body, ';').filter((l) => l.includes('CNAME .'))).toEqual([]);
  });
});

describe('unbound', () => {
  it('turns every entry into an always_nxdomain local-zone, so exact hosts cover their subdomains', () => {
    const r = render('unbound');
    expect(rules(r.body, '#')).toEqual([
      'server:',
      '    local-zone: "chat.openai.com." always_nxdomain',
      '    local-zone: "chatgpt.com." always_nxdomain',
      '    local-zone: "claude.ai." always_nxdomain',
    ]);
    expect(r.body).toMatch(/# .*subdomains/);
    expect(r.entries).toBe(3);
  });

  it('exempts sanctioned names with always_transparent', () => {
    expect(rules(render('unbound', 'sanctioned').body, '#')).toContain('    local-zone: "claude.ai." always_transparent');
  });
});

describe('dnsmasq', () => {
  it('answers NXDOMAIN with address=/domain/', () => {
    expect(rules(render('dnsmasq').body, '#')).toEqual(['address=/chat.openai.com/', 'address=/chatgpt.com/', 'address=/claude.ai/']);
  });

  it('sends sanctioned names to the standard servers', () => {
    expect(rules(render('dnsmasq', 'sanctioned').body, '#')).toEqual([
      'server=/chat.openai.com/#',
      'server=/chatgpt.com/#',
      'server=/claude.ai/#',
    ]);
  });
});

describe('hosts and pihole', () => {
  const names = ['api.claude.ai', 'cdn.chatgpt.com', 'chat.openai.com', 'chatgpt.com', 'claude.ai', 'eu.chat.openai.com'];

  it('hosts lists every name by itself, since a hosts file matches exact names only', () => {
    const r = render('hosts');
    expect(rules(r.body, '#')).toEqual(names.map((n) => `0.0.0.0 ${n}`));
    expect(r.body).toContain('subdomains are NOT covered');
    expect(r.entries).toBe(6);
  });

  it('hosts has nothing to write for a sanctioned list', () => {
    const r = render('hosts', 'sanctioned');
    expect(rules(r.body, '#')).toEqual([]);
    expect(r.entries).toBe(0);
    expect(r.skipped.map((s) => s.host)).toEqual([...names, PATTERN].sort());
  });

  it('pihole is a plain domain list', () => {
    const r = render('pihole');
    expect(rules(r.body, '#')).toEqual(names);
    expect(render('pihole', 'sanctioned').body).toContain('allowlist');
  });
});

describe('adguard', () => {
  it("uses ||domain^ for suffixes and |host^ for exact hosts", () => {
    const r = render('adguard');
    expect(rules(r.body, '!')).toEqual(['|chat.openai.com^', '||chatgpt.com^', '||claude.ai^', '|eu.chat.openai.com^']);
  });

  it('writes exceptions for the sanctioned list', () => {
    expect(rules(render('adguard', 'sanctioned').body, '!')).toEqual([
      '@@|chat.openai.com^',
      '@@||chatgpt.com^',
      '@@||claude.ai^',
      '@@|eu.chat.openai.com^',
    ]);
  });
});

describe('edl', () => {
  it('lists domain and *.domain for suffixes, the host for exact entries, and no comments', () => {
    const r = render('edl');
    expect(r.body.split('\n')).toEqual([
      'chat.openai.com',
      'chatgpt.com',
      '*.chatgpt.com',
      'claude.ai',
      '*.claude.ai',
      'eu.chat.openai.com',
      '',
    ]);
    expect(r.entries).toBe(4);
  });
});

describe('pac', () => {
  // The two PAC helpers as the classic Netscape definition has them: shExpMatch's '*' spans dots.
  const helpers = {
    dnsDomainIs: (host: string, domain: string) => host.length >= domain.length && host.endsWith(domain),
    shExpMatch: (str: string, glob: string) =>
      new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(str),
  };

  function route(body: string, host: string): unknown {
    return runInNewContext(`${body}\nFindProxyForURL(url, host);`, { ...helpers, url: `https://${host}/`, host });
  }

  it('sends blocked hosts to the blackhole and everything else DIRECT', () => {
    const r = render('pac');
    expect(r.contentType).toBe('application/x-ns-proxy-autoconfig');
    expect(r.entries).toBe(5);
    expect(r.skipped).toEqual([]);
    const cases: [string, string][] = [
      ['chatgpt.com', PAC_BLACKHOLE],
      ['a.b.chatgpt.com', PAC_BLACKHOLE],
      ['ChatGPT.COM.', PAC_BLACKHOLE],
      ['chat.openai.com', PAC_BLACKHOLE],
      ['x.chat.openai.com', 'DIRECT'],
      ['openai.com', 'DIRECT'],
      ['notchatgpt.com', 'DIRECT'],
      ['bedrock-runtime.us-east-1.amazonaws.com', PAC_BLACKHOLE],
      ['bedrock-runtime.a.b.amazonaws.com', 'DIRECT'],
      ['s3.amazonaws.com', 'DIRECT'],
    ];
    for (const [host, want] of cases) expect([host, route(r.body, host)]).toEqual([host, want]);
    expect(r.body).toContain('shExpMatch(');
    expect(r.body).toContain('dnsDomainIs(');
  });

  it('routes to the given proxy, taking a bare host:port as PROXY', () => {
    expect(route(render('pac', 'blocked', { proxy: 'block.corp.example:8080' }).body, 'claude.ai')).toBe('PROXY block.corp.example:8080');
    expect(route(render('pac', 'sanctioned', { proxy: 'HTTPS gw.corp.example:443' }).body, 'claude.ai')).toBe('HTTPS gw.corp.example:443');
    expect(route(render('pac', 'sanctioned').body, 'claude.ai')).toBe('DIRECT');
  });

  it('keeps a hostile proxy string inside a string literal', () => {
    const r = render('pac', 'blocked', { proxy: 'x"; return "DIRECT' });
    expect(route(r.body, 'claude.ai')).toBe('PROXY x"; return "DIRECT');
  });
});
