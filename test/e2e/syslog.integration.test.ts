import { createSocket } from 'node:dgram';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, type Service } from '../support/service.ts';
import { makeTestPki } from '../support/test-pki.ts';

/** A BIND query line without its own date: the syslog header supplies the time. */
const named = (ip: string, name: string, time: string) =>
  `<30>Nov 23 ${time} ns1 named[812]: client @0x7f3e2c01a2b0 ${ip}#53211 (${name}): query: ${name} IN A + (10.0.0.53)`;

async function usage(service: Service, user: string): Promise<Record<string, number>> {
  const r = await getJson<{ apps?: { appId: string; requests: number }[] }>(`${service.url}/v1/users/${encodeURIComponent(user)}/usage`);
  return Object.fromEntries((r.body.apps ?? []).map((a) => [a.appId, a.requests]));
}

describe('syslog listener: UDP, TCP (RFC 6587 framings) and TLS', () => {
  const dir = tempDir('syslog');
  let service: Service;
  let ports: { udp: number; tcp: number; tls: number };

  beforeAll(async () => {
    const { certFile: cert, keyFile: key } = makeTestPki(dir).server;
    service = await startService({
      dataDir: join(dir, 'data'),
      env: {
        SYSLOG_UDP_PORT: '0',
        SYSLOG_TCP_PORT: '0',
        SYSLOG_TLS_PORT: '0',
        SYSLOG_TLS_CERT: cert,
        SYSLOG_TLS_KEY: key,
        SYSLOG_FORMAT: 'bind',
        SYSLOG_TIMEZONE: 'UTC',
      },
    });
    const m = /syslog listening on udp\/(\d+) tcp\/(\d+) tls\/(\d+)/.exec(service.output());
    expect(m).not.toBeNull();
    ports = { udp: Number(m![1]), tcp: Number(m![2]), tls: Number(m![3]) };
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  it('stores queries sent over UDP, one message per datagram, timed by the syslog header', async () => {
    const sock = createSocket('udp4');
    for (const msg of [named('10.7.0.1', 'chatgpt.com', '10:00:00'), named('10.7.0.1', 'claude.ai', '10:00:01')]) {
      await new Promise<void>((r, j) => sock.send(msg, ports.udp, '127.0.0.1', (e) => (e ? j(e) : r())));
    }
    sock.close();
    const u = await eventually(async () => {
      const x = await usage(service, '10.7.0.1');
      return Object.keys(x).length === 2 ? x : undefined;
    }, 30_000, 'UDP events');
    expect(u).toEqual({ chatgpt: 1, claude: 1 });
    const finding = await eventually(async () => {
      const items = (await getJson<{ items: { firstSeen: string }[] }>(`${service.url}/v1/findings?user=10.7.0.1&app=chatgpt`)).body.items;
      return items[0];
    }, 30_000, 'finding');
    // The payload has no date: the event time is the syslog header's (Nov 23 10:00:00, UTC).
    expect(finding.firstSeen).toMatch(/-11-23T10:00:00\.000Z$/);
  });

  it('stores queries sent over TCP with octet counting and with newline framing, and dead-letters a malformed frame', async () => {
    const frames = [named('10.7.0.2', 'chatgpt.com', '10:01:00'), named('10.7.0.2', 'chatgpt.com', '10:01:01')];
    const octet = frames.map((f) => `${Buffer.byteLength(f)} ${f}`).join('');
    const lf = named('10.7.0.2', 'claude.ai', '10:01:02') + '\n' + 'this is not syslog at all\n' + '77x broken count\n';
    await new Promise<void>((resolve, reject) => {
      const s = netConnect(ports.tcp, '127.0.0.1', () => {
        s.write(octet);
        s.end(lf);
      });
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    const u = await eventually(async () => {
      const x = await usage(service, '10.7.0.2');
      return x.claude === 1 && x.chatgpt === 2 ? x : undefined;
    }, 30_000, 'TCP events');
    expect(u).toEqual({ chatgpt: 2, claude: 1 });
    const metrics = await (await authFetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/shadow_ai_dead_letters_total\{source="syslog",destination="table"\} [2-9]/);
    expect((await getJson<{ status: string }>(`${service.url}/healthz`)).body.status).toBe('ok');
  });

  it('stores queries sent over TLS', async () => {
    await new Promise<void>((resolve, reject) => {
      const s = tlsConnect({ port: ports.tls, host: '127.0.0.1', rejectUnauthorized: false }, () => {
        const f = named('10.7.0.3', 'gemini.google.com', '10:02:00');
        s.end(`${Buffer.byteLength(f)} ${f}`);
      });
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    const u = await eventually(async () => {
      const x = await usage(service, '10.7.0.3');
      return Object.keys(x).length > 0 ? x : undefined;
    }, 30_000, 'TLS events');
    expect(u).toEqual({ 'google-gemini': 1 });
  });
});
