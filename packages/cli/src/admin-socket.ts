import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { ApiKeys, AuditLog, Role } from '@shadow-ai/api';
import { isExportFormat, type ExportResult, type RenderedReport } from '@shadow-ai/detect';

/**
 * Local administration for the machine the service runs on: a Unix socket in the data directory,
 * readable by its owner only (mode 0600). Whoever can open it may create API keys without one —
 * the same trust as reading the data directory itself. The embedded store allows one process per
 * data directory, so `shadow-ai keys create` goes through here while the service runs.
 */
export function adminSocketPath(dataDir: string): string {
  return join(resolve(dataDir), 'admin.sock');
}

export async function startAdminSocket(
  path: string,
  deps: {
    keys: ApiKeys;
    audit: AuditLog;
    exportList: (format: string, list: 'blocked' | 'sanctioned', proxy?: string) => ExportResult;
    report?: (month: string, format: string) => Promise<RenderedReport>;
  },
): Promise<Server> {
  if (existsSync(path)) rmSync(path);
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
      if (body.length > 10_000) req.destroy();
    });
    req.on('end', () => {
      void handle(req.method ?? '', req.url ?? '', body).then(
        ([status, out]) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(out));
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'internal', message: (err as Error).message }));
        },
      );
    });
  });

  async function handle(method: string, url: string, body: string): Promise<[number, unknown]> {
    if (method === 'POST' && url === '/keys') {
      const input = JSON.parse(body) as { name: string; role: Role; expiresAt: string | null };
      const { key, record } = await deps.keys.create({ ...input, actor: 'local-admin' });
      await deps.audit.record({ actor: 'local-admin', action: 'key.create', target: record.id, before: null, after: record });
      return [201, { ...record, key }];
    }
    if (method === 'GET' && url === '/keys') return [200, { items: deps.keys.list() }];
    const exp = /^\/exports\/([a-z-]+)\?list=(blocked|sanctioned)(?:&proxy=(.+))?$/.exec(url);
    if (method === 'GET' && exp) {
      if (!isExportFormat(exp[1]!)) return [400, { error: 'bad_request', message: `unknown export format ${exp[1]}` }];
      return [200, deps.exportList(exp[1]!, exp[2] as 'blocked' | 'sanctioned', exp[3] ? decodeURIComponent(exp[3]) : undefined)];
    }
    const rep = /^\/reports\/monthly\?month=([0-9-]{1,10})&format=([a-z]{1,8})$/.exec(url);
    if (method === 'GET' && rep && deps.report) {
      // The CLI checks the month and format first; the socket carries the document as base64 in JSON.
      const out = await deps.report(rep[1]!, rep[2]!);
      return [200, { month: out.month, format: out.format, contentType: out.contentType, fileName: out.fileName, bodyBase64: out.body.toString('base64') }];
    }
    const revoke = /^\/keys\/([0-9a-f]{12})$/.exec(url);
    if (method === 'DELETE' && revoke) {
      const before = deps.keys.list().find((k) => k.id === revoke[1]) ?? null;
      const r = await deps.keys.revoke(revoke[1]!);
      if (!r) return [404, { error: 'not_found', message: `no key ${revoke[1]}` }];
      await deps.audit.record({ actor: 'local-admin', action: 'key.revoke', target: r.id, before, after: r });
      return [200, r];
    }
    return [404, { error: 'not_found', message: `${method} ${url}` }];
  }

  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(path, () => r());
  });
  chmodSync(path, 0o600);
  return server;
}

/** Calls the admin socket of a running service; null when no service answers there. */
export function callAdminSocket(path: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown } | null> {
  if (!existsSync(path)) return Promise.resolve(null);
  return new Promise((resolveCall) => {
    const req = request({ socketPath: path, method, path: url, headers: { 'content-type': 'application/json' } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolveCall({ status: res.statusCode ?? 500, body: JSON.parse(data) as unknown }));
    });
    // A stale socket file (the service is gone) refuses the connection.
    req.on('error', () => resolveCall(null));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
