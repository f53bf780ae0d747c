/** Fetching JSON from the orchestrator; errors carry the problem's `detail` for the user. */
import { paramsFrom } from '../views/filters-url.ts';
import { operatorName, opsToken } from './session.ts';
import type {
  AppConfig,
  OrderDetail,
  OrderFilters,
  OrderPage,
  OverviewWithLoad,
  ReplayPlan,
  SagaAction,
  SystemInfo,
} from './types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail || title || `HTTP ${status}`);
  }
}

/** Called when a read is refused for want of a (valid) token: the app asks for one. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

function authHeaders(): Record<string, string> {
  const token = opsToken.get();
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { accept: 'application/json', ...authHeaders(), ...init.headers } });
  } catch {
    throw new ApiError(0, 'Network error', 'the orchestrator cannot be reached');
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (response.status === 401 && (init.method ?? 'GET') === 'GET') onUnauthorized();
  if (!response.ok) {
    const problem = (body ?? {}) as { title?: unknown; detail?: unknown };
    const title = typeof problem.title === 'string' ? problem.title : response.statusText;
    const detail = typeof problem.detail === 'string' ? problem.detail : text.slice(0, 300);
    throw new ApiError(response.status, title, detail);
  }
  return body as T;
}

function operatorHeaders(): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...authHeaders() };
  const actor = operatorName.get();
  if (actor) headers['x-actor'] = actor;
  return headers;
}

export function listQuery(filters: OrderFilters, cursor?: string | null, limit = 50): string {
  const params = paramsFrom(filters);
  params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

export const api = {
  config: () => request<AppConfig>('/api/config'),
  orders: (filters: OrderFilters, cursor?: string | null, signal?: AbortSignal) =>
    request<OrderPage>(`/api/orders?${listQuery(filters, cursor)}`, { signal }),
  order: (orderId: string, signal?: AbortSignal) =>
    request<OrderDetail>(`/api/orders/${encodeURIComponent(orderId)}`, { signal }),
  overview: (signal?: AbortSignal) => request<OverviewWithLoad>('/api/overview', { signal }),
  system: (signal?: AbortSignal) => request<SystemInfo>('/api/system', { signal }),
  /** `reference` goes with `resolve` only: what the outside world calls what was done by hand. */
  act: (orderId: string, action: SagaAction, reason: string, reference?: string) =>
    request<OrderDetail>(`/api/orders/${encodeURIComponent(orderId)}/${action}`, {
      method: 'POST',
      headers: operatorHeaders(),
      body: JSON.stringify(action === 'resolve' ? { reason, reference: reference ?? '' } : { reason }),
    }),
  replay: (orderId: string, reason: string) =>
    request<{ plan: ReplayPlan; order: OrderDetail }>(`/api/orders/${encodeURIComponent(orderId)}/replay`, {
      method: 'POST',
      headers: operatorHeaders(),
      body: JSON.stringify({ reason }),
    }),
  replayDryRun: (orderId: string, reason: string) =>
    request<ReplayPlan>(`/api/orders/${encodeURIComponent(orderId)}/replay?dryRun=true`, {
      method: 'POST',
      headers: operatorHeaders(),
      body: JSON.stringify({ reason }),
    }),
};
