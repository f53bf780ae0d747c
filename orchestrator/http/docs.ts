/**
 * The OpenAPI document, made from the route schemas as they are registered: browsable at /docs,
 * as JSON at /docs/json and YAML at /docs/yaml. Open like the UI's files (auth.ts): it tells the
 * API's shapes, never its data. Swagger UI loads only its own files, so the UI's CSP holds for it.
 */
import { readFileSync } from 'node:fs';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Access } from './auth.ts';

export const DOCS_PREFIX = '/docs';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** What the document says a route needs, from the access auth.ts gave it (set by the time the document is made). */
function securityOf(route: RouteOptions): { bearer: [] }[] | undefined {
  const access: Access | undefined = route.config?.access;
  return access === 'read' || access === 'ops' ? [{ bearer: [] }] : undefined;
}

/** Registered before any route, so every route's schema reaches the document. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Order saga orchestrator',
        version,
        description:
          'Submit orders, follow their sagas, and act on them as an operator. Errors are RFC 9457 problem details (`application/problem+json`); ' +
          'bad input names every field at fault. With READ_TOKEN set every /api route but /api/config needs a token; with OPS_TOKEN set every action needs an ops token.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'READ_TOKEN or OPS_TOKEN; acting needs OPS_TOKEN. Needed only where they are set.' },
        },
      },
      tags: [
        { name: 'orders', description: 'Submit, read and list orders' },
        { name: 'operator actions', description: 'Retry, compensate, cancel or replay a saga; each one audited' },
        { name: 'bulk jobs', description: 'One action over every saga a filter matches' },
        { name: 'dead letters', description: 'Messages no service could handle' },
        { name: 'audit', description: 'Every operator act, applied or refused' },
        { name: 'inspector', description: 'What the inspector UI reads' },
        { name: 'probes', description: 'Process health, readiness and metrics' },
      ],
    },
    transform: ({ schema, url, route }) => {
      const security = securityOf(route);
      return { schema: security && schema ? { ...schema, security } : schema, url };
    },
  });
}

/** The browsable document and its JSON and YAML, under /docs. */
export async function docsRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { deepLinking: true, docExpansion: 'list' },
  });
}
