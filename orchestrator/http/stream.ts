/**
 * GET /api/stream: server-sent events, one `saga` event per saga change, so the UI updates
 * without polling. A client that cannot keep up is disconnected (it reconnects and refetches)
 * rather than letting its backlog grow in memory.
 */
import type { FastifyInstance } from 'fastify';
import { summaryView } from '../saga/catalog.ts';

const PING_MS = 15_000;
const MAX_BACKLOG_BYTES = 1024 * 1024;

export async function streamRoutes(app: FastifyInstance): Promise<void> {
  const { catalog } = app.saga;
  const open = new Set<() => void>();
  app.addHook('onClose', async () => open.forEach((close) => close()));

  // EventSource cannot send headers: the token may come as `?access_token=`. No HEAD: a stream has no end to answer it with.
  app.get('/api/stream', { config: { tokenInQuery: true }, exposeHeadRoute: false }, (request, reply) => {
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    out.write('retry: 2000\n: connected\n\n');
    const close = () => {
      unsubscribe();
      clearInterval(ping);
      open.delete(close);
      out.end();
    };
    const unsubscribe = catalog.onChange((summary) => {
      if (out.writableLength > MAX_BACKLOG_BYTES) return close();
      out.write(`event: saga\ndata: ${JSON.stringify(summaryView(summary))}\n\n`);
    });
    const ping = setInterval(() => out.write(': ping\n\n'), PING_MS);
    open.add(close);
    request.raw.on('close', close);
  });
}
