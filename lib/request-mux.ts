/**
 * Requests over one inbox subscription, each settled by its reply or by one shared sweep of
 * deadlines: what every JetStream publish and KV write is underneath (a request answered by a
 * PubAck), at half the client's CPU per call.
 *
 * nats-core's own `request` gives each call a timer, a `Promise.race` of two promises and, once
 * the reply has come, a `RequestError` with a captured stack to reject a promise that has
 * already resolved (`RequestOne.cancel`). Measured on this machine, 256 JetStream publishes
 * outstanding on one connection, 100,000 publishes: 30-34 µs of client CPU per publish with the
 * library's requests, 15-16 µs with these.
 *
 * Outcomes match the library's, so JetStream and KV handle them as before: a reply resolves, a
 * 503 status without data rejects with a `RequestError` caused by `NoRespondersError`, a missed
 * deadline with `TimeoutError`, a closed connection with `RequestError("connection closed")`.
 */
import { errors, NoRespondersError, type Msg, type MsgHdrs, type Payload, type Subscription } from '@nats-io/nats-core';

/** How often deadlines are checked: a request times out at most this late. */
export const SWEEP_MS = 50;

interface Pending {
  resolve(msg: Msg): void;
  reject(error: Error): void;
  subject: string;
  deadline: number;
}

/** The part of a connection a mux needs. */
export interface MuxHost {
  subscribe(subject: string, opts: { callback: (error: Error | null, msg: Msg) => void }): Subscription;
  publish(subject: string, data: Payload | undefined, opts: { reply: string; headers?: MsgHdrs }): void;
  closed(): Promise<void | Error>;
}

export class RequestMux {
  private readonly pending = new Map<number, Pending>();
  private lastToken = 0;
  private inbox: string | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: MuxHost,
    private readonly inboxPrefix: string,
  ) {}

  request(subject: string, data: Payload | undefined, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    const inbox = this.inbox ?? this.listen();
    const token = ++this.lastToken;
    return new Promise<Msg>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, subject, deadline: performance.now() + timeoutMs });
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
      try {
        this.host.publish(subject, data, { reply: inbox + token, ...(headers ? { headers } : {}) });
      } catch (error) {
        this.pending.delete(token);
        reject(error as Error);
      }
    });
  }

  private listen(): string {
    const inbox = `${this.inboxPrefix}.`;
    this.host.subscribe(`${inbox}*`, {
      callback: (error, msg) => {
        if (error) return this.rejectAll(error);
        const token = Number(msg.subject.substring(inbox.length));
        const request = this.pending.get(token);
        if (!request) return; // answered after its deadline
        this.pending.delete(token);
        if (msg.data.length === 0 && msg.headers?.code === 503) {
          const cause = new NoRespondersError(request.subject);
          request.reject(new errors.RequestError(cause.message, { cause }));
        } else {
          request.resolve(msg);
        }
      },
    });
    void this.host.closed().then(() => this.rejectAll(new errors.RequestError('connection closed')));
    this.inbox = inbox;
    return inbox;
  }

  private sweep(): void {
    if (this.pending.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
      return;
    }
    const now = performance.now();
    for (const [token, request] of this.pending) {
      if (request.deadline > now) continue;
      this.pending.delete(token);
      request.reject(new errors.TimeoutError());
    }
  }

  private rejectAll(error: Error): void {
    const requests = [...this.pending.values()];
    this.pending.clear();
    for (const request of requests) request.reject(error);
  }
}
