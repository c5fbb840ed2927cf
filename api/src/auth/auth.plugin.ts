import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeys } from './api-keys.store.ts';
import type { createOidcVerifier } from './oidc.ts';
import { roleAtLeast, type Principal, type RouteAccess } from './roles.ts';

export interface AuthDeps {
  keys: ApiKeys;
  /** SHADOW_AI_ADMIN_TOKEN: a bearer token with the admin role, for automation */
  adminToken?: string | undefined;
  oidc?: ReturnType<typeof createOidcVerifier> | null;
  /** failed attempts per client address and minute before answering 429 */
  maxFailuresPerMinute: number;
}

export interface RegisteredRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

/** Route prefixes of plugins that register their own routes (the OpenAPI UI): public by declaration here. */
const PUBLIC_PREFIXES = ['/docs'];

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Authentication and authorisation for every route. A route must declare `config.access`; one that
 * does not is refused at registration, so the server cannot start with an unprotected route.
 * Credentials: `Authorization: Bearer <API key | admin token | OIDC JWT>` or `X-API-Key: <API key>`.
 * Failures are answered 401, too weak a role 403; repeated failures from one address 429. Logged
 * without the credential.
 */
export function installAuth(app: FastifyInstance, deps: AuthDeps): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((m) => m === 'HEAD' || m === 'OPTIONS')) return;
    let access = route.config?.access;
    if (access === undefined && PUBLIC_PREFIXES.some((p) => route.url === p || route.url.startsWith(`${p}/`))) {
      access = 'public';
      route.config = { ...route.config, access };
    }
    if (access === undefined) throw new Error(`route ${methods.join(',')} ${route.url} declares no access role`);
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, access });
  });

  const failures = new Map<string, { count: number; since: number }>();
  const adminTokenDigest = deps.adminToken ? digest(deps.adminToken) : null;

  async function authenticate(req: FastifyRequest): Promise<Principal | { refused: string } | null> {
    const header = req.headers.authorization;
    const apiKeyHeader = req.headers['x-api-key'];
    let token: string | null = null;
    if (typeof header === 'string' && header.toLowerCase().startsWith('bearer ')) token = header.slice(7).trim();
    else if (typeof apiKeyHeader === 'string') token = apiKeyHeader.trim();
    if (!token) return null;
    if (token.startsWith('saw_')) {
      const v = await deps.keys.verifyFresh(token);
      return 'refused' in v ? { refused: `api key ${v.refused}` } : { actor: `key:${v.id}`, role: v.role, via: 'api-key' };
    }
    if (adminTokenDigest && timingSafeEqual(digest(token), adminTokenDigest)) return { actor: 'admin-token', role: 'admin', via: 'admin-token' };
    if (deps.oidc) {
      const v = await deps.oidc(token);
      return 'refused' in v ? { refused: `jwt: ${v.refused}` } : { actor: `oidc:${v.subject}`, role: v.role, via: 'oidc' };
    }
    return { refused: 'unknown credential' };
  }

  function tooManyFailures(ip: string): boolean {
    const f = failures.get(ip);
    if (!f) return false;
    if (Date.now() - f.since > 60_000) {
      failures.delete(ip);
      return false;
    }
    return f.count >= deps.maxFailuresPerMinute;
  }

  function fail(req: FastifyRequest, reply: FastifyReply, reason: string) {
    const f = failures.get(req.ip);
    if (!f || Date.now() - f.since > 60_000) failures.set(req.ip, { count: 1, since: Date.now() });
    else f.count++;
    if (failures.size > 10_000) failures.clear();
    req.log.warn({ ip: req.ip, method: req.method, url: req.routeOptions.url, reason }, 'authentication failed');
    return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'missing or invalid credentials' });
  }

  app.addHook('onRequest', async (req, reply) => {
    const access = req.routeOptions.config?.access;
    // Unknown URLs have no route: the 404 handler answers without revealing anything.
    if (access === undefined || access === 'public') return;
    if (tooManyFailures(req.ip)) {
      return reply.code(429).send({ error: 'too_many_requests', message: 'too many failed authentication attempts; retry in a minute' });
    }
    const who = await authenticate(req);
    if (who === null) return fail(req, reply, 'no credentials');
    if ('refused' in who) return fail(req, reply, who.refused);
    if (!roleAtLeast(who.role, access)) {
      return reply.code(403).send({ error: 'forbidden', message: `this needs the ${access} role; the credential has ${who.role}` });
    }
    req.principal = who;
  });

  return routes;
}
