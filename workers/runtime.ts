/**
 * The one runtime every worker service runs on; services differ only in their business
 * function. It pulls the service's commands from its durable consumer (bounded concurrency,
 * one order at a time), answers each with a Reply, retries transient faults through JetStream
 * with backoff, and parks what it cannot handle in the dead-letter stream.
 *
 * A command is acknowledged only after its reply is stored. A crash in between means a
 * redelivery, which finds the effect in the ledger and answers the same again; the reply's
 * message id makes the event stream keep just one.
 *
 * What it can never act on goes to the dead letters, never back to the queue: a command that
 * does not decode or check (an invalid id, an oversize field: lib/codec.ts), another service's
 * command, or one that still fails after WORKER_MAX_DELIVERIES for a reason other than an
 * outage (its saga is told "failed transiently", as after transient faults).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsMsg } from '@nats-io/jetstream';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { codec, create, isPoisonMessage, ReplySchema, stepFromProto, type CheckedCommand } from '../lib/codec.ts';
import type { Config } from '../lib/config.ts';
import { startConsuming } from '../lib/consume.ts';
import { deadLetter } from '../lib/dead-letters.ts';
import type { Logger } from '../lib/logger.ts';
import { publish, replyMessage } from '../lib/bus.ts';
import { CONSUMERS, STREAMS, type Nats, type Topology } from '../lib/topology.ts';
import { extract, inSpan, SpanKind, SpanStatusCode, type Context, type Span } from '../lib/telemetry.ts';
import type { WorkerMetrics } from './metrics.ts';
import { STEPS, type Service, type StepName } from '../machines/index.ts';
import { TransientError, type BusinessFunction, type Outcome } from './business.ts';

export type WorkerConfig = Pick<
  Config,
  'workerPoolSize' | 'workerMaxDeliveries' | 'workerBackoffMs' | 'faultRate' | 'workerLatencyMs' | 'slowShippingMs' | 'instanceId'
> &
  Partial<Pick<Config, 'ackWaitMs'>>;

export interface WorkerOptions {
  service: Service;
  business: BusinessFunction;
  config: WorkerConfig;
  nats: Nats;
  topology: Topology;
  logger: Logger;
  /** How often a command still held tells JetStream so; default a third of ACK_WAIT_MS. */
  heartbeatMs?: number;
  metrics?: WorkerMetrics;
}

export interface Worker {
  /** Stop taking commands, hand back the ones only waiting, and let the others finish. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 5_000;

/** Exponential backoff with full jitter, so commands that failed together do not retry together. */
export function backoffDelayMs(deliveryCount: number, baseMs: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (deliveryCount - 1)));
}

type ReplyOutcome = MessageInitShape<typeof ReplySchema>['outcome'];

const replyOutcome = (outcome: Outcome): ReplyOutcome =>
  outcome.kind === 'succeeded'
    ? { case: 'succeeded', value: { reference: outcome.reference } }
    : { case: 'failed', value: { code: outcome.code, message: outcome.message } };

const isAbort = (error: unknown) => error instanceof Error && error.name === 'AbortError';

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { service, business, config, nats, logger, metrics } = options;
  const ledger = options.topology.ledgers[service];
  const heartbeatMs = options.heartbeatMs ?? Math.floor((config.ackWaitMs ?? 2_000) / 3);
  const stopping = new AbortController();
  const { signal } = stopping;

  /** The command in the message, or why this service can never act on it. */
  function commandIn(msg: JsMsg): CheckedCommand | { poison: string } {
    let command: CheckedCommand;
    try {
      command = codec.command.decode(msg.data);
    } catch (error) {
      if (isPoisonMessage(error)) return { poison: error.message };
      throw error;
    }
    const step = stepFromProto(command.meta.step);
    const owner = STEPS[step].service;
    if (owner !== service) return { poison: `a ${owner} command (${step}) reached ${service}` };
    return command;
  }

  /** Simulated latency and transient faults come first: a fault never follows an effect. */
  async function perform(command: CheckedCommand): Promise<Outcome> {
    if (config.workerLatencyMs > 0) await sleep(config.workerLatencyMs, undefined, { signal });
    if (Math.random() < config.faultRate) throw new TransientError('simulated transient fault');
    return business(command, ledger, { config, logger, signal });
  }

  /** `ctx`: the handler's span, which the reply continues. */
  async function publishReply(command: CheckedCommand, msg: JsMsg, outcome: ReplyOutcome, ctx: Context): Promise<void> {
    const { meta } = command;
    const reply = create(ReplySchema, {
      meta,
      workerInstance: config.instanceId,
      deliveries: msg.info.deliveryCount,
      outcome,
    });
    await publish(nats.js, replyMessage(service, meta, codec.reply.encode(reply), ctx));
  }

  /** Let JetStream deliver the command again later, or give up and let the saga decide. */
  async function retryOrGiveUp(command: CheckedCommand, msg: JsMsg, error: TransientError, ctx: Context): Promise<void> {
    const deliveries = msg.info.deliveryCount;
    const log = { orderId: command.meta.orderId, commandId: command.meta.commandId, deliveries, reason: error.message };
    if (deliveries < config.workerMaxDeliveries) {
      const delayMs = backoffDelayMs(deliveries, config.workerBackoffMs);
      logger.debug({ ...log, delayMs }, 'transient failure; command will be delivered again');
      msg.nak(delayMs);
      return;
    }
    await giveUp(command, msg, `gave up after ${deliveries} deliveries: ${error.message}`, ctx);
    logger.warn(log, 'gave up on a command after transient failures; dead-lettered it and told the saga');
  }

  /** Tell the saga the step failed transiently (it retries or parks), then dead-letter the command. */
  async function giveUp(command: CheckedCommand, msg: JsMsg, reason: string, ctx: Context): Promise<void> {
    // Reply before dead-lettering: dead-lettering settles the message, so a crash in between
    // must leave it to be delivered (and given up on) again rather than never answered.
    await publishReply(command, msg, { case: 'failedTransiently', value: { message: reason } }, ctx);
    await deadLetter(nats.js, msg, service, reason);
  }

  /** A command that kept failing for a reason other than an outage (startConsuming's last resort). */
  async function giveUpOnFailing(msg: JsMsg, reason: string): Promise<void> {
    const command = commandIn(msg);
    if ('poison' in command) await deadLetter(nats.js, msg, service, command.poison);
    else await giveUp(command, msg, reason, extract(msg.headers));
    metrics?.commands.inc({ step: 'poison' in command ? 'unknown' : stepFromProto(command.meta.step), outcome: 'gave_up' });
    logger.error({ subject: msg.subject, seq: msg.seq, reason }, 'command kept failing; dead-lettered it');
  }

  async function handle(msg: JsMsg): Promise<void> {
    const command = commandIn(msg);
    if ('poison' in command) {
      metrics?.commands.inc({ step: 'unknown', outcome: 'poison' });
      await deadLetter(nats.js, msg, service, command.poison);
      logger.error({ subject: msg.subject, seq: msg.seq, reason: command.poison }, 'dead-lettered a command no handler can act on');
      return;
    }
    const { meta } = command;
    const step = stepFromProto(meta.step);
    await inSpan(
      `${service} ${step}`,
      {
        parent: extract(msg.headers),
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': msg.subject,
          'order.id': meta.orderId,
          'saga.step': step,
          'saga.command.id': meta.commandId,
          'saga.attempt': meta.attempt,
          'worker.delivery': msg.info.deliveryCount,
          'worker.instance': config.instanceId,
        },
      },
      (span, ctx) => handleCommand(command, step, msg, span, ctx),
    );
  }

  async function handleCommand(command: CheckedCommand, step: StepName, msg: JsMsg, span: Span, ctx: Context): Promise<void> {
    const { meta } = command;
    metrics?.inFlight.inc();
    const stopTimer = metrics?.duration.startTimer({ step });
    try {
      const outcome = await perform(command);
      span.setAttribute('worker.outcome', outcome.kind);
      metrics?.commands.inc({ step, outcome: outcome.kind });
      if (outcome.kind === 'failed') span.setAttribute('worker.failure', `${outcome.code}: ${outcome.message}`);
      await publishReply(command, msg, replyOutcome(outcome), ctx);
      msg.ack();
      logger.info(
        { orderId: meta.orderId, step, commandId: meta.commandId, deliveries: msg.info.deliveryCount, ...outcome },
        'command answered',
      );
    } catch (error) {
      if (error instanceof TransientError) {
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        const gaveUp = msg.info.deliveryCount >= config.workerMaxDeliveries;
        metrics?.commands.inc({ step, outcome: gaveUp ? 'gave_up' : 'transient' });
        await retryOrGiveUp(command, msg, error, ctx);
      }
      // Stopping interrupted a wait before any effect: another instance can take it now.
      else if (signal.aborted && isAbort(error)) msg.nak();
      // Anything else is retried by startConsuming: an outage until it ends (an outage must not
      // turn into dead letters), a bug until WORKER_MAX_DELIVERIES, then giveUpOnFailing.
      else throw error;
    } finally {
      metrics?.inFlight.dec();
      stopTimer?.();
    }
  }

  const consumer = await nats.js.consumers.get(STREAMS.commands, CONSUMERS.worker(service));
  const consumption = await startConsuming({
    consumer,
    concurrency: config.workerPoolSize,
    heartbeatMs,
    // No per-order ordering here: the ledger's compare-and-set keeps one order's effects
    // consistent, and a compensation must not wait behind its own order's hung forward step
    // (its tombstone is what stops that step from taking effect late).
    handle,
    onError: (error, msg) => logger.error({ err: error, subject: msg.subject, seq: msg.seq }, 'command handler failed; will retry'),
    giveUpAfterDeliveries: config.workerMaxDeliveries,
    giveUp: giveUpOnFailing,
  });
  logger.info({ service, poolSize: config.workerPoolSize }, 'worker consuming commands');

  return {
    async stop() {
      // Stop pulling first, so the commands handed back below go to another instance, not to us.
      const stopped = consumption.stop();
      stopping.abort();
      await stopped;
      logger.info({ service }, 'worker stopped');
    },
  };
}
