/**
 * Completions seen the way a client of the public API sees them: the live stream
 * (GET /api/stream, one `saga` event per change) and GET /api/orders/:id. The stream reconnects
 * when it ends (an orchestrator restart, or a cut for a reader that fell behind) and then reads
 * each awaited order once, so an order that finished meanwhile is not waited for forever.
 */
import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { isFinished } from '../machines/index.ts';
import { Completions } from './load.ts';

const RECONNECT_MS = 250;

/** The order's status as GET /api/orders/:id answers it, or undefined when it does not answer 200. */
export async function orderStatus(baseUrl: string, orderId: string): Promise<string | undefined> {
  const response = await fetch(new URL(`/api/orders/${orderId}`, baseUrl));
  if (response.status !== 200) {
    await response.arrayBuffer();
    return undefined;
  }
  return ((await response.json()) as { status: string }).status;
}

/** Polls GET /api/orders/:id every `everyMs` until the order is final (or `deadline`, on performance.now()); resolves with its status. */
export async function pollUntilFinal(baseUrl: string, orderId: string, everyMs: number, deadline: number): Promise<string> {
  while (performance.now() < deadline) {
    const status = await orderStatus(baseUrl, orderId).catch(() => undefined);
    if (isFinished(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`order ${orderId} did not finish in time`);
}

export class ApiCompletions extends Completions {
  /** Times an open stream ended while still wanted: the server cuts a reader that falls behind. */
  cuts = 0;
  private request: ClientRequest | undefined;
  private stopped = false;

  private constructor(private readonly baseUrl: string) {
    super();
  }

  static async start(baseUrl: string): Promise<ApiCompletions> {
    const completions = new ApiCompletions(baseUrl);
    try {
      await completions.open();
    } catch (error) {
      await completions.stop();
      throw error;
    }
    return completions;
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      let ended = false;
      const end = (error: Error, wasOpen: boolean) => {
        if (ended) return;
        ended = true;
        reject(error);
        if (this.stopped) return;
        if (wasOpen) this.cuts++;
        setTimeout(() => void this.open().catch(() => undefined), RECONNECT_MS);
      };
      // A socket of its own: the stream never ends, so it must not hold a pooled one.
      const request = get(new URL('/api/stream', this.baseUrl), { agent: false, headers: { accept: 'text/event-stream' } }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          return end(new Error(`GET /api/stream answered ${response.statusCode}`), false);
        }
        resolve();
        this.read(response);
        response.on('close', () => end(new Error('the stream ended'), true));
        void this.catchUp();
      });
      request.on('error', (error) => end(error, false));
      this.request = request;
    });
  }

  private read(response: IncomingMessage): void {
    response.setEncoding('utf8');
    let buffer = '';
    response.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        this.take(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    });
  }

  /** One server-sent event: `event: saga` and a `data:` line with the saga's summary. */
  private take(event: string): void {
    const at = event.indexOf('data: ');
    if (at < 0 || !event.startsWith('event: saga')) return;
    const { orderId, status } = JSON.parse(event.slice(at + 'data: '.length)) as { orderId: string; status: string };
    if (isFinished(status) && !this.seen(orderId)) this.settle(orderId, { status, at: performance.now() });
  }

  /** Reads each awaited order once: it may have finished while the stream was down. */
  private async catchUp(): Promise<void> {
    for (const orderId of this.awaited()) {
      const status = await orderStatus(this.baseUrl, orderId).catch(() => undefined);
      if (isFinished(status) && !this.seen(orderId)) this.settle(orderId, { status, at: performance.now() });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.request?.destroy();
  }
}
