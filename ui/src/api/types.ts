/** The orchestrator's JSON, as the UI reads it: the one contract in api/contract.ts. */
import { FINISHED_STATUSES } from '../../../machines/index.ts';
import type { OrderDetail, SagaStatus } from '../../../api/contract.ts';

export type {
  AppConfig,
  HistoryRow,
  Load,
  OperatorAction,
  OrderDetail,
  OrderPage,
  OrderSummary,
  Overview,
  OverviewWithLoad,
  ReplayPlan,
  SagaStatus,
  SystemInfo,
} from '../../../api/contract.ts';

/** Every action an operator may take on one order: the machine's, and pause or resume (its hold). */
export type SagaAction = OrderDetail['allowedActions'][number];

/** An operator's hold on a saga, while it is paused: who, why, since when. */
export type Hold = NonNullable<OrderDetail['paused']>;

/** History rows of an operator's hold: no machine event, the state stays as it was. */
export const HOLD_EVENTS: ReadonlySet<string> = new Set(['PAUSE', 'RESUME']);

/** The order the UI shows statuses in: those that may still move first. */
export const STATUSES: readonly SagaStatus[] = ['running', 'stuck', ...FINISHED_STATUSES];

/** The list filters the UI keeps in the URL. */
export interface OrderFilters {
  status?: SagaStatus;
  state?: string;
  q?: string;
  retrying?: boolean;
  /** Held by an operator (true), or not (false). */
  paused?: boolean;
  /** Running with no transition for STUCK_AFTER_MS. */
  stalled?: boolean;
  /** Exactly this customer's orders (a link from an order's page). */
  customerId?: string;
  /** An incident group's key: exactly the sagas of that cause. */
  incident?: string;
}
