/**
 * Replay, dry: run a saga's recorded events through a machine version (the current one by
 * default) and show, step by step, where the states it passes through differ from the ones
 * recorded. Pure: nothing is written.
 */
import { initialTransition, transition } from 'xstate';
import { CURRENT_MACHINE_VERSION, machineFor } from '../../machines/index.ts';
import type { SagaEntry } from './entry.ts';

export interface ReplayStep {
  event: string;
  recorded: { from: string | null; to: string };
  replayed: { from: string | null; to: string } | null;
  differs: boolean;
  note?: string;
}

export interface ReplayPlan {
  machineVersion: string;
  recordedVersion: string;
  steps: ReplayStep[];
  /** Index into `steps` of the first step that differs, or null when the replay agrees. */
  firstDivergence: number | null;
  finalState: { recorded: string; replayed: string };
}

export function replayDryRun(entry: SagaEntry, version: string = CURRENT_MACHINE_VERSION): ReplayPlan {
  const machine = machineFor(version);
  const context = entry.snapshot.context;
  const order = {
    orderId: context.orderId,
    customerId: context.customerId,
    currency: context.currency,
    items: context.items,
    totalCents: context.totalCents,
  };
  let [snapshot] = initialTransition(machine, { order, maxAttempts: context.maxAttempts });
  const [submitted, ...rows] = entry.history;
  const steps: ReplayStep[] = [
    {
      event: submitted!.event,
      recorded: { from: null, to: submitted!.to },
      replayed: { from: null, to: String(snapshot.value) },
      differs: submitted!.to !== String(snapshot.value),
    },
  ];
  for (const row of rows) {
    if (!row.payload) {
      steps.push({ event: row.event, recorded: { from: row.from, to: row.to }, replayed: null, differs: true, note: 'event payload not recorded' });
      continue;
    }
    const from = String(snapshot.value);
    [snapshot] = transition(machine, snapshot, row.payload);
    const to = String(snapshot.value);
    steps.push({
      event: row.event,
      recorded: { from: row.from, to: row.to },
      replayed: { from, to },
      differs: row.from !== from || row.to !== to,
    });
  }
  const divergence = steps.findIndex((step) => step.differs);
  return {
    machineVersion: version,
    recordedVersion: entry.machineVersion,
    steps,
    firstDivergence: divergence >= 0 ? divergence : null,
    finalState: { recorded: entry.state, replayed: String(snapshot.value) },
  };
}
