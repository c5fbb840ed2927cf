/**
 * Transports: how rendered findings reach a receiver. Each one has `send(messages)`, which resolves
 * only once the receiver has the batch as far as the protocol can tell, and throws otherwise — the
 * outbox then keeps the rows pending and retries the whole batch. A retry may repeat messages the
 * receiver already got (at-least-once); every message carries its idempotency id for that reason.
 *
 * What "has the batch" means per protocol:
 *  - syslog UDP: handed to the kernel. Nothing more is knowable; UDP is best-effort by design.
 *  - syslog TCP/TLS: written to the socket, and the connection stayed up for `settleMs` afterwards
 *    (plain syslog has no acknowledgements; a receiver that goes away resets the connection, and the
 *    settle window turns that into a retry instead of a silent loss).
 *  - Splunk HEC / webhook: a 2xx answer.
 *  - Kafka: acknowledged by all in-sync replicas (acks=-1).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import type { Logger } from '@shadow-ai/core';
import { createKafka } from '@shadow-ai/kafka';
import type {
  DestinationConfig,
  KafkaDestination,
  SplunkHecDestination,
  SyslogDestination,
  WebhookDestination,
} from './destinations.ts';
import type { MessageFormat } from './formats.ts';

/** One finding version rendered for one destination. */
export interface OutboundMessage {
  /** sha256 of (destination, finding id, finding updated_at): the receiver's de-duplication key. */
  idempotencyId: string;
  findingId: string;
  /** Epoch ms of the finding version (updated_at): the syslog TIMESTAMP, the HEC `time`. */
  time: number;
  /** 0–100; selects the syslog severity in PRI. */
  severity: number;
  format: MessageFormat;
  /** The rendered finding: one CEF or LEEF line, or a JSON text. */
  payload: string;
}

export interface Transport {
  /** Delivers the batch (in order) or throws. */
  send(messages: OutboundMessage[]): Promise<void>;
  /** Releases connections. `force` drops them at once without flushing (used to simulate a crash). */
  close(force?: boolean): Promise<void>;
}

export const SYSLOG_APP_NAME = 'shadow-ai';
const DEFAULT_FACILITY = 16; // local0
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_SETTLE_MS = 100;
const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
const WRITE_TIMEOUT_MS = 30_000;

export function createTransport(dest: DestinationConfig, log: Logger): Transport {
  switch (dest.type) {
    case 'syslog':
      return dest.protocol === 'udp' ? new SyslogUdpTransport(dest) : new SyslogStreamTransport(dest, log);
    case 'splunk-hec':
      return new SplunkHecTransport(dest);
    case 'webhook':
      return new WebhookTransport(dest);
    case 'kafka':
      return new KafkaTransport(dest, log);
  }
}

// ---------------------------------------------------------------------------------------------
// Syslog

/**
 * Finding severity 0–100 → syslog severity: ≥90 critical (2), ≥70 error (3), ≥40 warning (4),
 * ≥20 notice (5), else informational (6). Unsanctioned-app findings start at 40, so every finding
 * reaches a receiver that keeps warnings and above.
 */
export function syslogSeverity(severity: number): number {
  if (severity >= 90) return 2;
  if (severity >= 70) return 3;
  if (severity >= 40) return 4;
  if (severity >= 20) return 5;
  return 6;
}

/** RFC 5424 HOSTNAME: printable US-ASCII without spaces, at most 255 characters, `-` when empty. */
function headerHostname(name: string): string {
  const clean = name.replace(/[^\x21-\x7e]/g, '').slice(0, 255);
  return clean === '' ? '-' : clean;
}

/** `<PRI>1 TIMESTAMP HOSTNAME shadow-ai - - - MSG` (no PROCID, MSGID or structured data). */
export function rfc5424(message: OutboundMessage, opts: { facility?: number; hostname: string }): string {
  const pri = (opts.facility ?? DEFAULT_FACILITY) * 8 + syslogSeverity(message.severity);
  const time = Number.isFinite(message.time) ? message.time : Date.now();
  return `<${pri}>1 ${new Date(time).toISOString()} ${headerHostname(opts.hostname)} ${SYSLOG_APP_NAME} - - - ${message.payload}`;
}

/** RFC 6587 octet counting: `<byte length> <message>`, so a message may even contain LF. */
export function octetCountedFrame(line: string): Buffer {
  const body = Buffer.from(line, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Syslog over TCP or TLS (RFC 6587 octet counting, which RFC 5425 mandates for TLS) on one
 * persistent connection, opened on first use and re-opened by the next send after it broke.
 */
export class SyslogStreamTransport implements Transport {
  private socket: Socket | null = null;
  private connecting: Promise<Socket> | null = null;
  /** Incremented whenever the current connection dies: a send that saw it change was not delivered. */
  private epoch = 0;
  private lastSocketError: Error | null = null;
  private readonly hostname: string;
  private readonly target: string;

  constructor(
    private readonly dest: SyslogDestination,
    private readonly log?: Logger,
  ) {
    this.hostname = dest.hostname ?? osHostname();
    this.target = `${dest.protocol}://${dest.host}:${dest.port}`;
  }

  async send(messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const data = Buffer.concat(messages.map((m) => octetCountedFrame(rfc5424(m, { facility: this.dest.facility, hostname: this.hostname }))));
    const socket = await this.connection();
    const epoch = this.epoch;
    await new Promise<void>((resolve, reject) => {
      // A receiver that stops reading would otherwise keep this send (and the worker) waiting forever.
      const timer = setTimeout(() => socket.destroy(new Error(`syslog write to ${this.target} timed out`)), WRITE_TIMEOUT_MS);
      socket.write(data, (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
    });
    const settleMs = this.dest.settleMs ?? DEFAULT_SETTLE_MS;
    if (settleMs > 0) await sleep(settleMs);
    if (this.epoch !== epoch) {
      const why = this.lastSocketError ? describeError(this.lastSocketError) : 'closed by the receiver';
      throw new Error(`syslog connection to ${this.target} lost right after sending (${why}); the batch is retried`);
    }
  }

  async close(force = false): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket || socket.destroyed) return;
    if (force) {
      socket.destroy();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), 2_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  private connection(): Promise<Socket> {
    const current = this.socket;
    if (current && !current.destroyed && current.writable) return Promise.resolve(current);
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private open(): Promise<Socket> {
    const { dest } = this;
    return new Promise<Socket>((resolve, reject) => {
      const tls = dest.protocol === 'tls';
      const socket: Socket = tls
        ? tlsConnect({
            host: dest.host,
            port: dest.port,
            ca: dest.ca,
            cert: dest.cert,
            key: dest.key,
            rejectUnauthorized: dest.rejectUnauthorized ?? true,
            // SNI must not be an IP address; the certificate check then uses the IP.
            servername: dest.servername ?? (isIP(dest.host) === 0 ? dest.host : undefined),
          })
        : netConnect({ host: dest.host, port: dest.port });
      const timer = setTimeout(
        () => socket.destroy(new Error(`connect to ${this.target} timed out`)),
        dest.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      );
      const onError = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`syslog connect to ${this.target} failed: ${err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        this.adopt(socket);
        resolve(socket);
      });
    });
  }

  private adopt(socket: Socket): void {
    socket.setNoDelay(true);
    // Detects a receiver host that vanished without closing (no FIN, no RST) while idle.
    socket.setKeepAlive(true, 30_000);
    socket.on('error', (err) => {
      this.lastSocketError = err;
    });
    // Syslog receivers never half-close: the end of their side means they are gone.
    socket.on('end', () => socket.destroy());
    socket.on('close', () => {
      this.epoch++;
      if (this.socket === socket) this.socket = null;
      this.log?.debug({ target: this.target }, 'syslog connection closed');
    });
    // Receivers send nothing; reading anyway is what makes their FIN/RST observable as 'end'/'close'.
    socket.resume();
    this.lastSocketError = null;
    this.socket = socket;
  }
}

/**
 * Syslog over UDP, one message per datagram (RFC 5426). At most once on the wire: a lost datagram is
 * not noticed. The socket is connected, so an ICMP "port unreachable" from a receiver that is down
 * surfaces as an error on a later send instead of going nowhere.
 */
export class SyslogUdpTransport implements Transport {
  private socket: UdpSocket | null = null;
  private connecting: Promise<UdpSocket> | null = null;
  private pendingError: Error | null = null;
  private readonly hostname: string;

  constructor(private readonly dest: SyslogDestination) {
    this.hostname = dest.hostname ?? osHostname();
  }

  async send(messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const socket = await this.connection();
    for (const m of messages) {
      const datagram = Buffer.from(rfc5424(m, { facility: this.dest.facility, hostname: this.hostname }), 'utf8');
      await new Promise<void>((resolve, reject) => socket.send(datagram, (err) => (err ? reject(err) : resolve())));
    }
    if (this.pendingError) {
      const err = this.pendingError;
      this.pendingError = null;
      throw new Error(`syslog udp://${this.dest.host}:${this.dest.port}: ${err.message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private connection(): Promise<UdpSocket> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<UdpSocket>((resolve, reject) => {
      const socket = createSocket(isIP(this.dest.host) === 6 ? 'udp6' : 'udp4');
      const onError = (err: Error): void => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.connect(this.dest.port, this.dest.host, () => {
        socket.off('error', onError);
        socket.on('error', (err) => {
          // Reported by the next send; the socket is rebuilt then.
          this.pendingError = err;
          if (this.socket === socket) this.socket = null;
          socket.close();
        });
        this.socket = socket;
        resolve(socket);
      });
    }).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP (Splunk HEC, webhook)

interface HttpTarget {
  url: URL;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  rejectUnauthorized?: boolean | undefined;
  timeoutMs?: number | undefined;
}

interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A keep-alive HTTP(S) client for one target: node:https because a custom CA needs an Agent. */
class HttpPoster {
  private readonly agent: HttpAgent | HttpsAgent;

  constructor(private readonly target: HttpTarget) {
    const { url } = target;
    this.agent =
      url.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            ca: target.ca,
            cert: target.cert,
            key: target.key,
            rejectUnauthorized: target.rejectUnauthorized ?? true,
          })
        : new HttpAgent({ keepAlive: true });
  }

  /** The URL without credentials or query, for error messages (a token may sit in either). */
  get safeUrl(): string {
    const { url } = this.target;
    return `${url.protocol}//${url.host}${url.pathname}`;
  }

  post(body: string, headers: Record<string, string>): Promise<HttpResult> {
    const { url } = this.target;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<HttpResult>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
          timeout: this.target.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            // Only the start of an answer matters (for the error message); do not buffer a huge one.
            if (size < 64 * 1024) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`POST ${this.safeUrl} timed out`)));
      req.on('error', (err) => reject(new Error(`POST ${this.safeUrl} failed: ${err.message}`, { cause: err })));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

export const HEC_EVENT_PATH = '/services/collector/event';

/**
 * Splunk HTTP Event Collector: the whole batch in one POST to `/services/collector/event` as
 * concatenated event objects `{"time":…,"host":…,"source":…,"sourcetype":…,"index":…,"fields":{…},"event":…}`
 * with `Authorization: Splunk <token>`. `event` is the JSON document for format json, else the CEF/LEEF
 * line as a string. `time` is epoch seconds with milliseconds; the idempotency id is also an indexed
 * field, so duplicates can be found with `| dedup idempotency_id` without parsing the event.
 * A 2xx answer means HEC accepted the batch; indexer acknowledgement is not polled, but a channel is
 * sent so tokens with acknowledgement enabled accept the requests at all.
 */
export class SplunkHecTransport implements Transport {
  private readonly http: HttpPoster;
  private readonly channel = randomUUID();

  constructor(private readonly dest: SplunkHecDestination) {
    const url = new URL(dest.url);
    if (!url.pathname.includes('/services/collector')) url.pathname = `${url.pathname.replace(/\/+$/, '')}${HEC_EVENT_PATH}`;
    this.http = new HttpPoster({ ...dest, url });
  }

  async send(messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const { dest } = this;
    const body = messages
      .map((m) => {
        const meta = {
          time: Number.isFinite(m.time) ? m.time / 1000 : Date.now() / 1000,
          ...(dest.host !== undefined ? { host: dest.host } : {}),
          source: dest.source ?? SYSLOG_APP_NAME,
          sourcetype: dest.sourcetype ?? 'shadow-ai:finding',
          ...(dest.index !== undefined ? { index: dest.index } : {}),
          fields: { idempotency_id: m.idempotencyId, finding_id: m.findingId },
        };
        // The JSON payload is embedded as it was rendered; re-parsing it would only cost time.
        const event = m.format === 'json' ? m.payload : JSON.stringify(m.payload);
        return `${JSON.stringify(meta).slice(0, -1)},"event":${event}}`;
      })
      .join('\n');
    const res = await this.http.post(body, { authorization: `Splunk ${dest.token}`, 'x-splunk-request-channel': this.channel });
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`Splunk HEC ${this.http.safeUrl} answered ${res.status}: ${snippet(res.body)}`);
    }
  }

  async close(): Promise<void> {
    this.http.close();
  }
}

export const WEBHOOK_TIMESTAMP_HEADER = 'X-Shadow-AI-Timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'X-Shadow-AI-Signature';
export const WEBHOOK_IDEMPOTENCY_HEADER = 'X-Shadow-AI-Idempotency-Key';

/**
 * `sha256=` + hex HMAC-SHA256(secret, `<timestamp>.<raw body>`), timestamp in Unix seconds as sent in
 * X-Shadow-AI-Timestamp. Signing the timestamp lets a receiver reject replays of old requests.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers: constant-time check of a signature, and that the timestamp is within `toleranceSec`. */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  opts: { toleranceSec?: number; nowMs?: number } = {},
): boolean {
  const { timestamp, signature } = headers;
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false;
  const age = Math.abs((opts.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (age > (opts.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Generic webhook: one signed POST per finding version, in order. The body is the JSON document
 * (format json) or `{"idempotencyId","findingId","format","message"}` around a CEF/LEEF line.
 * Only a 2xx answer counts as delivered.
 */
export class WebhookTransport implements Transport {
  private readonly http: HttpPoster;

  constructor(private readonly dest: WebhookDestination) {
    this.http = new HttpPoster({ ...dest, url: new URL(dest.url) });
  }

  async send(messages: OutboundMessage[]): Promise<void> {
    for (const m of messages) {
      const body =
        m.format === 'json'
          ? m.payload
          : JSON.stringify({ idempotencyId: m.idempotencyId, findingId: m.findingId, format: m.format, message: m.payload });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const res = await this.http.post(body, {
        ...this.dest.headers,
        'user-agent': 'shadow-ai-watch/0.1.0',
        [WEBHOOK_TIMESTAMP_HEADER]: timestamp,
        [WEBHOOK_SIGNATURE_HEADER]: signWebhook(this.dest.secret, timestamp, body),
        [WEBHOOK_IDEMPOTENCY_HEADER]: m.idempotencyId,
      });
      if (res.status < 200 || res.status >= 300) {
        throw new Error(`webhook ${this.http.safeUrl} answered ${res.status}: ${snippet(res.body)}`);
      }
    }
  }

  async close(): Promise<void> {
    this.http.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka

export const DEFAULT_FINDINGS_TOPIC = 'findings';
export const KAFKA_IDEMPOTENCY_HEADER = 'idempotency-id';

type KafkaProducer = ReturnType<ReturnType<typeof createKafka>['producer']>;

/**
 * Kafka: topic `findings` (configurable), key = finding id (so all versions of a finding land in one
 * partition, in order), header `idempotency-id`, value = the rendered finding. The producer is
 * idempotent, so kafkajs' own retries add no duplicates; acks=-1 waits for all in-sync replicas.
 */
export class KafkaTransport implements Transport {
  private producer: KafkaProducer | null = null;
  private connecting: Promise<KafkaProducer> | null = null;

  constructor(
    private readonly dest: KafkaDestination,
    private readonly log: Logger,
  ) {}

  async send(messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.connection();
    await producer.send({
      topic: this.dest.topic ?? DEFAULT_FINDINGS_TOPIC,
      acks: -1,
      messages: messages.map((m) => ({
        key: m.findingId,
        value: m.payload,
        timestamp: String(Number.isFinite(m.time) ? m.time : Date.now()),
        headers: { [KAFKA_IDEMPOTENCY_HEADER]: m.idempotencyId, format: m.format },
      })),
    });
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    if (producer) await producer.disconnect();
  }

  private connection(): Promise<KafkaProducer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const { securityProtocol: protocol = 'plaintext', ca, cert, key, rejectUnauthorized, sasl } = this.dest;
      const kafka = createKafka({
        brokers: this.dest.brokers,
        clientId: this.dest.clientId ?? 'shadow-ai-forwarder',
        log: this.log,
        security: { protocol, ca, cert, key, rejectUnauthorized, sasl },
      });
      const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
      try {
        await producer.connect();
      } catch (err) {
        await producer.disconnect().catch(() => undefined);
        throw err;
      }
      this.producer = producer;
      return producer;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }
}
