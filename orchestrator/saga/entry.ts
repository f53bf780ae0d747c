/**
 * The saga's KV entry and the pure function that moves it on: given an entry, an event and
 * the time, decide the next entry (snapshot, outbox, deadline, history) in one value that the
 * runtime writes with a single compare-and-set. No I/O here.
 */
import { firstSnapshot, nextSnapshot } from '../../machines/pure-steps.ts';
import {
  HOLD_ACTIONS,
  STEPS,
  allowedActions,
  isFinished,
  effectKeyFor,
  machineFor,
  nextSteps,
  statusOf,
  type NextSteps,
  type HoldAction,
  type OrderDetails,
  type OrderSagaSnapshot,
  type SagaContext,
  type SagaAction,
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
  /** On a HISTORY_COMPACTED row: how many rows it stands for, and the state they left the saga in. */
  compacted?: Compaction;
}

/**
 * What a HISTORY_COMPACTED row keeps of the rows it replaced: their count, the span they
 * covered, the saga's snapshot right after the last of them (replay resumes from it), and the
 * most recent event ids among them that are not attempt-numbered (operator and bulk actions),
 * so a late redelivery of one is still known as a duplicate.
 */
export interface Compaction {
  rows: number;
  firstAt: number;
  /** The machine version and snapshot after the last compacted row. */
  checkpoint: { machineVersion: string; value: string; context: SagaContext };
  eventIds: string[];
}

/** The snapshot the history will be compacted up to, taken when its row was written. */
export interface HistoryCheckpoint {
  eventId: string;
  machineVersion: string;
  value: string;
  context: SagaContext;
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
  /** Where the next compaction of the history will cut (see compactHistory). */
  historyCheckpoint?: HistoryCheckpoint;
  /** Set while an operator holds the saga paused: its outbox waits and its deadline does not run. */
  hold?: Hold;
}

/** Who paused a saga, why and when (the writer's wall clock, for people to read). */
export interface Hold {
  actor: string;
  reason: string;
  at: number;
}

/** Pause or resume: an act on the saga's hold, recorded in its history but never sent to the machine. */
export interface HoldEvent {
  type: 'PAUSE' | 'RESUME';
  actor: string;
  reason: string;
}

const HOLD_EVENT_OF: Record<HoldAction, HoldEvent['type']> = { pause: 'PAUSE', resume: 'RESUME' };
const HOLD_EVENTS: ReadonlySet<string> = new Set(Object.values(HOLD_EVENT_OF));

export const holdEventOf = (action: HoldAction, who: { actor: string; reason: string }): HoldEvent => ({ type: HOLD_EVENT_OF[action], ...who });

/** A history row of a pause or a resume: no machine event, so replay passes over it. */
export const isHoldRow = (row: HistoryRow): boolean => HOLD_EVENTS.has(row.event);

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

/** True when the entry has recorded this event id: in a history row, or among a compacted row's kept ids. */
export function hasApplied(entry: SagaEntry, eventId: string): boolean {
  return entry.history.some((row) => row.eventId === eventId || (row.compacted?.eventIds.includes(eventId) ?? false));
}

export function applyEvent(
  entry: SagaEntry,
  event: SagaEvent,
  eventId: string,
  now: number,
  settings: RuntimeSettings,
  annotation?: { worker?: string },
): ApplyResult {
  if (hasApplied(entry, eventId)) return { kind: 'duplicate' };
  // A deadline armed before the pause (on an instance that had not seen it yet) runs out for nothing.
  if (entry.hold && event.type === 'STEP_TIMED_OUT') return { kind: 'ignored', reason: 'the saga is paused: its deadline does not run' };
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
  return { kind: 'applied', entry: compactHistory(liftHoldIfEnded({ ...entry, ...settled, updatedAt: now, history: [...entry.history, row] })) };
}

/** A saga that ended while paused has nothing left to hold. */
export function liftHoldIfEnded(entry: SagaEntry): SagaEntry {
  if (!entry.hold || !isFinished(entry.status)) return entry;
  const { hold: _lifted, ...rest } = entry;
  return rest;
}

/**
 * Pause or resume a saga that has not ended. Paused, it still takes in answers (a worker's effect
 * is recorded whenever it comes), but the runtime publishes none of its commands and no instance
 * runs its deadline; resumed, its commands go out and the pending step's deadline starts afresh.
 */
export function applyHold(entry: SagaEntry, event: HoldEvent, eventId: string, now: number): ApplyResult {
  if (hasApplied(entry, eventId)) return { kind: 'duplicate' };
  if (isFinished(entry.status)) return { kind: 'ignored', reason: `${event.type} is not accepted: the order has ended ${entry.status}` };
  if (event.type === 'PAUSE' && entry.hold) return { kind: 'ignored', reason: `the order is paused already (by ${entry.hold.actor})` };
  if (event.type === 'RESUME' && !entry.hold) return { kind: 'ignored', reason: 'the order is not paused' };
  const row: HistoryRow = { eventId, event: event.type, from: entry.state, to: entry.state, at: now, detail: event.reason, actor: event.actor };
  const { hold: _lifted, ...rest } = entry;
  const next: SagaEntry = { ...rest, updatedAt: now, history: [...entry.history, row] };
  if (event.type === 'PAUSE') next.hold = { actor: event.actor, reason: event.reason, at: now };
  else if (entry.deadline) next.deadline = { ...entry.deadline, at: now + entry.deadline.timeoutMs };
  return { kind: 'applied', entry: compactHistory(next) };
}

/**
 * History bounds. A saga's entry is one KV value (NATS' max payload: 1 MiB by default), and
 * operator retries of a stuck step add rows without end; so past HISTORY_HEAD_ROWS +
 * 2 × HISTORY_TAIL_ROWS rows, the middle is replaced by one HISTORY_COMPACTED row that counts
 * them. The first rows (the submission and how the saga began) and at least the last
 * HISTORY_TAIL_ROWS stay as they were; so does every REPLAY row and what comes before it (its
 * rebase names those rows; versions are few, so that part is bounded too).
 */
export const HISTORY_HEAD_ROWS = 20;
export const HISTORY_TAIL_ROWS = 100;
/** Operator and bulk event ids a compacted row keeps, newest first kept. */
export const COMPACTED_EVENT_IDS_KEPT = 200;
export const COMPACTED_EVENT = 'HISTORY_COMPACTED';

/**
 * Event ids that need not be kept once compacted: a reply or a timeout names its command, whose
 * attempt number only grows, so a late one no longer answers the pending command and the machine
 * ignores it; a submission's row is always kept (the first row).
 */
const attemptNumbered = (eventId: string) => commandIdOfEvent(eventId) !== undefined || eventId.startsWith('submitted:');

/**
 * Compaction happens in steps, each cutting where a checkpoint was taken: the snapshot right
 * after a row, kept in the entry when that row was written (the state after a row cannot be
 * recomputed later without the rows before it). Once HISTORY_TAIL_ROWS rows follow the
 * checkpoint's row, everything from the protected prefix up to it becomes one compacted row
 * (merged with the one before, if any), and the newest row becomes the next checkpoint.
 */
export function compactHistory(entry: SagaEntry): SagaEntry {
  const history = entry.history;
  const newest = history.length - 1;
  const checkpointHere = (): HistoryCheckpoint => ({ eventId: history[newest]!.eventId, machineVersion: entry.machineVersion, ...entry.snapshot });
  const staged = entry.historyCheckpoint;
  if (!staged) return history.length >= HISTORY_HEAD_ROWS + HISTORY_TAIL_ROWS ? { ...entry, historyCheckpoint: checkpointHere() } : entry;
  const cut = history.findIndex((row) => row.eventId === staged.eventId);
  if (cut < 0) return { ...entry, historyCheckpoint: checkpointHere() };
  if (newest - cut < HISTORY_TAIL_ROWS) return entry;
  // Rows up to the last REPLAY stay: the REPLAY's rebase names them, and replay starts from it.
  const lastReplay = history.findLastIndex((row) => row.rebase !== undefined);
  const from = Math.max(HISTORY_HEAD_ROWS, lastReplay + 1);
  if (from > cut) return { ...entry, historyCheckpoint: checkpointHere() };
  const dropped = history.slice(from, cut + 1);
  const previous = dropped[0]!.compacted;
  const ids = dropped.flatMap((row) => (row.compacted ? row.compacted.eventIds : attemptNumbered(row.eventId) ? [] : [row.eventId]));
  const rows = dropped.reduce((sum, row) => sum + (row.compacted?.rows ?? 1), 0);
  const last = dropped.at(-1)!;
  const marker: HistoryRow = {
    eventId: `compacted:${last.eventId}`,
    event: COMPACTED_EVENT,
    from: dropped[0]!.from,
    to: last.to,
    at: last.at,
    detail: `${rows} rows compacted (${new Date(previous?.firstAt ?? dropped[0]!.at).toISOString()} to ${new Date(last.at).toISOString()}): the first ${HISTORY_HEAD_ROWS} and the latest rows are kept`,
    compacted: {
      rows,
      firstAt: previous?.firstAt ?? dropped[0]!.at,
      checkpoint: { machineVersion: staged.machineVersion, value: staged.value, context: staged.context },
      eventIds: ids.slice(-COMPACTED_EVENT_IDS_KEPT),
    },
  };
  return { ...entry, history: [...history.slice(0, from), marker, ...history.slice(cut + 1)], historyCheckpoint: checkpointHere() };
}

/** What an operator may do to the saga now: what its machine allows, and pause or resume while it has not ended. */
export function actionsAllowed(entry: SagaEntry): SagaAction[] {
  const hold = isFinished(entry.status) ? [] : HOLD_ACTIONS.filter((action) => (action === 'pause') !== Boolean(entry.hold));
  return [...allowedActions(restoreSnapshot(entry)), ...hold];
}

/** What the saga waits for and what each action it allows would set off, read from its own machine version. */
export function nextStepsOf(entry: SagaEntry): NextSteps {
  const next = nextSteps(machineFor(entry.machineVersion), restoreSnapshot(entry));
  if (!entry.hold) return next;
  const held = entry.outbox.length > 0 ? `; resumed, it sends ${entry.outbox.map((command) => `${command.step} (attempt ${command.attempt})`).join(', ')} and the step deadline starts afresh` : '';
  return { ...next, says: `is paused by ${entry.hold.actor} (${entry.hold.reason}): no new command goes out and no deadline runs until it is resumed${held}. A command sent before the pause may still be carried out, and its answer counts: it ${next.says}` };
}

export const submissionEventId = (orderId: string) => `submitted:${orderId}`;
export const replyEventId = (commandId: string) => `reply:${commandId}`;
export const timeoutEventId = (commandId: string) => `timeout:${commandId}`;

/** The command a reply's or a timeout's event id names (the inverse of the two above), else undefined. */
export const commandIdOfEvent = (eventId: string): string | undefined => /^(?:reply|timeout):(.+)$/.exec(eventId)?.[1];
