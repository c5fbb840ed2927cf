import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '@shadow-ai/core';
import type { ApiDeps } from './deps.ts';
import { installErrorHandling } from './errors.ts';
import { catalogRouter } from './routes/catalog.router.ts';
import { eventsRouter } from './routes/events.router.ts';
import { findingsRouter } from './routes/findings.router.ts';
import { identityRouter } from './routes/identity.router.ts';
import { ingestRouter } from './routes/ingest.router.ts';
import { opsRouter } from './routes/ops.router.ts';
import { usageRouter } from './routes/usage.router.ts';

export const API_VERSION = '0.1.0';

export async function buildServer(deps: ApiDeps, log: Logger): Promise<FastifyInstance> {
  const base = Fastify({
    // pino's Logger is what fastify's logger type describes; the two declare it separately.
    loggerInstance: log as FastifyBaseLogger,
    disableRequestLogging: true,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
  });
  base.setValidatorCompiler(validatorCompiler);
  base.setSerializerCompiler(serializerCompiler);
  installErrorHandling(base);
  const app = base.withTypeProvider<ZodTypeProvider>();

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Shadow AI Watch API',
        version: API_VERSION,
        description: 'Findings about unsanctioned AI apps, AI app usage by user and app, and log ingest.',
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(opsRouter(deps));
  await app.register(findingsRouter(deps));
  await app.register(usageRouter(deps));
  await app.register(ingestRouter(deps));
  await app.register(catalogRouter(deps));
  await app.register(identityRouter(deps));
  await app.register(eventsRouter(deps));
  return base;
}
