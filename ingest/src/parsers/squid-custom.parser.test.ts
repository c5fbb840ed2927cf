import { describe, expect, it } from 'vitest';
import { SQUID_CUSTOM_FORMAT, createSquidCustomParser } from './squid-custom.parser.ts';
import { assertNeverThrows, ctxAt, eventWith, okEvent, rejectReason } from './parser-test.util.ts';

const RECEIVED = '2026-11-25T10:00:09.000Z';
const ctx = ctxAt(RECEIVED);

const NATIVE_FMT = 'logformat squid %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt';
const NATIVE = '1795600800.123    245 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT chatgpt.com:443 alice HIER_DIRECT/104.18.32.47 -';
const MINE_FMT = 'logformat mine %>a %>p %un %rm %ru %>Hs %<st %{User-Agent}>h %ssl::>sni';
const MINE = '10.1.2.3 53211 bob CONNECT 104.18.32.47:443 200 5120 Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64) chatgpt.com';
const COMBINED_FMT = 'logformat combined %>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh';
const COMBINED = '10.1.2.4 - DOMAIN%5Ccarol [25/Nov/2026:11:00:00 +0100] "POST https://claude.ai/api/append_message HTTP/1.1" '
  + '200 3912 "https://claude.ai/chat/1" "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0" TCP_MISS:HIER_DIRECT';
const BYTES_FMT = '%tg %>a:%>p %>st %<st %rm %ru %03<Hs %ul %ue';
const BYTES = '25/Nov/2026:10:00:00 2001:db8::5:41000 1834 40211 POST https://api.openai.com/v1/chat/completions 201 - svc-bot';

describe('squid-custom — compiling the logformat', () => {
  it('maps every field of the native layout given as a logformat', () => {
    expect(okEvent(createSquidCustomParser({ squidLogformat: NATIVE_FMT })(NATIVE, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.123Z', kind: 'proxy', format: SQUID_CUSTOM_FORMAT, user: 'alice', srcIp: '10.1.2.3',
      host: 'chatgpt.com', destIp: '104.18.32.47', destPort: 443, url: 'chatgpt.com:443', method: 'CONNECT', status: 200,
      bytesIn: 5120, action: 'allowed',
    }));
  });

  it('takes the host from %ssl::>sni for CONNECT to an IP, decodes the %-escaped user agent, uses receivedAt', () => {
    expect(okEvent(createSquidCustomParser({ squidLogformat: MINE_FMT })(MINE, ctx))).toEqual(eventWith({
      ts: RECEIVED, kind: 'proxy', format: SQUID_CUSTOM_FORMAT, user: 'bob', srcIp: '10.1.2.3', host: 'chatgpt.com',
      destPort: 443, url: '104.18.32.47:443', method: 'CONNECT', status: 200, bytesIn: 5120,
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64)',
    }));
  });

  it('reads combined: [%tl] with offset, quoted request line and headers with spaces, %Ss:%Sh', () => {
    expect(okEvent(createSquidCustomParser({ squidLogformat: COMBINED_FMT })(COMBINED, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.000Z', kind: 'proxy', format: SQUID_CUSTOM_FORMAT, user: 'DOMAIN\\carol',
      srcIp: '10.1.2.4', host: 'claude.ai', destPort: 443, url: 'https://claude.ai/api/append_message', method: 'POST',
      status: 200, bytesIn: 3912, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0', action: 'allowed',
    }));
  });

  it('reads %tg as GMT, IPv6 client:port, request and reply sizes, the upstream status and %ue', () => {
    expect(okEvent(createSquidCustomParser({ squidLogformat: BYTES_FMT, timeZone: 'Asia/Tokyo' })(BYTES, ctx)))
      .toEqual(eventWith({
        ts: '2026-11-25T10:00:00.000Z', kind: 'proxy', format: SQUID_CUSTOM_FORMAT, user: 'svc-bot', srcIp: '2001:db8::5', host: 'api.openai.com', destPort: 443, url: 'https://api.openai.com/v1/chat/completions',
        method: 'POST', status: 201, bytesOut: 1834, bytesIn: 40211,
      }));
  });

  it('reads custom strftime times, in opts.timeZone when they carry no zone', () => {
    const parse = createSquidCustomParser({ squidLogformat: '%{%Y-%m-%d %H:%M:%S}tl %>a %ru', timeZone: 'Europe/Berlin' });
    expect(okEvent(parse('2026-11-25 11:00:00 10.1.2.3 https://x.ai/', ctx))).toMatchObject({
      ts: '2026-11-25T10:00:00.000Z', host: 'x.ai',
    });
    const iso = createSquidCustomParser({ squidLogformat: '%{%FT%T%z}tl %>a %ru' });
    expect(okEvent(iso('2026-11-25T11:00:00+0100 10.1.2.3 https://x.ai/', ctx)).ts).toBe('2026-11-25T10:00:00.000Z');
  });

  it('accepts the directive without keyword or name, http:: prefixes, %% and encoding modifiers', () => {
    const parse = createSquidCustomParser({ squidLogformat: '%ts %http::>a 100%% %"{User-Agent}>h %#ru %-10un|' });
    expect(okEvent(parse('1795600800 10.1.2.3 100% curl/8.5.0\\"x https://x.ai/%20a alice     |', ctx))).toMatchObject({
      ts: '2026-11-25T10:00:00.000Z', userAgent: 'curl/8.5.0"x', url: 'https://x.ai/%20a', user: 'alice',
    });
  });

  it('marks DENIED result codes blocked and keeps placeholders null', () => {
    const parse = createSquidCustomParser({ squidLogformat: NATIVE_FMT });
    const denied = '1795600800.123      0 10.1.2.3 TCP_DENIED/403 3985 CONNECT chatgpt.com:443 - HIER_NONE/- text/html';
    expect(okEvent(parse(denied, ctx))).toMatchObject({ action: 'blocked', status: 403, user: null, destIp: null });
    const none = '1795600800.123      0 10.1.2.3 NONE_NONE/000 0 NONE error:invalid-request - HIER_NONE/- -';
    expect(okEvent(parse(none, ctx))).toMatchObject({ status: null, method: null, host: null, url: 'error:invalid-request' });
  });

  it('keeps a very long URL and takes host from %>rd or the Host header when the URL has none', () => {
    const long = `https://chatgpt.com/${'p'.repeat(8000)}`;
    expect(okEvent(createSquidCustomParser({ squidLogformat: NATIVE_FMT })(NATIVE.replace('chatgpt.com:443', long), ctx)).url)
      .toBe(long);
    const rd = createSquidCustomParser({ squidLogformat: '%ts %>a %rp %>rd %{Host}>h' });
    expect(okEvent(rd('1795600800 10.1.2.3 /v1/models API.OpenAI.com -', ctx)).host).toBe('api.openai.com');
    expect(okEvent(rd('1795600800 10.1.2.3 /v1/models - claude.ai:443', ctx)).host).toBe('claude.ai');
  });
});

describe('squid-custom — config errors throw at creation', () => {
  it('names unknown codes', () => {
    expect(() => createSquidCustomParser({ squidLogformat: 'logformat x %ts %>zz %ru' })).toThrow(/unknown logformat code "%>zz"/);
    expect(() => createSquidCustomParser({ squidLogformat: '%ts %icap::tt' })).toThrow(/unknown logformat code "%icap::tt"/);
  });

  it('rejects missing directives, codes without separators, bad arguments and strftime directives', () => {
    expect(() => createSquidCustomParser()).toThrow(/squidLogformat is required/);
    expect(() => createSquidCustomParser({ squidLogformat: 'logformat onlyname' })).toThrow(/no format specification/);
    expect(() => createSquidCustomParser({ squidLogformat: 'just text' })).toThrow(/no % codes/);
    expect(() => createSquidCustomParser({ squidLogformat: '%>a%un' })).toThrow(/nothing between them/);
    expect(() => createSquidCustomParser({ squidLogformat: '%{User-Agent>h' })).toThrow(/unterminated/);
    expect(() => createSquidCustomParser({ squidLogformat: '%{%s}tl %>a' })).toThrow(/unsupported strftime directive %s/);
  });
});

describe('squid-custom — unhappy paths and robustness', () => {
  const native = createSquidCustomParser({ squidLogformat: NATIVE_FMT });

  it('rejects lines that do not follow the logformat, naming where', () => {
    expect(rejectReason(native('1795600800.123 245 10.1.2.3 TCP_MISS 200', ctx))).toMatch(/no "\/" after %Ss/);
    expect(rejectReason(native(`${NATIVE} extra`, ctx))).toBe('unexpected text after the last logformat field');
    expect(rejectReason(native(NATIVE.slice(0, 30), ctx))).toBeTruthy();
    expect(rejectReason(createSquidCustomParser({ squidLogformat: COMBINED_FMT })(COMBINED.replace('"Mozilla', 'Mozilla'), ctx)))
      .toMatch(/does not match the logformat/);
    expect(rejectReason(native('# comment', ctx))).toBe('comment line');
    expect(rejectReason(native('', ctx))).toBe('empty line');
  });

  it('rejects malformed values naming the code', () => {
    expect(rejectReason(native(NATIVE.replace('10.1.2.3', 'client1'), ctx))).toMatch(/^bad %>a/);
    expect(rejectReason(native(NATIVE.replace('/200', '/2000'), ctx))).toMatch(/^bad %>Hs/);
    expect(rejectReason(native(NATIVE.replace(' 5120 ', ' -5 '), ctx))).toMatch(/^bad %<st/);
    expect(rejectReason(native(NATIVE.replace('1795600800', '17956x0800'), ctx))).toMatch(/^bad %ts/);
    expect(rejectReason(createSquidCustomParser({ squidLogformat: COMBINED_FMT })(COMBINED.replace('+0100', '+9900'), ctx)))
      .toMatch(/^bad %tl/);
  });

  it('never throws on arbitrary strings or mutated lines', () => {
    assertNeverThrows(() => createSquidCustomParser({ squidLogformat: NATIVE_FMT }), SQUID_CUSTOM_FORMAT, [NATIVE], ctx);
    assertNeverThrows(() => createSquidCustomParser({ squidLogformat: COMBINED_FMT }), SQUID_CUSTOM_FORMAT, [COMBINED], ctx);
    assertNeverThrows(() => createSquidCustomParser({ squidLogformat: MINE_FMT }), SQUID_CUSTOM_FORMAT, [MINE], ctx);
  });
});
