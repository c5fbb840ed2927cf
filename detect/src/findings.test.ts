import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appSchema, Catalog } from '@shadow-ai/catalog';
import { findingId, unsanctionedSeverity } from './findings.detector.ts';
import { Sanctions } from './sanctions.ts';

describe('unsanctionedSeverity', () => {
  it('grows by order of magnitude of requests and of MiB uploaded, capped at 100', () => {
    expect(unsanctionedSeverity('unsanctioned', 1, 0)).toBe(40);
    expect(unsanctionedSeverity('unsanctioned', 9, 0)).toBe(40);
    expect(unsanctionedSeverity('unsanctioned', 10, 0)).toBe(50);
    expect(unsanctionedSeverity('unsanctioned', 1000, 10 * 1048576)).toBe(80);
    expect(unsanctionedSeverity('blocked', 1, 0)).toBe(60);
    expect(unsanctionedSeverity('blocked', 1e9, 1e15)).toBe(100);
  });
});

describe('findingId', () => {
  it('is stable for the same type, user and app and differs otherwise', () => {
    expect(findingId('unsanctioned-app', 'alice', 'chatgpt')).toBe(findingId('unsanctioned-app', 'alice', 'chatgpt'));
    expect(findingId('unsanctioned-app', 'alice', 'chatgpt')).not.toBe(findingId('unsanctioned-app', 'alicechat', 'gpt'));
    expect(findingId('unsanctioned-app', 'a', 'b')).toMatch(/^[0-9a-f]{24}$/);
  });
});

describe('Sanctions', () => {
  const catalog = new Catalog([
    appSchema.parse({
      id: 'alpha', name: 'A', vendor: 'v', category: 'chat-assistant', description: 'd', homepage: 'https://a.example',
      domains: [{ host: 'a.example.com', match: 'exact' }], references: ['https://a.example'],
    }),
  ]);
  const write = (content: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'sanctions-')), 's.json');
    writeFileSync(file, content);
    return file;
  };

  it('defaults every app to unsanctioned and treats blocked as unsanctioned', () => {
    expect(Sanctions.none().statusOf('alpha')).toBe('unsanctioned');
    const s = Sanctions.load(write('{"default":"sanctioned","apps":{"alpha":"blocked"}}'), catalog);
    expect(s.statusOf('alpha')).toBe('blocked');
    expect(s.isUnsanctioned('alpha')).toBe(true);
    expect(s.statusOf('other')).toBe('sanctioned');
    expect(s.isUnsanctioned('other')).toBe(false);
  });

  it('refuses unknown app ids, unknown statuses and broken JSON with the file name', () => {
    expect(() => Sanctions.load(write('{"apps":{"nope":"blocked"}}'), catalog)).toThrow(/unknown app id\(s\): nope/);
    expect(() => Sanctions.load(write('{"apps":{"alpha":"maybe"}}'), catalog)).toThrow(/s\.json: apps\.alpha/);
    expect(() => Sanctions.load(write('{oops'), catalog)).toThrow(/s\.json/);
  });
});
