/** The HTTP server: Fastify with strict validation, problem-details errors, the route plugins and their OpenAPI document. */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../../lib/logger.ts';
import { registerAuth } from './auth.ts';
import { registerHostCheck } from './host-check.ts';
import { registerRateLimit } from './rate-limit.ts';
import { bulkRoutes } from './bulk.ts';
import { deadLetterRoutes } from './dead-letters.ts';
import { docsRoutes, registerDocs } from './docs.ts';
import { healthRoutes } from './health.ts';
import { incidentRoutes } from './incidents.ts';
import { registerObservability } from './observability.ts';
import { orderRoutes } from './orders.ts';
import { overviewRoutes } from './overview.ts';
import { streamRoutes } from './stream.ts';
import { systemRoutes } from './system.ts';
import { uiRoutes } from './ui-static.ts';
import { clientErrorProblem, frameworkProblem, registerProblemHandler } from './problems.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import type { SagaServices } from './services.ts';
import { registerValidators } from './validation.ts';

export const BODY_LIMIT_BYTES = 64 * 1024;

export async function buildApp(services: SagaServices, logger: Logger): Promise<FastifyInstance> {
  const { config, nats, topology, runtime, catalog, queues, loadMeter, audit, deadLetters, bulk, metrics, registry } = services;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    logController: new LogController({ disableRequestLogging: true }),
    // A URL the router cannot decode answers a problem like every other error.
    frameworkErrors: frameworkProblem,
    // And so does a request Node's parser rejects before Fastify sees it (e.g. a URL over 16 KiB).
    clientErrorHandler: clientErrorProblem,
  });
  await registerDocs(app);
  registerValidators(app);
  registerProblemHandler(app);
  // First the Host (DNS rebinding), then the client's budget, then its token.
  await registerHostCheck(app, config);
  await registerRateLimit(app, config);
  await registerAuth(app, config);
  await registerObservability(app, metrics);
  await registerSecurityHeaders(app);
  // Each route group gets what it uses, and nothing else.
  await app.register(healthRoutes, { nats, topology, catalog, registry });
  await app.register(orderRoutes, { runtime, catalog, audit, nats, config });
  await app.register(overviewRoutes, { catalog, nats, queues, loadMeter, config });
  await app.register(streamRoutes, { catalog, maxClients: config.streamMaxClients });
  await app.register(systemRoutes, { nats, topology, config });
  await app.register(deadLetterRoutes, { deadLetters, audit });
  await app.register(bulkRoutes, { bulk });
  await app.register(incidentRoutes, { catalog, nats });
  await app.register(docsRoutes);
  await app.register(uiRoutes);
  return app;
}
