/** The API's answers, as the CLI reads them: the one contract in api/contract.ts. */
import type { OrderDetail, SagaFilter } from '../api/contract.ts';

export type {
  AuditRecord,
  BulkDryRun,
  BulkJob,
  BulkResult,
  DeadLetter,
  DeadLetterPage,
  HistoryRow,
  OrderPage,
  OrderSummary,
  ReplayPlan,
} from '../api/contract.ts';

export type OrderView = OrderDetail;
export type BulkFilter = SagaFilter;
