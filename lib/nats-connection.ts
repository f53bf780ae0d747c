/**
 * How our services connect to NATS: the client's own connection, with two changes that halve
 * what a JetStream write costs the client under load.
 *
 * 1. The writes of one event-loop turn go to the socket in one write. The client flushes its
 *    outbound buffer at the end of every microtask that wrote to it, so the sagas a turn works
 *    on (each awaiting a KV write, then publishing, then acking) make one socket write, and one
 *    read on the server, per await. Holding frames until `setImmediate` joins everything a turn
 *    wrote into one write; the wait is at most the rest of that turn (the figures are in
 *    bench/RESULTS.md).
 * 2. Requests (every JetStream publish, KV write and API call is one) go through a `RequestMux`:
 *    one inbox, one sweep of deadlines, no Error built per answered request (see request-mux.ts).
 *
 * This mirrors `connect` of `@nats-io/transport-node` and `NatsConnectionImpl.connect` (set the
 * transport factory, then connect) with subclasses of their classes, so the @nats-io packages are
 * pinned to exact versions in package.json; `test/system` exercises it in every service and
 * `test/system/nats-connection.test.ts` on its own.
 */
import {
  InvalidArgumentError,
  NatsConnectionImpl,
  ProtocolHandler,
  createInbox,
  setTransportFactory,
} from '@nats-io/nats-core/internal';
import type { ConnectionOptions, Msg, NatsConnection, Payload, RequestOptions } from '@nats-io/nats-core';
import { NodeTransport, nodeResolveHost } from '@nats-io/transport-node/lib/node_transport.js';
import { RequestMux } from './request-mux.ts';

class TurnBatchingTransport extends NodeTransport {
  private queued: Uint8Array[] = [];

  override send(frame: Uint8Array): void {
    if (this.queued.length === 0) setImmediate(() => this.sendQueued());
    this.queued.push(frame);
  }

  /** Every direct write (the closing flush among them) goes after what is queued, in order. */
  override _send(frame: Uint8Array): Promise<void> {
    this.sendQueued();
    return super._send(frame);
  }

  private sendQueued(): void {
    if (this.queued.length === 0) return;
    const frames = this.queued;
    this.queued = [];
    void super._send(frames.length === 1 ? frames[0]! : Buffer.concat(frames)).catch(() => {
      // As the Node transport does: a failed write surfaces as a failed read or a missed heartbeat.
    });
  }
}

// The library declares its constructor private so that callers use its static `connect`.
const ConnectionBase = NatsConnectionImpl as unknown as new (options: ConnectionOptions) => NatsConnectionImpl;

class MuxedRequestsConnection extends ConnectionBase {
  private readonly mux = new RequestMux(this, createInbox(this.options.inboxPrefix));

  override request(subject: string, data?: Payload, opts: RequestOptions = { timeout: 1000 }): Promise<Msg> {
    // A request with its own reply subject keeps the library's way.
    if (opts.noMux || opts.reply) return super.request(subject, data, opts);
    try {
      this._check(subject, true, true);
    } catch (error) {
      return Promise.reject(error);
    }
    const timeout = opts.timeout || 1000;
    if (timeout < 1) return Promise.reject(InvalidArgumentError.format('timeout', 'must be greater than 0'));
    return this.mux.request(subject, data, timeout, opts.headers);
  }
}

export async function connectToNats(options: ConnectionOptions): Promise<NatsConnection> {
  setTransportFactory({ factory: () => new TurnBatchingTransport(), dnsResolveFn: nodeResolveHost });
  const nc = new MuxedRequestsConnection(options);
  nc.protocol = await ProtocolHandler.connect(nc.options, nc);
  return nc;
}

/**
 * Whether the connection is up this instant. A publish made while it is down waits in the
 * client's buffer, to be dropped at the next dial or sent on reconnect: nobody can say which.
 * The client keeps the socket's state on its protocol handler; without one, say up (a caller
 * then waits for an answer that does not come, which is slower, never wrong).
 */
export function isConnectedNow(nc: NatsConnection): boolean {
  if (nc.isClosed() || nc.isDraining()) return false;
  return (nc as Partial<NatsConnectionImpl>).protocol?.connected ?? true;
}
