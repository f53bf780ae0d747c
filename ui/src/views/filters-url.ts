/**
 * The orders list's filters as they live in the URL, so a filtered list is a link: the page
 * reads them from the address and writes every change back to it; a saved view is the same
 * query string.
 */
import { isSagaStatus } from '../../../machines/index.ts';
import type { OrderFilters } from '../api/types.ts';

/** `true` and `false` are both filters (`paused=false`: the sagas not held); anything else is none. */
function flag(value: string | null): boolean | undefined {
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

export function filtersFrom(params: URLSearchParams): OrderFilters {
  const status = params.get('status');
  return {
    status: isSagaStatus(status) ? status : undefined,
    state: params.get('state') || undefined,
    q: params.get('q') || undefined,
    retrying: params.get('retrying') === 'true' || undefined,
    paused: flag(params.get('paused')),
    stalled: params.get('stalled') === 'true' || undefined,
    customerId: params.get('customerId') || undefined,
    incident: params.get('incident') || undefined,
  };
}

/** Always in the same order, so two equal filters give the same query string. */
export function paramsFrom(filters: OrderFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.status) params.set('status', filters.status);
  if (filters.state) params.set('state', filters.state);
  if (filters.q) params.set('q', filters.q);
  if (filters.retrying) params.set('retrying', 'true');
  if (filters.paused !== undefined) params.set('paused', String(filters.paused));
  if (filters.stalled) params.set('stalled', 'true');
  if (filters.customerId) params.set('customerId', filters.customerId);
  if (filters.incident) params.set('incident', filters.incident);
  return params;
}

/** The canonical query string of a filter (what a saved view keeps). */
export function queryOf(filters: OrderFilters): string {
  return paramsFrom(filters).toString();
}

export function isFiltered(filters: OrderFilters): boolean {
  return queryOf(filters) !== '';
}

/** A query string as people read it: `status=stuck · q=cust 1`. */
export function describeQuery(query: string): string {
  return [...new URLSearchParams(query)].map(([key, value]) => `${key}=${value}`).join(' · ');
}
