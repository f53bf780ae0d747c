/**
 * One way to consume a durable pull consumer, shared by the orchestrator and the workers:
 * a bounded number of messages in flight, and messages with the same key (one saga) handled
 * strictly one after another while different keys run concurrently.
 * The handler settles each message itself (ack, nak with delay, term); if it throws, the
 * message is nak'ed with a delay and redelivered, so an outage never loses it. A message that
 * keeps failing for any other reason (a bug, a value no check foresaw) is handed to `giveUp`
 * with the last error once it has been delivered `giveUpAfterDeliveries` times, so it ends in
 * the dead letters instead of being redelivered forever (the consumers' max_deliver is -1:
 * JetStream itself never drops one).
 *
 * Every message taken and not yet settled (handled, waiting behind its key, or waiting for
 * `admit`) tells JetStream it is being worked on every `heartbeatMs`: the consumers' ack_wait
 * can then be short, so a process that dies is noticed in seconds, while a slow handler or a
 * long wait is never mistaken for one.
 */
import { isNatsFailure } from './nats-errors.ts';
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
  /** Deliveries after which a message that still fails (not for an outage) goes to `giveUp`. */
  giveUpAfterDeliveries?: number;
  /** Park a message given up on (dead-letter it with `reason`); if this throws, it is delivered again. */
  giveUp?: (msg: JsMsg, reason: string) => Promise<void>;
  /**
   * Admission control: resolves with how many more messages may start now (at least 1). With
   * it, messages are pulled only when admitted, so the waiting ones stay in the stream.
   */
  admit?: () => Promise<number>;
  /** How often held messages say they are in progress: a third of the consumer's ack_wait. */
  heartbeatMs: number;
}


const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

export interface Consumption {
  /** Stop pulling, then wait for the messages in flight to settle. */
  stop(): Promise<void>;
  /** Messages taken and not yet settled: in flight, or about to start. */
  readonly held: number;
}

export async function startConsuming(options: ConsumeOptions): Promise<Consumption> {
  const { consumer, concurrency, keyOf, handle, onError, giveUp, admit, giveUpAfterDeliveries = Infinity } = options;
  const retryDelayMs = options.retryDelayMs ?? 500;
  // Short pull expiries: a pull request lost with a failed node (the consumer's leader moves to
  // another) is replaced within seconds, not after the 30 s default.
  const inFlight = new Set<Promise<void>>();
  const lastOfKey = new Map<string, Promise<void>>();
  const held = new Set<JsMsg>();
  const heartbeat = setInterval(() => {
    for (const msg of held) {
      try {
        msg.working();
      } catch {
        // Not connected now: JetStream redelivers it after ack_wait, and its handler's ack then fails harmlessly.
      }
    }
  }, options.heartbeatMs);
  heartbeat.unref();

  const run = async (msg: JsMsg) => {
    try {
      await handle(msg);
    } catch (error) {
      onError(error, msg);
      const deliveries = msg.info.deliveryCount;
      if (giveUp && deliveries >= giveUpAfterDeliveries && !isNatsFailure(error)) {
        try {
          await giveUp(msg, `failed ${deliveries} times, last: ${describe(error)}`);
          return;
        } catch (parkError) {
          onError(parkError, msg);
        }
      }
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
      held.delete(msg);
      inFlight.delete(task);
      if (key && lastOfKey.get(key) === task) lastOfKey.delete(key);
    });
  };

  // Messages that arrived together start together, in the next turn of the event loop: their
  // writes (KV updates, publishes, acks) then leave in one flush instead of one flush each.
  // The iterator keeps its backpressure: the client pulls more only as we take messages.
  const ready: JsMsg[] = [];
  let startScheduled = false;
  let stopping = false;
  const startReady = () => {
    startScheduled = false;
    // Taken but not started when we stop: hand it back now rather than after ack_wait.
    for (const msg of ready.splice(0)) {
      if (stopping) {
        held.delete(msg);
        msg.nak();
      } else start(msg);
    }
  };

  /** Take one delivered message: held (heartbeats) from now until it settles. */
  const take = async (msg: JsMsg) => {
    held.add(msg);
    ready.push(msg);
    if (stopping) startReady();
    else if (inFlight.size + ready.length >= concurrency) {
      startReady();
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
    } else if (!startScheduled) {
      startScheduled = true;
      setImmediate(startReady);
    }
  };

  let closeSource: () => Promise<void>;
  let loop: Promise<void>;
  if (!admit) {
    const messages = await consumer.consume({ max_messages: Math.max(concurrency, 16), expires: PULL_EXPIRES_MS });
    closeSource = async () => void (await messages.close());
    loop = (async () => {
      for await (const msg of messages) await take(msg);
    })();
  } else {
    // Pull only what may start: what waits for admission stays in the stream, not in this process.
    let batch: { stop(): void } | undefined;
    closeSource = async () => batch?.stop();
    loop = (async () => {
      while (!stopping) {
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
        const admitted = await admit();
        if (stopping) break;
        try {
          const messages = await consumer.fetch({ max_messages: Math.max(1, Math.min(admitted, concurrency - inFlight.size)), expires: PULL_EXPIRES_MS });
          batch = messages;
          for await (const msg of messages) await take(msg);
        } catch {
          // No connection or no consumer now: pull again shortly (a lost pull only delays).
          await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
        }
      }
    })();
  }

  return {
    get held() {
      return held.size;
    },
    async stop() {
      stopping = true;
      await closeSource();
      await loop.catch(() => undefined);
      startReady();
      await Promise.allSettled([...inFlight]);
      clearInterval(heartbeat);
    },
  };
}
