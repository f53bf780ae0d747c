/**
 * The lists the schemas' enums are built from. Statuses, services, steps and operator actions
 * are machines/' own arrays; failure kinds have no array there, so they are written once here as
 * a record over the machine's type: a member missing or extra is a compile error.
 */
import { OPERATOR_ACTIONS, SAGA_ACTIONS, SAGA_STATUSES, SERVICES, STEP_NAMES, type FailureKind } from '../../../machines/index.ts';

export { OPERATOR_ACTIONS, SAGA_ACTIONS, SAGA_STATUSES, SERVICES, STEP_NAMES };

const FAILURE_KIND: Record<FailureKind, true> = { transient: true, timeout: true, permanent: true };
export const FAILURE_KINDS = Object.keys(FAILURE_KIND) as FailureKind[];
