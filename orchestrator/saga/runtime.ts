/**
 * The saga runtime: the one place that steps sagas (through the bucket's owner, saga-bucket.ts) and publishes their commands.
 * Each step is: read the entry, let the pure core decide, write snapshot + outbox with one
 * compare-and-set on the entry's revision, and only then publish the outbox with deterministic
 * message ids. A CAS conflict (another instance, or a timer, got there first) re-applies the
 * event to the fresh entry.
 */
import { commandMessage, publish, submissionMessage, SUBJECTS } from '../../lib/bus.ts';
import { codec, isPoisonMessage } from '../../lib/codec.ts';
import { isCasConflict } from '../../lib/nats-errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { isConnectedNow } from '../../lib/nats-connection.ts';
import { STREAMS, type Nats } from '../../lib/topology.ts';
import { extractTraceparent, inSpan, SpanKind, traceparentOf, type Context } from '../../lib/telemetry.ts';
import type { Link } from '@opentelemetry/api';
import type { SagaMetrics } from '../metrics.ts';
import { isFinished, parseCommandId, type SagaEvent } from '../../machines/index.ts';
import { buildCommand } from './commands.ts';
import { submissionOf, submissionToProto } from './submissions.ts';
import { publishUntilKnown, type SubmitOutcome } from './submit-outcome.ts';
import { applyEvent, applyHold, startSaga, type ApplyResult, type HoldEvent, type RuntimeSettings, type SagaEntry, type Submission } from './entry.ts';
import { KeyedSerializer } from './keyed-serializer.ts';
import type { SagaBucket, StoredSaga } from './saga-bucket.ts';
import { summarize, type SagaSummary } from './summary.ts';
import { rebaseOnto, type RebaseResult } from './replay.ts';

export type { StoredSaga };

export type StepOutcome = ApplyResult | { kind: 'unknownSaga' };

export interface StepOptions {
  /** The worker instance that answered, for the history. */
  worker?: string;
  /** The trace context of the message that carried the event. */
  parent?: Context;
  /** Spans to link, e.g. the operator's HTTP request. */
  links?: Link[];
}

const MAX_CAS_ATTEMPTS = 50;

export class SagaRuntime {
  private readonly serializer = new KeyedSerializer();
  constructor(
    private readonly bucket: SagaBucket,
    private readonly nats: Pick<Nats, 'nc' | 'js' | 'jsm'>,
    private readonly settings: RuntimeSettings,
    private readonly logger: Logger,
    private readonly metrics?: SagaMetrics,
  ) {}

  /**
   * Store a submission in JetStream: from its acknowledgement on, the order exists. The
   * message id is the order id, so a retried submit within the dedup window is dropped by
   * JetStream, and a later one by the saga's create-if-absent. Without an acknowledgement the
   * same message goes out again until one comes; the outcome says only what is known.
   */
  async submit(submission: Submission): Promise<SubmitOutcome> {
    const data = codec.submission.encode(submissionToProto(submission, Date.now()));
    const message = submissionMessage(submission.order.orderId, data, submission.traceparent);
    return publishUntilKnown(
      (timeout) => publish(this.nats.js, message, timeout),
      () => isConnectedNow(this.nats.nc),
    );
  }

  /**
   * The order's stored submission, by a direct get on the events stream (it stays there for
   * SAGA_RETENTION): one lookup tells whether an Idempotency-Key's order exists, whatever the
   * size of the stream or the bucket. Null for the server's definite "no such message", and for
   * a stored message that is no valid submission (the inbox dead-letters it: no saga starts from
   * it); an outage throws.
   */
  async findSubmission(orderId: string): Promise<Submission | null> {
    const stored = await this.nats.jsm.direct.getMessage(STREAMS.events, { last_by_subj: SUBJECTS.submitted(orderId) });
    if (!stored) return null;
    try {
      return submissionOf(codec.submission.decode(stored.data));
    } catch (error) {
      if (isPoisonMessage(error)) return null;
      throw error;
    }
  }

  /** The saga as a direct get finds it: any replica may answer, so it may lag the leader. Null only when there is no such key; an outage throws. */
  read(orderId: string): Promise<StoredSaga | null> {
    return this.bucket.read(orderId);
  }

  /** Create the saga of a submitted order; a second submission of the same order changes nothing. */
  async start(submission: Submission, parent?: Context): Promise<{ created: boolean; entry: SagaEntry }> {
    const orderId = submission.order.orderId;
    const attributes = { 'order.id': orderId, 'saga.event': 'ORDER_SUBMITTED' };
    return this.serializer.run(orderId, () =>
      inSpan('saga start', { parent: parent ?? extractTraceparent(submission.traceparent), kind: SpanKind.CONSUMER, attributes }, async (span, ctx) => {
      const entry = startSaga(submission, Date.now(), this.settings);
      span.setAttributes({ 'saga.machine_version': entry.machineVersion, 'saga.state.to': entry.state });
      try {
        await this.bucket.create(entry, summarize(entry));
      } catch (error) {
        if (!isCasConflict(error)) throw error;
        const existing = await this.read(orderId);
        if (!existing) throw error;
        // Redelivered submission: the saga exists; its commands may not have gone out yet.
        await this.publishOutbox(existing.entry, ctx);
        return { created: false, entry: existing.entry };
      }
      this.metrics?.started.inc();
      await this.publishOutbox(entry, ctx);
      this.logger.info({ orderId, state: entry.state }, 'saga started');
      return { created: true, entry };
    }));
  }

  /**
   * Apply one event to one saga, exactly once, however often it is delivered. The step's span
   * continues the message's trace (`parent`), else the order's own trace, so timer and
   * operator steps land in the order's trace too (operators' requests are linked).
   */
  async apply(orderId: string, event: SagaEvent, eventId: string, options: StepOptions = {}): Promise<StepOutcome> {
    const annotation = options.worker ? { worker: options.worker } : undefined;
    const outcome = await this.commit(orderId, `saga ${event.type}`, options, (entry) =>
      applyEvent(entry, event, eventId, Date.now(), this.settings, annotation),
    );
    if (outcome.kind === 'applied' && (event.type === 'STEP_FAILED_TRANSIENTLY' || event.type === 'STEP_TIMED_OUT')) {
      const step = parseCommandId(event.commandId)?.step ?? 'unknown';
      this.metrics?.retries.inc({ step, reason: event.type === 'STEP_TIMED_OUT' ? 'timeout' : 'transient' });
      if (event.type === 'STEP_TIMED_OUT') this.metrics?.timeouts.inc({ step });
    }
    if (outcome.kind === 'applied') {
      const { from, to } = outcome.entry.history.at(-1)!;
      this.logger.info({ orderId, event: event.type, from, to }, 'saga step');
    }
    return outcome;
  }

  /** Pause or resume a saga (entry.ts `applyHold`): resumed, the commands it held go out. */
  hold(orderId: string, event: HoldEvent, eventId: string, options: StepOptions = {}): Promise<StepOutcome> {
    return this.commit(orderId, `saga ${event.type}`, options, (entry) => applyHold(entry, event, eventId, Date.now()));
  }

  /** Move a saga onto the current machine version from its first divergence (see replay.ts). `links`: the operator's request. */
  async rebase(orderId: string, operator: { actor: string; reason: string }, links: Link[] = []): Promise<RebaseResult | { kind: 'unknownSaga' }> {
    let result: RebaseResult | undefined;
    const outcome = await this.commit(orderId, 'saga REPLAY', { links }, (entry) => {
      result = rebaseOnto(entry, operator, Date.now(), this.settings);
      return result.kind === 'rebased' ? { kind: 'applied', entry: result.entry } : { kind: 'ignored', reason: result.detail };
    });
    if (outcome.kind === 'unknownSaga') return outcome;
    if (outcome.kind === 'applied' && result?.kind === 'rebased') return { ...result, entry: outcome.entry };
    return result!;
  }

  /**
   * The one way a saga changes: read, decide purely, write with CAS on the revision, then
   * publish the outbox. A conflict means someone else moved the saga: decide again on the fresh entry.
   */
  private async commit(orderId: string, name: string, options: StepOptions, decide: (entry: SagaEntry) => ApplyResult): Promise<StepOutcome> {
    return this.serializer.run(orderId, async () => {
      const hint = this.bucket.recentOf(orderId) ?? (await this.read(orderId));
      // A saga a replica does not know yet may still exist: only the leader can say it does not.
      const first = hint ?? (await this.reread(orderId));
      if (!first) return { kind: 'unknownSaga' } as const;
      const parent = options.parent ?? extractTraceparent(first.entry.traceparent);
      const attributes = { 'order.id': orderId, 'saga.machine_version': first.entry.machineVersion, 'saga.state.from': first.entry.state };
      const kind = options.parent ? SpanKind.CONSUMER : SpanKind.INTERNAL;
      const stopTimer = this.metrics?.stepDuration.startTimer({ event: name.replace('saga ', '') });
      return inSpan(name, { parent, kind, attributes, links: options.links ?? [] }, async (span, ctx) => {
        const outcome = await this.commitLoop(orderId, first, hint === null, decide, ctx);
        span.setAttribute('saga.outcome', outcome.kind);
        if (outcome.kind === 'applied') {
          span.setAttribute('saga.state.to', outcome.entry.state);
          if (isFinished(outcome.entry.status) && !isFinished(first.entry.status)) this.metrics?.finished.inc({ outcome: outcome.entry.status });
        }
        stopTimer?.();
        return outcome;
      });
    });
  }

  /**
   * `firstFromLeader`: `first` was read on the stream's leader. Neither a cached entry nor a
   * direct get (any replica may answer it) proves the entry current; only a successful CAS
   * write or a read on the leader does. `ctx`: the step's span, which the commands continue.
   */
  private async commitLoop(
    orderId: string,
    first: StoredSaga,
    firstFromLeader: boolean,
    decide: (entry: SagaEntry) => ApplyResult,
    ctx: Context,
  ): Promise<StepOutcome> {
    let stored: StoredSaga | null = first;
    let fresh = firstFromLeader;
    for (let attempt = 1; ; attempt++) {
      if (!stored) return { kind: 'unknownSaga' };
      const result = decide(stored.entry);
      if (result.kind !== 'applied' && !fresh) {
        stored = await this.reread(orderId);
        fresh = true;
        continue;
      }
      if (result.kind === 'duplicate') {
        // Applied before, but we may have crashed before publishing: publish again (idempotent).
        await this.publishOutbox(stored.entry, ctx);
        return result;
      }
      if (result.kind === 'ignored') return result;
      try {
        await this.bucket.update(result.entry, summarize(result.entry), stored.revision);
      } catch (error) {
        if (isCasConflict(error) && attempt < MAX_CAS_ATTEMPTS) {
          this.metrics?.casConflicts.inc();
          stored = await this.reread(orderId);
          fresh = true;
          continue;
        }
        throw error;
      }
      await this.publishOutbox(result.entry, ctx);
      return result;
    }
  }

  /** The entry as the stream's leader has it: see `SagaBucket.readOnLeader`. */
  private reread(orderId: string): Promise<StoredSaga | null> {
    return this.bucket.readOnLeader(orderId);
  }

  /**
   * After a restart: a crash between a step's write and its publish left commands in the
   * outbox. Re-publish the outbox of every running saga with a step pending (ids are
   * deterministic, so a command that did go out is de-duplicated). A saga gone since is
   * skipped; one that cannot be read or published now is left to its step deadline, which
   * sends the command again. Returns how many outboxes went out.
   */
  async recoverOutboxes(sagas: Iterable<SagaSummary>): Promise<number> {
    let republished = 0;
    for (const summary of sagas) {
      if (summary.status !== 'running' || !summary.pending) continue;
      try {
        const stored = await this.read(summary.orderId);
        if (!stored) continue;
        await this.publishOutbox(stored.entry);
        republished++;
      } catch (error) {
        this.logger.warn({ err: error, orderId: summary.orderId }, 'could not re-publish an outbox now; the step deadline sends the command again');
      }
    }
    return republished;
  }

  /**
   * Publish the entry's pending commands, unless an operator holds the saga paused. Safe to
   * repeat: ids are deterministic and effects idempotent. Commands continue the step's span
   * (`ctx`); re-published at start-up, the order's trace.
   */
  async publishOutbox(entry: SagaEntry, ctx: Context = extractTraceparent(entry.traceparent)): Promise<void> {
    if (entry.outbox.length === 0 || entry.hold) return;
    const traceContext = { traceparent: traceparentOf(ctx), tracestate: '' };
    await Promise.all(
      entry.outbox.map(async (command) => {
        const data = codec.command.encode(buildCommand(entry.snapshot.context, command, traceContext));
        await publish(this.nats.js, commandMessage(command.service, { orderId: entry.orderId, commandId: command.commandId }, data, ctx));
      }),
    );
  }
}
