/**
 * The API's answers as the CLI reads them: only the fields it shows, all optional where the
 * API may leave them out (an order JetStream holds whose saga has not started yet has no
 * times, no history).
 */

export const STATUSES = ['running', 'completed', 'cancelled', 'failed', 'stuck'] as const;

export interface StepFailure {
  step: string;
  attempt: number;
  kind: string;
  message: string;
}

export interface OrderSummary {
  orderId: string;
  customerId: string;
  state: string;
  status: string;
  totalCents: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
  stateEnteredAt: string;
  machineVersion: string;
  pending: { step: string; attempt: number; maxAttempts: number } | null;
  retrying: boolean;
  deadline: string | null;
  lastError: StepFailure | null;
}

export interface OrderPage {
  items: OrderSummary[];
  nextCursor: string | null;
}

export interface HistoryRow {
  event: string;
  from: string | null;
  to: string;
  at: string;
  detail?: string;
  actor?: string;
  worker?: string;
}

export interface OrderView {
  orderId: string;
  state: string;
  status: string;
  customerId: string;
  currency: string;
  totalCents: number;
  items: { sku: string; quantity: number; unitPriceCents: number }[];
  createdAt?: string;
  updatedAt?: string;
  stateEnteredAt?: string;
  machineVersion?: string;
  traceUrl: string | null;
  pending: { step: string; attempt: number; maxAttempts: number; deadline: string | null; commandId?: string } | null;
  lastError: StepFailure | null;
  history: HistoryRow[];
  allowedActions: string[];
}

export interface ReplayStep {
  event: string;
  recorded: { from: string | null; to: string };
  replayed: { from: string | null; to: string } | null;
  differs: boolean;
  note?: string;
}

export interface ReplayPlan {
  machineVersion: string;
  recordedVersion: string;
  steps: ReplayStep[];
  firstDivergence: number | null;
  finalState: { recorded: string; replayed: string };
}

export interface BulkFilter {
  status?: string;
  state?: string;
  customerId?: string;
  q?: string;
  retrying?: boolean;
  stalled?: boolean;
}

export interface BulkResult {
  orderId: string;
  result: 'applied' | 'refused' | 'failed';
  detail?: string;
}

export interface BulkJob {
  id: string;
  action: string;
  filter: BulkFilter;
  reason: string;
  actor: string;
  state: 'running' | 'completed' | 'cancelled' | 'failed';
  total: number;
  done: number;
  applied: number;
  refused: number;
  failed: number;
  startedAt: string;
  finishedAt: string | null;
  results?: BulkResult[];
  cancelledBy?: { actor: string; reason: string };
}

export interface BulkDryRun {
  matched: number;
  sample: string[];
}

export interface DeadLetter {
  sequence: number;
  at: string;
  service: string;
  reason: string;
  originalSubject: string;
  originalStream: string;
  originalSequence: number | null;
  headers: Record<string, string[]>;
  payloadBase64: string;
  decoded: unknown;
  decodeError: string | null;
}

export interface DeadLetterPage {
  items: DeadLetter[];
  waiting: number;
  nextBefore: number | null;
}

export interface AuditRecord {
  at: string;
  actor: string;
  action: string;
  target: string;
  reason: string;
  result: string;
  detail?: string;
}
