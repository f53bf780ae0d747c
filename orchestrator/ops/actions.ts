/**
 * One operator action on one saga: an event to the machine through the same CAS step as any
 * other, recorded in the saga's history and in the audit trail, whether it was applied or
 * refused. The HTTP routes and bulk jobs both act through here.
 */
import { randomUUID } from 'node:crypto';
import type { Link } from '@opentelemetry/api';
import type { OperatorAction } from '../../machines/index.ts';
import { actionsAllowed, type SagaEntry } from '../saga/entry.ts';
import type { SagaRuntime } from '../saga/runtime.ts';
import type { AuditLog } from './audit.ts';

const EVENT_OF: Record<OperatorAction, 'RETRY' | 'COMPENSATE' | 'CANCEL'> = {
  retry: 'RETRY',
  compensate: 'COMPENSATE',
  cancel: 'CANCEL',
};

export type ActionOutcome =
  | { result: 'applied'; entry: SagaEntry; detail: string }
  | { result: 'refused'; state: string; allowedActions: OperatorAction[]; detail: string }
  | { result: 'unknown'; detail: string };

export interface ActionRequest {
  orderId: string;
  action: OperatorAction;
  actor: string;
  reason: string;
  /** Set when the action is part of a bulk job, for the audit trail. */
  bulkId?: string;
  /** The operator's request span: the step (in the order's trace) links to it. */
  links?: Link[];
}

export async function performAction(runtime: SagaRuntime, audit: AuditLog, request: ActionRequest): Promise<ActionOutcome> {
  const { orderId, action, actor, reason, bulkId } = request;
  const event = { type: EVENT_OF[action], actor, reason };
  const outcome = await runtime.apply(orderId, event, `operator:${action}:${randomUUID()}`, { links: request.links ?? [] });
  if (outcome.kind === 'unknownSaga') return { result: 'unknown', detail: `no order ${orderId}` };
  const audited = { actor, action: bulkId ? `bulk.${action}` : action, target: `order:${orderId}`, reason };
  const via = bulkId ? ` (bulk ${bulkId})` : '';
  if (outcome.kind !== 'applied') {
    const current = await runtime.read(orderId);
    const state = current?.entry.state ?? 'unknown';
    const detail = `${action} is not allowed while the order is ${state}`;
    await audit.record({ ...audited, result: 'refused', detail: detail + via });
    return { result: 'refused', state, allowedActions: current ? actionsAllowed(current.entry) : [], detail };
  }
  const { from, to } = outcome.entry.history.at(-1)!;
  const detail = `${from} → ${to}`;
  await audit.record({ ...audited, result: 'applied', detail: detail + via });
  return { result: 'applied', entry: outcome.entry, detail };
}
