// The enforcement exports checked by the real tools from Debian: the zone, configuration and PAC files
// are loaded by named-checkzone, unbound-checkconf, dnsmasq, squid and pactester, and Unbound, dnsmasq
// and squid are run on loopback to show that they refuse what the files block and pass the rest.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createConnection, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { loadCatalog, type CatalogApp } from '@shadow-ai/catalog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderExport, squidAclName, squidAclPath, type ExportFormat, type ExportList } from '../../detect/src/exports/exports.ts';
import { freeTcpPort, freeUdpPort } from '../support/ports.ts';

/** Each tool and the Debian package that ships it (what .ci/run installs). */
const TOOLS = {
  'named-checkzone': 'bind9-utils',
  'unbound-checkconf': 'unbound',
  unbound: 'unbound',
  dnsmasq: 'dnsmasq-base',
  squid: 'squid',
  pactester: 'libpacparser1',
} as const;
type Tool = keyof typeof TOOLS;

/** sbin directories too: squid and unbound live there and are often not on a non-root PATH. */
function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const AT = new Date('2026-11-23T09:00:00.000Z');
const ORIGIN_BODY = 'hello from the allowed origin';

let dir = '';
let apps: CatalogApp[] = [];
let catalogVersion = '';
const bin = {} as Record<Tool, string>;

function exportFile(format: ExportFormat, list: ExportList = 'blocked', only?: CatalogApp[]): { path: string; body: string } {
  const r = renderExport(format, { list, apps: only ?? apps, generatedAt: AT, catalogVersion });
  const path = join(dir, `${list}-${r.fileName}`);
  writeFileSync(path, r.body);
  return { path, body: r.body };
}

function run(tool: Tool, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(bin[tool], args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  // Deliberately no skip: a test that quietly does not run proves nothing about the exported files.
  const missing = (Object.keys(TOOLS) as Tool[]).filter((t) => {
    const found = findTool(t);
    if (found) bin[t] = found;
    return !found;
  });
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => TOOLS[t]))].join(' ');
    throw new Error(`missing ${missing.join(', ')}: install with \`apt-get install -y ${packages}\``);
  }
  const catalog = loadCatalog();
  apps = [...catalog.apps];
  catalogVersion = catalog.version;
  dir = mkdtempSync(join(tmpdir(), 'shadow-ai-exports-'));
  // squid started as root drops to its cache_effective_user (proxy on Debian), which must still write
  // its log and pid files here.
  chmodSync(dir, 0o777);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------
// Small loopback helpers



interface Daemon {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function startDaemon(tool: Tool, args: string[]): Daemon {
  const proc = spawn(bin[tool], args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitFor(what: string, daemon: Daemon, ready: () => Promise<boolean>, extraLog?: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (daemon.proc.exitCode !== null) break;
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up:\n${daemon.output()}\n${extraLog?.() ?? ''}`);
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface DnsAnswer {
  rcode: number;
  answers: number;
}

/** One A query over UDP to 127.0.0.1:port; null when nothing answers within the timeout. */
function dnsQuery(port: number, name: string, timeoutMs = 1000): Promise<DnsAnswer | null> {
  const id = Math.floor(Math.random() * 0xffff);
  const question = Buffer.concat([
    ...name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')])),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(0x0100, 2); // recursion desired
  head.writeUInt16BE(1, 4);
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    const done = (a: DnsAnswer | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(a);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('message', (m) => {
      if (m.length >= 12 && m.readUInt16BE(0) === id) done({ rcode: m.readUInt8(3) & 0x0f, answers: m.readUInt16BE(6) });
    });
    socket.on('error', () => done(null));
    socket.send(Buffer.concat([head, question]), port, '127.0.0.1');
  });
}

const NOERROR = 0;
const NXDOMAIN = 3;

interface ProxyResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function viaProxy(proxyPort: number, url: string): Promise<ProxyResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, path: url, headers: { host: new URL(url).host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

function connectViaProxy(proxyPort: number, authority: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: authority });
    req.on('connect', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: CONNECT ${authority}`)));
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------------

describe('RPZ zone with named-checkzone', () => {
  it('loads the whole catalog as a blocked zone, owner names relative to the zone', () => {
    const { path } = exportFile('rpz');
    const check = run('named-checkzone', ['rpz.shadow-ai', path]);
    expect(check.output).toContain(`loaded serial ${Math.floor(AT.getTime() / 1000)}`);
    expect(check.status, check.output).toBe(0);

    const dump = run('named-checkzone', ['-D', '-o', '-', 'rpz.shadow-ai', path]);
    expect(dump.status, dump.output).toBe(0);
    expect(dump.output).toMatch(/^chatgpt\.com\.rpz\.shadow-ai\.\s+300\s+IN\s+CNAME\s+\.$/m);
    expect(dump.output).toMatch(/^\*\.chatgpt\.com\.rpz\.shadow-ai\.\s+300\s+IN\s+CNAME\s+\.$/m);
  });

  it('loads a sanctioned (passthru) zone under another zone name', () => {
    const { path } = exportFile('rpz', 'sanctioned', apps.slice(0, 40));
    const check = run('named-checkzone', ['allow.rpz.example', path]);
    expect(check.status, check.output).toBe(0);
  });
});

describe('Unbound', () => {
  it('unbound-checkconf accepts the generated server: clause as a file of its own', () => {
    const { path } = exportFile('unbound');
    const check = run('unbound-checkconf', [path]);
    expect(check.status, check.output).toBe(0);
    const sanctioned = exportFile('unbound', 'sanctioned').path;
    expect(run('unbound-checkconf', [sanctioned]).status).toBe(0);
  });

  it('a running unbound answers NXDOMAIN for blocked names and their subdomains, and resolves the rest', async () => {
    const { path } = exportFile('unbound');
    const port = await freeUdpPort();
    const conf = join(dir, 'unbound-run.conf');
    writeFileSync(
      conf,
      [
        'server:',
        '    interface: 127.0.0.1',
        `    port: ${port}`,
        '    do-ip6: no',
        '    do-daemonize: no',
        '    use-syslog: no',
        '    logfile: ""',
        '    username: ""',
        '    chroot: ""',
        `    directory: "${dir}"`,
        `    pidfile: "${join(dir, 'unbound.pid')}"`,
        // A name answered locally: shows the server works for what the file does not block.
        '    local-zone: "shadow-ai.test." static',
        '    local-data: "allowed.shadow-ai.test. 60 IN A 127.0.0.1"',
        `include: "${path}"`,
        '',
      ].join('\n'),
    );
    const check = run('unbound-checkconf', [conf]);
    expect(check.status, check.output).toBe(0);

    const unbound = startDaemon('unbound', ['-d', '-c', conf]);
    try {
      await waitFor('unbound', unbound, async () => (await dnsQuery(port, 'allowed.shadow-ai.test', 200)) !== null);
      expect(await dnsQuery(port, 'allowed.shadow-ai.test')).toEqual({ rcode: NOERROR, answers: 1 });
      for (const name of ['chatgpt.com', 'a.b.chatgpt.com', 'chat.openai.com', 'eu.chat.openai.com', 'cdn.oaistatic.com']) {
        expect([name, await dnsQuery(port, name)]).toEqual([name, { rcode: NXDOMAIN, answers: 0 }]);
      }
    } finally {
      await unbound.stop();
    }
  });
});

describe('dnsmasq', () => {
  it('dnsmasq --test accepts the generated file, blocked and sanctioned', () => {
    for (const list of ['blocked', 'sanctioned'] as const) {
      const { path } = exportFile('dnsmasq', list);
      const check = run('dnsmasq', ['--test', `--conf-file=${path}`]);
      expect(check.status, check.output).toBe(0);
      expect(check.output).toContain('syntax check OK');
    }
  });

  it('a running dnsmasq answers NXDOMAIN for blocked names and their subdomains', async () => {
    const { path } = exportFile('dnsmasq');
    const port = await freeUdpPort();
    const dnsmasq = startDaemon('dnsmasq', [
      '--keep-in-foreground',
      '--log-facility=-',
      `--conf-file=${path}`,
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      `--pid-file=${join(dir, 'dnsmasq.pid')}`,
      `--user=${userInfo().username}`,
      '--address=/allowed.shadow-ai.test/127.0.0.1',
    ]);
    try {
      await waitFor('dnsmasq', dnsmasq, async () => (await dnsQuery(port, 'allowed.shadow-ai.test', 200)) !== null);
      expect(await dnsQuery(port, 'allowed.shadow-ai.test')).toEqual({ rcode: NOERROR, answers: 1 });
      for (const name of ['chatgpt.com', 'a.b.chatgpt.com', 'chat.openai.com', 'eu.chat.openai.com', 'cdn.oaistatic.com']) {
        expect([name, await dnsQuery(port, name)]).toEqual([name, { rcode: NXDOMAIN, answers: 0 }]);
      }
    } finally {
      await dnsmasq.stop();
    }
  });
});

describe('squid', () => {
  /** A complete squid.conf around the generated snippet, everything in the temp dir, loopback only. */
  function squidConf(list: ExportList, port: number): string {
    const acl = exportFile('squid', list).path;
    const snippet = exportFile('squid-conf', list).body.split(squidAclPath(list)).join(acl);
    const conf = join(dir, `squid-${list}.conf`);
    writeFileSync(
      conf,
      [
        `http_port 127.0.0.1:${port}`,
        'visible_hostname shadow-ai-test',
        // the stock squid.conf defines localnet; the sanctioned snippet allows it
        'acl localnet src 127.0.0.0/8',
        snippet,
        'http_access allow localhost',
        'http_access deny all',
        'cache deny all',
        'cache_mem 0 MB',
        'shutdown_lifetime 0 seconds',
        'pinger_enable off',
        'netdb_filename none',
        // Nothing here needs a lookup; if something did, it must not leave the machine.
        'dns_nameservers 127.0.0.1',
        `pid_filename ${join(dir, `squid-${list}.pid`)}`,
        `cache_log ${join(dir, `squid-${list}-cache.log`)}`,
        `access_log stdio:${join(dir, `squid-${list}-access.log`)}`,
        `coredump_dir ${dir}`,
        '',
      ].join('\n'),
    );
    return conf;
  }

  it.each(['blocked', 'sanctioned'] as const)('squid -k parse accepts the %s snippet and ACL file without overlap warnings', async (list) => {
    const conf = squidConf(list, await freeTcpPort());
    const check = run('squid', ['-k', 'parse', '-f', conf]);
    expect(check.status, check.output).toBe(0);
    expect(check.output).toContain(`acl ${squidAclName(list)} dstdomain`);
    expect(check.output).not.toMatch(/WARNING|ERROR|FATAL|is a subdomain of/);
  });

  describe('a running squid', () => {
    let origin: Server;
    let originPort = 0;
    let proxyPort = 0;
    let squid: Daemon | undefined;

    beforeAll(async () => {
      origin = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(ORIGIN_BODY);
      });
      await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
      originPort = (origin.address() as AddressInfo).port;
      proxyPort = await freeTcpPort();
      const conf = squidConf('blocked', proxyPort);
      const started = startDaemon('squid', ['-N', '-f', conf]);
      squid = started;
      await waitFor('squid', started, () => tcpOpen(proxyPort), () => {
        try {
          return readFileSync(join(dir, 'squid-blocked-cache.log'), 'utf8');
        } catch {
          return '';
        }
      });
    });

    afterAll(async () => {
      await squid?.stop();
      await new Promise<void>((resolve) => origin?.close(() => resolve()) ?? resolve());
    });

    it.each([
      'http://chatgpt.com/',
      'http://a.b.chatgpt.com/backend-api/conversation',
      'http://chat.openai.com/',
      'http://cdn.oaistatic.com/x.js',
      'http://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke',
    ])('refuses %s with 403 ERR_ACCESS_DENIED', async (url) => {
      const res = await viaProxy(proxyPort, url);
      expect(res.status).toBe(403);
      expect(res.headers['x-squid-error']).toMatch(/^ERR_ACCESS_DENIED/);
    });

    it('refuses an HTTPS tunnel (CONNECT) to a blocked host', async () => {
      const res = await connectViaProxy(proxyPort, 'api.chatgpt.com:443');
      expect(res.status).toBe(403);
      expect(res.headers['x-squid-error']).toMatch(/^ERR_ACCESS_DENIED/);
    });

    it('passes a request to an origin that is not on the list', async () => {
      const res = await viaProxy(proxyPort, `http://127.0.0.1:${originPort}/`);
      expect(res.status).toBe(200);
      expect(res.body).toBe(ORIGIN_BODY);
      expect(String(res.headers.via)).toContain('squid');
    });
  });
});

describe('PAC with pactester (pacparser)', () => {
  it('routes blocked hosts to the blackhole and the rest DIRECT', () => {
    const { path } = exportFile('pac');
    const cases: [string, string][] = [
      ['http://chatgpt.com/', 'PROXY 127.0.0.1:9'],
      ['https://a.b.chatgpt.com/backend-api', 'PROXY 127.0.0.1:9'],
      ['http://CHATGPT.com/', 'PROXY 127.0.0.1:9'],
      ['http://chatgpt.com./', 'PROXY 127.0.0.1:9'],
      ['https://chat.openai.com/', 'PROXY 127.0.0.1:9'],
      ['https://x.chat.openai.com/', 'DIRECT'],
      ['https://bedrock-runtime.us-east-1.amazonaws.com/', 'PROXY 127.0.0.1:9'],
      ['https://bedrock-runtime.a.b.amazonaws.com/', 'DIRECT'],
      ['https://s3.amazonaws.com/', 'DIRECT'],
      ['https://notchatgpt.com/', 'DIRECT'],
      ['https://example.org/', 'DIRECT'],
    ];
    const list = join(dir, 'pac-urls.txt');
    writeFileSync(list, cases.map(([u]) => u).join('\n') + '\n');
    // -c: a fixed client address, so myIpAddress() never needs the network
    const out = run('pactester', ['-p', path, '-f', list, '-c', '127.0.0.1']);
    expect(out.status, out.output).toBe(0);
    const got = out.output.trim().split('\n').map((l) => l.split(' : ') as [string, string]);
    expect(got).toEqual(cases);
  });

  it('routes sanctioned hosts to the given gateway', () => {
    const r = renderExport('pac', { list: 'sanctioned', apps, generatedAt: AT, catalogVersion, proxy: 'gw.corp.example:3128' });
    const path = join(dir, 'sanctioned-gw.pac');
    writeFileSync(path, r.body);
    const hit = run('pactester', ['-p', path, '-u', 'https://claude.ai/', '-c', '127.0.0.1']);
    expect(hit.output.trim()).toBe('PROXY gw.corp.example:3128');
    const miss = run('pactester', ['-p', path, '-u', 'https://example.org/', '-c', '127.0.0.1']);
    expect(miss.output.trim()).toBe('DIRECT');
  });
});
