/** The HTTP server: Fastify with strict validation, problem-details errors and the route plugins. */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../../lib/logger.ts';
import { registerAuth } from './auth.ts';
import { bulkRoutes } from './bulk.ts';
import { deadLetterRoutes } from './dead-letters.ts';
import { healthRoutes } from './health.ts';
import { registerObservability } from './observability.ts';
import { ordersRoutes } from './orders.ts';
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
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    logController: new LogController({ disableRequestLogging: true }),
    // A URL the router cannot decode answers a problem like every other error.
    frameworkErrors: frameworkProblem,
    // And so does a request Node's parser rejects before Fastify sees it (e.g. a URL over 16 KiB).
    clientErrorHandler: clientErrorProblem,
  });
  app.decorate('saga', services);
  registerValidators(app);
  registerProblemHandler(app);
  await registerAuth(app);
  await registerObservability(app);
  await registerSecurityHeaders(app);
  await app.register(healthRoutes);
  await app.register(ordersRoutes);
  await app.register(overviewRoutes);
  await app.register(streamRoutes);
  await app.register(systemRoutes);
  await app.register(deadLetterRoutes);
  await app.register(bulkRoutes);
  await app.register(uiRoutes);
  return app;
}
