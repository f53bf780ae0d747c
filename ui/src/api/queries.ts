/** TanStack Query hooks: one query key per resource, so the live feed knows what to refresh. */
import { keepPreviousData, useInfiniteQuery, useQuery, type InfiniteData } from '@tanstack/react-query';
import { api } from './client.ts';
import type { OrderFilters, OrderPage } from './types.ts';
import { useLive } from './live-context.ts';

export const keys = {
  config: ['config'] as const,
  orders: ['orders'] as const,
  orderList: (filters: OrderFilters) => ['orders', filters] as const,
  order: (orderId: string) => ['order', orderId] as const,
  overview: ['overview'] as const,
  system: ['system'] as const,
};

export type OrderListData = InfiniteData<OrderPage, string | null>;

/** While the live feed is down, fall back to polling so the screen never goes stale silently. */
function usePollWhenNotLive(ms: number): number | false {
  return useLive() === 'live' ? false : ms;
}

export function useConfig() {
  return useQuery({ queryKey: keys.config, queryFn: () => api.config(), staleTime: Infinity, retry: 2 });
}

export function useOrders(filters: OrderFilters) {
  const poll = usePollWhenNotLive(5000);
  return useInfiniteQuery({
    queryKey: keys.orderList(filters),
    queryFn: ({ pageParam, signal }) => api.orders(filters, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
    refetchInterval: poll,
  });
}

export function useOrder(orderId: string) {
  const poll = usePollWhenNotLive(3000);
  return useQuery({
    queryKey: keys.order(orderId),
    queryFn: ({ signal }) => api.order(orderId, signal),
    // A submission not yet picked up by the saga shows as `submitted`: look again soon.
    refetchInterval: (query) => (query.state.data?.state === 'submitted' ? 1000 : poll),
    retry: (count, error) => !('status' in error && (error as { status: number }).status === 404) && count < 2,
  });
}

/** Polled even while live: the queues' load changes without a saga changing. */
export function useOverview() {
  return useQuery({ queryKey: keys.overview, queryFn: ({ signal }) => api.overview(signal), refetchInterval: 2000 });
}

export function useSystem() {
  return useQuery({ queryKey: keys.system, queryFn: ({ signal }) => api.system(signal), refetchInterval: 5000 });
}
