/**
 * The live feed: one EventSource for the whole app. Each `saga` event patches the rows it
 * changes in place at once, and marks lists, the overview and that order's detail for a
 * refetch, at most about once a second however busy the system is.
 */
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { LiveStatus } from './live-context.ts';
import { keys, type OrderListData } from './queries.ts';
import type { OrderSummary } from './types.ts';

const THROTTLE_MS = 1000;
const RETRY_MS = 5000;

function patchLists(client: QueryClient, summary: OrderSummary): void {
  client.setQueriesData<OrderListData>({ queryKey: keys.orders }, (data) => {
    if (!data) return data;
    let changed = false;
    const pages = data.pages.map((page) => {
      const index = page.items.findIndex((item) => item.orderId === summary.orderId);
      const current = index >= 0 ? page.items[index] : undefined;
      if (!current || current.updatedAt > summary.updatedAt) return page;
      changed = true;
      const items = page.items.slice();
      items[index] = { ...current, ...summary };
      return { ...page, items };
    });
    return changed ? { ...data, pages } : data;
  });
}

function isSummary(value: unknown): value is OrderSummary {
  return typeof value === 'object' && value !== null && typeof (value as OrderSummary).orderId === 'string';
}

export function useLiveFeed(token: string | null, enabled: boolean): LiveStatus {
  const client = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>('connecting');

  useEffect(() => {
    if (!enabled) return;
    setStatus('connecting');
    let source: EventSource | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    let lastFlush = 0;
    let everOpen = false;
    let closed = false;
    const dirtyOrders = new Set<string>();
    let dirtyLists = false;

    const flush = () => {
      flushTimer = undefined;
      lastFlush = Date.now();
      if (dirtyLists) {
        dirtyLists = false;
        void client.invalidateQueries({ queryKey: keys.orders });
        void client.invalidateQueries({ queryKey: keys.overview });
      }
      for (const orderId of dirtyOrders) void client.invalidateQueries({ queryKey: keys.order(orderId) });
      dirtyOrders.clear();
    };
    const schedule = () => {
      if (flushTimer) return;
      flushTimer = setTimeout(flush, Math.max(0, lastFlush + THROTTLE_MS - Date.now()));
    };

    const connect = () => {
      if (closed) return;
      // EventSource cannot send headers: the stream takes the token in the query.
      source = new EventSource(token ? `/api/stream?access_token=${encodeURIComponent(token)}` : '/api/stream');
      source.onopen = () => {
        setStatus('live');
        // Whatever changed while we were away: refresh everything once.
        if (everOpen) {
          dirtyLists = true;
          schedule();
          void client.invalidateQueries({ queryKey: ['order'] });
        }
        everOpen = true;
      };
      source.addEventListener('saga', (message) => {
        let summary: unknown;
        try {
          summary = JSON.parse((message as MessageEvent<string>).data);
        } catch {
          return;
        }
        if (!isSummary(summary)) return;
        patchLists(client, summary);
        dirtyLists = true;
        dirtyOrders.add(summary.orderId);
        schedule();
      });
      source.onerror = () => {
        if (!source) return;
        if (source.readyState === EventSource.CONNECTING) {
          setStatus('reconnecting');
          return;
        }
        // The browser gave up (server down or not an event stream): try again ourselves.
        source.close();
        setStatus('offline');
        retryTimer = setTimeout(connect, RETRY_MS);
      };
    };

    connect();
    return () => {
      closed = true;
      source?.close();
      clearTimeout(retryTimer);
      clearTimeout(flushTimer);
    };
  }, [client, token, enabled]);

  return enabled ? status : 'connecting';
}
