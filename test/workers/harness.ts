/**
 * Worker test harness: a private nats-server, the real topology, workers started in-process,
 * and the bus seen as the orchestrator sees it — commands in (protobuf, with the order header
 * and the command id as message id), replies out of SAGA_EVENTS, dead letters out of SAGA_DLQ.
 */
import { createHash } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { codec, CommandSchema, create, stepToProto, type CheckedCommand, type Command, type Reply } from '../../lib/codec.ts';
import { loadConfig, type Config } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { connectNats, ensureTopology, HEADERS, STREAMS, SUBJECTS, type Nats, type Topology } from '../../lib/topology.ts';
import { startTelemetry } from '../../lib/telemetry.ts';
import { randomBytes } from 'node:crypto';
import type { TraceContext } from '../../lib/trace.ts';
import { commandIdFor, effectKeyFor, STEPS, type Service, type StepName } from '../../machines/index.ts';
import type { LedgerEntry } from '../../workers/ledger.ts';
import { listLedger } from '../support/ledger.ts';
import { startWorker, type WorkerConfig } from '../../workers/runtime.ts';
import { SERVICE_OPENERS } from '../../workers/services.ts';

// The worker runs in this process: give it the tracer every service starts with (exporting nothing).
void startTelemetry('worker-test', { otelEndpoint: undefined, instanceId: 'test', traceSampleRatio: 1 });
import { startNats, type TestNats } from '../support/nats-server.ts';

/** A fresh W3C trace context, as a command sent by a new order would carry. */
function newTraceContext(): TraceContext {
  return { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`, tracestate: '' };
}

export const logger = createLogger('worker-test', { logLevel: process.env.LOG_LEVEL ?? 'silent', logPretty: false, instanceId: 'test' });

/* --- commands, as the orchestrator sends them -------------------------------------------- */

/**
 * A valid order id (the codec refuses any other) that still reads as the test's name:
 * `oid('ord-inv-1')` is `ord_inv1` followed by hex of the name's hash, 26 characters in all.
 */
export function oid(name: string): string {
  const readable = name.replace(/^ord-/, '').toLowerCase().replace(/[^0-9a-z]/g, '').slice(0, 16);
  return `ord_${readable}${createHash('sha256').update(name).digest('hex').slice(0, 26 - readable.length)}`;
}

type Action = MessageInitShape<typeof CommandSchema>['action'];
export interface Line {
  sku: string;
  quantity: number;
}

function commandFor(orderId: string, step: StepName, action: Action, attempt: number): Command {
  return create(CommandSchema, {
    meta: {
      orderId,
      commandId: commandIdFor(orderId, step, attempt),
      step: stepToProto(step),
      attempt,
      effectKey: effectKeyFor(orderId, step),
      trace: newTraceContext(),
      issuedAtMs: BigInt(Date.now()),
    },
    action,
  });
}

const lineItems = (lines: Line[]) => lines.map((line) => ({ ...line, unitPriceCents: 100n }));

export const commands = {
  reserve: (orderId: string, lines: Line[], attempt = 1) =>
    commandFor(orderId, 'reserveInventory', { case: 'reserveInventory', value: { items: lineItems(lines) } }, attempt),
  release: (orderId: string, lines: Line[], attempt = 1) =>
    commandFor(orderId, 'releaseInventory', { case: 'releaseInventory', value: { items: lineItems(lines) } }, attempt),
  charge: (orderId: string, customerId: string, amountCents: number, attempt = 1) =>
    commandFor(orderId, 'chargePayment', { case: 'chargePayment', value: { customerId, amountCents: BigInt(amountCents), currency: 'USD' } }, attempt),
  refund: (orderId: string, amountCents: number, attempt = 1) =>
    commandFor(orderId, 'refundPayment', { case: 'refundPayment', value: { amountCents: BigInt(amountCents), currency: 'USD' } }, attempt),
  ship: (orderId: string, lines: Line[], attempt = 1) =>
    commandFor(orderId, 'createShipment', { case: 'createShipment', value: { customerId: 'cust-1', items: lineItems(lines) } }, attempt),
  cancelShipment: (orderId: string, attempt = 1) =>
    commandFor(orderId, 'cancelShipment', { case: 'cancelShipment', value: { reason: 'customer cancelled' } }, attempt),
};

/** A command as a worker takes it: decoded and checked (throws for one the codec refuses). */
export const checked = (command: Command): CheckedCommand => codec.command.decode(codec.command.encode(command));

// Each step's action case is named after the step.
const stepName = (command: Command) => command.action.case as StepName;

/* --- the harness ------------------------------------------------------------------------- */

export interface DeadLetter {
  subject: string;
  reason: string | undefined;
  service: string | undefined;
  data: Uint8Array;
}

export interface WorkerHarness {
  server: TestNats;
  nats: Nats;
  topology: Topology;
  config: Config;
  /** Start one worker of a service in-process; stopped by stopWorkers(). */
  startService(service: Service, overrides?: Partial<WorkerConfig>, options?: { heartbeatMs?: number }): Promise<void>;
  stopWorkers(): Promise<void>;
  /** Publish a command like the orchestrator does; `msgID` defaults to the command id. */
  send(command: Command, options?: { msgID?: string }): Promise<void>;
  /** Publish raw bytes on a service's command subject. */
  sendRaw(service: Service, data: Uint8Array, orderId?: string): Promise<void>;
  /** The reply stored in SAGA_EVENTS for a command, waiting for it. */
  reply(commandId: string, timeoutMs?: number): Promise<Reply>;
  /** The NATS headers the stored reply came with. */
  replyHeaders(commandId: string): MsgHdrs | undefined;
  /** Every reply a worker published for a command, including those the stream de-duplicated. */
  published(commandId: string): Reply[];
  deadLetters(): Promise<DeadLetter[]>;
  ledger(service: Service): Promise<LedgerEntry[]>;
  entry(service: Service, orderId: string): Promise<LedgerEntry | undefined>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<WorkerHarness> {
  const server = await startNats();
  const config = loadConfig({ NATS_URL: server.url, INSTANCE_ID: 'worker-test-1', WORKER_BACKOFF_MS: '20' });
  const nats = await connectNats(config, 'worker-test');
  const topology = await ensureTopology(nats, config);

  // Stored replies: what the orchestrator would consume.
  const stored = new Map<string, Reply>();
  const storedHeaders = new Map<string, MsgHdrs | undefined>();
  const waiters = new Map<string, (reply: Reply) => void>();
  const replies = await (await nats.js.consumers.get(STREAMS.events, { filter_subjects: SUBJECTS.replyAll })).consume();
  void (async () => {
    for await (const msg of replies) {
      const reply = codec.reply.decode(msg.data);
      stored.set(reply.meta!.commandId, reply);
      storedHeaders.set(reply.meta!.commandId, msg.headers);
      waiters.get(reply.meta!.commandId)?.(reply);
    }
  })();
  // Every publish, seen on the subject itself: the stream keeps one reply per command id.
  const published: Reply[] = [];
  const subscription = nats.nc.subscribe(SUBJECTS.replyAll, { callback: (_err, msg) => void published.push(codec.reply.decode(msg.data)) });

  const running: (() => Promise<void>)[] = [];

  return {
    server,
    nats,
    topology,
    config,
    async startService(service, overrides = {}, options = {}) {
      const opened = await SERVICE_OPENERS[service](topology.ledgers[service], logger);
      const worker = await startWorker({
        service,
        business: opened.business,
        config: { ...config, ...overrides },
        nats,
        topology,
        logger,
        ...options,
      });
      running.push(async () => {
        await worker.stop();
        await opened.close();
      });
    },
    async stopWorkers() {
      await Promise.all(running.splice(0).map((stop) => stop()));
    },
    async send(command, options = {}) {
      const meta = command.meta!;
      const h = natsHeaders();
      h.set(HEADERS.orderId, meta.orderId);
      // As the orchestrator does: trace context travels in the headers too.
      if (meta.trace?.traceparent) h.set(HEADERS.traceparent, meta.trace.traceparent);
      const service = STEPS[stepName(command)].service;
      await nats.js.publish(SUBJECTS.command(service), codec.command.encode(command), { msgID: options.msgID ?? meta.commandId, headers: h });
    },
    async sendRaw(service, data, orderId) {
      const h = natsHeaders();
      if (orderId) h.set(HEADERS.orderId, orderId);
      await nats.js.publish(SUBJECTS.command(service), data, { headers: h });
    },
    reply(commandId, timeoutMs = 10_000) {
      const known = stored.get(commandId);
      if (known) return Promise.resolve(known);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reply to ${commandId} within ${timeoutMs} ms`)), timeoutMs);
        waiters.set(commandId, (reply) => {
          clearTimeout(timer);
          waiters.delete(commandId);
          resolve(reply);
        });
      });
    },
    replyHeaders: (commandId) => storedHeaders.get(commandId),
    published: (commandId) => published.filter((reply) => reply.meta!.commandId === commandId),
    async deadLetters() {
      const { state } = await nats.jsm.streams.info(STREAMS.deadLetters);
      const letters: DeadLetter[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
        const msg = await nats.jsm.streams.getMessage(STREAMS.deadLetters, { seq });
        if (!msg) continue;
        letters.push({
          subject: msg.header.get(HEADERS.dlqSubject),
          reason: msg.header.get(HEADERS.dlqReason) || undefined,
          service: msg.header.get(HEADERS.dlqService) || undefined,
          data: msg.data,
        });
      }
      return letters;
    },
    ledger: (service) => listLedger(topology.ledgers[service]),
    async entry(service, orderId) {
      const stored = await topology.ledgers[service].get(orderId);
      return stored?.operation === 'PUT' ? codec.json.decode<LedgerEntry>(stored.value) : undefined;
    },
    async close() {
      await Promise.all(running.splice(0).map((stop) => stop()));
      subscription.unsubscribe();
      await replies.close();
      await nats.nc.drain();
      await server.stop();
    },
  };
}

/** Retry an assertion until it holds (or the time is up, then fail with its last error). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A reply reduced to what the saga acts on. */
export function outcomeOf(reply: Reply): { kind: string; reference?: string; code?: string; message?: string } {
  const { outcome } = reply;
  if (outcome.case === 'succeeded') return { kind: 'succeeded', reference: outcome.value.reference };
  if (outcome.case === 'failed') return { kind: 'failed', code: outcome.value.code, message: outcome.value.message };
  if (outcome.case === 'failedTransiently') return { kind: 'failedTransiently', message: outcome.value.message };
  return { kind: 'none' };
}
