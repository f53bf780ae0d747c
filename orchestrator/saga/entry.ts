/**
 * The saga's KV entry and the pure function that moves it on: given an entry, an event and
 * the time, decide the next entry (snapshot, outbox, deadline, history) in one value that the
 * runtime writes with a single compare-and-set. No I/O here.
 */
import { firstSnapshot, nextSnapshot } from '../../machines/pure-steps.ts';
import {
  STEPS,
  allowedActions,
  effectKeyFor,
  machineFor,
  statusOf,
  type OperatorAction,
  type OrderDetails,
  type OrderSagaSnapshot,
  type SagaContext,
  type SagaEvent,
  type SagaStatus,
  type Service,
  type StepName,
} from '../../machines/index.ts';

/** A command the saga must send; kept in the entry until the next step replaces it. */
export interface OutboxCommand {
  service: Service;
  step: StepName;
  attempt: number;
  /** Also the Nats-Msg-Id, so a re-published command is de-duplicated by JetStream. */
  commandId: string;
  effectKey: string;
  issuedAt: number;
}

/** One transition, as the UI's timeline shows it. Its eventId makes redelivery a no-op. */
export interface HistoryRow {
  eventId: string;
  event: string;
  from: string | null;
  to: string;
  at: number;
  /** Reply reference, failure message or operator reason. */
  detail?: string;
  actor?: string;
  /** The worker instance that answered, for replies. */
  worker?: string;
  /** The event exactly as applied, so the history can be replayed through the machine. */
  payload?: SagaEvent;
  /** On a REPLAY row: the version the saga moved to, and the events its new state was built from with the transitions they made there. */
  rebase?: Rebase;
}

/** What a REPLAY row records: enough to rebuild the saga's state on the version it moved to. */
export interface Rebase {
  machineVersion: string;
  /** The events the new state was built from, with the transitions they made on that version. */
  events: { eventId: string; from: string; to: string }[];
  /** Attempt counters set just before the last of `events`, so the steps it started got new command ids. */
  seed: { attempts: SagaContext['attempts']; attemptLimits: SagaContext['attemptLimits'] } | null;
}

export interface SagaEntry {
  orderId: string;
  machineVersion: string;
  state: string;
  status: SagaStatus;
  createdAt: number;
  updatedAt: number;
  traceparent: string;
  idempotencyKey?: string;
  requestHash: string;
  /** The machine's persisted snapshot: enough to resume on the same version. */
  snapshot: { value: string; context: SagaContext };
  outbox: OutboxCommand[];
  /** The pending command's timeout; survives restarts because it is stored here. */
  deadline: Deadline | null;
  history: HistoryRow[];
}

/**
 * A step's timeout. It runs for `timeoutMs` from the write that set it, as each instance
 * measures on its own monotonic clock (deadlines.ts): `at` is the writer's wall-clock reading
 * for people to read, never compared with another machine's clock.
 */
export interface Deadline {
  commandId: string;
  timeoutMs: number;
  /** The writer's wall clock plus `timeoutMs`: for display only. */
  at: number;
}

export interface Submission {
  order: OrderDetails;
  traceparent: string;
  idempotencyKey?: string;
  requestHash: string;
}

export interface RuntimeSettings {
  stepTimeoutMs: number;
  stepMaxAttempts: number;
  /** The machine version new sagas start on. */
  sagaMachineVersion: string;
}

export type ApplyResult =
  | { kind: 'applied'; entry: SagaEntry }
  /** The event was applied before (redelivery): nothing changes. */
  | { kind: 'duplicate' }
  /** The machine does not accept the event in this state (e.g. a late reply). */
  | { kind: 'ignored'; reason: string };

function outboxOf(context: SagaContext, now: number): OutboxCommand[] {
  const pending = context.pending;
  if (!pending) return [];
  return [
    {
      service: STEPS[pending.step].service,
      step: pending.step,
      attempt: pending.attempt,
      commandId: pending.commandId,
      effectKey: effectKeyFor(context.orderId, pending.step),
      issuedAt: now,
    },
  ];
}

/** The parts of an entry that follow from a new snapshot: state, status, outbox, deadline. */
export function settle(snapshot: OrderSagaSnapshot, previous: SagaEntry | null, now: number, settings: Pick<RuntimeSettings, 'stepTimeoutMs'>) {
  const context = snapshot.context;
  const state = String(snapshot.value);
  const commandChanged = context.pending?.commandId !== previous?.snapshot.context.pending?.commandId;
  return {
    state,
    status: statusOf(state),
    snapshot: { value: state, context },
    // A command is (re)sent only when the transition started a new attempt.
    outbox: commandChanged ? outboxOf(context, now) : (previous?.outbox ?? []),
    deadline: context.pending
      ? commandChanged || !previous?.deadline
        ? { at: now + settings.stepTimeoutMs, commandId: context.pending.commandId, timeoutMs: settings.stepTimeoutMs }
        : previous.deadline
      : null,
  };
}

export function startSaga(submission: Submission, now: number, settings: RuntimeSettings): SagaEntry {
  const machine = machineFor(settings.sagaMachineVersion);
  const snapshot = firstSnapshot(machine, { order: submission.order, maxAttempts: settings.stepMaxAttempts });
  const settled = settle(snapshot, null, now, settings);
  return {
    orderId: submission.order.orderId,
    machineVersion: settings.sagaMachineVersion,
    createdAt: now,
    updatedAt: now,
    traceparent: submission.traceparent,
    ...(submission.idempotencyKey ? { idempotencyKey: submission.idempotencyKey } : {}),
    requestHash: submission.requestHash,
    ...settled,
    history: [{ eventId: submissionEventId(submission.order.orderId), event: 'ORDER_SUBMITTED', from: null, to: settled.state, at: now }],
  };
}

export function restoreSnapshot(entry: SagaEntry): OrderSagaSnapshot {
  return machineFor(entry.machineVersion).resolveState(entry.snapshot) as OrderSagaSnapshot;
}

export function applyEvent(
  entry: SagaEntry,
  event: SagaEvent,
  eventId: string,
  now: number,
  settings: RuntimeSettings,
  annotation?: { worker?: string },
): ApplyResult {
  if (entry.history.some((row) => row.eventId === eventId)) return { kind: 'duplicate' };
  const machine = machineFor(entry.machineVersion);
  const before = restoreSnapshot(entry);
  const after = nextSnapshot(machine, before, event);
  if (after === before) {
    return { kind: 'ignored', reason: `${event.type} is not accepted in state ${entry.state}` };
  }
  const settled = settle(after, entry, now, settings);
  const row: HistoryRow = { eventId, event: event.type, from: entry.state, to: settled.state, at: now, payload: event };
  if ('reference' in event && event.reference) row.detail = event.reference;
  if ('message' in event) row.detail = event.message;
  if ('reason' in event) {
    row.detail = event.reason;
    row.actor = event.actor;
  }
  if (event.type === 'STEP_TIMED_OUT') row.detail = `no reply to ${event.commandId} in time`;
  if (annotation?.worker) row.worker = annotation.worker;
  return { kind: 'applied', entry: { ...entry, ...settled, updatedAt: now, history: [...entry.history, row] } };
}

export function actionsAllowed(entry: SagaEntry): OperatorAction[] {
  return allowedActions(restoreSnapshot(entry));
}

export const submissionEventId = (orderId: string) => `submitted:${orderId}`;
export const replyEventId = (commandId: string) => `reply:${commandId}`;
export const timeoutEventId = (commandId: string) => `timeout:${commandId}`;

/** The command a reply's or a timeout's event id names (the inverse of the two above), else undefined. */
export const commandIdOfEvent = (eventId: string): string | undefined => /^(?:reply|timeout):(.+)$/.exec(eventId)?.[1];
