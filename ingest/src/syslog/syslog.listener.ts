import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { parserOptionsFor, type Config, type LineParser, type Logger, type Metrics, type NormalizedEvent } from '@shadow-ai/core';
import { createParser, detectFormat, isFormat } from '../parsers/index.ts';
import type { DeadLetter, DeadLetterSink, EventSink, SourcedEvent } from '../sink.ts';
import { parseSyslog } from './syslog-header.ts';

export type SyslogConfig = Pick<
  Config,
  | 'SYSLOG_HOST' | 'SYSLOG_UDP_PORT' | 'SYSLOG_TCP_PORT' | 'SYSLOG_TLS_PORT' | 'SYSLOG_TLS_CERT' | 'SYSLOG_TLS_KEY'
  | 'SYSLOG_FORMAT' | 'SYSLOG_TIMEZONE' | 'INGEST_MAX_LINE_BYTES' | 'INGEST_BATCH_SIZE' | 'INGEST_TIMEZONE'
  | 'INGEST_JSON_FIELD_MAP' | 'INGEST_SQUID_LOGFORMAT'
>;

export interface SyslogListener {
  ports: { udp: number | null; tcp: number | null; tls: number | null };
  stop(): Promise<void>;
}

/** Frames one TCP stream: octet counting (`LEN SP MSG`, RFC 6587 3.4.1) or LF-terminated messages. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    private readonly maxFrame: number,
    private readonly onFrame: (frame: Buffer) => void,
    private readonly onBad: (bytes: Buffer, reason: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length === 0) return;
      const first = this.buf[0]!;
      if (first >= 0x31 && first <= 0x39) {
        // Octet counting: digits, one space, then exactly that many bytes.
        const sp = this.buf.indexOf(0x20);
        if (sp === -1) {
          if (this.buf.length > 10) this.resync('octet count without a space');
          return;
        }
        const len = Number(this.buf.subarray(0, sp).toString('latin1'));
        if (!/^\d{1,10}$/.test(this.buf.subarray(0, sp).toString('latin1')) || len > this.maxFrame) {
          this.resync(len > this.maxFrame ? `frame of ${len} bytes over the limit ${this.maxFrame}` : 'malformed octet count');
          continue;
        }
        if (this.buf.length < sp + 1 + len) return;
        this.onFrame(this.buf.subarray(sp + 1, sp + 1 + len));
        this.buf = this.buf.subarray(sp + 1 + len);
        continue;
      }
      const lf = this.buf.indexOf(0x0a);
      if (lf === -1) {
        if (this.buf.length > this.maxFrame) this.resync(`line over the limit ${this.maxFrame} bytes`);
        return;
      }
      const end = lf > 0 && this.buf[lf - 1] === 0x0d ? lf - 1 : lf;
      if (end > 0) this.onFrame(this.buf.subarray(0, end));
      this.buf = this.buf.subarray(lf + 1);
    }
  }

  /** Dead-letters the bytes up to the next newline and carries on from there. */
  private resync(reason: string): void {
    const lf = this.buf.indexOf(0x0a);
    const cut = lf === -1 ? this.buf.length : lf + 1;
    this.onBad(Buffer.from(this.buf.subarray(0, lf === -1 ? cut : lf)), reason);
    this.buf = this.buf.subarray(cut);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Syslog ingest over UDP, TCP and TLS. Each message's payload goes to the configured format's parser
 * (`auto`: detected per reporting device and remembered); the syslog header gives the time (and the
 * device) when the payload has none. Events are stored in batches; a malformed frame or an unparseable
 * payload is dead-lettered with its reason, never fatal. TCP senders are paused while the store is behind.
 */
export async function startSyslogListener(deps: {
  config: SyslogConfig;
  sink: EventSink & DeadLetterSink;
  log: Logger;
  metrics: Metrics;
}): Promise<SyslogListener> {
  const { config, sink, log, metrics } = deps;
  const fixedFormat = config.SYSLOG_FORMAT === 'auto' ? null : config.SYSLOG_FORMAT;
  if (fixedFormat && !isFormat(fixedFormat)) throw new Error(`SYSLOG_FORMAT: unknown format "${fixedFormat}"`);
  const parserOpts = parserOptionsFor(config, config.SYSLOG_TIMEZONE);
  const byDevice = new Map<string, { format: string; parse: LineParser }>();
  const maxPending = config.INGEST_BATCH_SIZE * 5;
  let events: SourcedEvent[] = [];
  let letters: DeadLetter[] = [];
  let seq = 0;
  const paused = new Set<Socket>();

  const parserFor = (device: string, payload: string) => {
    let p = byDevice.get(device);
    if (!p) {
      const format = fixedFormat ?? detectFormat([payload]);
      if (!format) return null;
      p = { format, parse: createParser(format, parserOpts)! };
      byDevice.set(device, p);
      if (!fixedFormat) log.info({ device, format }, 'syslog format detected');
    }
    return p;
  };

  function deadLetter(src: string, raw: Buffer, reason: string, format = config.SYSLOG_FORMAT): void {
    letters.push({ src, offset: seq++, line: 0, format, reason, raw });
    metrics.lines.inc({ source: 'syslog', format, outcome: 'rejected' });
  }

  function handle(frame: Buffer, transport: string, peer: string): void {
    const src = `syslog:${transport}:${peer}`;
    if (frame.length > config.INGEST_MAX_LINE_BYTES) return deadLetter(src, Buffer.from(frame), `message too long: ${frame.length} bytes`);
    let text: string;
    try {
      text = strictUtf8.decode(frame);
    } catch {
      return deadLetter(src, Buffer.from(frame), 'invalid UTF-8');
    }
    const now = new Date();
    const msg = parseSyslog(text.replace(/[\r\n]+$/, ''), now, config.SYSLOG_TIMEZONE ?? config.INGEST_TIMEZONE);
    if (!msg) return deadLetter(src, Buffer.from(frame), 'not a syslog message: no <PRI> header');
    const device = msg.hostname ?? peer;
    let p = parserFor(device, msg.payload);
    if (!p) return deadLetter(src, Buffer.from(frame), 'payload matches no known log format');
    const ctx = { receivedAt: new Date(msg.time ?? now.getTime()) };
    let result = p.parse(msg.payload, ctx);
    if (!result.ok && !result.skip && !fixedFormat) {
      // A device can change what it sends: detect once more before giving up on the line.
      byDevice.delete(device);
      const again = parserFor(device, msg.payload);
      if (again && again.format !== p.format) {
        p = again;
        result = p.parse(msg.payload, ctx);
      }
    }
    if (result.ok) {
      const event: NormalizedEvent = result.event;
      events.push({ src: `syslog:${device}`, offset: seq++, line: 0, event });
      metrics.lines.inc({ source: 'syslog', format: p.format, outcome: 'parsed' });
    } else if (!result.skip) deadLetter(src, Buffer.from(frame), result.reason, p.format);
    if (events.length + letters.length >= config.INGEST_BATCH_SIZE) void flush();
  }

  let flushing: Promise<void> | null = null;
  async function flush(): Promise<void> {
    if (flushing) return flushing;
    flushing = (async () => {
      while (events.length > 0 || letters.length > 0) {
        const batch = events;
        const bad = letters;
        events = [];
        letters = [];
        try {
          if (bad.length > 0) {
            await sink.storeDeadLetters(bad);
            metrics.deadLetters.inc({ source: 'syslog', destination: 'table' }, bad.length);
          }
          if (batch.length > 0) {
            const { stored } = await sink.store(batch);
            metrics.aiEvents.inc({ source: 'syslog' }, stored);
          }
        } catch (err) {
          // Keep the lines and try again shortly; TCP senders wait meanwhile.
          events = batch.concat(events);
          letters = bad.concat(letters);
          metrics.storeErrors.inc({ table: 'events' });
          log.warn({ err, pending: events.length }, 'syslog batch store failed; retrying');
          await new Promise((r) => setTimeout(r, 1000));
        }
        if (events.length < maxPending) {
          for (const s of paused) s.resume();
          paused.clear();
        }
      }
    })().finally(() => (flushing = null));
    return flushing;
  }
  const timer = setInterval(() => void flush(), 200);
  timer.unref();

  const onStream = (transport: 'tcp' | 'tls') => (socket: Socket) => {
    const peer = socket.remoteAddress ?? 'unknown';
    const decoder = new FrameDecoder(
      config.INGEST_MAX_LINE_BYTES,
      (frame) => handle(frame, transport, peer),
      (bytes, reason) => deadLetter(`syslog:${transport}:${peer}`, bytes, reason),
    );
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      if (events.length >= maxPending) {
        socket.pause();
        paused.add(socket);
        void flush();
      }
    });
    socket.on('error', (err) => log.debug({ err, peer }, 'syslog connection error'));
    socket.on('close', () => paused.delete(socket));
  };

  let udp: UdpSocket | null = null;
  let tcp: Server | null = null;
  let tls: TlsServer | null = null;
  const ports: SyslogListener['ports'] = { udp: null, tcp: null, tls: null };
  if (config.SYSLOG_UDP_PORT !== undefined) {
    udp = createSocket(config.SYSLOG_HOST.includes(':') ? 'udp6' : 'udp4');
    udp.on('message', (msg, rinfo) => {
      if (events.length >= maxPending * 2) {
        metrics.lines.inc({ source: 'syslog', format: config.SYSLOG_FORMAT, outcome: 'dropped_overload' });
        return;
      }
      handle(msg, 'udp', rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      udp!.once('error', reject);
      udp!.bind(config.SYSLOG_UDP_PORT, config.SYSLOG_HOST, () => resolve());
    });
    ports.udp = udp.address().port;
  }
  const listen = async (server: Server | TlsServer, port: number) => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.SYSLOG_HOST, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  };
  if (config.SYSLOG_TCP_PORT !== undefined) {
    tcp = createServer(onStream('tcp'));
    ports.tcp = await listen(tcp, config.SYSLOG_TCP_PORT);
  }
  if (config.SYSLOG_TLS_PORT !== undefined) {
    if (!config.SYSLOG_TLS_CERT || !config.SYSLOG_TLS_KEY) throw new Error('SYSLOG_TLS_PORT needs SYSLOG_TLS_CERT and SYSLOG_TLS_KEY');
    tls = createTlsServer({ cert: readFileSync(config.SYSLOG_TLS_CERT), key: readFileSync(config.SYSLOG_TLS_KEY) }, onStream('tls'));
    ports.tls = await listen(tls, config.SYSLOG_TLS_PORT);
  }
  log.info({ ports, format: config.SYSLOG_FORMAT }, 'syslog listener started');

  return {
    ports,
    async stop() {
      // Sources first: no new messages, then flush what was received.
      udp?.close();
      await Promise.all(
        [tcp, tls].map((s) => (s ? new Promise<void>((r) => s.close(() => r())) : Promise.resolve())),
      );
      clearInterval(timer);
      await flush();
    },
  };
}
