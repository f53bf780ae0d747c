/**
 * The operator reads and acts of the incidents section and the export: the incident report,
 * bulk jobs (dry run, start, progress) and the export download. Same token and actor as every
 * other call (session.ts); problems become ApiError with the server's detail.
 */
import type { BulkAction, BulkDryRun, BulkJob, ExportFormat, IncidentReport, SagaFilter } from '../../../api/contract.ts';
import { ApiError } from './client.ts';
import { operatorName, opsToken } from './session.ts';
import { paramsFrom } from '../views/filters-url.ts';
import type { OrderFilters } from './types.ts';

export type { BulkAction, BulkDryRun, BulkJob, ExportFormat, IncidentReport, SagaFilter };
export type { IncidentGroup } from '../../../api/contract.ts';

/** Under the overview's key: the live feed's refresh of the overview refreshes the incidents too. */
export const incidentsKey = ['overview', 'incidents'] as const;

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = opsToken.get();
  const actor = operatorName.get();
  return { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(actor ? { 'x-actor': actor } : {}), ...extra };
}

async function problemOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let problem: { title?: unknown; detail?: unknown } = {};
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    // not a problem body: the status says it
  }
  return new ApiError(
    response.status,
    typeof problem.title === 'string' ? problem.title : response.statusText,
    typeof problem.detail === 'string' ? problem.detail : text.slice(0, 300),
  );
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: headers(init.body ? { 'content-type': 'application/json' } : {}) });
  } catch {
    throw new ApiError(0, 'Network error', 'the orchestrator cannot be reached');
  }
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as T;
}

export const operations = {
  incidents: (signal?: AbortSignal) => call<IncidentReport>('/api/incidents?limit=50&sample=5', { signal }),
  bulkDryRun: (action: BulkAction, filter: SagaFilter, reason: string) =>
    call<BulkDryRun>('/api/bulk', { method: 'POST', body: JSON.stringify({ action, filter, reason, dryRun: true }) }),
  bulkStart: (action: BulkAction, filter: SagaFilter, reason: string) =>
    call<BulkJob>('/api/bulk', { method: 'POST', body: JSON.stringify({ action, filter, reason }) }),
  bulkJob: (id: string, signal?: AbortSignal) => call<BulkJob>(`/api/bulk/${encodeURIComponent(id)}`, { signal }),
};

/** The export takes the list's own filters. */
export type ExportFilters = OrderFilters;

export function exportPath(filters: ExportFilters, format: ExportFormat): string {
  const params = paramsFrom(filters);
  params.set('format', format);
  return `/api/orders/export?${params}`;
}

function clickDownload(href: string, fileName?: string): void {
  const link = document.createElement('a');
  link.href = href;
  link.download = fileName ?? '';
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
}

/**
 * Download the export. Without a token the browser fetches the link itself and streams it to
 * disk; with one (a header the browser cannot add to a link) it is fetched here and handed over
 * as a blob. Answers the file name.
 */
export async function downloadExport(filters: ExportFilters, format: ExportFormat): Promise<string> {
  const path = exportPath(filters, format);
  if (!opsToken.get()) {
    // Check first that the server would answer (a token needed, an outage): a link cannot say why it failed.
    const probe = await fetch(path, { method: 'HEAD', headers: headers() }).catch(() => null);
    if (probe && probe.ok) {
      const name = /filename="([^"]+)"/.exec(probe.headers.get('content-disposition') ?? '')?.[1] ?? `orders.${format}`;
      clickDownload(path, name);
      return name;
    }
    if (probe && probe.status !== 405) throw new ApiError(probe.status, probe.statusText, `the export answered ${probe.status}`);
  }
  let response: Response;
  try {
    response = await fetch(path, { headers: headers({ accept: '*/*' }) });
  } catch {
    throw new ApiError(0, 'Network error', 'the orchestrator cannot be reached');
  }
  if (!response.ok) throw await problemOf(response);
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `orders.${format}`;
  const url = URL.createObjectURL(await response.blob());
  try {
    clickDownload(url, name);
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  return name;
}
