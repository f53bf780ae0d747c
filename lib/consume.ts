/**
 * One way to consume a durable pull consumer, shared by the orchestrator and the workers:
 * a bounded number of messages in flight, and messages with the same key (one saga) handled
 * strictly one after another while different keys run concurrently.
 * The handler settles each message itself (ack, nak with delay, term); if it throws, the
 * message is nak'ed with a delay and redelivered, so an outage never loses it.
 */
import type { Consumer, JsMsg } from '@nats-io/jetstream';

const PULL_EXPIRES_MS = 5_000;

export interface ConsumeOptions {
  consumer: Consumer;
  concurrency: number;
  /** Messages with the same key are handled in delivery order, one at a time. */
  keyOf?: (msg: JsMsg) => string | undefined;
  handle: (msg: JsMsg) => Promise<void>;
  onError: (error: unknown, msg: JsMsg) => void;
  /** Delay before a message whose handler threw is delivered again. */
  retryDelayMs?: number;
}

export interface Consumption {
  /** Stop pulling, then wait for the messages in flight to settle. */
  stop(): Promise<void>;
  readonly inFlight: number;
}

export async function startConsuming(options: ConsumeOptions): Promise<Consumption> {
  const { consumer, concurrency, keyOf, handle, onError } = options;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const inFlight = new Set<Promise<void>>();
  const lastOfKey = new Map<string, Promise<void>>();
  /** Delivered, waiting for a free slot. */
  const waiting: JsMsg[] = [];
  let stopping = false;

  const run = async (msg: JsMsg) => {
    try {
      await handle(msg);
    } catch (error) {
      onError(error, msg);
      msg.nak(retryDelayMs);
    }
  };

  const start = (msg: JsMsg) => {
    const key = keyOf?.(msg);
    const before = key ? lastOfKey.get(key) : undefined;
    const task = before ? before.then(() => run(msg)) : run(msg);
    inFlight.add(task);
    if (key) lastOfKey.set(key, task);
    void task.finally(() => {
      inFlight.delete(task);
      if (key && lastOfKey.get(key) === task) lastOfKey.delete(key);
      startWaiting();
    });
  };

  const startWaiting = () => {
    while (!stopping && inFlight.size < concurrency && waiting.length > 0) start(waiting.shift()!);
  };

  // A callback, not an async iterator: every message of one read from the socket starts its
  // handler in the same turn, so their writes (KV updates, publishes, acks) leave together in
  // one flush instead of one flush each.
  // Short pull expiries: a pull request lost with a failed node (the consumer's leader moves to
  // another) is replaced within seconds, not after the 30 s default.
  const messages = await consumer.consume({
    max_messages: Math.max(concurrency, 16),
    expires: PULL_EXPIRES_MS,
    callback: (msg) => {
      // Delivered after we stopped: hand it back now rather than after ack_wait.
      if (stopping) msg.nak();
      else {
        waiting.push(msg);
        startWaiting();
      }
    },
  });

  return {
    get inFlight() {
      return inFlight.size;
    },
    async stop() {
      stopping = true;
      await messages.close();
      for (const msg of waiting.splice(0)) msg.nak();
      await Promise.allSettled([...inFlight]);
    },
  };
}
