import { spawnSync } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squidLine } from '../support/log-lines.ts';
import { authFetch, CLI, eventually, getJson, REPO_ROOT, TEST_ADMIN_TOKEN, removeDir, startService, tempDir, type Service } from '../support/service.ts';

type Role = 'viewer' | 'analyst' | 'admin';
const ROLES: Role[] = ['viewer', 'analyst', 'admin'];

interface Operation {
  method: string;
  path: string;
  role: Role | 'public';
}

describe('authentication and authorisation of every route', () => {
  const dir = tempDir('auth');
  let service: Service;
  let jwks: Server;
  let signToken: (claims: Record<string, unknown>, opts?: { audience?: string; expiresIn?: string }) => Promise<string>;
  const keys: Partial<Record<Role, string>> = {};

  beforeAll(async () => {
    // A local OIDC issuer: a key pair, and its public key served as a JWKS.
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    signToken = (claims, opts = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setIssuer('https://idp.test.example')
        .setAudience(opts.audience ?? 'shadow-ai')
        .setSubject(String(claims.sub ?? 'someone'))
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '5m')
        .sign(privateKey);

    service = await startService({
      dataDir: join(dir, 'data'),
      env: {
        OIDC_ISSUER: 'https://idp.test.example',
        OIDC_AUDIENCE: 'shadow-ai',
        OIDC_JWKS_URL: jwksUrl,
        OIDC_ROLE_CLAIM: 'groups',
        OIDC_ROLE_MAP: 'soc:analyst,it-admins:admin',
        AUTH_MAX_FAILURES_PER_MINUTE: '1000',
      },
    });
    for (const role of ROLES) {
      const res = await authFetch(`${service.url}/v1/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `test ${role}`, role }),
      });
      expect(res.status).toBe(201);
      keys[role] = ((await res.json()) as { key: string }).key;
    }
  });

  afterAll(async () => {
    await service?.stop();
    jwks?.close();
    removeDir(dir);
  });

  async function operations(): Promise<Operation[]> {
    const doc = (await (await fetch(`${service.url}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { 'x-required-role'?: Role | 'public' }>>;
    };
    const ops: Operation[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(op['x-required-role'], `${method.toUpperCase()} ${path} declares its role in the OpenAPI document`).toBeDefined();
        ops.push({ method: method.toUpperCase(), path, role: op['x-required-role']! });
      }
    }
    return ops;
  }

  const call = (op: Operation, auth?: string) =>
    fetch(`${service.url}${op.path.replace(/\{[^}]+\}/g, 'x')}`, {
      method: op.method,
      headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
      body: op.method === 'GET' || op.method === 'DELETE' ? undefined : '{}',
    });

  it('documents every protected route with its 401/403/429 answers, and every schema it refers to', async () => {
    const doc = (await (await fetch(`${service.url}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { 'x-required-role'?: string; responses?: Record<string, unknown> }>>;
      components?: { schemas?: Record<string, unknown> };
    };
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if (op['x-required-role'] === 'public') continue;
        expect(Object.keys(op.responses ?? {}), `${method.toUpperCase()} ${path}`).toEqual(expect.arrayContaining(['401', '403', '429']));
      }
    }
    const refs = new Set([...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!));
    expect(refs.size).toBeGreaterThan(5);
    for (const name of refs) expect(doc.components?.schemas?.[name], `components.schemas.${name}`).toBeDefined();
  });

  it('refuses a time the store cannot hold with 400, and stores a time with an offset as the same instant', async () => {
    const far = await authFetch(`${service.url}/v1/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'far-future', role: 'viewer', expiresAt: '3522-04-02T09:10:27+15:17' }),
    });
    expect(far.status).toBe(400);
    const put = await authFetch(`${service.url}/v1/apps/perplexity/sanction`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'monitored', reason: 'pilot', expiresAt: '2099-01-01T10:00:00+02:00' }),
    });
    expect(put.status).toBe(200);
    const got = (await getJson<{ decision: { expiresAt: string } }>(`${service.url}/v1/apps/perplexity/sanction`)).body;
    expect(got.decision.expiresAt).toBe('2099-01-01T08:00:00.000Z');
  });

  it('answers 401 without credentials, 403 below the route role, and lets the route role through — for every route', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(25);
    const publicOps = ops.filter((o) => o.role === 'public').map((o) => `${o.method} ${o.path}`);
    expect(publicOps.sort()).toEqual(['GET /healthz', 'GET /readyz']);
    for (const op of ops) {
      const name = `${op.method} ${op.path}`;
      if (op.role === 'public') {
        expect((await call(op)).status, name).not.toBe(401);
        continue;
      }
      expect((await call(op)).status, `${name} without credentials`).toBe(401);
      expect((await call(op, 'saw_000000000000_' + 'A'.repeat(43))).status, `${name} with an unknown key`).toBe(401);
      const need = ROLES.indexOf(op.role);
      for (const [i, role] of ROLES.entries()) {
        const status = (await call(op, keys[role])).status;
        if (i < need) expect(status, `${name} as ${role}`).toBe(403);
        else expect([401, 403], `${name} as ${role}: ${status}`).not.toContain(status);
      }
    }
  });

  it('accepts OIDC tokens from the configured issuer, mapping group claims to roles', async () => {
    const analyst = await signToken({ sub: 'ana', groups: ['soc'] });
    const admin = await signToken({ sub: 'ivo', groups: ['soc', 'it-admins'] });
    const nobody = await signToken({ sub: 'nil', groups: ['marketing'] });
    const wrongAudience = await signToken({ sub: 'ana', groups: ['soc'] }, { audience: 'another-app' });
    const get = (token: string, path = '/v1/findings') => fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect((await get(analyst)).status).toBe(200);
    expect((await get(analyst, '/v1/keys')).status).toBe(403);
    expect((await get(admin, '/v1/keys')).status).toBe(200);
    expect((await get(nobody)).status).toBe(401);
    expect((await get(wrongAudience)).status).toBe(401);
    expect((await get('not.a.jwt')).status).toBe(401);
  });

  it('refuses revoked and expired keys and records when a key was last used', async () => {
    const create = async (body: object) =>
      (await (await authFetch(`${service.url}/v1/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as {
        id: string;
        key: string;
      };
    const shortLived = await create({ name: 'short', role: 'viewer', expiresAt: new Date(Date.now() + 1500).toISOString() });
    const revocable = await create({ name: 'revocable', role: 'viewer' });
    const get = (key: string) => fetch(`${service.url}/v1/apps`, { headers: { 'x-api-key': key } });
    expect((await get(shortLived.key)).status).toBe(200);
    expect((await get(revocable.key)).status).toBe(200);
    expect((await authFetch(`${service.url}/v1/keys/${revocable.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await get(revocable.key)).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await get(shortLived.key)).status).toBe(401);
    const list = (await getJson<{ items: { id: string; lastUsedAt: string | null; revokedAt: string | null }[] }>(`${service.url}/v1/keys`)).body.items;
    expect(list.find((k) => k.id === revocable.id)).toMatchObject({ revokedAt: expect.any(String), lastUsedAt: expect.any(String) });
    // Keys are listed without their secrets.
    // The secret is everything after `saw_<id>_`; it may itself contain `_` (base64url).
    const secret = /^saw_[0-9a-f]+_(.+)$/.exec(revocable.key)![1]!;
    expect(secret.length).toBeGreaterThan(20);
    expect(JSON.stringify(list)).not.toContain(secret);
  });

  it('creates the first admin key from the CLI while the service runs, through the local admin socket', () => {
    const r = spawnSync(process.execPath, [CLI, 'keys', 'create', '--role', 'admin', '--name', 'bootstrap'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, SHADOW_AI_DATA_DIR: join(dir, 'data') },
    });
    expect(r.status, r.stderr).toBe(0);
    const key = r.stdout.trim();
    expect(key).toMatch(/^saw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    return fetch(`${service.url}/v1/keys`, { headers: { authorization: `Bearer ${key}` } }).then((res) => expect(res.status).toBe(200));
  });

  it('answers a method a path does not have with 405 and the methods it has, and an unknown path with 404', async () => {
    const cases: [method: string, path: string, allow: string][] = [
      ['TRACE', '/v1/findings', 'GET, HEAD'],
      ['DELETE', '/v1/findings/0123456789abcdef01234567', 'GET, HEAD, PATCH'],
      // A static path is its own resource, even where a parametric route would take the segment as an id.
      ['PATCH', '/v1/findings/bulk', 'POST'],
      ['GET', '/v1/findings/bulk', 'POST'],
      // A body method without a body: still the method that is wrong, not a missing content type.
      ['QUERY', '/v1/apps', 'GET, HEAD'],
    ];
    // node:http, because fetch refuses to send TRACE.
    const send = (method: string, path: string, auth = true) =>
      new Promise<{ status: number; allow: string | undefined; body: string }>((resolve, reject) => {
        const req = httpRequest(`${service.url}${path}`, { method, headers: auth ? { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } : {} }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, allow: res.headers.allow, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const [method, path, allow] of cases) {
      const res = await send(method, path);
      expect([res.status, res.allow], `${method} ${path}`).toEqual([405, allow]);
      expect(JSON.parse(res.body)).toEqual({ error: 'method_not_allowed', message: `${method} is not allowed on ${path}; allowed: ${allow}` });
    }
    // Without credentials as well: which methods a path has is in the public OpenAPI document anyway.
    expect((await send('PUT', '/v1/findings', false)).status).toBe(405);
    expect((await send('TRACE', '/v1/nothing-here')).status).toBe(404);
    // The matched route still answers for itself.
    expect((await authFetch(`${service.url}/v1/findings/not-an-id`, { method: 'GET' })).status).toBe(400);
  });

  it('documents the 400 of every route with inputs, and text and error media types apart', async () => {
    type Op = { parameters?: unknown[]; requestBody?: unknown; responses?: Record<string, { content?: Record<string, unknown> }> };
    const doc = (await (await fetch(`${service.url}/docs/json`)).json()) as { paths: Record<string, Record<string, Op>> };
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if ((op.parameters?.length ?? 0) > 0 || op.requestBody) expect(Object.keys(op.responses ?? {}), `${method.toUpperCase()} ${path}`).toContain('400');
      }
    }
    const exportOp = doc.paths['/v1/exports/{format}']!.get!;
    expect(Object.keys(exportOp.responses!['200']!.content!)).toEqual(['text/plain', 'text/dns', 'application/x-ns-proxy-autoconfig']);
    expect(Object.keys(exportOp.responses!['400']!.content!)).toEqual(['application/json']);
    expect(Object.keys(exportOp.responses!['401']!.content!)).toEqual(['application/json']);
  });

  it('sets security headers and never echoes credentials in errors', async () => {
    const res = await fetch(`${service.url}/v1/findings`, { headers: { authorization: 'Bearer super-secret-value-123' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(await res.text()).not.toContain('super-secret-value-123');
    expect(service.output()).not.toContain('super-secret-value-123');
    expect(service.output()).toContain('authentication failed');
  });
});

describe('login failure rate limit', () => {
  const dir = tempDir('ratelimit');
  let service: Service;

  beforeAll(async () => {
    service = await startService({ dataDir: join(dir, 'data'), env: { AUTH_MAX_FAILURES_PER_MINUTE: '5' } });
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  it('answers 429 after repeated failures from one address, even for a valid credential', async () => {
    const bad = () => fetch(`${service.url}/v1/apps`, { headers: { authorization: 'Bearer wrong-token-value' } });
    for (let i = 0; i < 5; i++) expect((await bad()).status).toBe(401);
    expect((await bad()).status).toBe(429);
    expect((await authFetch(`${service.url}/v1/apps`)).status).toBe(429);
    // Probes stay reachable.
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });
});

describe('sanctions: decisions, scope, expiry and the audit log', () => {
  const dir = tempDir('sanction');
  let service: Service;

  beforeAll(async () => {
    service = await startService({ dataDir: join(dir, 'data'), env: { DETECT_INTERVAL_MS: '200' } });
    const lines = ['uma', 'vic'].map((user) => squidLine({ user, clientIp: '10.6.0.1', host: 'poe.com', bytes: 5, at: new Date('2026-11-24T10:00:00Z') }));
    await authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body: lines.join('\n') });
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  const put = (app: string, body: object) =>
    authFetch(`${service.url}/v1/apps/${app}/sanction`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const status = async (app: string, user?: string) =>
    (await getJson<{ status: string }>(`${service.url}/v1/apps/${app}/sanction${user ? `?user=${user}` : ''}`)).body.status;

  it('records every change in the audit log with actor, before and after', async () => {
    expect((await put('poe', { status: 'blocked', reason: 'data leaves the EU' })).status).toBe(200);
    expect(await status('poe')).toBe('blocked');
    const audit = (await getJson<{ items: { actor: string; action: string; target: string; before: unknown; after: { status: string } }[] }>(`${service.url}/v1/audit?action=sanction.set`)).body.items;
    expect(audit[0]).toMatchObject({ actor: 'admin-token', action: 'sanction.set', target: 'poe', before: null, after: { status: 'blocked' } });
    const apps = (await getJson<{ items: { appId: string; sanction: string }[] }>(`${service.url}/v1/apps`)).body.items;
    expect(apps.find((a) => a.appId === 'poe')?.sanction).toBe('blocked');
    const findings = await eventually(async () => {
      const items = (await getJson<{ items: { sanction: string; severity: number }[] }>(`${service.url}/v1/findings?app=poe&type=unsanctioned-app`)).body.items;
      return items.length === 2 && items.every((f) => f.sanction === 'blocked') ? items : undefined;
    }, 30_000, 'findings to follow the block');
    expect(findings.every((f) => f.severity >= 60)).toBe(true);
  });

  it('applies a decision scoped to users only to them', async () => {
    expect((await put('poe', { status: 'sanctioned', reason: 'pilot', scope: { type: 'users', users: ['uma'] } })).status).toBe(200);
    expect(await status('poe', 'uma')).toBe('sanctioned');
    // Everyone else keeps the organisation-wide decision in force before (the block).
    expect(await status('poe', 'vic')).toBe('blocked');
    expect(await status('poe')).toBe('blocked');
    const groups = await authFetch(`${service.url}/v1/groups/research`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ members: ['vic'] }) });
    expect(groups.status).toBe(200);
    expect((await put('poe', { status: 'monitored', reason: 'research', scope: { type: 'groups', groups: ['research'] } })).status).toBe(200);
    expect(await status('poe', 'vic')).toBe('monitored');
  });

  it('reverts an expired decision to the one before it, and records the expiry', async () => {
    expect((await put('perplexity', { status: 'blocked', reason: 'default stance' })).status).toBe(200);
    const until = new Date(Date.now() + 1500).toISOString();
    expect((await put('perplexity', { status: 'sanctioned', reason: 'conference week', expiresAt: until })).status).toBe(200);
    expect(await status('perplexity')).toBe('sanctioned');
    await eventually(async () => ((await status('perplexity')) === 'blocked' ? true : undefined), 15_000, 'the sanction to expire');
    const expiry = await eventually(async () => {
      const items = (await getJson<{ items: { actor: string; target: string }[] }>(`${service.url}/v1/audit?action=sanction.expire`)).body.items;
      return items.find((i) => i.target === 'perplexity');
    }, 15_000, 'the expiry in the audit log');
    expect(expiry.actor).toBe('system');
  });

  it('exports the blocked apps for enforcement points, with ETag polling, over the API and the CLI', async () => {
    const first = await authFetch(`${service.url}/v1/exports/squid`);
    expect(first.status).toBe(200);
    const body = await first.text();
    expect(body.split('\n')).toContain('.poe.com');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect((await authFetch(`${service.url}/v1/exports/squid`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await put('deepseek', { status: 'blocked', reason: 'policy' })).status).toBe(200);
    const changed = await authFetch(`${service.url}/v1/exports/squid`, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect((await authFetch(`${service.url}/v1/exports/nonsense`)).status).toBe(400);

    const r = spawnSync(process.execPath, [CLI, 'export', '--format', 'rpz'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, SHADOW_AI_DATA_DIR: join(dir, 'data') } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\*\.poe\.com\s+CNAME\s+\.$/m);
    expect(r.stdout).toMatch(/deepseek/);
  });

  it('rejects unknown apps, bad statuses and past expiries', async () => {
    expect((await put('no-such-app', { status: 'blocked', reason: 'x' })).status).toBe(404);
    expect((await put('poe', { status: 'forbidden', reason: 'x' })).status).toBe(400);
    expect((await put('poe', { status: 'blocked', reason: 'x', expiresAt: '2001-01-01T00:00:00Z' })).status).toBe(400);
  });
});

describe('pseudonymisation mode', () => {
  const dir = tempDir('pseudo');
  let service: Service;

  beforeAll(async () => {
    service = await startService({
      dataDir: join(dir, 'data'),
      env: { SHADOW_AI_PSEUDONYMIZE: 'true', SHADOW_AI_PSEUDONYM_SECRET: 'an-installation-secret-of-enough-length-0123' },
    });
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  it('stores and shows users as keyed hashes; an admin can re-identify one, which is audited', async () => {
    const line = squidLine({ user: 'wanda', clientIp: '10.6.1.1', host: 'claude.ai', bytes: 1, at: new Date('2026-11-24T10:00:00Z') });
    await authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body: line });
    const apps = (await getJson<{ items: { appId: string }[] }>(`${service.url}/v1/apps`)).body.items;
    expect(apps.map((a) => a.appId)).toEqual(['claude']);
    const events = (await getJson<{ items: { user: string; srcIp: string | null }[] }>(`${service.url}/v1/events`)).body.items;
    expect(events[0]!.user).toMatch(/^p_[0-9a-f]{20}$/);
    expect(events[0]!.srcIp).toMatch(/^p_[0-9a-f]{20}$/);
    expect(JSON.stringify(events)).not.toContain('wanda');
    expect((await getJson(`${service.url}/v1/users/wanda/usage`)).status).toBe(404);

    const res = await authFetch(`${service.url}/v1/pseudonyms/${events[0]!.user}/reidentify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'incident INC-42' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ pseudonym: events[0]!.user, identity: 'wanda' });
    const audit = (await getJson<{ items: { action: string; target: string; after: { reason: string } }[] }>(`${service.url}/v1/audit?action=pseudonym.reidentify`)).body.items;
    expect(audit[0]).toMatchObject({ target: events[0]!.user, after: { reason: 'incident INC-42' } });
  });
});
