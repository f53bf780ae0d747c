/**
 * Serves the built UI (ui/dist) at `/`, with deep links such as /orders/:id answered by
 * index.html so a reload lands on the same page. API paths never fall back to the UI.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const UI_DIST = fileURLToPath(new URL('../../ui/dist', import.meta.url));

/** Pages and files, not API operations: left out of the OpenAPI document. */
const hidden = { schema: { hide: true } };

/** `path` as the router decoded it, without its leading slashes: `API/orders` and `//api` are API paths too. */
const isApiPath = (path: string) => /^(api|health|ready|metrics|docs)(\/|$)/i.test(path);

export async function uiRoutes(app: FastifyInstance): Promise<void> {
  if (!existsSync(`${UI_DIST}/index.html`)) {
    app.log.warn({ dir: UI_DIST }, 'the UI is not built (npm run build:ui); serving the API only');
    app.get('/', hidden, async (_request, reply) =>
      reply.type('text/plain').send('The UI is not built. Run `npm run build:ui`, or use the API under /api.\n'),
    );
    return;
  }
  await app.register(fastifyStatic, { root: UI_DIST, wildcard: false });
  app.get('/*', hidden, (request, reply) => {
    const file = (request.params as { '*': string })['*'].replace(/^\/+/, '');
    if (isApiPath(file)) return reply.callNotFound();
    // A file built after start-up (a rebuilt bundle) is served too; any other path is a page.
    const path = resolve(UI_DIST, file);
    if (file && path.startsWith(`${UI_DIST}/`) && existsSync(path) && statSync(path).isFile()) return reply.sendFile(file);
    return reply.sendFile('index.html');
  });
}
