/**
 * The orchestrator's inbox: worker replies and submissions from the SAGA_EVENTS stream, each
 * applied to its saga and acknowledged only after the step is stored. Replies and submissions
 * have a consumer each: replies move sagas already in flight and are never queued behind new
 * orders; a submission starts its saga only when admission has room (admission.ts). A message that can never
 * be applied (undecodable, an invalid id or field, an unknown order, or one that keeps failing
 * for a reason other than an outage) goes to the dead-letter stream with its reason; it never
 * blocks the queue and is never redelivered forever.
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { HEADERS, parseSubject } from '../../lib/bus.ts';
import { codec, isPoisonMessage, PoisonMessageError } from '../../lib/codec.ts';
import { startConsuming, type Consumption } from '../../lib/consume.ts';
import { deadLetter } from '../../lib/dead-letters.ts';
import type { Logger } from '../../lib/logger.ts';
import { extract } from '../../lib/telemetry.ts';
import { CONSUMERS, STREAMS } from '../../lib/topology.ts';
import type { Admission } from './admission.ts';
import type { SagaMetrics } from '../metrics.ts';
import { replyEventId } from './entry.ts';
import { submissionOf } from './submissions.ts';
import { eventOfReply } from './replies.ts';
import type { SagaRuntime } from './runtime.ts';

const DEAD_LETTER_SOURCE = 'orchestrator';
/** An event that failed this often, not for an outage, will not succeed by being delivered again. */
const GIVE_UP_AFTER_DELIVERIES = 10;

export interface InboxSettings {
  /** Events handled at once, for replies and for submissions each (admission bounds the sagas started). */
  concurrency: number;
  /** A third of the consumers' ack_wait. */
  heartbeatMs: number;
}

export class Inbox {
  private replies: Consumption | undefined;
  private submissions: Consumption | undefined;

  constructor(
    private readonly runtime: SagaRuntime,
    private readonly js: JetStreamClient,
    private readonly logger: Logger,
    private readonly metrics?: SagaMetrics,
  ) {}

  /** Sagas this instance is starting now (admitted, not yet stored): counted from the moment their submission is taken. */
  get starting(): number {
    return this.submissions?.held ?? 0;
  }

  async start(settings: InboxSettings, admission?: Admission): Promise<void> {
    const common = {
      heartbeatMs: settings.heartbeatMs,
      keyOf: (msg: JsMsg) => msg.headers?.get(HEADERS.orderId) || undefined,
      handle: (msg: JsMsg) => this.handle(msg),
      onError: (error: unknown, msg: JsMsg) => this.logger.warn({ err: error, subject: msg.subject, seq: msg.seq }, 'event not applied; will be redelivered'),
      giveUpAfterDeliveries: GIVE_UP_AFTER_DELIVERIES,
      giveUp: (msg: JsMsg, reason: string) => this.deadLetter(msg, reason),
    };
    this.replies = await startConsuming({
      ...common,
      consumer: await this.js.consumers.get(STREAMS.events, CONSUMERS.replies),
      concurrency: settings.concurrency,
    });
    this.submissions = await startConsuming({
      ...common,
      consumer: await this.js.consumers.get(STREAMS.events, CONSUMERS.submissions),
      concurrency: settings.concurrency,
      ...(admission ? { admit: () => admission.waitForRoom() } : {}),
    });
  }

  /** Stop taking new orders first, then replies; wait for what is in hand. */
  async stop(): Promise<void> {
    await this.submissions?.stop();
    await this.replies?.stop();
  }

  private async handle(msg: JsMsg): Promise<void> {
    try {
      const subject = parseSubject(msg.subject);
      // Which reply subject a reply came on does not matter: its command id names its step.
      if (subject?.kind === 'submitted') await this.onSubmission(msg, subject.orderId);
      else if (subject?.kind === 'reply') await this.onReply(msg);
      else throw new PoisonMessageError(`no handler for subject ${msg.subject}`);
      msg.ack();
    } catch (error) {
      if (!isPoisonMessage(error)) throw error;
      await this.deadLetter(msg, error.message);
    }
  }

  private async deadLetter(msg: JsMsg, reason: string): Promise<void> {
    await deadLetter(this.js, msg, DEAD_LETTER_SOURCE, reason);
    this.logger.error({ subject: msg.subject, seq: msg.seq, reason }, 'dead-lettered an event');
    this.metrics?.deadLetters.inc();
  }

  /** `subjectOrderId`: the order its subject names, which must be the one it carries. */
  private async onSubmission(msg: JsMsg, subjectOrderId: string): Promise<void> {
    const submission = submissionOf(codec.submission.decode(msg.data));
    if (subjectOrderId !== submission.order.orderId) {
      throw new PoisonMessageError(`submission for ${submission.order.orderId} published on ${msg.subject}`);
    }
    await this.runtime.start(submission, extract(msg.headers));
  }

  private async onReply(msg: JsMsg): Promise<void> {
    const reply = codec.reply.decode(msg.data);
    const { meta } = reply;
    const outcome = await this.runtime.apply(meta.orderId, eventOfReply(reply), replyEventId(meta.commandId), {
      worker: reply.workerInstance,
      parent: extract(msg.headers),
    });
    if (outcome.kind === 'unknownSaga') throw new PoisonMessageError(`reply for unknown order ${meta.orderId}`);
    if (outcome.kind === 'ignored') {
      this.logger.debug({ orderId: meta.orderId, commandId: meta.commandId, reason: outcome.reason }, 'stale reply ignored');
    }
  }
}
