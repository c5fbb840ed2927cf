import { describe, expect, it } from 'vitest';
import { parseBind } from './bind.parser.ts';
import { PARSERS, detectFormat, createParser } from './index.ts';
import { parseSquid } from './squid.parser.ts';

const SQUID_NATIVE = [
  '1795600800.123    245 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT chatgpt.com:443 alice HIER_DIRECT/104.18.32.47 -',
  '1795600800.456     87 10.1.2.4 TCP_MISS/200 1834 POST http://api.openai.com/v1/chat/completions - '
    + 'HIER_DIRECT/162.159.140.245 application/json',
];
const SQUID_COMBINED = [
  '10.1.2.3 - bob [25/Nov/2026:10:00:00 +0100] "CONNECT claude.ai:443 HTTP/1.1" 200 3912 "-" "Mozilla/5.0" TCP_TUNNEL:HIER_DIRECT',
];
const BIND = [
  '25-Nov-2026 10:00:00.123 queries: info: client @0x7f8a1c0b2d40 10.1.2.3#53211 (chatgpt.com): query: chatgpt.com IN A +E(0)K (10.0.0.53)',
  'client 2001:db8::5#41000 (claude.ai): query: claude.ai IN AAAA + (2001:db8::53)',
];

describe('PARSERS and createParser', () => {
  it('registers squid and bind', () => {
    expect(Object.keys(PARSERS)).toEqual(expect.arrayContaining(['bind', 'squid']));
    expect(PARSERS['squid']!()).toBe(parseSquid);
    expect(PARSERS['bind']!()).toBe(parseBind);
  });

  it('returns the parser for a known format', () => {
    expect(createParser('squid')).toBe(parseSquid);
    expect(createParser('bind')).toBe(parseBind);
  });

  it('returns undefined for unknown formats, including Object.prototype names', () => {
    for (const format of ['', 'auto', 'Squid', 'no-such-format', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(createParser(format), format).toBeUndefined();
    }
  });

  it('cannot be changed at runtime', () => {
    expect(Object.isFrozen(PARSERS)).toBe(true);
  });
});

describe('detectFormat', () => {
  it('detects squid native, squid combined and bind samples', () => {
    expect(detectFormat(SQUID_NATIVE)).toBe('squid');
    expect(detectFormat(SQUID_COMBINED)).toBe('squid');
    expect(detectFormat(BIND)).toBe('bind');
  });

  it('ignores empty lines and tolerates a minority of bad lines', () => {
    expect(detectFormat(['', '   ', ...BIND, 'garbage line', '#comment'])).toBe('bind');
    expect(detectFormat(['#Fields: …', ...SQUID_NATIVE, '', 'truncated 1795600800.1'])).toBe('squid');
  });

  it('picks the format accepting the most lines in a mixed sample', () => {
    expect(detectFormat([...SQUID_NATIVE, ...SQUID_COMBINED, BIND[0] ?? ''])).toBe('squid');
    expect(detectFormat([SQUID_NATIVE[0] ?? '', ...BIND])).toBe('bind');
  });

  it('returns null when no parser accepts any line', () => {
    expect(detectFormat([])).toBeNull();
    expect(detectFormat(['', '  '])).toBeNull();
    expect(detectFormat(['hello world', '{"json":true}', '\u0000\u0001'])).toBeNull();
  });
});
