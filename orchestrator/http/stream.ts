/**
 * GET /api/stream: server-sent events, one `saga` event per saga change, so the UI updates
 * without polling. A client that cannot keep up is disconnected (it reconnects and refetches)
 * rather than letting its backlog grow in memory.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { summaryView, type SagaCatalog } from '../saga/catalog.ts';
import { problems } from './schemas/common.ts';

export interface StreamRoutesOptions {
  catalog: SagaCatalog;
}

const PING_MS = 15_000;
const MAX_BACKLOG_BYTES = 1024 * 1024;

/** Documented, never serialized: the route writes the stream itself. */
const streamSchema = {
  tags: ['inspector'],
  summary: 'Live saga changes (server-sent events)',
  description:
    'One `saga` event per saga change, its data an order summary as in `GET /api/orders`; a comment every 15 s keeps the connection open. ' +
    'EventSource cannot send headers: the read token may come as `?access_token=`.',
  response: {
    200: { description: 'the event stream', content: { 'text/event-stream': { schema: Type.String() } } },
    ...problems(401),
  },
};

export const streamRoutes: FastifyPluginAsyncTypebox<StreamRoutesOptions> = async function streamRoutes(app, { catalog }) {
  const open = new Set<() => void>();
  app.addHook('onClose', async () => open.forEach((close) => close()));

  // EventSource cannot send headers: the token may come as `?access_token=`. No HEAD: a stream has no end to answer it with.
  app.get('/api/stream', { schema: streamSchema, config: { tokenInQuery: true }, exposeHeadRoute: false }, (request, reply) => {
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
};
