/**
 * GET /api/stream: server-sent events, one `saga` event per saga change, so the UI updates
 * without polling. Bounded: at most STREAM_MAX_CLIENTS clients at once (more are answered 503
 * with Retry-After); each change is serialised once, and the same bytes are written to every
 * client. A client that cannot keep up is disconnected (it reconnects and refetches) rather than
 * letting its backlog grow in memory.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { summaryView, type SagaCatalog } from '../saga/catalog.ts';
import type { SagaSummary } from '../saga/summary.ts';
import { HttpProblem } from './problems.ts';
import { problems } from './schemas/common.ts';

export interface StreamRoutesOptions {
  catalog: SagaCatalog;
  maxClients: number;
}

const PING_MS = 15_000;
const MAX_BACKLOG_BYTES = 1024 * 1024;
/** What a client turned away is told to wait before it tries again. */
export const STREAM_RETRY_AFTER_S = 5;

/** One connected client, as the hub sees it: where frames go, and how full its socket buffer is. */
export interface StreamClient {
  write(frame: Buffer): void;
  readonly writableLength: number;
  close(): void;
}

/**
 * The clients of the stream and the one subscription they share: a change is turned into a
 * frame once, and that frame (one Buffer) is written to each client.
 */
export class StreamHub {
  private readonly clients = new Set<StreamClient>();

  constructor(
    readonly maxClients: number,
    private readonly serialize: (summary: SagaSummary) => string = (summary) => JSON.stringify(summaryView(summary)),
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Adds the client, or returns false when the hub is full. */
  add(client: StreamClient): boolean {
    if (this.clients.size >= this.maxClients) return false;
    this.clients.add(client);
    return true;
  }

  remove(client: StreamClient): void {
    this.clients.delete(client);
  }

  publish(summary: SagaSummary): void {
    if (this.clients.size === 0) return;
    const frame = Buffer.from(`event: saga\ndata: ${this.serialize(summary)}\n\n`);
    for (const client of [...this.clients]) {
      if (client.writableLength > MAX_BACKLOG_BYTES) client.close();
      else client.write(frame);
    }
  }

  closeAll(): void {
    for (const client of [...this.clients]) client.close();
  }
}

/** Documented, never serialized: the route writes the stream itself. */
const streamSchema = {
  tags: ['inspector'],
  summary: 'Live saga changes (server-sent events)',
  description:
    'One `saga` event per saga change, its data an order summary as in `GET /api/orders`; a comment every 15 s keeps the connection open. ' +
    'EventSource cannot send headers: the read token may come as `?access_token=`. At most STREAM_MAX_CLIENTS clients at once: beyond, 503 with Retry-After.',
  response: {
    200: { description: 'the event stream', content: { 'text/event-stream': { schema: Type.String() } } },
    ...problems(401, 503),
  },
};

export const streamRoutes: FastifyPluginAsyncTypebox<StreamRoutesOptions> = async function streamRoutes(app, { catalog, maxClients }) {
  const hub = new StreamHub(maxClients);
  const unsubscribe = catalog.onChange((summary) => hub.publish(summary));
  app.addHook('onClose', async () => {
    unsubscribe();
    hub.closeAll();
  });

  // EventSource cannot send headers: the token may come as `?access_token=`. No HEAD: a stream has no end to answer it with.
  app.get('/api/stream', { schema: streamSchema, config: { tokenInQuery: true }, exposeHeadRoute: false }, (request, reply) => {
    const out = reply.raw;
    const client: StreamClient = {
      write: (frame) => void out.write(frame),
      get writableLength() {
        return out.writableLength;
      },
      close: () => {
        hub.remove(client);
        clearInterval(ping);
        out.end();
      },
    };
    if (!hub.add(client)) {
      reply.header('Retry-After', String(STREAM_RETRY_AFTER_S));
      throw new HttpProblem(503, 'Service unavailable', `the live stream has its ${hub.maxClients} clients (STREAM_MAX_CLIENTS); retry in ${STREAM_RETRY_AFTER_S} s`, { retryable: true });
    }
    reply.hijack();
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    out.write('retry: 2000\n: connected\n\n');
    // Declared after `client`, whose close() clears it: nothing can close the client before this line runs.
    const ping = setInterval(() => out.write(': ping\n\n'), PING_MS);
    request.raw.on('close', client.close);
  });
};
