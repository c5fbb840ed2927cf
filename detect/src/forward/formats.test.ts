import { describe, expect, it } from 'vitest';
import { createParser } from '@shadow-ai/ingest';
import type { FindingRow } from '../findings.detector.ts';
import { parseCef, parseExtension } from './cef-test-parser.ts';
import {
  cefSeverity,
  escapeCefHeader,
  escapeCefValue,
  findingTimeMs,
  FINDING_JSON_SCHEMA,
  leefSeverity,
  renderFinding,
  toCef,
  toJson,
  toLeef,
} from './formats.ts';

const finding = (over: Partial<FindingRow> = {}): FindingRow => ({
  id: 'f0123456789abcdef0123456',
  type: 'unsanctioned-app',
  user: 'alice@corp.example',
  app_id: 'chatgpt',
  sanction: 'unsanctioned',
  severity: 57,
  status: 'open',
  first_seen: '2026-11-20 08:00:00.000',
  last_seen: '2026-11-25 09:59:59.500',
  requests: 1234,
  bytes_out: 10485760,
  bytes_in: 52428800,
  updated_at: '2026-11-25 10:00:00.123',
  evidence: '{}',
  finding_key: '',
  ...over,
});

const IDEM = 'a'.repeat(64);
const ctx = { receivedAt: new Date('2026-11-25T10:00:09.000Z') };

function ingestParser(format: string): NonNullable<ReturnType<typeof createParser>> {
  const parser = createParser(format, { timeZone: 'UTC' });
  if (!parser) throw new Error(`ingest has no ${format} parser`);
  return parser;
}

describe('severity mapping 0–100 → CEF 0–10 / LEEF 1–10', () => {
  it('rounds to the nearest tenth and clamps', () => {
    expect([0, 4, 5, 14, 15, 40, 57, 60, 80, 94, 95, 100, 250, -3].map(cefSeverity)).toEqual([0, 0, 1, 1, 2, 4, 6, 6, 8, 9, 10, 10, 10, 0]);
    expect(cefSeverity(Number.NaN)).toBe(0);
    expect([0, 4, 40, 100].map(leefSeverity)).toEqual([1, 1, 4, 10]);
  });
});

describe('CEF', () => {
  it('renders header and extension and parses back to the finding', () => {
    const line = toCef(finding(), { idempotencyId: IDEM });
    expect(line.startsWith('CEF:0|Shadow AI Watch|shadow-ai|0.1.0|unsanctioned-app|Unsanctioned AI app in use|6|')).toBe(true);
    const cef = parseCef(line);
    expect(cef).toMatchObject({ version: '0', vendor: 'Shadow AI Watch', product: 'shadow-ai', deviceVersion: '0.1.0', signatureId: 'unsanctioned-app', severity: '6' });
    expect(cef.ext).toEqual({
      rt: String(Date.parse('2026-11-25T10:00:00.123Z')),
      start: String(Date.parse('2026-11-20T08:00:00.000Z')),
      end: String(Date.parse('2026-11-25T09:59:59.500Z')),
      suser: 'alice@corp.example',
      app: 'chatgpt',
      cat: 'unsanctioned',
      act: 'open',
      cnt: '1234',
      out: '10485760',
      in: '52428800',
      externalId: 'f0123456789abcdef0123456',
      cs1Label: 'findingId',
      cs1: 'f0123456789abcdef0123456',
      cs2Label: 'idempotencyId',
      cs2: IDEM,
      cn1Label: 'severity',
      cn1: '57',
    });
  });

  it('escapes \\ and = and line breaks in extension values so they survive a round trip', () => {
    const nasty = 'CORP\\bob a=b c\\=d |pipe| cs1=evil\nnext\r\nline\rcr';
    const cef = parseCef(toCef(finding({ user: nasty, app_id: 'x=y\\z' })));
    expect(cef.ext.suser).toBe(nasty.replace(/\r\n/g, '\n'));
    expect(cef.ext.app).toBe('x=y\\z');
    // The injected "cs1=" did not become a field of its own.
    expect(cef.ext.cs1).toBe('f0123456789abcdef0123456');
    expect(escapeCefValue('a=b\\c\nd')).toBe('a\\=b\\\\c\\nd');
    // The line stays one line: a syslog receiver must not split it.
    expect(toCef(finding({ user: nasty }))).not.toMatch(/[\r\n]/);
  });

  it('escapes | and \\ in header fields; controls become spaces', () => {
    expect(escapeCefHeader('a|b\\c\nd')).toBe('a\\|b\\\\c d');
    const cef = parseCef(toCef(finding({ type: 'odd|type\\x' as FindingRow['type'] })));
    expect(cef.signatureId).toBe('odd|type\\x');
    expect(cef.name).toBe('odd|type\\x'); // unknown types are named by their type
    expect(cef.ext.suser).toBe('alice@corp.example');
  });

  it('replaces other control characters, which no CEF escape covers, by spaces', () => {
    expect(parseCef(toCef(finding({ user: 'tab\there\u0000nul' }))).ext.suser).toBe('tab here nul');
  });

  it('carries evidence (JSON, escaped) and the finding key when a rule set them', () => {
    const evidence = JSON.stringify({ host: 'api.example.ai', path: '/v1/chat?a=b', note: 'back\\slash' });
    const ext = parseCef(toCef(finding({ type: 'usage-spike', evidence, finding_key: '2026-11-25' }))).ext;
    expect(ext).toMatchObject({ cs3Label: 'evidence', cs4Label: 'findingKey', cs4: '2026-11-25' });
    expect(JSON.parse(ext.cs3!)).toEqual(JSON.parse(evidence));
    expect(parseCef(toCef(finding({ type: 'usage-spike' }))).name).toBe('Usage spike of an AI app');
  });

  it('omits cs2 without an idempotency id and times it cannot read', () => {
    const ext = parseCef(toCef(finding({ first_seen: 'garbage' }))).ext;
    expect(ext.cs2).toBeUndefined();
    expect(ext.start).toBeUndefined();
    expect(ext.end).toBeDefined();
  });

  it('is read by our own ingest CEF parser (what we forward, we could ingest)', () => {
    const r = ingestParser('cef')(toCef(finding({ user: 'corp\\bob' }), { idempotencyId: IDEM }), ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event).toMatchObject({ ts: '2026-11-25T10:00:00.123Z', user: 'corp\\bob', bytesOut: 10485760, bytesIn: 52428800 });
  });

  it('our small test parser rejects what it must', () => {
    expect(() => parseExtension('a=b=c')).toThrow(/unescaped =/);
    expect(() => parseExtension('a=b\\x')).toThrow(/bad extension escape/);
  });
});

describe('LEEF 2.0', () => {
  it('declares TAB as delimiter and carries the finding as attributes', () => {
    const line = toLeef(finding(), { idempotencyId: IDEM });
    expect(line.startsWith('LEEF:2.0|Shadow AI Watch|shadow-ai|0.1.0|unsanctioned-app|x09|devTime=')).toBe(true);
    const attrs = Object.fromEntries(
      line.split('|').slice(6).join('|').split('\t').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    expect(attrs).toEqual({
      devTime: 'Nov 25 2026 10:00:00.123 UTC',
      devTimeFormat: 'MMM dd yyyy HH:mm:ss.SSS z',
      cat: 'unsanctioned',
      sev: '6',
      usrName: 'alice@corp.example',
      app: 'chatgpt',
      requests: '1234',
      srcBytes: '10485760',
      dstBytes: '52428800',
      status: 'open',
      severity: '57',
      firstSeen: '2026-11-20T08:00:00.000Z',
      lastSeen: '2026-11-25T09:59:59.500Z',
      name: 'Unsanctioned AI app in use',
      findingId: 'f0123456789abcdef0123456',
      idempotencyId: IDEM,
    });
    expect(toLeef(finding({ evidence: '{"a":1}', finding_key: 'k' }))).toContain('\tfindingKey=k\tevidence={"a":1}');
  });

  it('has no escapes, so TAB and line breaks in values become spaces, and | in the header a slash', () => {
    const line = toLeef(finding({ user: 'a\tb\nc', type: 'x|y' as FindingRow['type'] }));
    expect(line).toContain('usrName=a b c\t');
    expect(line.startsWith('LEEF:2.0|Shadow AI Watch|shadow-ai|0.1.0|x/y|x09|')).toBe(true);
    expect(line).not.toMatch(/[\r\n]/);
  });

  it('is read by our own ingest LEEF parser, devTime included', () => {
    const r = ingestParser('leef')(toLeef(finding()), ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event).toMatchObject({ ts: '2026-11-25T10:00:00.123Z', user: 'alice@corp.example' });
  });
});

describe('JSON', () => {
  it('is a camelCase document with ISO times and the idempotency id first', () => {
    const doc = toJson(finding(), { idempotencyId: IDEM });
    expect(Object.keys(doc)[0]).toBe('idempotencyId');
    expect(doc).toEqual({
      idempotencyId: IDEM,
      schema: FINDING_JSON_SCHEMA,
      findingId: 'f0123456789abcdef0123456',
      type: 'unsanctioned-app',
      name: 'Unsanctioned AI app in use',
      user: 'alice@corp.example',
      appId: 'chatgpt',
      sanction: 'unsanctioned',
      severity: 57,
      severityLevel: 6,
      status: 'open',
      firstSeen: '2026-11-20T08:00:00.000Z',
      lastSeen: '2026-11-25T09:59:59.500Z',
      updatedAt: '2026-11-25T10:00:00.123Z',
      requests: 1234,
      bytesOut: 10485760,
      bytesIn: 52428800,
      findingKey: '',
      evidence: {},
      frameworks: { zeroTrust: 'verify explicitly', nistAiRmf: 'Map' },
      product: { vendor: 'Shadow AI Watch', name: 'shadow-ai', version: '0.1.0' },
    });
    expect(toJson(finding({ evidence: '{"day":"2026-11-25"}', finding_key: '2026-11-25' }))).toMatchObject({
      evidence: { day: '2026-11-25' },
      findingKey: '2026-11-25',
    });
    // A type this build does not know: no framework mapping, named by its type.
    const unknown = toJson(finding({ type: 'future-type' as FindingRow['type'] }));
    expect(unknown.frameworks).toBeUndefined();
    expect(unknown.name).toBe('future-type');
    expect(JSON.parse(renderFinding(finding({ user: 'line\nbreak"quote' }), 'json'))).toMatchObject({ user: 'line\nbreak"quote' });
  });

  it('coerces 64-bit counters a ClickHouse server may return as strings', () => {
    const doc = toJson(finding({ requests: '7' as unknown as number }));
    expect(doc.requests).toBe(7);
  });
});

describe('finding times', () => {
  it('reads ClickHouse DateTime64 (UTC) and ISO forms alike', () => {
    expect(findingTimeMs('2026-11-25 10:00:00.123')).toBe(Date.parse('2026-11-25T10:00:00.123Z'));
    expect(findingTimeMs('2026-11-25 10:00:00')).toBe(Date.parse('2026-11-25T10:00:00.000Z'));
    expect(findingTimeMs('2026-11-25T10:00:00.123Z')).toBe(Date.parse('2026-11-25T10:00:00.123Z'));
    expect(findingTimeMs('nope')).toBeNaN();
  });
});
