// Starts a real single-node Apache Kafka 3.9.1 broker (KRaft combined mode) as a child JVM for the
// integration tests. There is no Docker here, so the broker runs from jars that kafka/fetch.sh lays
// out with Maven.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

export interface KafkaBroker {
  /** Bootstrap address for clients, e.g. `127.0.0.1:39092` (the PLAINTEXT listener). */
  brokers: string;
  /** With `security`: the SSL listener (client certificate required), the SASL_SSL and SASL_PLAINTEXT listeners. */
  secure?: { ssl: string; saslSsl: string; saslPlaintext: string };
  /** SIGTERM, wait for exit (SIGKILL after a grace period), then delete the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Broker stdout/stderr (log4j console output); deleted by stop() unless `dataDir` was given. */
  logFile: string;
}

export interface StartKafkaBrokerOptions {
  /** Directory for config, logs and data. Kept on stop(); reusing it restarts on the same data. */
  dataDir?: string;
  port?: number;
  controllerPort?: number;
  /** Adds an SSL listener requiring a client certificate, a SASL_SSL and a SASL_PLAINTEXT listener. */
  security?: BrokerSecurity;
}

export interface BrokerSecurity {
  /** PEM file holding the broker's unencrypted PKCS#8 key followed by its certificate chain. */
  keystorePemFile: string;
  /** PEM CA bundle the SSL listener trusts for client certificates. */
  clientCaFile: string;
  /** SASL users, accepted with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. */
  users: { name: string; password: string }[];
}

const FETCH_SCRIPT = fileURLToPath(new URL('./kafka/fetch.sh', import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;
const LOG_TAIL_LINES = 80;
// Lean on purpose: the CI box has 2 cores and the tests never push much data.
const JVM_OPTS = ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC', '-Djava.awt.headless=true'];

export async function startKafkaBroker(opts: StartKafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const libs = await fetchKafkaLibs();
  const ownsDir = opts.dataDir === undefined;
  const dir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'shadow-ai-kafka-')));
  await mkdir(dir, { recursive: true });

  const [port, controllerPort, sslPort, saslSslPort, saslPlaintextPort] = await pickPorts(opts.port, opts.controllerPort);
  const brokers = `127.0.0.1:${port}`;
  const secure = opts.security && {
    ssl: `127.0.0.1:${sslPort}`,
    saslSsl: `127.0.0.1:${saslSslPort}`,
    saslPlaintext: `127.0.0.1:${saslPlaintextPort}`,
  };
  const propsFile = join(dir, 'server.properties');
  const log4jFile = join(dir, 'log4j.properties');
  const logFile = join(dir, 'broker.log');
  const dataDir = join(dir, 'data');
  await writeFile(propsFile, serverProperties(dataDir, port, controllerPort, opts.security && { sslPort, saslSslPort, saslPlaintextPort, ...opts.security }));
  await writeFile(log4jFile, LOG4J_PROPERTIES);

  const classpath = ['-cp', `${libs}/*`];
  const log4jOpt = `-Dlog4j.configuration=file:${log4jFile}`;
  const cleanupDir = async (): Promise<void> => {
    if (ownsDir) await rm(dir, { recursive: true, force: true });
  };

  // A caller-supplied dataDir may already hold a formatted log from an earlier run; formatting it
  // again would demand the same cluster id, so restart on the existing data instead.
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    try {
      await run('java', [
        ...JVM_OPTS,
        log4jOpt,
        ...classpath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        newClusterId(),
        '-c',
        propsFile,
        // SCRAM credentials live in the cluster metadata; KRaft takes the first ones at format time.
        ...(opts.security?.users ?? []).flatMap((u) =>
          ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${u.name},password=${u.password}]`]),
        ),
      ]);
    } catch (err) {
      await cleanupDir();
      throw new Error(`Formatting Kafka storage in ${dataDir} failed: ${errorMessage(err)}`);
    }
  }

  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('java', [...JVM_OPTS, log4jOpt, ...classpath, 'kafka.Kafka', propsFile], {
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(logFd);
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (err) => resolve(err.message));
  });
  if (child.pid !== undefined) startOrphanWatchdog(child.pid, ownsDir ? dir : undefined);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const graceful = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), STOP_GRACE_MS);
          }),
        ]);
        clearTimeout(timer);
        if (!graceful) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      await cleanupDir();
    })();
    return stopping;
  };

  try {
    await waitUntilReady(brokers, exited, logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  return { brokers, ...(secure && { secure }), stop, logFile };
}

async function fetchKafkaLibs(): Promise<string> {
  try {
    const { stdout } = await run('bash', [FETCH_SCRIPT]);
    const libs = stdout.trim().split('\n').pop();
    if (!libs) throw new Error('fetch.sh printed no libs directory');
    return libs;
  } catch (err) {
    throw new Error(
      `Cannot provide a Kafka broker for the integration tests (needs Java 11+ and Maven, or KAFKA_BROKERS): ${errorMessage(err)}`,
    );
  }
}

function serverProperties(
  dataDir: string,
  port: number,
  controllerPort: number,
  security?: BrokerSecurity & { sslPort: number; saslSslPort: number; saslPlaintextPort: number },
): string {
  const clientListeners = [`PLAINTEXT://127.0.0.1:${port}`];
  if (security) {
    clientListeners.push(
      `SSL://127.0.0.1:${security.sslPort}`,
      `SASL_SSL://127.0.0.1:${security.saslSslPort}`,
      `SASL_PLAINTEXT://127.0.0.1:${security.saslPlaintextPort}`,
    );
  }
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: [...clientListeners, `CONTROLLER://127.0.0.1:${controllerPort}`].join(','),
    'advertised.listeners': clientListeners.join(','),
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': 1,
    'auto.create.topics.enable': 'false',
    'offsets.topic.replication.factor': 1,
    // The default 50 offsets partitions make the first consumer group join noticeably slower.
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 5,
    'group.initial.rebalance.delay.ms': 0,
    'message.max.bytes': 10_485_760,
    'replica.fetch.max.bytes': 10_485_760,
    // Must stay >= message.max.bytes: Kafka rejects a batch larger than one segment.
    'log.segment.bytes': 16_777_216,
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    ...(security && securityProperties(security)),
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

function securityProperties(security: BrokerSecurity): Record<string, string> {
  const plainUsers = security.users.map((u) => `user_${u.name}="${u.password}"`).join(' ');
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  return {
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': security.keystorePemFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': security.clientCaFile,
    'listener.name.ssl.ssl.client.auth': 'required',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': scram,
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': scram,
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
    'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config': scram,
    'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': scram,
  };
}

// Console output goes to the log file via the child's stdout, together with anything the JVM
// itself prints (bad classpath, OOM), so one file explains every failure. Everything at INFO is
// ~1000 lines per start/stop, burying the cause, so only lifecycle and topic creation stay at INFO.
const LOG4J_PROPERTIES = `log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.logger.kafka.server.ControllerServer=INFO
log4j.logger.kafka.server.BrokerLifecycleManager=INFO
log4j.logger.kafka.network.DataPlaneAcceptor=INFO
log4j.logger.kafka.controller.KafkaController=INFO
log4j.logger.org.apache.kafka.controller.ReplicationControlManager=INFO
`;

async function waitUntilReady(brokers: string, exited: Promise<number | string>, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let died: number | string | undefined;
  void exited.then((status) => {
    died = status;
  });
  let lastError = 'no attempt made';
  while (Date.now() < deadline) {
    if (died !== undefined) {
      throw new Error(
        `Kafka broker exited during startup (status ${died}); tail of ${logFile}:\n${await tail(logFile)}`,
      );
    }
    try {
      await probe(brokers);
      return;
    } catch (err) {
      lastError = errorMessage(err);
    }
    await Promise.race([delay(250), exited]);
  }
  throw new Error(
    `Kafka broker at ${brokers} not ready after ${READY_TIMEOUT_MS / 1000}s (last error: ${lastError}); tail of ${logFile}:\n${await tail(logFile)}`,
  );
}

// A metadata round trip only succeeds once the KRaft broker has caught up and been unfenced,
// because Kafka keeps its client listener closed until then.
async function probe(brokers: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'shadow-ai-test-readiness',
    brokers: [brokers],
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('metadata lists no brokers yet');
    await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * If the test process is killed outright (SIGKILL, OOM, vitest exiting mid-teardown), stop() never
 * finishes and the JVM would live on holding 512 MB. A detached shell polls both pids, kills the
 * broker once the parent is gone and then removes the directory nobody else will clean up. It
 * exits by itself shortly after a normal stop().
 */
function startOrphanWatchdog(brokerPid: number, dirToRemove: string | undefined): void {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do',
    '  if ! kill -0 "$2" 2>/dev/null; then kill -KILL "$1" 2>/dev/null; break; fi',
    '  sleep 1',
    'done',
    // After a normal stop() the parent deletes the dir within moments; only step in if it died.
    'i=0',
    'while [ -n "$3" ] && [ -d "$3" ] && [ "$i" -lt 10 ]; do',
    '  if ! kill -0 "$2" 2>/dev/null; then sleep 1; rm -rf -- "$3"; break; fi',
    '  sleep 1; i=$((i + 1))',
    'done',
  ].join('\n');
  const watchdog = spawn('sh', ['-c', script, 'kafka-watchdog', String(brokerPid), String(process.pid), dirToRemove ?? ''], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
}

async function pickPorts(port: number | undefined, controllerPort: number | undefined): Promise<[number, number, number, number, number]> {
  // All servers stay open while choosing so the ports cannot collide with each other.
  const held: ReturnType<typeof createServer>[] = [];
  const freePort = async (): Promise<number> => {
    const server = createServer();
    held.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return (server.address() as AddressInfo).port;
  };
  try {
    return [port ?? (await freePort()), controllerPort ?? (await freePort()), await freePort(), await freePort(), await freePort()];
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

// Kafka cluster ids are 16 random bytes in URL-safe base64 without padding. One starting with '-'
// would be parsed as an option by StorageTool's argument parser, so avoid those.
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function run(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        // err.message already carries the command line and stderr.
        const out = stdout.trim().split('\n').slice(-LOG_TAIL_LINES).join('\n');
        reject(new Error(out ? `${err.message}\n${out}` : err.message));
        return;
      }
      resolve({ stdout, stderr });
    });
  });
}

async function tail(file: string): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, size - length);
      return buf.toString('utf8').split('\n').slice(-LOG_TAIL_LINES).join('\n');
    } finally {
      await handle.close();
    }
  } catch (err) {
    return `(log unavailable: ${errorMessage(err)})`;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
