import { describe, expect, it } from 'vitest';
import type { CatalogApp } from './app.schema.ts';
import { testApp } from './testing.ts';
import { Matcher, pathOf } from './matcher.ts';
import { normalizeHost } from './host.ts';

const app = (id: string, domains: CatalogApp['domains'], signatures: unknown[] = []) => testApp(id, domains, { signatures });

const matcher = new Matcher([
  app('chat', [{ host: 'chat.example', match: 'suffix' }, { host: 'old.vendor.example', match: 'exact' }], [
    { host: 'chat.example', method: 'POST', path: '^/backend-api/(f/)?conversation', activity: 'chat' },
    { host: 'chat.example', method: 'POST', path: '^/backend-api/files', activity: 'upload' },
  ]),
  app('api', [{ host: 'api.vendor.example', match: 'exact' }], [
    { host: 'api.vendor.example', method: 'POST', path: '^/v1/chat/completions$', activity: 'api-inference' },
    { host: 'api.vendor.example', method: 'ANY', path: '^/v1/', userAgent: '^python-requests/', activity: 'agent' },
  ]),
  app('sub', [{ host: 'deep.chat.example', match: 'suffix' }]),
  app('azure', [{ host: 'openai.azure.com', match: 'suffix' }]),
]);

describe('Matcher', () => {
  it('prefers an exact host over a suffix', () => {
    expect(matcher.match({ host: 'old.vendor.example' })?.app.id).toBe('chat');
    expect(matcher.match({ host: 'api.vendor.example' })?.app.id).toBe('api');
    expect(matcher.match({ host: 'other.vendor.example' })).toBeNull();
  });

  it('picks the longest listed suffix', () => {
    expect(matcher.match({ host: 'x.deep.chat.example' })?.app.id).toBe('sub');
    expect(matcher.match({ host: 'deep.chat.example' })?.app.id).toBe('sub');
    expect(matcher.match({ host: 'www.chat.example' })).toMatchObject({ matchedBy: 'suffix', domain: 'chat.example' });
    expect(matcher.match({ host: 'chat.example' })?.matchedBy).toBe('suffix');
  });

  it('does not match a host that merely ends with the same characters', () => {
    expect(matcher.match({ host: 'notchat.example' })).toBeNull();
    expect(matcher.match({ host: 'myopenai.azure.com' })).toBeNull();
    expect(matcher.match({ host: 'res1.openai.azure.com' })?.app.id).toBe('azure');
  });

  it('normalises case, trailing dots, ports and IDN before matching', () => {
    expect(matcher.match({ host: 'WWW.Chat.Example.' })?.app.id).toBe('chat');
    expect(matcher.match({ host: 'chat.example:443' })?.app.id).toBe('chat');
    expect(normalizeHost('Bücher.Example')).toBe('xn--bcher-kva.example');
    expect(normalizeHost('[2001:db8::1]:443')).toBe('2001:db8::1');
    expect(normalizeHost('  ')).toBeNull();
  });

  it('never matches IP literals or empty hosts', () => {
    expect(matcher.match({ host: '104.18.32.47' })).toBeNull();
    expect(matcher.match({ host: '2001:db8::1' })).toBeNull();
    expect(matcher.match({ host: null })).toBeNull();
    expect(matcher.match({ host: '' })).toBeNull();
  });

  it('refines a host match into an activity with a signature (method, path, user agent)', () => {
    expect(matcher.match({ host: 'chat.example', method: 'POST', url: 'https://chat.example/backend-api/conversation' })).toMatchObject({
      activity: 'chat',
      matchedBy: 'signature',
    });
    expect(matcher.match({ host: 'chat.example', method: 'POST', url: 'https://chat.example/backend-api/files?x=1' })?.activity).toBe('upload');
    expect(matcher.match({ host: 'chat.example', method: 'GET', url: 'https://chat.example/backend-api/files' })?.activity).toBe('access');
    expect(matcher.match({ host: 'api.vendor.example', method: 'POST', url: 'https://api.vendor.example/v1/chat/completions' })?.activity).toBe(
      'api-inference',
    );
    expect(
      matcher.match({ host: 'api.vendor.example', method: 'GET', url: 'https://api.vendor.example/v1/models', userAgent: 'python-requests/2.32' })
        ?.activity,
    ).toBe('agent');
    expect(matcher.match({ host: 'api.vendor.example', method: 'GET', url: 'https://api.vendor.example/v1/models', userAgent: 'Mozilla/5.0' })?.activity).toBe(
      'access',
    );
  });

  it('reports activity dns for DNS events and access for a CONNECT tunnel', () => {
    expect(matcher.match({ host: 'chat.example', kind: 'dns' })?.activity).toBe('dns');
    expect(matcher.match({ host: 'chat.example', method: 'CONNECT', url: 'chat.example:443' })?.activity).toBe('access');
  });
});

describe('pathOf', () => {
  it('extracts the path of absolute and origin-form URLs without query or fragment', () => {
    expect(pathOf('https://a.example/v1/x?y=1')).toBe('/v1/x');
    expect(pathOf('http://a.example')).toBe('/');
    expect(pathOf('/v1/x#frag')).toBe('/v1/x');
    expect(pathOf('a.example:443')).toBeNull();
  });
});

describe('Matcher host patterns', () => {
  const m = new Matcher([
    app('bedrock', [{ host: 'bedrock-runtime.*.amazonaws.com', match: 'pattern' }], [
      { host: 'bedrock-runtime.*.amazonaws.com', method: 'POST', path: '^/model/[^/]+/(?:invoke|converse)', activity: 'api-inference' },
    ]),
    app('wide', [{ host: 'example.com', match: 'suffix' }]),
    app('pinned', [{ host: 'bedrock-runtime.eu-west-1.example.com', match: 'exact' }]),
  ]);

  it('matches one label per * and prefers exact > pattern > suffix', () => {
    expect(m.match({ host: 'bedrock-runtime.us-east-1.amazonaws.com' })).toMatchObject({ matchedBy: 'pattern', app: { id: 'bedrock' } });
    expect(m.match({ host: 'bedrock-runtime.a.b.amazonaws.com' })).toBeNull();
    expect(m.match({ host: 'bedrock.us-east-1.amazonaws.com' })).toBeNull();
    expect(m.match({ host: 's3.amazonaws.com' })).toBeNull();
  });

  it('applies a signature written for the pattern to every host it matches', () => {
    expect(
      m.match({ host: 'bedrock-runtime.eu-central-1.amazonaws.com', method: 'POST', url: 'https://bedrock-runtime.eu-central-1.amazonaws.com/model/x/converse' }),
    ).toMatchObject({ activity: 'api-inference', matchedBy: 'signature' });
  });

  it('rejects patterns whose registrable part is a wildcard', () => {
    expect(() => app('bad', [{ host: 'x.*.com', match: 'pattern' }])).toThrow();
    expect(() => app('bad', [{ host: 'plain.example.com', match: 'pattern' }])).toThrow();
  });
});

describe('Matcher host memo', () => {
  const apps = [
    app('chat', [{ host: 'chat.example', match: 'suffix' }], [
      { host: 'chat.example', method: 'POST', path: '^/backend-api/conversation', activity: 'chat' },
    ]),
    app('api', [{ host: 'api.vendor.example', match: 'exact' }]),
  ];

  it('answers as an unmemoised matcher does, for hosts seen again after many others', () => {
    const memoised = new Matcher(apps);
    const hosts = Array.from({ length: 6000 }, (_, i) => (i % 3 === 0 ? `h${i}.chat.example` : `h${i}.other.example`));
    const requests = [...hosts, ...hosts.slice(0, 50), ...hosts.reverse(), 'API.Vendor.Example.', '10.0.0.1', '']
      .flatMap((host) => [
        { host, kind: 'proxy' },
        { host, kind: 'dns' },
        { host, url: 'https://x/backend-api/conversation', method: 'post', kind: 'proxy' },
      ]);
    for (const req of requests) expect(memoised.match(req), req.host).toEqual(new Matcher(apps).match(req));
  });
});
