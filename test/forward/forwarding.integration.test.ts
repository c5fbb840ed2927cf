// Forwarding findings to SIEMs through the durable outbox, against real receivers: rsyslogd (TCP,
// TLS, UDP), local HTTP receivers standing in for a webhook consumer and Splunk HEC, and the Kafka
// broker of the integration globalSetup. The outbox lives in the embedded ClickHouse.
import { createHmac, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, migrate, queryRows, type Store } from '@shadow-ai/clickhouse';
import { createLogger, loadConfig } from '@shadow-ai/core';
import { findingId, type FindingRow } from '../../detect/src/findings.detector.ts';
import { parseCef } from '../../detect/src/forward/cef-test-parser.ts';
import {
  createTransport,
  idempotencyId,
  KAFKA_IDEMPOTENCY_HEADER,
  Outbox,
  syslogSeverity,
  type DestinationConfig,
  type DestinationStatus,
  type OutboundMessage,
  type OutboxOptions,
  type Transport,
} from '../../detect/src/forward/index.ts';
import { consumeAll, createTopics, testKafkaBrokers } from '../support/kafka-admin.ts';
import { Rsyslog } from './rsyslog.ts';

const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
const T0 = Date.parse('2026-11-25T10:00:00.000Z');
/** ClickHouse DateTime64(3) text, as FindingRow carries it. */
const chTime = (ms: number): string => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');

/** User names that exercise every CEF escape and a few things syslog receivers like to mangle. */
const USERS = ['alice@corp.example', 'CORP\\bob', 'eve=admin', 'pipe|user', 'Zoë Müller', 'multi\nline', 'x cs1=forged'];

function makeFindings(tag: string, n: number, severity: (i: number) => number = () => 57): FindingRow[] {
  return Array.from({ length: n }, (_, i) => {
    const user = `${USERS[i % USERS.length]}#${tag}${i}`;
    const app = ['chatgpt', 'claude', 'gemini'][i % 3]!;
    return {
      id: findingId('unsanctioned-app', user, app),
      type: 'unsanctioned-app',
      user,
      app_id: app,
      sanction: i % 4 === 0 ? 'blocked' : 'unsanctioned',
      severity: severity(i),
      status: 'open',
      first_seen: chTime(T0 - 86_400_000 + i),
      last_seen: chTime(T0 - 1_000 + i),
      requests: 10 + i,
      bytes_out: 1_000 * i,
      bytes_in: 2_000 * i,
      updated_at: chTime(T0 + i),
      evidence: JSON.stringify({ rule: 'test', tag, i, note: 'a=b\\c' }),
      finding_key: '',
    };
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const SYSLOG_RE = /^<(\d+)>1 (\S+) (\S+) shadow-ai - - - (.*)$/;

interface CefArrival {
  pri: number;
  timestamp: string;
  host: string;
  ext: Record<string, string>;
  severity: string;
}

/** Parses rsyslog's raw lines as RFC 5424 + CEF; fails the test on any line that does not parse. */
function cefArrivals(lines: string[]): CefArrival[] {
  return lines.map((line) => {
    const m = SYSLOG_RE.exec(line);
    if (!m) throw new Error(`not an RFC 5424 line from the forwarder: ${line}`);
    const cef = parseCef(m[4]!);
    return { pri: Number(m[1]), timestamp: m[2]!, host: m[3]!, ext: cef.ext, severity: cef.severity };
  });
}

/** The arrivals that belong to `findings` (the rsyslog files are shared by the tests of this file). */
function mine(arrivals: CefArrival[], findings: FindingRow[]): CefArrival[] {
  const ids = new Set(findings.map((f) => f.id));
  return arrivals.filter((a) => ids.has(a.ext.cs1 ?? ''));
}

function counts(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

describe('forwarding findings through the outbox to real receivers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-forward-'));
  let store: Store;
  let rsyslog: Rsyslog;
  const outboxes: Outbox[] = [];
  const servers: Server[] = [];

  const outbox = (opts: Omit<OutboxOptions, 'client'>): Outbox => {
    const o = new Outbox({ client: store.client, log, pollIntervalMs: 100, backoff: { initialMs: 100, maxMs: 800 }, ...opts });
    outboxes.push(o);
    return o;
  };

  const drained = (o: Outbox, ids: string[]): Promise<DestinationStatus[]> =>
    until(`outbox ${ids.join(',')} drained`, async () => {
      const s = (await o.refreshStatus()).filter((x) => ids.includes(x.id));
      return s.every((x) => x.pending === 0) ? s : undefined;
    });

  beforeAll(async () => {
    // Started first: a missing rsyslogd fails here, loudly, before anything else is set up.
    rsyslog = await Rsyslog.start(dir);
    store = await createStore(loadConfig({ SHADOW_AI_DATA_DIR: join(dir, 'data') }), log);
    await migrate(store.client, log);
  });

  afterAll(async () => {
    for (const o of outboxes) o.abort();
    for (const s of servers) s.close();
    await rsyslog?.stop();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every finding exactly once over TCP and TLS (CEF) and UDP (LEEF), in version order', async () => {
    const dests: DestinationConfig[] = [
      { id: 'rs-tcp', type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port: rsyslog.ports.tcp, hostname: 'fwd-test' },
      // Verified against the test CA: rejectUnauthorized stays at its default (true).
      { id: 'rs-tls', type: 'syslog', protocol: 'tls', host: '127.0.0.1', port: rsyslog.ports.tls, ca: rsyslog.certPem, hostname: 'fwd-test' },
      { id: 'rs-udp', type: 'syslog', protocol: 'udp', host: '127.0.0.1', port: rsyslog.ports.udp, format: 'leef', hostname: 'fwd-test' },
    ];
    const findings = makeFindings('ex', 20);
    const o = outbox({ destinations: dests, batchSize: 7 });
    expect(await o.enqueue(findings)).toBe(60);
    // The same versions again: nothing new.
    expect(await o.enqueue(findings)).toBe(0);
    // A newer version of finding 0 is a new row, delivered after the older one.
    const newer: FindingRow = { ...findings[0]!, requests: 999, status: 'acknowledged', updated_at: chTime(T0 + 60_000) };
    expect(await o.enqueue([newer])).toBe(3);
    expect(o.status().map((s) => s.pending)).toEqual([21, 21, 21]);
    o.start();

    const versions = [...findings, newer];
    for (const listener of ['tcp', 'tls'] as const) {
      await until(`${listener}: 21 messages`, () => (mine(cefArrivals(rsyslog.lines(listener)), versions).length >= 21 ? true : undefined));
    }
    await until('udp: 21 messages', () => (rsyslog.lines('udp').filter((l) => l.includes('#ex')).length >= 21 ? true : undefined));
    const status = await drained(o, ['rs-tcp', 'rs-tls', 'rs-udp']);
    // Time for surplus messages to show up, if there were any.
    await sleep(300);

    for (const [listener, dest] of [['tcp', 'rs-tcp'], ['tls', 'rs-tls']] as const) {
      const got = mine(cefArrivals(rsyslog.lines(listener)), versions);
      expect(got, listener).toHaveLength(21);
      const byIdem = new Map(got.map((a) => [a.ext.cs2 ?? '', a]));
      expect(byIdem.size, `${listener}: distinct idempotency ids`).toBe(21);
      for (const f of versions) {
        const a = byIdem.get(idempotencyId(dest, f.id, f.updated_at));
        expect(a, `${listener}: ${f.user} @ ${f.updated_at}`).toBeDefined();
        expect(a!.host).toBe('fwd-test');
        expect(a!.pri).toBe(16 * 8 + syslogSeverity(f.severity));
        expect(a!.timestamp).toBe(new Date(`${f.updated_at.replace(' ', 'T')}Z`).toISOString());
        expect(a!.severity).toBe('6');
        expect(a!.ext).toMatchObject({
          suser: f.user,
          app: f.app_id,
          cat: f.sanction,
          act: f.status,
          cnt: String(f.requests),
          out: String(f.bytes_out),
          in: String(f.bytes_in),
          externalId: f.id,
          cs1Label: 'findingId',
          cs1: f.id,
          cs2Label: 'idempotencyId',
          cs3Label: 'evidence',
          cs3: f.evidence,
          rt: String(Date.parse(`${f.updated_at.replace(' ', 'T')}Z`)),
          start: String(Date.parse(`${f.first_seen.replace(' ', 'T')}Z`)),
          end: String(Date.parse(`${f.last_seen.replace(' ', 'T')}Z`)),
        });
      }
      // Versions of one finding arrive in order.
      const v0 = got.filter((a) => a.ext.cs1 === findings[0]!.id).map((a) => a.ext.cnt);
      expect(v0).toEqual([String(findings[0]!.requests), '999']);
    }

    // UDP carried LEEF 2.0 with TAB delimiters, byte for byte (rsyslog told not to escape controls).
    const leef = rsyslog.lines('udp').filter((l) => l.includes('#ex')).map((l) => SYSLOG_RE.exec(l)?.[4] ?? l);
    expect(leef).toHaveLength(21);
    const leefIdems = leef.map((l) => {
      expect(l.startsWith('LEEF:2.0|Shadow AI Watch|shadow-ai|0.1.0|unsanctioned-app|x09|')).toBe(true);
      return /\tidempotencyId=([0-9a-f]{64})/.exec(l)?.[1];
    });
    expect(new Set(leefIdems)).toEqual(new Set(versions.map((f) => idempotencyId('rs-udp', f.id, f.updated_at))));

    expect(status.map(({ id, pending, delivered, failedAttempts, lastError, lagSeconds }) => ({ id, pending, delivered, failedAttempts, lastError, lagSeconds }))).toEqual(
      ['rs-tcp', 'rs-tls', 'rs-udp'].map((id) => ({ id, pending: 0, delivered: 21, failedAttempts: 0, lastError: null, lagSeconds: 0 })),
    );
    expect(status.every((s) => s.lastDeliveredAt !== null && s.running)).toBe(true);
    const rows = await queryRows<{ destination: string; n: number; delivered: number; max_attempts: number }>(
      store.client,
      `SELECT destination, count() AS n, countIf(delivered_at IS NOT NULL) AS delivered, max(attempts) AS max_attempts
       FROM outbox FINAL WHERE destination IN {d:Array(String)} GROUP BY destination ORDER BY destination`,
      { d: ['rs-tcp', 'rs-tls', 'rs-udp'] },
    );
    expect(rows.map((r) => ({ ...r, n: Number(r.n), delivered: Number(r.delivered), max_attempts: Number(r.max_attempts) }))).toEqual(
      ['rs-tcp', 'rs-tls', 'rs-udp'].map((destination) => ({ destination, n: 21, delivered: 21, max_attempts: 1 })),
    );
    await o.stop();
  });

  it('keeps findings through a receiver outage and delivers them all when rsyslog is back', async () => {
    const dests: DestinationConfig[] = [
      { id: 'rs-outage-tcp', type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port: rsyslog.ports.tcp },
      { id: 'rs-outage-tls', type: 'syslog', protocol: 'tls', host: '127.0.0.1', port: rsyslog.ports.tls, ca: rsyslog.certPem },
    ];
    const o = outbox({ destinations: dests, batchSize: 4 });
    o.start();
    await rsyslog.stop();
    const findings = makeFindings('out', 10);
    expect(await o.enqueue(findings)).toBe(20);

    const failing = await until('both destinations failing', async () => {
      const s = await o.refreshStatus();
      return s.every((x) => x.failedAttempts >= 8 && x.lastError !== null) ? s : undefined;
    });
    for (const s of failing) {
      expect(s.pending).toBe(10);
      expect(s.delivered).toBe(0);
      expect(s.lastError).toMatch(/ECONNREFUSED/);
      expect(s.lagSeconds).toBeGreaterThan(0);
    }

    await rsyslog.resume();
    for (const listener of ['tcp', 'tls'] as const) {
      await until(`${listener}: 10 messages after the outage`, () => (mine(cefArrivals(rsyslog.lines(listener)), findings).length >= 10 ? true : undefined));
    }
    const after = await drained(o, ['rs-outage-tcp', 'rs-outage-tls']);
    await sleep(300);
    for (const [listener, dest] of [['tcp', 'rs-outage-tcp'], ['tls', 'rs-outage-tls']] as const) {
      const got = mine(cefArrivals(rsyslog.lines(listener)), findings);
      expect(got.map((a) => a.ext.cs2).sort()).toEqual(findings.map((f) => idempotencyId(dest, f.id, f.updated_at)).sort());
    }
    for (const s of after) {
      expect(s).toMatchObject({ pending: 0, delivered: 10, lagSeconds: 0 });
      // The failures stay visible after the recovery.
      expect(s.failedAttempts).toBeGreaterThan(0);
      expect(s.lastError).toMatch(/ECONNREFUSED/);
    }
    await o.stop();
  });

  it('loses nothing when the forwarder dies mid-delivery; only the unrecorded batch repeats, with the same ids', async () => {
    const dest: DestinationConfig = { id: 'rs-crash', type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port: rsyslog.ports.tcp };
    const findings = makeFindings('crash', 30);
    let batches = 0;
    let crashBatch: string[] = [];
    let crashed: () => void = () => {};
    const crashPoint = new Promise<void>((resolve) => {
      crashed = resolve;
    });
    // The third batch reaches rsyslog, then the "process" freezes before recording the delivery.
    const dying = (d: DestinationConfig): Transport => {
      const real = createTransport(d, log);
      return {
        async send(messages: OutboundMessage[]) {
          batches++;
          await real.send(messages);
          if (batches === 3) {
            crashBatch = messages.map((m) => m.idempotencyId);
            crashed();
            await new Promise<never>(() => {});
          }
        },
        close: (force) => real.close(force),
      };
    };
    const first = outbox({ destinations: [dest], batchSize: 5, transportFactory: dying });
    expect(await first.enqueue(findings)).toBe(30);
    first.start();
    await crashPoint;
    first.abort();

    // A new process on the same store: two batches were recorded, the third was sent but not recorded.
    const second = outbox({ destinations: [dest], batchSize: 5 });
    expect((await second.refreshStatus())[0]).toMatchObject({ pending: 20, delivered: 10 });
    second.start();
    await until('35 crash-test messages', () => (mine(cefArrivals(rsyslog.lines('tcp')), findings).length >= 35 ? true : undefined));
    const [status] = await drained(second, ['rs-crash']);
    await sleep(300);

    const got = mine(cefArrivals(rsyslog.lines('tcp')), findings);
    const byIdem = counts(got.map((a) => a.ext.cs2 ?? ''));
    const expected = findings.map((f) => idempotencyId('rs-crash', f.id, f.updated_at));
    // None lost.
    expect([...byIdem.keys()].sort()).toEqual([...expected].sort());
    // Duplicates: exactly the batch whose delivery was never recorded, each twice, same idempotency id.
    const duplicated = [...byIdem].filter(([, n]) => n > 1);
    expect(duplicated.map(([id]) => id).sort()).toEqual([...crashBatch].sort());
    expect(duplicated.every(([, n]) => n === 2)).toBe(true);
    expect(crashBatch).toHaveLength(5);
    // A duplicate is the same finding version: same finding id and fields under the same idempotency id.
    for (const id of crashBatch) {
      const copies = got.filter((a) => a.ext.cs2 === id);
      expect(copies[0]!.ext).toEqual(copies[1]!.ext);
    }
    expect(status).toMatchObject({ pending: 0, delivered: 30 });
    await second.stop();
  });

  it('stop() lets the in-flight send finish and records it, then stops', async () => {
    const dest: DestinationConfig = { id: 'rs-stop', type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port: rsyslog.ports.tcp };
    const findings = makeFindings('stop', 10);
    let sends = 0;
    let closed = false;
    let started: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const slow = (d: DestinationConfig): Transport => {
      const real = createTransport(d, log);
      return {
        async send(messages: OutboundMessage[]) {
          sends++;
          started();
          await sleep(400);
          await real.send(messages);
        },
        close: async (force) => {
          closed = true;
          await real.close(force);
        },
      };
    };
    const o = outbox({ destinations: [dest], batchSize: 4, transportFactory: slow });
    await o.enqueue(findings);
    o.start();
    await inFlight;
    await o.stop();
    expect(sends).toBe(1);
    expect(closed).toBe(true);
    expect(o.status()[0]).toMatchObject({ pending: 6, delivered: 4, running: false });
    expect((await o.refreshStatus())[0]).toMatchObject({ pending: 6, delivered: 4 });
    await until('the 4 sent before stop', () => (mine(cefArrivals(rsyslog.lines('tcp')), findings).length === 4 ? true : undefined));
  });

  async function receiver(handle: (req: IncomingMessage, body: string) => number): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = handle(req, Buffer.concat(chunks).toString('utf8'));
        res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{"text":"Success","code":0}' : '{"text":"Server is busy","code":9}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('webhook: signed with the documented HMAC, carries the idempotency key, retried after a 503', async () => {
    const secret = 'webhook-secret-for-tests';
    const received: { headers: IncomingHttpHeaders; body: string; valid: boolean }[] = [];
    let requests = 0;
    const url = await receiver((req, body) => {
      requests++;
      if (requests === 1) return 503;
      const ts = String(req.headers['x-shadow-ai-timestamp']);
      // The receiver's side of the contract: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>.
      const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
      received.push({ headers: req.headers, body, valid: req.headers['x-shadow-ai-signature'] === expected });
      return 200;
    });
    const dest: DestinationConfig = { id: 'webhook', type: 'webhook', url: `${url}/findings`, secret };
    const findings = makeFindings('wh', 6);
    const o = outbox({ destinations: [dest] });
    await o.enqueue(findings);
    o.start();
    const [status] = await drained(o, ['webhook']);
    expect(requests).toBe(7);
    expect(received.every((r) => r.valid)).toBe(true);
    const docs = received.map((r) => JSON.parse(r.body) as { idempotencyId: string; findingId: string; user: string });
    expect(docs.map((d) => d.findingId)).toEqual(findings.map((f) => f.id));
    expect(docs.map((d) => d.user)).toEqual(findings.map((f) => f.user));
    for (const [i, r] of received.entries()) {
      expect(r.headers['x-shadow-ai-idempotency-key']).toBe(idempotencyId('webhook', findings[i]!.id, findings[i]!.updated_at));
      expect(docs[i]!.idempotencyId).toBe(r.headers['x-shadow-ai-idempotency-key']);
    }
    expect(status).toMatchObject({ pending: 0, delivered: 6, failedAttempts: 6 });
    expect(status!.lastError).toMatch(/503/);
    await o.stop();
  });

  it('Splunk HEC: Splunk token, event endpoint, time/sourcetype/event per finding; minSeverity filters', async () => {
    const bodies: string[] = [];
    let badAuth = 0;
    const url = await receiver((req, body) => {
      if (req.url !== '/services/collector/event' || req.headers.authorization !== 'Splunk hec-token-123') {
        badAuth++;
        return 401;
      }
      bodies.push(body);
      return 200;
    });
    const dest: DestinationConfig = { id: 'hec', type: 'splunk-hec', url, token: 'hec-token-123', sourcetype: 'shadow-ai:finding', minSeverity: 50 };
    const findings = makeFindings('hec', 8, (i) => (i % 2 === 0 ? 80 : 40));
    const o = outbox({ destinations: [dest] });
    expect(await o.enqueue(findings)).toBe(4);
    o.start();
    await drained(o, ['hec']);
    expect(badAuth).toBe(0);
    const events = bodies.flatMap((b) => b.split('\n')).map((l) => JSON.parse(l) as {
      time: number; sourcetype: string; source: string; fields: { idempotency_id: string }; event: { idempotencyId: string; findingId: string; severity: number; user: string };
    });
    const kept = findings.filter((f) => f.severity >= 50);
    expect(events.map((e) => e.event.findingId)).toEqual(kept.map((f) => f.id));
    for (const [i, e] of events.entries()) {
      const f = kept[i]!;
      expect(e.time).toBe(Date.parse(`${f.updated_at.replace(' ', 'T')}Z`) / 1000);
      expect(e.sourcetype).toBe('shadow-ai:finding');
      expect(e.source).toBe('shadow-ai');
      expect(e.event).toMatchObject({ user: f.user, severity: 80, idempotencyId: idempotencyId('hec', f.id, f.updated_at) });
      expect(e.fields.idempotency_id).toBe(e.event.idempotencyId);
    }
    await o.stop();
  });

  it('Kafka: one record per finding version, key = finding id, idempotency id header', async () => {
    const brokers = testKafkaBrokers();
    const topic = `findings-${randomUUID().slice(0, 8)}`;
    await createTopics(brokers, [{ topic }]);
    const dest: DestinationConfig = { id: 'kafka', type: 'kafka', brokers, topic };
    const findings = makeFindings('kafka', 6);
    const o = outbox({ destinations: [dest] });
    await o.enqueue(findings);
    o.start();
    const records = await consumeAll(brokers, topic, { expected: 6, timeoutMs: 30_000, settleMs: 300 });
    await drained(o, ['kafka']);
    expect(records).toHaveLength(6);
    expect(records.map((r) => r.key?.toString())).toEqual(findings.map((f) => f.id));
    for (const [i, r] of records.entries()) {
      const f = findings[i]!;
      const idem = idempotencyId('kafka', f.id, f.updated_at);
      expect(r.headers?.[KAFKA_IDEMPOTENCY_HEADER]?.toString()).toBe(idem);
      expect(JSON.parse(r.value?.toString() ?? '{}')).toMatchObject({ idempotencyId: idem, findingId: f.id, user: f.user, appId: f.app_id });
    }
    await o.stop();
  });
});
