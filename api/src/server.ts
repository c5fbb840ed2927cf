import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '@shadow-ai/core';
import type { ApiDeps } from './deps.ts';
import { installErrorHandling, installMethodNotAllowed } from './errors.ts';
import { installAuth, type RegisteredRoute } from './auth/auth.plugin.ts';
import { governanceRouter } from './routes/governance.router.ts';
import { exportsRouter } from './routes/exports.router.ts';
import { agentsRouter } from './routes/agents.router.ts';
import { destinationsRouter } from './routes/destinations.router.ts';
import { catalogRouter } from './routes/catalog.router.ts';
import { eventsRouter } from './routes/events.router.ts';
import { findingsRouter } from './routes/findings.router.ts';
import { identityRouter } from './routes/identity.router.ts';
import { ingestRouter } from './routes/ingest.router.ts';
import { opsRouter } from './routes/ops.router.ts';
import { usageRouter } from './routes/usage.router.ts';
import { reportsRouter } from './routes/reports.router.ts';
import { overviewRouter } from './routes/overview.router.ts';
import { consoleRouter } from './routes/console.router.ts';

export const API_VERSION = '0.1.0';

export async function buildServer(deps: ApiDeps, log: Logger): Promise<FastifyInstance> {
  const base = Fastify({
    // pino's Logger is what fastify's logger type describes; the two declare it separately.
    loggerInstance: log as FastifyBaseLogger,
    disableRequestLogging: true,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    // Long enough for every path parameter the schemas allow, so a too-long one gets the schema's 400.
    routerOptions: { maxParamLength: 2048 },
  });
  base.setValidatorCompiler(validatorCompiler);
  base.setSerializerCompiler(serializerCompiler);
  installErrorHandling(base);
  installMethodNotAllowed(base);
  // Before any route: every route registered after this must declare its access role.
  const routes = installAuth(base, deps.auth);
  base.decorate('registeredRoutes', routes);
  base.addHook('onSend', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    if (!req.url.startsWith('/docs')) {
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
      reply.header('cache-control', 'no-store');
    }
  });
  const app = base.withTypeProvider<ZodTypeProvider>();

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API key (saw_…), SHADOW_AI_ADMIN_TOKEN, or an OIDC JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
      info: {
        title: 'Shadow AI Watch API',
        version: API_VERSION,
        description: 'Findings about unsanctioned AI apps, AI app usage by user and app, and log ingest.',
      },
    },
    transform: openApiOperation,
    // Schemas registered with `.meta({ id })` go to components.schemas, where the operations' $refs point.
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(opsRouter(deps));
  await app.register(findingsRouter(deps));
  await app.register(usageRouter(deps));
  await app.register(overviewRouter(deps));
  await app.register(consoleRouter());
  await app.register(ingestRouter(deps));
  await app.register(catalogRouter(deps));
  await app.register(identityRouter(deps));
  await app.register(eventsRouter(deps));
  await app.register(governanceRouter(deps));
  await app.register(exportsRouter(deps));
  await app.register(agentsRouter(deps));
  await app.register(destinationsRouter(deps));
  await app.register(reportsRouter(deps));
  return base;
}

/**
 * One operation of the OpenAPI document: the role it needs (`x-required-role`; public routes need no
 * credentials), and every answer it can give — 400 wherever there are inputs, 401/403/429 from the auth
 * hook, the media types of text documents, and JSON errors next to them.
 */
function openApiOperation(input: Parameters<typeof jsonSchemaTransform>[0]): ReturnType<typeof jsonSchemaTransform> {
  const out = jsonSchemaTransform(input);
  const schema = out.schema as Record<string, unknown>;
  const response = (schema.response ?? {}) as Record<string, unknown>;
  const error = (description: string) => ({
    description,
    content: {
      'application/json': {
        schema: { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } }, required: ['error', 'message'] },
      },
    },
  });
  // Any route with inputs answers a request its schema (or a rule the schema cannot state) refuses with 400.
  if (!response[400] && (schema.params || schema.querystring || schema.body)) response[400] = error('The request does not match the schema, or breaks a rule stated in the description');
  // Routes answering text (metrics, exports, reports) declare their media types with `produces`.
  const produces = schema.produces as string[] | undefined;
  if (produces) {
    if (!Object.keys(response).some((code) => code.startsWith('2'))) {
      const body = (type: string) => (type === 'application/json' ? { type: 'object' } : type === 'application/pdf' ? { type: 'string', format: 'binary' } : { type: 'string' });
      response[200] = { description: 'The document', content: Object.fromEntries(produces.map((type) => [type, { schema: body(type) }])) };
    }
    // Errors leave as JSON even where the document is text: say so, or the docs list them under `produces`.
    for (const [code, body] of Object.entries(response)) {
      const declared = body as { content?: unknown; description?: string };
      if (!code.startsWith('2') && !code.startsWith('3') && declared.content === undefined) {
        const { description, ...schemaOnly } = declared;
        response[code] = { description: description ?? 'Error', content: { 'application/json': { schema: schemaOnly } } };
      }
    }
  }
  const access = input.route.config?.access;
  if (access) {
    schema['x-required-role'] = access;
    if (access === 'public') schema.security = [];
    else {
      schema.description = `${String(schema.description ?? '')}${schema.description ? '\n\n' : ''}Requires role: ${access}.`;
      // The auth hook answers these for every protected route, before the handler runs.
      response[401] ??= error('No credentials, or credentials that are invalid, revoked or expired');
      response[403] ??= error(`The credentials' role is below ${access}`);
      response[429] ??= error('Too many failed authentications from this address; retry after a minute');
    }
  }
  if (Object.keys(response).length > 0) schema.response = response;
  return out;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** every route with the access role it declares (for the authorisation test and the docs) */
    registeredRoutes: RegisteredRoute[];
  }
}
