import { describe, expect, it } from 'vitest';
import type { LoadedFiles } from './catalog.ts';
import { appSchema } from './app.schema.ts';
import { lintApps } from './lint.ts';

function files(...apps: { file?: string; raw: Record<string, unknown> }[]): LoadedFiles {
  return {
    errors: [],
    apps: apps.map(({ file, raw }) => {
      const app = appSchema.parse({
        name: 'n', vendor: 'v', category: 'chat-assistant', description: 'd', homepage: 'https://x.example',
        references: ['https://x.example'], ...raw,
      });
      return { file: file ?? `${app.id}.json`, app };
    }),
  };
}

describe('lintApps', () => {
  it('accepts a clean catalog', () => {
    expect(lintApps(files({ raw: { id: 'a', domains: [{ host: 'a.example.com', match: 'suffix' }] } }))).toEqual([]);
  });

  it('rejects duplicate ids, a domain claimed twice and a file name that does not match the id', () => {
    const problems = lintApps(
      files(
        { raw: { id: 'a', domains: [{ host: 'a.example.com', match: 'suffix' }] } },
        { file: 'a-copy.json', raw: { id: 'a', domains: [{ host: 'a.example.com', match: 'exact' }] } },
      ),
    ).map((p) => p.message);
    expect(problems).toContain('duplicate id "a" (also in a.json)');
    expect(problems).toContain('file name must be a.json');
    expect(problems.some((m) => m.includes('a.example.com is already claimed') || m.includes('listed twice'))).toBe(true);
  });

  it('rejects public suffixes and shared infrastructure used as a suffix', () => {
    const problems = lintApps(
      files(
        { raw: { id: 'a', domains: [{ host: 'co.uk', match: 'suffix' }] } },
        { raw: { id: 'b', domains: [{ host: 'amazonaws.com', match: 'suffix' }] } },
        { raw: { id: 'c', domains: [{ host: 's3.amazonaws.com', match: 'suffix' }] } },
        { raw: { id: 'd', domains: [{ host: 'bedrock-runtime.us-east-1.amazonaws.com', match: 'exact' }] } },
      ),
    );
    const byFile = (f: string) => problems.filter((p) => p.file === f).map((p) => p.message);
    expect(byFile('a.json')).toEqual(['domain co.uk is a public suffix']);
    expect(byFile('b.json')).toEqual(['domain amazonaws.com is shared infrastructure: list specific hosts with match "exact"']);
    expect(byFile('c.json')).toEqual(['domain s3.amazonaws.com is a public suffix']);
    expect(byFile('d.json')).toEqual([]);
  });

  it('rejects invalid and catastrophic regexes and signatures for hosts the app does not own', () => {
    const problems = lintApps(
      files({
        raw: {
          id: 'a',
          domains: [{ host: 'a.example.com', match: 'exact' }],
          signatures: [
            { host: 'a.example.com', path: '^/v1/(unclosed', activity: 'chat' },
            { host: 'a.example.com', path: '^/(a+)+$', activity: 'chat' },
            { host: 'b.example.com', path: '^/v1/', activity: 'chat' },
            { host: 'a.example.com', path: '^/ok/[^/]+$', userAgent: '(x*)*', activity: 'chat' },
          ],
        },
      }),
    ).map((p) => p.message);
    expect(problems[0]).toMatch(/^signatures.0.path: invalid regex/);
    expect(problems).toContain('signatures.1.path: nested quantifier can backtrack catastrophically');
    expect(problems).toContain("signatures.2: host b.example.com is not one of the app's domains");
    expect(problems).toContain('signatures.3.userAgent: nested quantifier can backtrack catastrophically');
    expect(problems).toHaveLength(4);
  });
});
