import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';

export const errorSchema = z.object({ error: z.string(), message: z.string() }).meta({ id: 'Error' });

/** An expected failure a route reports with its status code: `{ error, message }`. */
export class HttpError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Every error leaves as JSON `{ error, message }` with the right status; internals are logged, not sent. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    if (hasZodFastifySchemaValidationErrors(err)) {
      const message = err.validation
        .map((v) => `${err.validationContext ?? 'request'}${v.instancePath || ''}: ${v.message ?? 'invalid'}`)
        .join('; ');
      return reply.code(400).send({ error: 'bad_request', message });
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err }, 'response did not match its schema');
      return reply.code(500).send({ error: 'internal', message: 'internal error' });
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return reply.code(status).send({ error: 'internal', message: 'internal error' });
    }
    const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
    return reply.code(status).send({ error: code, message: err.message });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route for ${req.method} ${req.url.split('?')[0]}` }),
  );
}

/**
 * A method the path does not have is answered 405 with `Allow`, not 404 (RFC 9110 §15.5.6). Runs in
 * onRequest, before fastify would ask a body method (QUERY) for a content type it will never read;
 * only requests no route matched pay for the lookup.
 */
export function installMethodNotAllowed(app: FastifyInstance): void {
  const paths = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  app.addHook('onRoute', (route) => {
    let entry = paths.get(route.url);
    if (!entry) {
      entry = { pattern: routePattern(route.url), methods: new Set() };
      paths.set(route.url, entry);
    }
    for (const m of Array.isArray(route.method) ? route.method : [route.method]) entry.methods.add(m);
  });
  app.addHook('onRequest', async (req, reply) => {
    const matched = req.routeOptions.url;
    // A parametric match (PATCH /v1/findings/:id for PATCH /v1/findings/bulk) where the path is a
    // static route of its own is that route with the wrong method, not an id.
    if (matched !== undefined && !/[:*]/.test(matched)) return;
    const path = req.url.split('?')[0]!;
    // A static route is the resource its path names; patterns only speak for paths no static route has.
    let allowed = paths.get(path)?.methods;
    if (allowed === undefined && matched === undefined) {
      allowed = new Set<string>();
      for (const { pattern, methods } of paths.values()) if (pattern.test(path)) for (const m of methods) allowed.add(m);
    }
    if (allowed === undefined || allowed.size === 0) return;
    const allow = [...allowed].sort().join(', ');
    return reply
      .code(405)
      .header('allow', allow)
      .send({ error: 'method_not_allowed', message: `${req.method} is not allowed on ${path}; allowed: ${allow}` });
  });
}

/** `/v1/findings/:id` → a RegExp matching the request paths the route serves (`*` matches the rest). */
function routePattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment === '*' ? '.*' : segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}
