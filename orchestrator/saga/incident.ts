/**
 * Incidents: sagas that need a look (stuck, failed, or running a step that already failed),
 * grouped by cause. A cause is the kind of trouble, the step and the step's last error with
 * everything that differs from saga to saga taken out (ids, numbers, UUIDs, order ids), so that
 * 412 sagas stuck on the same carrier timeout are one group, not 412.
 *
 * Each group has a key (`stuck.createShipment.3f9a0c1d2e4b`) that the saga index stores with the
 * saga and filters on, so the list, the export and a bulk action can select exactly one group.
 * The key is computed when a saga is indexed: a change to `normaliseError` or to the key changes
 * the keys of stored sagas, so it must come with a bump of SAGA_INDEX_SCHEMA_VERSION (the index
 * is then rebuilt from the bucket). Pure but for the hash.
 */
import { createHash } from 'node:crypto';
import type { FailureKind, StepName } from '../../machines/index.ts';
import type { SagaSummary } from './summary.ts';

export const INCIDENT_KINDS = ['stuck', 'failed', 'retrying'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** What an incident key looks like: the kind, the step (or `unknown`) and 12 hex digits of the error's hash. */
export const INCIDENT_KEY_PATTERN = '^(stuck|failed|retrying)\\.[A-Za-z]{1,40}\\.[0-9a-f]{12}$';

/** The error of a group as shown: long messages are cut here. */
const MAX_ERROR_LENGTH = 300;

export interface IncidentCause {
  kind: IncidentKind;
  step: StepName | 'unknown';
  /** How the step last failed; null when the saga recorded no failure. */
  errorKind: FailureKind | null;
  /** The last error with ids and numbers taken out. */
  error: string;
}

export interface Incident extends IncidentCause {
  key: string;
}

/** Replacements in order: the specific shapes before the numbers they contain. */
const NORMALISERS: [RegExp, string][] = [
  // UUIDs (any version), before their digits become numbers.
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>'],
  // Order ids, also inside other ids (`shp_ord_…`, command ids `ord_…:step:2`).
  [/ord_[0-9a-z]{26}/g, '<order>'],
  // Other ids with a prefix: `bulk_0a1b…`, `rsv_…`, `txn_8f2k…` (at least 6 characters after it, one a digit).
  [/\b[A-Za-z]{2,12}_(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{6,}\b/g, '<id>'],
  // Long hex strings (hashes, trace ids, nonces) with a digit in them, so plain words stay.
  [/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi, '<hex>'],
  // Every other number: attempts, amounts, ports, counts, times.
  [/\d+(?:[.,]\d+)*/g, '#'],
];

/** An error message with what differs from saga to saga taken out: `no reply within the step deadline (attempt #)`. */
export function normaliseError(message: string): string {
  let text = message;
  for (const [pattern, replacement] of NORMALISERS) text = text.replace(pattern, replacement);
  text = text.replace(/\s+/g, ' ').trim();
  if (text.length > MAX_ERROR_LENGTH) text = `${text.slice(0, MAX_ERROR_LENGTH - 1)}…`;
  return text || '(empty error message)';
}

export function incidentKey(cause: IncidentCause): string {
  const hash = createHash('sha256').update(`${cause.errorKind ?? ''}\0${cause.error}`).digest('hex').slice(0, 12);
  return `${cause.kind}.${cause.step}.${hash}`;
}

/**
 * The kind of trouble a saga is in, if any: stuck, failed, or running a step that failed before
 * (unless an operator paused it: it is attended to, and waits on purpose).
 */
function kindOf(summary: SagaSummary): IncidentKind | null {
  if (summary.status === 'stuck') return 'stuck';
  if (summary.status === 'failed') return 'failed';
  if (summary.status === 'running' && summary.retrying && !summary.paused) return 'retrying';
  return null;
}

/** The incident a saga belongs to, or null when it needs no look. */
export function incidentOf(summary: SagaSummary): Incident | null {
  const kind = kindOf(summary);
  if (!kind) return null;
  const failure = summary.lastError;
  // A retrying saga is at its pending step; a stuck or failed one at the step that failed last.
  const step = (kind === 'retrying' ? summary.pending?.step : undefined) ?? failure?.step ?? summary.pending?.step ?? 'unknown';
  const cause: IncidentCause = {
    kind,
    step,
    errorKind: failure?.kind ?? null,
    error: failure ? normaliseError(failure.message) : 'no error recorded',
  };
  return { ...cause, key: incidentKey(cause) };
}

/** `412 stuck at createShipment: carrier timeout` */
export function incidentTitle(cause: IncidentCause, count: number): string {
  return `${count} ${cause.kind} at ${cause.step}: ${cause.error}`;
}
