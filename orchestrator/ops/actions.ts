/**
 * One operator action on one saga: an event to the machine (or to its hold: pause, resume)
 * through the same CAS step as any other. Applied, it is in the saga's history and the audit trail; refused, it changed nothing
 * in the saga and is in the audit trail only. The HTTP routes and bulk jobs both act through here.
 */
import { randomUUID } from 'node:crypto';
import type { Link } from '@opentelemetry/api';
import { eventOfAction, isHoldAction, type SagaAction } from '../../machines/index.ts';
import { actionsAllowed, holdEventOf, type SagaEntry } from '../saga/entry.ts';
import { replayDryRun, type ReplayPlan } from '../saga/replay.ts';
import type { SagaRuntime } from '../saga/runtime.ts';
import { ANONYMOUS, type AuditLog } from './audit.ts';

export type ActionOutcome =
  | { result: 'applied'; entry: SagaEntry; detail: string }
  | { result: 'refused'; state: string; allowedActions: SagaAction[]; detail: string }
  | { result: 'unknown'; detail: string };

export interface ActionRequest {
  orderId: string;
  action: SagaAction;
  /** The name the operator acts under (X-Actor, else the token's label). */
  actor: string;
  /** The label of the token the request proved, where known: recorded next to `actor`. */
  authenticatedAs?: string;
  reason: string;
  /** `resolve`: the outside world's reference for the step done by hand (a parcel number). */
  reference?: string;
  /** Set when the action is part of a bulk job, for the audit trail. */
  bulkId?: string;
  /** A deterministic id makes a re-run of the same act a no-op (bulk jobs: one per job and order); default: a fresh one. */
  eventId?: string;
  /** The operator's request span: the step (in the order's trace) links to it. */
  links?: Link[];
}

/** The actor as the saga's history shows it: the given name, and the proven token's label when there is one and it differs. */
export function historyActor(actor: string, authenticatedAs: string | undefined): string {
  return authenticatedAs === undefined || authenticatedAs === ANONYMOUS || authenticatedAs === actor ? actor : `${actor} (token: ${authenticatedAs})`;
}

export async function performAction(runtime: SagaRuntime, audit: AuditLog, request: ActionRequest): Promise<ActionOutcome> {
  const { orderId, action, actor, authenticatedAs, reason, bulkId } = request;
  const who = { actor: historyActor(actor, authenticatedAs), reason };
  const eventId = request.eventId ?? `operator:${action}:${randomUUID()}`;
  const options = { links: request.links ?? [] };
  const outcome = isHoldAction(action)
    ? await runtime.hold(orderId, holdEventOf(action, who), eventId, options)
    : await runtime.apply(orderId, eventOfAction(action, { ...who, ...(request.reference === undefined ? {} : { reference: request.reference }) }), eventId, options);
  const audited = { actor, ...(authenticatedAs ? { authenticatedAs } : {}), action: bulkId ? `bulk.${action}` : action, target: `order:${orderId}`, reason };
  const via = bulkId ? ` (bulk ${bulkId})` : '';
  if (outcome.kind === 'unknownSaga') {
    const waiting = await notStarted(runtime, orderId, action);
    if (waiting.result === 'refused') await audit.record({ ...audited, result: 'refused', detail: waiting.detail + via });
    return waiting;
  }
  if (outcome.kind === 'duplicate') {
    // The same act (same event id) was applied before, e.g. by a bulk job's run that crashed
    // or lost its lease before recording it: it stands, once, and was audited then.
    const current = await runtime.read(orderId);
    if (current) return { result: 'applied', entry: current.entry, detail: `${action} was already applied by this request` };
  }
  if (outcome.kind !== 'applied') {
    const current = await runtime.read(orderId);
    const state = current?.entry.state ?? 'unknown';
    const detail = isHoldAction(action) && outcome.kind === 'ignored' ? `${action}: ${outcome.reason}` : `${action} is not allowed while the order is ${state}`;
    await audit.record({ ...audited, result: 'refused', detail: detail + via });
    return { result: 'refused', state, allowedActions: current ? actionsAllowed(current.entry) : [], detail };
  }
  const { from, to } = outcome.entry.history.at(-1)!;
  const detail = `${from} → ${to}`;
  await audit.record({ ...audited, result: 'applied', detail: detail + via });
  return { result: 'applied', entry: outcome.entry, detail };
}

/**
 * No saga: the order may still be accepted and waiting for capacity (its submission stored, its
 * saga not started). Then the act is refused for now, never answered "no such order".
 */
async function notStarted(runtime: SagaRuntime, orderId: string, action: string): Promise<ActionOutcome> {
  if (!(await runtime.findSubmission(orderId))) return { result: 'unknown', detail: `no order ${orderId}` };
  const detail = `${action} is not allowed yet: order ${orderId} is accepted and waits for its saga to start (new sagas start as capacity frees up); act once it has started`;
  return { result: 'refused', state: 'submitted', allowedActions: [], detail };
}

export type ReplayOutcome =
  | { result: 'applied'; entry: SagaEntry; plan: ReplayPlan }
  /** Refused in the saga's status, or nothing to move: `unchanged`. */
  | { result: 'refused' | 'unchanged'; plan: ReplayPlan; detail: string }
  | { result: 'unknown' };

/** What a replay onto the current machine version would do, changing nothing; null: no such saga. */
export async function replayPreview(runtime: SagaRuntime, orderId: string): Promise<ReplayPlan | null> {
  const stored = await runtime.read(orderId);
  return stored ? replayDryRun(stored.entry) : null;
}

/** Move a saga onto the current machine version (saga/replay.ts), audited like any other action. */
export async function performReplay(runtime: SagaRuntime, audit: AuditLog, request: Omit<ActionRequest, 'action' | 'bulkId' | 'eventId'>): Promise<ReplayOutcome> {
  const { orderId, actor, authenticatedAs, reason } = request;
  const result = await runtime.rebase(orderId, { actor: historyActor(actor, authenticatedAs), reason }, request.links ?? []);
  if (result.kind === 'unknownSaga') return { result: 'unknown' };
  const audited = { actor, ...(authenticatedAs ? { authenticatedAs } : {}), action: 'replay', target: `order:${orderId}`, reason };
  if (result.kind !== 'rebased') {
    await audit.record({ ...audited, result: 'refused', detail: result.detail });
    return { result: result.kind, plan: result.plan, detail: result.detail };
  }
  const { from, to } = result.entry.history.at(-1)!;
  await audit.record({ ...audited, result: 'applied', detail: `${from} → ${to} on ${result.entry.machineVersion}` });
  return { result: 'applied', entry: result.entry, plan: result.plan };
}
