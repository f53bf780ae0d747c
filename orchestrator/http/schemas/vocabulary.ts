/**
 * The lists the schemas' enums are built from. Statuses, services and steps are machines/' own
 * arrays; operator actions and failure kinds have no array there, so each is written once here
 * as a record over the machine's type: a member missing or extra is a compile error.
 */
import { SAGA_STATUSES, SERVICES, STEP_NAMES, type FailureKind, type OperatorAction } from '../../../machines/index.ts';

export { SAGA_STATUSES, SERVICES, STEP_NAMES };

const ACTION: Record<OperatorAction, true> = { retry: true, compensate: true, cancel: true };
export const OPERATOR_ACTIONS = Object.keys(ACTION) as OperatorAction[];

const FAILURE_KIND: Record<FailureKind, true> = { transient: true, timeout: true, permanent: true };
export const FAILURE_KINDS = Object.keys(FAILURE_KIND) as FailureKind[];
