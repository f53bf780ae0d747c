/** The orchestrator's JSON, as the UI reads it. Machine vocabulary comes from machines/. */
import type { OperatorAction, SagaContext, SagaEvent, SagaStatus, FailureKind } from '../../../machines/index.ts';

export type { OperatorAction, SagaStatus };

export const STATUSES: readonly SagaStatus[] = ['running', 'stuck', 'completed', 'cancelled', 'failed'];

export interface AppConfig {
  traceUrlTemplate: string;
  opsTokenRequired: boolean;
  /** Reading needs a token too (READ_TOKEN set). */
  readTokenRequired?: boolean;
  machineVersion: string;
}

export interface PendingSummary {
  step: string;
  attempt: number;
  maxAttempts?: number;
  commandId: string;
}

export interface LastError {
  step: string;
  attempt: number;
  kind: FailureKind | string;
  message: string;
}

export interface OrderSummary {
  orderId: string;
  customerId: string;
  state: string;
  status: SagaStatus;
  totalCents: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
  stateEnteredAt?: string;
  machineVersion: string;
  pending: PendingSummary | null;
  retrying?: boolean;
  deadline: string | null;
  lastError?: LastError | null;
}

export interface OrderPage {
  items: OrderSummary[];
  nextCursor: string | null;
}

export interface HistoryRow {
  eventId: string;
  event: string;
  from: string | null;
  to: string;
  at: string;
  detail?: string;
  actor?: string;
  worker?: string;
  payload?: SagaEvent;
}

export interface OrderDetail {
  orderId: string;
  state: string;
  status: SagaStatus;
  customerId: string;
  currency: string;
  totalCents: number;
  items: { sku: string; quantity: number; unitPriceCents: number }[];
  createdAt?: string;
  updatedAt?: string;
  stateEnteredAt?: string;
  /** Missing while the submission is stored but its saga has not started yet. */
  machineVersion?: string;
  traceId: string | null;
  traceUrl: string | null;
  pending:
    | (PendingSummary & { maxAttempts: number; retrying: boolean; deadline: string | null })
    | null;
  lastError: LastError | null;
  context?: SagaContext;
  history: HistoryRow[];
  allowedActions: OperatorAction[];
}

export interface Overview {
  total: number;
  byStatus: Partial<Record<SagaStatus, number>>;
  byState: Record<string, number>;
  retrying: number;
}

export interface SystemInfo {
  nats: { version: string; server: string; cluster: { name: string; size: number } | null };
  durability: { level: 'process-crash' | 'os-crash' | string; summary: string; syncInterval: string };
  streams: { name: string; replicas: number; storage: string; messages: number; bytes: number }[];
  buckets: { name: string; replicas: number; history: number; storage: string; values: number; bytes: number }[];
  consumers: {
    name: string;
    stream: string;
    service: string;
    pending: number;
    ackPending: number;
    redelivered: number;
    waiting: number;
  }[];
  deadLetters: { waiting: number };
}

export interface ReplayResult {
  /** The version the events were replayed through. */
  machineVersion: string;
  /** The version the saga is on now. */
  recordedVersion?: string;
  steps: {
    event: string;
    recorded: { from: string | null; to: string };
    replayed: { from: string | null; to: string | null } | null;
    differs: boolean;
    note?: string;
  }[];
  firstDivergence: number | null;
  finalState?: { recorded: string; replayed: string };
}

export interface OrderFilters {
  status?: SagaStatus;
  state?: string;
  q?: string;
  retrying?: boolean;
}
