import { parseArgs } from 'node:util';
import { ApiKeys, AuditLog, ROLES, type Role } from '@shadow-ai/api';
import { createStore, migrate } from '@shadow-ai/clickhouse';
import { createLogger, loadConfig } from '@shadow-ai/core';
import { adminSocketPath, callAdminSocket } from '../admin-socket.ts';
import { UsageError, type Io } from '../io.ts';

export const KEYS_HELP = `Usage: shadow-ai keys create --role viewer|analyst|admin [--name NAME] [--expires ISO-8601]
       shadow-ai keys list
       shadow-ai keys revoke ID

Manages API keys. The key is printed once, on creation; only a hash of it is stored.
While \`shadow-ai start\` runs on the embedded store, the command goes through the service's local admin
socket (SHADOW_AI_DATA_DIR/admin.sock, owner-only); otherwise it opens the store itself (the embedded
data directory, or the ClickHouse server of CLICKHOUSE_URL).

Options:
  --role ROLE       viewer (read), analyst (triage findings, ingest), admin (everything)
  --name NAME       what the key is for (default: cli)
  --expires TIME    ISO-8601 expiry (default: none)
  --json            machine-readable output
  -h, --help        this text
`;

type KeyOut = { id: string; name: string; role: string; expiresAt: string | null; revokedAt: string | null; lastUsedAt: string | null; key?: string };

export async function keysCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      name: { type: 'string', default: 'cli' },
      expires: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const sub = positionals[0];
  if (values.help || !sub) {
    io.out(KEYS_HELP);
    return values.help ? 0 : 2;
  }
  const config = loadConfig(env);
  const socket = adminSocketPath(config.SHADOW_AI_DATA_DIR);

  let request: { method: string; url: string; body?: unknown };
  if (sub === 'create') {
    if (!values.role || !(ROLES as readonly string[]).includes(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    if (values.expires && !Number.isFinite(Date.parse(values.expires))) throw new UsageError('--expires must be an ISO-8601 time');
    request = { method: 'POST', url: '/keys', body: { name: values.name, role: values.role, expiresAt: values.expires ? new Date(values.expires).toISOString() : null } };
  } else if (sub === 'list') request = { method: 'GET', url: '/keys' };
  else if (sub === 'revoke') {
    if (!positionals[1] || !/^[0-9a-f]{12}$/.test(positionals[1])) throw new UsageError('revoke needs a key ID (12 hex characters)');
    request = { method: 'DELETE', url: `/keys/${positionals[1]}` };
  } else throw new UsageError(`unknown keys command "${sub}" (create, list, revoke)`);

  const viaSocket = config.CLICKHOUSE_URL ? null : await callAdminSocket(socket, request.method, request.url, request.body);
  const result = viaSocket ?? (await direct(request, config));
  if (result.status >= 400) {
    io.err(`shadow-ai keys ${sub}: ${(result.body as { message?: string }).message ?? 'failed'}\n`);
    return 1;
  }
  if (values.json) io.out(JSON.stringify(result.body) + '\n');
  else if (sub === 'list') {
    for (const k of (result.body as { items: KeyOut[] }).items) {
      io.out(`${k.id}  ${k.role.padEnd(7)}  ${k.name}  ${k.revokedAt ? 'revoked' : k.expiresAt ? `expires ${k.expiresAt}` : 'active'}  last used ${k.lastUsedAt ?? 'never'}\n`);
    }
  } else {
    const k = result.body as KeyOut;
    if (k.key) io.out(`${k.key}\n`);
    io.err(sub === 'create' ? `created ${k.role} key ${k.id}; it is shown only now — send it as "Authorization: Bearer <key>"\n` : `revoked key ${k.id}\n`);
  }
  return 0;
}

/** No running service to ask: open the store (briefly) and do it here. */
async function direct(request: { method: string; url: string; body?: unknown }, config: ReturnType<typeof loadConfig>): Promise<{ status: number; body: unknown }> {
  const log = createLogger({ level: 'warn' });
  const store = await createStore(config, log);
  try {
    await migrate(store, log);
    const keys = new ApiKeys({ client: store.client, log });
    await keys.load();
    const audit = new AuditLog(store.client);
    if (request.method === 'GET') return { status: 200, body: { items: keys.list() } };
    if (request.method === 'POST') {
      const input = request.body as { name: string; role: Role; expiresAt: string | null };
      const { key, record } = await keys.create({ ...input, actor: 'cli' });
      await audit.record({ actor: 'cli', action: 'key.create', target: record.id, before: null, after: record });
      return { status: 201, body: { ...record, key } };
    }
    const id = request.url.split('/').pop()!;
    const before = keys.list().find((k) => k.id === id) ?? null;
    const r = await keys.revoke(id);
    if (!r) return { status: 404, body: { message: `no key ${id}` } };
    await audit.record({ actor: 'cli', action: 'key.revoke', target: id, before, after: r });
    return { status: 200, body: r };
  } finally {
    await store.close();
  }
}
