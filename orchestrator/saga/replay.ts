/**
 * Replay: run a saga's recorded events through a machine version (the current one by
 * default). Dry, it shows step by step where the states differ from the recorded ones. For
 * real, it moves the saga onto that version from the first divergence: the events before it
 * are replayed, the diverging event is applied under the new rules, and any step it starts
 * gets an attempt number past every recorded one, so its command id is new while its effect
 * key (and the workers' idempotency) stays the same. The history only grows: a REPLAY row
 * records the move and the events the new state was built from. A finished saga (completed,
 * cancelled, failed) is never re-opened: its outcome is settled, its effects undone or kept,
 * and re-running it would send commands and count it finished twice; it can only be compared.
 * Pure: nothing is written.
 */
import { randomUUID } from 'node:crypto';
import { firstSnapshot, nextSnapshot } from '../../machines/pure-steps.ts';
import { CURRENT_MACHINE_VERSION, isFinished, machineFor, parseCommandId, type SagaContext, type StepName } from '../../machines/index.ts';
import type { ReplayPlan, ReplayStep } from '../../api/contract.ts';
import { commandIdOfEvent, isHoldRow, liftHoldIfEnded, settle, type HistoryRow, type Rebase, type RuntimeSettings, type SagaEntry } from './entry.ts';

export type { ReplayPlan, ReplayStep };

type Seed = NonNullable<Rebase['seed']>;

/**
 * The rows whose events the current state is built from (pauses and resumes left out): after the last REPLAY, its base
 * (with the transitions they made on the new version) plus what followed; and the attempt
 * seed that REPLAY applied before its last base event.
 */
function effectiveHistory(entry: SagaEntry): { rows: HistoryRow[]; seed: { beforeIndex: number; seed: Seed } | null } {
  // A pause or a resume never reached the machine: nothing of the state is built from it.
  const rows = entry.history.slice(1).filter((row) => !isHoldRow(row));
  const lastRebase = rows.map((row) => row.rebase !== undefined).lastIndexOf(true);
  if (lastRebase < 0) return { rows, seed: null };
  const rebase = rows[lastRebase]!.rebase!;
  const base = new Map(rebase.events.map((step) => [step.eventId, step]));
  const rebased = rows.slice(0, lastRebase).flatMap((row) => {
    const step = base.get(row.eventId);
    return step ? [{ ...row, from: step.from, to: step.to }] : [];
  });
  return {
    rows: [...rebased, ...rows.slice(lastRebase + 1)],
    seed: rebase.seed ? { beforeIndex: rebased.length - 1, seed: rebase.seed } : null,
  };
}

function startOn(version: string, context: SagaContext) {
  const machine = machineFor(version);
  const order = {
    orderId: context.orderId,
    customerId: context.customerId,
    currency: context.currency,
    items: context.items,
    totalCents: context.totalCents,
  };
  return { machine, snapshot: firstSnapshot(machine, { order, maxAttempts: context.maxAttempts }) };
}

type Machine = ReturnType<typeof machineFor>;
type Snapshot = ReturnType<typeof startOn>['snapshot'];

/** After a HISTORY_COMPACTED row, replay resumes from the snapshot recorded after the rows it replaced. */
function resumedAt(machine: Machine, row: HistoryRow): Snapshot {
  const { value, context } = row.compacted!.checkpoint;
  return machine.resolveState({ value, context }) as Snapshot;
}

function seeded(machine: Machine, snapshot: Snapshot, seed: Seed): Snapshot {
  const context = snapshot.context;
  return machine.resolveState({
    value: snapshot.value,
    context: { ...context, attempts: { ...context.attempts, ...seed.attempts }, attemptLimits: { ...context.attemptLimits, ...seed.attemptLimits } },
  }) as Snapshot;
}

export function replayDryRun(entry: SagaEntry, version: string = CURRENT_MACHINE_VERSION): ReplayPlan {
  const start = startOn(version, entry.snapshot.context);
  const machine = start.machine;
  let snapshot = start.snapshot;
  const submitted = entry.history[0]!;
  const steps: ReplayStep[] = [
    {
      event: submitted.event,
      recorded: { from: null, to: submitted.to },
      replayed: { from: null, to: String(snapshot.value) },
      differs: submitted.to !== String(snapshot.value),
    },
  ];
  const { rows, seed } = effectiveHistory(entry);
  rows.forEach((row, index) => {
    if (row.compacted) {
      const from = String(snapshot.value);
      snapshot = resumedAt(machine, row);
      steps.push({
        event: row.event,
        recorded: { from: row.from, to: row.to },
        replayed: { from, to: String(snapshot.value) },
        differs: row.from !== from,
        note: `${row.compacted.rows} rows compacted: replay resumes from the state recorded after them`,
      });
      return;
    }
    if (!row.payload) {
      steps.push({ event: row.event, recorded: { from: row.from, to: row.to }, replayed: null, differs: true, note: 'event payload not recorded' });
      return;
    }
    if (seed?.beforeIndex === index) snapshot = seeded(machine, snapshot, seed.seed);
    const from = String(snapshot.value);
    snapshot = nextSnapshot(machine, snapshot, row.payload);
    const to = String(snapshot.value);
    steps.push({ event: row.event, recorded: { from: row.from, to: row.to }, replayed: { from, to }, differs: row.from !== from || row.to !== to });
  });
  const divergence = steps.findIndex((step) => step.differs);
  return {
    machineVersion: version,
    recordedVersion: entry.machineVersion,
    steps,
    firstDivergence: divergence >= 0 ? divergence : null,
    finalState: { recorded: entry.state, replayed: String(snapshot.value) },
  };
}

export type RebaseResult =
  | { kind: 'rebased'; entry: SagaEntry; plan: ReplayPlan }
  /** Nothing to move: the version agrees, or the history cannot be replayed. */
  | { kind: 'unchanged'; plan: ReplayPlan; detail: string }
  /** Not allowed in the saga's status: a finished saga is never re-opened. */
  | { kind: 'refused'; plan: ReplayPlan; detail: string };

export function rebaseOnto(
  entry: SagaEntry,
  operator: { actor: string; reason: string },
  now: number,
  settings: Pick<RuntimeSettings, 'stepTimeoutMs'>,
  version: string = CURRENT_MACHINE_VERSION,
): RebaseResult {
  const plan = replayDryRun(entry, version);
  if (isFinished(entry.status)) {
    return { kind: 'refused', plan, detail: `the order is ${entry.status}: replay never re-opens a finished saga (its dry run still compares it with ${version})` };
  }
  if (plan.firstDivergence === null && entry.machineVersion === version) {
    return { kind: 'unchanged', plan, detail: `${version} agrees with the recorded history; nothing to replay` };
  }
  // steps[0] is the submission, so steps[i] is rows[i - 1].
  const { rows, seed: earlier } = effectiveHistory(entry);
  const divergedAt = plan.firstDivergence === null ? null : plan.firstDivergence - 1;
  if (divergedAt !== null && rows[divergedAt]?.compacted) {
    return { kind: 'unchanged', plan, detail: 'the history cannot be replayed: it diverges where rows were compacted' };
  }
  if (divergedAt !== null && !rows[divergedAt]?.payload) {
    return { kind: 'unchanged', plan, detail: 'the history cannot be replayed: an event payload was not recorded' };
  }
  const start = startOn(version, entry.snapshot.context);
  const machine = start.machine;
  let snapshot = start.snapshot;
  const events: Rebase['events'] = [];
  let seed: Seed | null = null;
  const base = divergedAt === null ? rows : rows.slice(0, divergedAt + 1);
  base.forEach((row, index) => {
    if (earlier?.beforeIndex === index) snapshot = seeded(machine, snapshot, earlier.seed);
    if (index === divergedAt) {
      // Steps the new rules start from here on must not reuse a recorded command id.
      seed = seedPastRecorded(entry, snapshot.context);
      snapshot = seeded(machine, snapshot, seed);
    }
    const from = String(snapshot.value);
    snapshot = row.compacted ? resumedAt(machine, row) : nextSnapshot(machine, snapshot, row.payload!);
    events.push({ eventId: row.eventId, from, to: String(snapshot.value) });
  });
  const settled = settle(snapshot, entry, now, settings);
  const row: HistoryRow = {
    eventId: `replay:${randomUUID()}`,
    event: 'REPLAY',
    from: entry.state,
    to: settled.state,
    at: now,
    actor: operator.actor,
    detail: `${operator.reason} (moved from ${entry.machineVersion} to ${version}${
      plan.firstDivergence === null ? ', no divergence' : ` at step ${plan.firstDivergence}: ${plan.steps[plan.firstDivergence]!.event}`
    })`,
    rebase: { machineVersion: version, events, seed },
  };
  return {
    kind: 'rebased',
    plan,
    entry: liftHoldIfEnded({ ...entry, ...settled, machineVersion: version, updatedAt: now, history: [...entry.history, row] }),
  };
}

/** Attempt counters past every attempt the history has seen, with a fresh round of attempts each. */
function seedPastRecorded(entry: SagaEntry, context: SagaContext): Seed {
  const attempts: Partial<Record<StepName, number>> = { ...entry.snapshot.context.attempts };
  for (const row of entry.history) {
    const command = parseCommandId(commandIdOfEvent(row.eventId) ?? '');
    if (command) attempts[command.step] = Math.max(attempts[command.step] ?? 0, command.attempt);
  }
  const attemptLimits: Partial<Record<StepName, number>> = {};
  for (const [step, attempt] of Object.entries(attempts) as [StepName, number][]) {
    attemptLimits[step] = Math.max(context.attemptLimits[step] ?? context.maxAttempts, attempt + context.maxAttempts);
  }
  return { attempts, attemptLimits };
}
