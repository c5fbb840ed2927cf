import { describe, expect, it } from 'vitest';
import { WINDOWS_DNS_FORMAT, createWindowsDnsParser, decodeWireName } from './windows-dns.parser.ts';
import { assertNeverThrows, ctxAt, eventWith, okEvent, rejectReason, skipReason } from './parser-test.util.ts';

const ctx = ctxAt('2030-01-01T00:00:00.000Z');

const QUERY = '11/25/2026 10:00:00 AM 0E48 PACKET  000001D5E8F2B450 UDP Rcv 10.1.2.3        a1b2   Q '
  + '[0001   D   NOERROR] A      (7)chatgpt(3)com(0)';
const REPLY = '11/25/2026 10:00:00 AM 0E48 PACKET  000001D5E8F2B450 UDP Snd 10.1.2.3        a1b2 R Q '
  + '[8081   DR  NOERROR] A      (7)chatgpt(3)com(0)';
const FORWARD = '11/25/2026 10:00:01 AM 0E4C PACKET  000001D5E9A01230 UDP Snd 192.0.2.1       7c3d   Q '
  + '[0001   D   NOERROR] A      (7)chatgpt(3)com(0)';
const FORWARD_REPLY = '11/25/2026 10:00:01 AM 0E4C PACKET  000001D5E9A01230 UDP Rcv 192.0.2.1       7c3d R Q '
  + '[8080   DR  NOERROR] A      (7)chatgpt(3)com(0)';
const UPDATE = '11/25/2026 10:00:02 AM 0E48 PACKET  000001D5E8F2B990 UDP Rcv 10.1.2.9        1f2e   U '
  + '[0028       NOERROR] SOA    (4)corp(5)local(0)';
const V6_PM = '11/25/2026 2:05:09 PM 0E48 PACKET  000001D5E8F2C010 TCP Rcv 2001:db8::5     0bad   Q '
  + '[0001   D   NOERROR] AAAA   (3)api(6)OpenAI(3)com(0)';

const FILE_HEAD = [
  'DNS Server log file creation at 11/25/2026 9:59:58 AM',
  'Log file wrap at 11/25/2026 9:59:58 AM',
  '',
  'Message logging key (for packets - other items use a subset of these fields):',
  '\tField #  Information         Values',
  '\t-------  -----------         ------',
  '\t   1     Date',
  '\t  10     Query/Response      R = Response',
  '\t                             blank = Query',
  '\t  12     [ Flags (hex)',
  '\t                             ? = Unknown',
];

const ETW_256 = JSON.stringify({
  ProviderName: 'Microsoft-Windows-DNSServer', Id: 256, TimeCreated: '2026-11-25T11:00:00.1234567+01:00',
  Message: 'QUERY_RECEIVED: TCP=0; InterfaceIP=10.0.0.53; Source=10.1.2.3; RD=1; QNAME=chatgpt.com.; QTYPE=1; '
    + 'XID=41394; Port=53211; Flags=256; ServerScope=Default; CacheScope=Default; PacketData=0xA1B2',
});
const ETW_257 = JSON.stringify({
  EventID: 257, TimeCreated: '/Date(1795600800456)/', EventData: {
    TCP: '0', InterfaceIP: '10.0.0.53', Destination: '10.1.2.4', AA: '0', AD: '0', QNAME: 'claude.ai.', QTYPE: '65',
    XID: '5', DNSSEC: '0', RCODE: '3', Port: '50001', Flags: '33155', Scope: 'Default', Zone: '..Cache',
  },
});
const WINLOGBEAT_258 = JSON.stringify({
  '@timestamp': '2026-11-25T10:00:01.000Z', event: { code: '258' },
  winlog: { provider_name: 'Microsoft-Windows-DNSServer', event_id: '258', event_data: {
    InterfaceIP: '2001:db8::53', Destination: '2001:db8::5', QNAME: 'gemini.google.com.', QTYPE: '28', RCODE: '2',
  } },
});

describe('windows-dns — debug log', () => {
  it('maps a received query: client, decoded name, type; no rcode for a query', () => {
    expect(okEvent(createWindowsDnsParser()(QUERY, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.000Z', kind: 'dns', format: WINDOWS_DNS_FORMAT, srcIp: '10.1.2.3', host: 'chatgpt.com',
      dnsType: 'A',
    }));
  });

  it('reads 12-hour PM times, TCP, IPv6 clients and lowercases the name', () => {
    expect(okEvent(createWindowsDnsParser()(V6_PM, ctx))).toMatchObject({
      ts: '2026-11-25T14:05:09.000Z', srcIp: '2001:db8::5', host: 'api.openai.com', dnsType: 'AAAA',
    });
  });

  it('reads 12 AM as midnight and 12 PM as noon', () => {
    const parse = createWindowsDnsParser();
    expect(okEvent(parse(QUERY.replace('10:00:00 AM', '12:30:00 AM'), ctx)).ts).toBe('2026-11-25T00:30:00.000Z');
    expect(okEvent(parse(QUERY.replace('10:00:00 AM', '12:30:00 PM'), ctx)).ts).toBe('2026-11-25T12:30:00.000Z');
  });

  it('reads 24-hour M/D/YYYY, D.M.YYYY and YYYY-MM-DD dates', () => {
    const parse = createWindowsDnsParser();
    expect(okEvent(parse(QUERY.replace('11/25/2026 10:00:00 AM', '11/25/2026 22:00:00'), ctx)).ts)
      .toBe('2026-11-25T22:00:00.000Z');
    expect(okEvent(parse(QUERY.replace('11/25/2026 10:00:00 AM', '25.11.2026 22:00:00'), ctx)).ts)
      .toBe('2026-11-25T22:00:00.000Z');
    expect(okEvent(parse(QUERY.replace('11/25/2026 10:00:00 AM', '2026-11-25 22:00:00'), ctx)).ts)
      .toBe('2026-11-25T22:00:00.000Z');
  });

  it('switches the stream to D/M/YYYY once a date proves the server writes day-first', () => {
    const parse = createWindowsDnsParser();
    expect(okEvent(parse(QUERY.replace('11/25/2026 10:00:00 AM', '3/11/2026 10:00:00'), ctx)).ts)
      .toBe('2026-03-11T10:00:00.000Z');
    expect(okEvent(parse(QUERY.replace('11/25/2026 10:00:00 AM', '25/11/2026 10:00:00'), ctx)).ts)
      .toBe('2026-11-25T10:00:00.000Z');
    expect(okEvent(parse(QUERY.replace('11/25/2026 10:00:00 AM', '3/11/2026 10:00:00'), ctx)).ts)
      .toBe('2026-11-03T10:00:00.000Z');
    expect(rejectReason(parse(QUERY, ctx))).toMatch(/neither D\/M\/YYYY/);
  });

  it('reads local times in opts.timeZone', () => {
    const parse = createWindowsDnsParser({ timeZone: 'America/New_York' });
    expect(okEvent(parse(QUERY, ctx)).ts).toBe('2026-11-25T15:00:00.000Z');
  });

  it('throws at creation for an unknown time zone (a config bug)', () => {
    expect(() => createWindowsDnsParser({ timeZone: 'Mars/Olympus' })).toThrow(/unknown time zone "Mars\/Olympus"/);
  });

  it('skips sent packets, responses, forwarder traffic and updates', () => {
    const parse = createWindowsDnsParser();
    expect(skipReason(parse(REPLY, ctx))).toMatch(/^sent packet/);
    expect(skipReason(parse(FORWARD, ctx))).toMatch(/^sent packet/);
    expect(skipReason(parse(FORWARD_REPLY, ctx))).toMatch(/^response packet/);
    expect(skipReason(parse(UPDATE, ctx))).toMatch(/^opcode U/);
  });

  it('skips the file header, the legend, EVENT lines and detail dumps', () => {
    const parse = createWindowsDnsParser();
    for (const line of FILE_HEAD.filter((l) => l !== '')) expect(skipReason(parse(line, ctx)), line).toBeTruthy();
    expect(skipReason(parse('11/25/2026 10:00:00 AM 0E48 EVENT   The DNS server has started.', ctx))).toMatch(/EVENT line/);
    expect(skipReason(parse('UDP question info at 000001D5E8F2B450', ctx))).toBeTruthy();
    expect(skipReason(parse('  Socket = 508', ctx))).toBeTruthy();
  });

  it('keeps underscore labels, and host null for the root and non-ASCII labels', () => {
    const parse = createWindowsDnsParser();
    expect(okEvent(parse(QUERY.replace('(7)chatgpt(3)com(0)', '(0)'), ctx)).host).toBeNull();
    expect(okEvent(parse(QUERY.replace('(7)chatgpt(3)com(0)', '(5)_ldap(4)_tcp(2)dc(6)_msdcs(4)corp(0)'), ctx)).host)
      .toBe('_ldap._tcp.dc._msdcs.corp');
    expect(okEvent(parse(QUERY.replace('(7)chatgpt(3)com(0)', '(6)b\u00fccher(2)de(0)'), ctx)).host).toBeNull();
  });

  it('accepts numeric question types and 8-digit packet ids (older servers)', () => {
    const line = QUERY.replace('000001D5E8F2B450', '02B4C7A8').replace('] A      (7)', '] 65     (7)');
    expect(okEvent(createWindowsDnsParser()(line, ctx))).toMatchObject({ dnsType: 'HTTPS', host: 'chatgpt.com' });
  });

  it('rejects malformed packet lines with the part that is wrong', () => {
    const parse = createWindowsDnsParser();
    expect(rejectReason(parse(QUERY.replace('10:00:00 AM', '13:00:00 PM'), ctx))).toMatch(/^bad time/);
    expect(rejectReason(parse(QUERY.replace('11/25/2026', '11/31/2026'), ctx))).toMatch(/^bad date: no such day/);
    expect(rejectReason(parse(QUERY.replace('10.1.2.3', '10.1.2.300'), ctx))).toBe('bad remote IP');
    expect(rejectReason(parse(QUERY.replace('UDP', 'SCTP'), ctx))).toMatch(/^bad transport/);
    expect(rejectReason(parse(QUERY.replace('(7)chatgpt', '(9)chatgpt'), ctx))).toMatch(/^bad question name/);
    expect(rejectReason(parse(QUERY.replace('[0001   D   NOERROR]', '[0001   D   NOERROR'), ctx))).toMatch(/truncated/);
    expect(rejectReason(parse(QUERY.slice(0, 40), ctx))).toBeTruthy();
    expect(rejectReason(parse('hello world', ctx))).toBe('not a Windows DNS debug log line');
    expect(rejectReason(parse('', ctx))).toBe('empty line');
  });
});

describe('windows-dns — ETW JSON', () => {
  it('maps QUERY_RECEIVED from the Message text (Get-WinEvent export, PowerShell 7 time)', () => {
    expect(okEvent(createWindowsDnsParser()(ETW_256, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.123Z', kind: 'dns', format: WINDOWS_DNS_FORMAT, srcIp: '10.1.2.3', host: 'chatgpt.com',
      destIp: '10.0.0.53', dnsType: 'A',
    }));
  });

  it('maps RESPONSE_SUCCESS from EventData with a /Date()/ time and numeric RCODE', () => {
    expect(okEvent(createWindowsDnsParser()(ETW_257, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.456Z', kind: 'dns', format: WINDOWS_DNS_FORMAT, srcIp: '10.1.2.4', host: 'claude.ai',
      destIp: '10.0.0.53', dnsType: 'HTTPS', dnsRcode: 'NXDOMAIN',
    }));
  });

  it('maps a Winlogbeat RESPONSE_FAILURE with IPv6', () => {
    expect(okEvent(createWindowsDnsParser()(WINLOGBEAT_258, ctx))).toMatchObject({
      ts: '2026-11-25T10:00:01.000Z', srcIp: '2001:db8::5', destIp: '2001:db8::53', host: 'gemini.google.com',
      dnsType: 'AAAA', dnsRcode: 'SERVFAIL',
    });
  });

  it('reads NXLog flat fields with a local EventTime in opts.timeZone', () => {
    const line = JSON.stringify({ EventTime: '2026-11-25 11:00:00', SourceName: 'Microsoft-Windows-DNSServer',
      EventID: 256, QNAME: 'perplexity.ai.', QTYPE: 1, Source: '10.1.2.3', InterfaceIP: '10.0.0.53' });
    expect(okEvent(createWindowsDnsParser({ timeZone: 'Europe/Berlin' })(line, ctx))).toMatchObject({
      ts: '2026-11-25T10:00:00.000Z', host: 'perplexity.ai',
    });
  });

  it('counts each query once: responses are skipped after the stream has shown a 256', () => {
    const parse = createWindowsDnsParser();
    expect(okEvent(parse(ETW_257, ctx)).dnsRcode).toBe('NXDOMAIN');
    expect(okEvent(parse(ETW_256, ctx)).host).toBe('chatgpt.com');
    expect(skipReason(parse(ETW_257, ctx))).toMatch(/already counted/);
  });

  it('skips other DNS Server events and rejects other providers', () => {
    const parse = createWindowsDnsParser();
    expect(skipReason(parse('{"Id":260,"TimeCreated":"2026-11-25T10:00:00Z"}', ctx))).toMatch(/event 260/);
    expect(skipReason(parse('{"EventID":515,"TimeCreated":"2026-11-25T10:00:00Z"}', ctx))).toMatch(/event 515/);
    expect(rejectReason(parse('{"ProviderName":"Microsoft-Windows-Kernel-Power","Id":256}', ctx)))
      .toMatch(/is not a DNS Server event/);
  });

  it('rejects events without id, time or name, and bad addresses or codes', () => {
    const parse = createWindowsDnsParser();
    expect(rejectReason(parse('{"TimeCreated":"2026-11-25T10:00:00Z","QNAME":"x.ai."}', ctx))).toBe('no EventID');
    expect(rejectReason(parse('{"Id":256,"QNAME":"x.ai."}', ctx))).toBe('no or bad TimeCreated');
    expect(rejectReason(parse('{"Id":256,"TimeCreated":"2026-11-25T10:00:00Z"}', ctx))).toBe('no QNAME');
    expect(rejectReason(parse('{"Id":256,"TimeCreated":"2026-11-25T10:00:00Z","QNAME":"x.ai","Source":"me"}', ctx)))
      .toMatch(/^bad Source/);
    expect(rejectReason(createWindowsDnsParser()(
      '{"Id":257,"TimeCreated":"2026-11-25T10:00:00Z","QNAME":"x.ai","RCODE":"lots"}', ctx))).toBe('bad RCODE');
    expect(rejectReason(parse('{"Id":', ctx))).toBe('invalid JSON');
    expect(rejectReason(parse('{ }', ctx))).toBe('no EventID');
  });
});

describe('windows-dns — helpers and robustness', () => {
  it('decodes the (n)label wire form', () => {
    expect(decodeWireName('(7)chatgpt(3)com(0)')).toBe('chatgpt.com');
    expect(decodeWireName('(3)www(6)google(3)com')).toBe('www.google.com');
    expect(decodeWireName('(0)')).toBeNull();
    expect(decodeWireName('(3)ab(0)')).toBeUndefined();
    expect(decodeWireName('chatgpt.com')).toBeUndefined();
  });

  it('never throws on arbitrary strings or mutated lines', () => {
    assertNeverThrows(createWindowsDnsParser, WINDOWS_DNS_FORMAT, [QUERY, V6_PM, REPLY, ETW_256, ETW_257,
      WINLOGBEAT_258, ...FILE_HEAD.filter((l) => l !== '')], ctx);
  });
});
