/**
 * The incident report: stuck, failed and retrying sagas grouped by cause (saga/incident.ts),
 * counted on the saga index, each group with its sample, its times and the bulk actions its
 * sagas allow, so that an operator can repair exactly one group (`filter`) with a bulk job.
 */
import type { BulkAction, IncidentGroup, IncidentReport } from '../../api/contract.ts';
import { isForwardStep, type StepName } from '../../machines/index.ts';
import type { SagaCatalog } from '../saga/catalog.ts';
import { incidentOf, incidentTitle, type IncidentCause } from '../saga/incident.ts';

/**
 * What the machine lets an operator do to a group's sagas: a stuck saga takes a retry of its
 * step, and a compensate when it is stuck on a forward step (order-saga definition: `stuck`);
 * a running one (retrying) may be paused until its cause is fixed (a carrier outage); a failed one takes none.
 */
function bulkActionsFor(cause: IncidentCause): BulkAction[] {
  if (cause.kind === 'retrying') return ['pause'];
  if (cause.kind !== 'stuck') return [];
  return cause.step !== 'unknown' && isForwardStep(cause.step as StepName) ? ['retry', 'compensate'] : ['retry'];
}

export function incidentReport(catalog: SagaCatalog, { limit, sample }: { limit: number; sample: number }): IncidentReport {
  // The cause is read back from the newest saga of each group: one at least, whatever `sample` says.
  const rows = catalog.incidents(limit, Math.max(1, sample));
  const groups: IncidentGroup[] = [];
  for (const row of rows.groups) {
    const newest = row.sample[0];
    const incident = newest && incidentOf(newest);
    // The saga changed between the count and the sample (it left the group): its count stands, its cause is unknown now.
    const cause: IncidentCause = incident ?? { kind: row.key.split('.')[0] as IncidentCause['kind'], step: 'unknown', errorKind: null, error: '(changed while read)' };
    groups.push({
      key: row.key,
      kind: cause.kind,
      step: cause.step,
      errorKind: cause.errorKind,
      error: cause.error,
      title: incidentTitle(cause, row.count),
      count: row.count,
      firstSeen: new Date(row.firstSeen).toISOString(),
      lastSeen: new Date(row.lastSeen).toISOString(),
      sample: row.sample.slice(0, sample).map((summary) => summary.orderId),
      example: newest?.lastError ? { orderId: newest.orderId, message: newest.lastError.message } : null,
      filter: { incident: row.key },
      actions: bulkActionsFor(cause),
    });
  }
  return { sagas: rows.sagas, groupCount: rows.groupCount, groups, ...(catalog.catchingUp ? { catchingUp: true } : {}) };
}
