/**
 * The HTTP API's JSON as types, for every side: the orchestrator builds its answers as these,
 * the UI and the CLI read them as these. Each is derived (`Static<>`) from the route schemas in
 * orchestrator/http/schemas, the one definition, which also validate requests, serialize
 * responses and make the OpenAPI document at /docs. Types only (`export type`): nothing of the
 * server reaches a bundle that imports this module. Times are ISO-8601 strings; money is integer cents.
 */
export type { OperatorAction, SagaStatus, StepFailure } from '../machines/index.ts';
export type {
  ExportFormat,
  HistoryRow,
  LineItem,
  OrderAccepted,
  OrderDetail,
  OrderPage,
  OrderSummary,
  ReplayPlan,
  ReplayStep,
  SagaFilter,
  SubmitProblem,
} from '../orchestrator/http/schemas/orders.ts';
export type { AppConfig, Load, Overview, OverviewWithLoad } from '../orchestrator/http/schemas/overview.ts';
export type { BulkAction, BulkDryRun, BulkJob, BulkResult } from '../orchestrator/http/schemas/bulk.ts';
export type { IncidentGroup, IncidentReport } from '../orchestrator/http/schemas/incidents.ts';
export type { AuditRecord, DeadLetter, DeadLetterPage } from '../orchestrator/http/schemas/dead-letters.ts';
export type { SystemInfo } from '../orchestrator/http/schemas/system.ts';
export type { Problem, FieldProblem } from '../orchestrator/http/schemas/common.ts';
