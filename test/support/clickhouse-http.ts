import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

/**
 * The ClickHouse engine (chdb, the same library the product embeds) behind the part of ClickHouse's
 * HTTP interface that `@clickhouse/client` speaks, so that several product processes can share one
 * store through CLICKHOUSE_URL on a machine where no ClickHouse server can be installed.
 *
 * It is a test peer standing in for clickhouse-server, not part of the product: one engine, one
 * data directory, requests run one at a time. What it implements, as the server does:
 * - `GET /ping` → `Ok.`;
 * - the SQL in the body, or in the `query` URL parameter followed by the body (inserts);
 * - `param_<name>` values in ClickHouse's escaped text form, bound with `SET param_<name>`, so the
 *   engine parses them exactly as the server parses URL parameters;
 * - other URL parameters as settings (`SET`), except the HTTP-layer ones the engine does not know;
 * - `default_format` (else TabSeparated, the server's default);
 * - errors as `Code: N. DB::Exception: …` with status 500 and `X-ClickHouse-Exception-Code`.
 * Not implemented: sessions, compression of responses, the native protocol, users and quotas.
 */

interface ChdbResult {
  bytes(): Buffer;
  rowsRead?: number;
  bytesRead?: number;
  elapsed?: number;
}
interface ChdbSession {
  queryAsync(sql: string, opts?: { format?: string }): Promise<ChdbResult>;
  close(): void;
}

// URL parameters the client sends that are not engine settings.
const NOT_SETTINGS = new Set(['query', 'query_id', 'database', 'default_format', 'session_id', 'session_timeout', 'session_check', 'role']);
// Settings of the HTTP layer only: the server consumes them, the engine would reject them.
const HTTP_ONLY = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_response_buffer_size',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
  'cancel_http_readonly_queries_on_client_close',
]);

/** A ClickHouse string literal whose value is exactly `text`. */
function literal(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const source = req.headers['content-encoding'] === 'gzip' ? req.pipe(createGunzip()) : req;
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface ClickHouseHttp {
  url: string;
  /** Statements run, for tests that want to see the load. */
  requests(): number;
  close(): Promise<void>;
}

export async function startClickHouseHttp(opts: { dataDir: string; port?: number }): Promise<ClickHouseHttp> {
  const require = createRequire(import.meta.url);
  const { Session } = require('chdb') as { Session: new (path: string) => ChdbSession };
  const session = new Session(opts.dataDir);
  let requests = 0;
  // One statement at a time: `SET param_…` lives in the engine's session, so two requests must not
  // interleave between their SETs and their query.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/ping') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('Ok.\n');
      return;
    }
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    const body = await readBody(req);
    const head = url.searchParams.get('query');
    const sql = head === null ? body : body.length > 0 ? `${head}\n${body}` : head;
    const sets: string[] = [];
    for (const [key, value] of url.searchParams) {
      if (key.startsWith('param_')) sets.push(`SET ${key} = ${literal(value)}`);
      else if (!NOT_SETTINGS.has(key) && !HTTP_ONLY.has(key)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`invalid setting name ${JSON.stringify(key)}`);
        sets.push(`SET ${key} = ${literal(value)}`);
      }
    }
    const database = url.searchParams.get('database');
    if (database && database !== 'default') throw new Error(`Code: 81. DB::Exception: this test peer serves only the default database, not ${database}. (UNKNOWN_DATABASE)`);
    const format = url.searchParams.get('default_format') ?? 'TabSeparated';
    const statement = sets.length > 0 ? `${sets.join('; ')}; ${sql}` : sql;
    const result = await serial(() => {
      requests++;
      return session.queryAsync(statement, { format });
    });
    const out = result.bytes();
    const summary = {
      read_rows: String(result.rowsRead ?? 0),
      read_bytes: String(result.bytesRead ?? 0),
      written_rows: '0',
      written_bytes: '0',
      total_rows_to_read: '0',
      elapsed_ns: String(Math.round((result.elapsed ?? 0) * 1e9)),
    };
    res
      .writeHead(200, {
        'content-type': 'text/plain; charset=UTF-8',
        'x-clickhouse-query-id': queryId,
        'x-clickhouse-summary': JSON.stringify(summary),
        'content-length': out.length,
      })
      .end(out);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      const code = /^Code: (\d+)\./.exec(message)?.[1] ?? '1002';
      const text = message.startsWith('Code: ') ? message : `Code: ${code}. DB::Exception: ${message}. (UNKNOWN_EXCEPTION)`;
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-exception-code': code });
      res.end(`${text}\n`);
    });
  });
  // The client keeps sockets alive for 2.5 s; close idle ones later than that, as the server does (3 s).
  server.keepAliveTimeout = 3000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue;
      session.close();
    },
  };
}
