import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@shadow-ai/core';
import {
  octetCountedFrame,
  rfc5424,
  signWebhook,
  SplunkHecTransport,
  SyslogStreamTransport,
  SyslogUdpTransport,
  syslogSeverity,
  verifyWebhookSignature,
  WebhookTransport,
  type OutboundMessage,
  type Transport,
} from './transports.ts';

const log = createLogger({ level: 'silent' });

const msg = (n: number, over: Partial<OutboundMessage> = {}): OutboundMessage => ({
  idempotencyId: `idem-${n}`,
  findingId: `finding-${n}`,
  time: Date.parse('2026-11-25T10:00:00.123Z') + n,
  severity: 57,
  format: 'cef',
  payload: `CEF:0|Shadow AI Watch|shadow-ai|0.1.0|unsanctioned-app|Unsanctioned AI app in use|6|cs2=idem-${n} suser=ü${n}`,
  ...over,
});

/** Reads RFC 6587 octet-counted frames from a byte stream. */
class OctetReader {
  private buf = Buffer.alloc(0);
  readonly frames: string[] = [];
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const sp = this.buf.indexOf(0x20);
      if (sp === -1) return;
      const len = Number(this.buf.subarray(0, sp).toString('ascii'));
      if (!Number.isInteger(len)) throw new Error(`bad frame length ${this.buf.subarray(0, sp).toString()}`);
      if (this.buf.length < sp + 1 + len) return;
      this.frames.push(this.buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      this.buf = this.buf.subarray(sp + 1 + len);
    }
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: Server | HttpServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

function track<T extends Transport>(t: T): T {
  cleanups.push(() => t.close());
  return t;
}

async function eventually<T>(fn: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('syslog framing', () => {
  it('writes an RFC 5424 header with PRI from facility and severity', () => {
    const line = rfc5424(msg(0), { facility: 16, hostname: 'fwd 01' });
    expect(line).toBe(`<132>1 2026-11-25T10:00:00.123Z fwd01 shadow-ai - - - ${msg(0).payload}`);
    expect([0, 19, 20, 39, 40, 69, 70, 89, 90, 100].map(syslogSeverity)).toEqual([6, 6, 5, 5, 4, 4, 3, 3, 2, 2]);
    expect(rfc5424(msg(0), { hostname: '' })).toMatch(/^<132>1 \S+ - shadow-ai - - - /);
  });

  it('counts octets, not characters', () => {
    expect(octetCountedFrame('ü').toString('utf8')).toBe('2 ü');
  });
});

describe('syslog over TCP', () => {
  it('sends octet-counted frames over one persistent connection, and reconnects after the receiver closed it', async () => {
    const reader = new OctetReader();
    const sockets: Socket[] = [];
    const server = createNetServer((s) => {
      sockets.push(s);
      s.on('data', (c: Buffer) => reader.push(c));
    });
    const port = await listen(server);
    const t = track(new SyslogStreamTransport({ id: 'd', type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port, hostname: 'h', settleMs: 20 }, log));

    await t.send([msg(1), msg(2)]);
    await t.send([msg(3)]);
    await eventually(() => (reader.frames.length === 3 ? true : undefined));
    expect(sockets).toHaveLength(1);
    expect(reader.frames.map((f) => f.slice(f.indexOf(' - - - ') + 7))).toEqual([msg(1).payload, msg(2).payload, msg(3).payload]);

    // The receiver drops the connection (restart, idle timeout): the next send opens a new one.
    sockets[0]!.end();
    await new Promise((r) => setTimeout(r, 50));
    await t.send([msg(4)]);
    await eventually(() => (reader.frames.length === 4 ? true : undefined));
    expect(sockets).toHaveLength(2);
  });

  it('throws when nobody listens, and when the receiver drops the connection right after the write', async () => {
    const probe = createNetServer();
    const freePort = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r()));
    const down = track(new SyslogStreamTransport({ id: 'd', type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port: freePort }, log));
    await expect(down.send([msg(1)])).rejects.toThrow(/ECONNREFUSED/);

    // A receiver that dies while reading: the write itself succeeds, the settle window catches it.
    const server = createNetServer((s) => s.once('data', () => s.resetAndDestroy()));
    const port = await listen(server);
    const t = track(new SyslogStreamTransport({ id: 'd', type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port, settleMs: 200 }, log));
    await expect(t.send([msg(1)])).rejects.toThrow(/lost right after sending/);
  });
});

describe('syslog over UDP', () => {
  it('sends one datagram per message', async () => {
    const server = createSocket('udp4');
    const got: string[] = [];
    server.on('message', (m) => got.push(m.toString('utf8')));
    server.bind(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const t = track(new SyslogUdpTransport({ id: 'u', type: 'syslog', protocol: 'udp', host: '127.0.0.1', port: server.address().port, hostname: 'h' }));
    await t.send([msg(1), msg(2)]);
    await eventually(() => (got.length === 2 ? true : undefined));
    expect(got[0]).toBe(rfc5424(msg(1), { hostname: 'h' }));
  });
});

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('Splunk HEC', () => {
  it('posts the batch as concatenated events with the Splunk token, and throws on a non-2xx answer', async () => {
    const requests: { url: string; auth: string | undefined; channel: unknown; body: string }[] = [];
    let status = 200;
    const server = createHttpServer((req, res) => {
      void readBody(req).then((body) => {
        requests.push({ url: req.url ?? '', auth: req.headers.authorization, channel: req.headers['x-splunk-request-channel'], body });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 200 ? '{"text":"Success","code":0}' : '{"text":"Invalid token","code":4}');
      });
    });
    const port = await listen(server);
    const t = track(new SplunkHecTransport({ id: 'h', type: 'splunk-hec', url: `http://127.0.0.1:${port}`, token: 'tok-123', index: 'sec' }));
    const json = msg(1, { format: 'json', payload: JSON.stringify({ idempotencyId: 'idem-1', user: 'ann' }) });
    await t.send([json, msg(2)]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe('/services/collector/event');
    expect(requests[0]!.auth).toBe('Splunk tok-123');
    expect(requests[0]!.channel).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const events = requests[0]!.body.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toEqual({
      time: (Date.parse('2026-11-25T10:00:00.123Z') + 1) / 1000,
      source: 'shadow-ai',
      sourcetype: 'shadow-ai:finding',
      index: 'sec',
      fields: { idempotency_id: 'idem-1', finding_id: 'finding-1' },
      event: { idempotencyId: 'idem-1', user: 'ann' },
    });
    expect(events[1]!.event).toBe(msg(2).payload);

    status = 403;
    await expect(t.send([msg(3)])).rejects.toThrow(/answered 403: .*Invalid token/);
  });
});

describe('webhook', () => {
  it('signs timestamp.body with HMAC-SHA256 and sends the idempotency key', async () => {
    const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
    const server = createHttpServer((req, res) => {
      void readBody(req).then((body) => {
        seen.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    const port = await listen(server);
    const t = track(new WebhookTransport({ id: 'w', type: 'webhook', url: `http://127.0.0.1:${port}/hook`, secret: 's3cret', headers: { 'x-api-key': 'k' } }));
    await t.send([msg(1, { format: 'json', payload: '{"a":1}' }), msg(2)]);
    expect(seen).toHaveLength(2);
    const [first, second] = seen as [(typeof seen)[number], (typeof seen)[number]];
    const ts = first.headers['x-shadow-ai-timestamp'] as string;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
    // The documented formula, computed independently of signWebhook.
    const expected = `sha256=${createHmac('sha256', 's3cret').update(`${ts}.${first.body}`).digest('hex')}`;
    expect(first.headers['x-shadow-ai-signature']).toBe(expected);
    expect(first.headers['x-shadow-ai-idempotency-key']).toBe('idem-1');
    expect(first.headers['x-api-key']).toBe('k');
    expect(first.body).toBe('{"a":1}');
    expect(JSON.parse(second.body)).toEqual({ idempotencyId: 'idem-2', findingId: 'finding-2', format: 'cef', message: msg(2).payload });
  });

  it('verifies signatures in constant time and rejects tampering and stale timestamps', () => {
    const now = 1_800_000_000_000;
    const ts = String(now / 1000);
    const sig = signWebhook('k', ts, 'body');
    expect(verifyWebhookSignature('k', { timestamp: ts, signature: sig }, 'body', { nowMs: now })).toBe(true);
    expect(verifyWebhookSignature('k', { timestamp: ts, signature: sig }, 'body!', { nowMs: now })).toBe(false);
    expect(verifyWebhookSignature('other', { timestamp: ts, signature: sig }, 'body', { nowMs: now })).toBe(false);
    expect(verifyWebhookSignature('k', { timestamp: ts, signature: sig }, 'body', { nowMs: now + 600_000 })).toBe(false);
    expect(verifyWebhookSignature('k', { timestamp: undefined, signature: sig }, 'body', { nowMs: now })).toBe(false);
  });

  it('throws on a non-2xx answer so the outbox retries', async () => {
    const server = createHttpServer((_req, res) => res.writeHead(500).end('boom'));
    const port = await listen(server);
    const t = track(new WebhookTransport({ id: 'w', type: 'webhook', url: `http://127.0.0.1:${port}/`, secret: 's' }));
    await expect(t.send([msg(1)])).rejects.toThrow(/answered 500: boom/);
  });
});
