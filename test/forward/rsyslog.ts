// A real rsyslogd for the forwarding tests: its own config, work directory and pid file in a temp
// directory, listening on free ports for plain TCP (imtcp), TLS (imtcp with the gtls driver and a
// certificate from the tests' throwaway CA) and UDP (imudp), writing every received message to one file per
// listener with a template that keeps the raw message (`%rawmsg%`), one per line.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freeTcpPort, freeUdpPort } from '../support/ports.ts';
import { makeTestPki } from '../support/test-pki.ts';

const INSTALL_HINT =
  'The forwarding integration tests need a real rsyslog with TLS support: apt-get install -y rsyslog rsyslog-gnutls';

export interface RsyslogFiles {
  tcp: string;
  tls: string;
  udp: string;
}

/** Finds rsyslogd or throws with the install hint: these tests never skip. */
export function rsyslogdPath(): string {
  for (const p of ['/usr/sbin/rsyslogd', '/sbin/rsyslogd', '/usr/local/sbin/rsyslogd']) if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v rsyslogd'], { encoding: 'utf8' }).trim() || missing();
  } catch {
    return missing();
  }
}

function missing(): never {
  throw new Error(`rsyslogd not found. ${INSTALL_HINT}`);
}



function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class Rsyslog {
  private child: ChildProcess | null = null;
  private stderr = '';

  private constructor(
    private readonly conf: string,
    private readonly pidFile: string,
    readonly ports: { tcp: number; tls: number; udp: number },
    readonly files: RsyslogFiles,
    readonly certPem: string,
  ) {}

  static async start(dir: string): Promise<Rsyslog> {
    rsyslogdPath();
    // The forwarder verifies rsyslog's certificate against the CA (`certPem` is what it trusts).
    const pki = makeTestPki(dir);
    const { certFile, keyFile } = pki.server;
    const certPem = pki.caPem;
    const ports = { tcp: await freeTcpPort(), tls: await freeTcpPort(), udp: await freeUdpPort() };
    const files: RsyslogFiles = { tcp: join(dir, 'tcp.log'), tls: join(dir, 'tls.log'), udp: join(dir, 'udp.log') };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const conf = join(dir, 'rsyslog.conf');
    // escapeControlCharactersOnReceive off: keep messages byte for byte (LEEF carries TABs).
    writeFileSync(
      conf,
      `global(workDirectory="${dir}" net.enableDNS="off" maxMessageSize="64k" parser.escapeControlCharactersOnReceive="off"
       defaultNetstreamDriverCAFile="${pki.caFile}" defaultNetstreamDriverCertFile="${certFile}" defaultNetstreamDriverKeyFile="${keyFile}")
module(load="imtcp")
module(load="imudp")
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="tcp") { action(type="omfile" file="${files.tcp}" template="raw") }
ruleset(name="tls") { action(type="omfile" file="${files.tls}" template="raw") }
ruleset(name="udp") { action(type="omfile" file="${files.udp}" template="raw") }
input(type="imtcp" address="127.0.0.1" port="${ports.tcp}" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="${ports.tls}" ruleset="tls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imudp" address="127.0.0.1" port="${ports.udp}" ruleset="udp")
`,
    );
    const r = new Rsyslog(conf, join(dir, 'rsyslogd.pid'), ports, files, certPem);
    await r.resume();
    return r;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts rsyslogd (again) on the same ports and files; resolves when both TCP listeners accept. */
  async resume(): Promise<void> {
    if (this.child) return;
    this.stderr = '';
    const child = spawn(rsyslogdPath(), ['-n', '-f', this.conf, '-i', this.pidFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (c: Buffer) => (this.stderr += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString()));
    let exited: string | null = null;
    child.once('exit', (code, signal) => {
      exited = `exited with ${code ?? signal}`;
      if (this.child === child) this.child = null;
    });
    this.child = child;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (exited !== null) throw new Error(`rsyslogd ${exited}: ${this.stderr.trim()}\n${INSTALL_HINT}`);
      if ((await canConnect(this.ports.tcp)) && (await canConnect(this.ports.tls))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new Error(`rsyslogd did not open its listeners within 15 s: ${this.stderr.trim()}`);
  }

  /** SIGTERM and wait for the exit: rsyslogd closes its sessions and flushes its files. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (child.exitCode !== null || child.signalCode !== null) {
      this.child = null;
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    this.child = null;
  }

  /** Raw messages received so far on a listener. */
  lines(listener: keyof RsyslogFiles): string[] {
    return readFileSync(this.files[listener], 'utf8').split('\n').filter((l) => l.length > 0);
  }

  /** What rsyslogd printed (errors about sessions, TLS handshakes…), for failure messages. */
  output(): string {
    return this.stderr;
  }
}
