import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appSchema, Catalog } from '@shadow-ai/catalog';
import { findingId } from './findings.detector.ts';
import { severityOf } from './rules.ts';
import { Sanctions } from './sanctions.ts';

describe('severityOf', () => {
  it('starts at the type base, follows app risk, and grows with requests and MiB uploaded, within 0..100', () => {
    expect(severityOf('unsanctioned-app', null, 1, 0)).toBe(40);
    expect(severityOf('unsanctioned-app', null, 9, 0)).toBe(40);
    expect(severityOf('unsanctioned-app', null, 10, 0)).toBe(45);
    expect(severityOf('unsanctioned-app', null, 1000, 10 * 1048576)).toBe(65);
    expect(severityOf('unsanctioned-app', null, 1, 0, 'blocked')).toBe(60);
    expect(severityOf('unsanctioned-app', 10, 1, 0)).toBe(55);
    expect(severityOf('unsanctioned-app', 0, 1, 0)).toBe(25);
    expect(severityOf('orphaned-agent', 10, 1e9, 1e15)).toBe(100);
    expect(severityOf('new-app-in-org', 0, 1, 0)).toBe(15);
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
