/** `/`: the overview on top, then every order, newest first, filtered by the URL. */
import { useCallback, useEffect, useMemo, useRef } from 'react';
import { useSearchParams } from 'react-router';
import { CURRENT_MACHINE_VERSION, machineFor } from '../../../machines/index.ts';
import { useOrders } from '../api/queries.ts';
import type { OrderFilters, OrderSummary } from '../api/types.ts';
import { BulkFilterActions } from '../components/BulkFilterActions.tsx';
import { ExportButton } from '../components/ExportButton.tsx';
import { Filters } from '../components/Filters.tsx';
import { OrdersTable } from '../components/OrdersTable.tsx';
import { OverviewPanel } from '../components/OverviewPanel.tsx';
import { Empty, ErrorMessage, Loading } from '../components/states.tsx';
import { formatCount } from '../format.ts';
import { KeyHints } from '../keyboard/KeyHints.tsx';
import { useListKeys } from '../keyboard/useListKeys.ts';
import { graphOf } from '../statechart/graph.ts';
import { filtersFrom, isFiltered, paramsFrom } from '../views/filters-url.ts';
import { SavedViews } from '../views/SavedViews.tsx';

export function OrdersPage() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFrom(params), [params]);
  const setFilters = useCallback(
    (next: OrderFilters) => setParams(paramsFrom(next), { replace: next.q !== filters.q }),
    [setParams, filters.q],
  );
  const query = useOrders(filters);
  const states = useMemo(() => graphOf(machineFor(CURRENT_MACHINE_VERSION)).nodes.map((node) => node.id), []);
  const listRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  useListKeys(listRef, searchRef);

  useEffect(() => {
    document.title = 'Orders · saga inspector';
  }, []);

  const orders = useMemo(() => {
    const seen = new Set<string>();
    const list: OrderSummary[] = [];
    for (const page of query.data?.pages ?? []) {
      for (const item of page.items) {
        if (seen.has(item.orderId)) continue;
        seen.add(item.orderId);
        list.push(item);
      }
    }
    return list;
  }, [query.data]);

  const filtered = isFiltered(filters);

  return (
    <div className="page">
      <OverviewPanel filters={filters} onChange={setFilters} />
      <section className="card" aria-labelledby="orders-title">
        <div className="card__head">
          <h1 id="orders-title" className="card__title">
            Orders{' '}
            <span className="muted" data-testid="orders-count">
              · {query.data ? `${formatCount(orders.length)} shown${query.hasNextPage ? ', more below' : ''}` : '…'}
            </span>
          </h1>
          {query.isFetching && !query.isLoading && <span className="muted small">refreshing…</span>}
          <span className="card__tools">
            <BulkFilterActions filters={filters} />
            <ExportButton filters={filters} />
          </span>
        </div>
        <SavedViews filters={filters} />
        <Filters filters={filters} states={states} onChange={setFilters} searchRef={searchRef} />
        <KeyHints />
        {query.isLoading ? (
          <Loading what="orders" />
        ) : query.error && !query.data ? (
          <ErrorMessage error={query.error} what="orders" retry={() => void query.refetch()} />
        ) : orders.length === 0 ? (
          <Empty>
            {filtered ? (
              <>
                No orders match these filters.{' '}
                <button type="button" className="btn btn--small" onClick={() => setFilters({})}>
                  Clear filters
                </button>
              </>
            ) : (
              <>
                No orders yet. Submit one with <code>POST /api/orders</code>; it shows up here as it happens.
              </>
            )}
          </Empty>
        ) : (
          <>
            <div ref={listRef}>
              <OrdersTable orders={orders} loading={query.isFetching} />
            </div>
            {query.error && <ErrorMessage error={query.error} what="the latest orders" retry={() => void query.refetch()} />}
            <div className="pager">
              {query.hasNextPage ? (
                <button
                  type="button"
                  className="btn"
                  onClick={() => void query.fetchNextPage()}
                  disabled={query.isFetchingNextPage}
                >
                  {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
                </button>
              ) : (
                <span className="muted small">End of the list.</span>
              )}
            </div>
          </>
        )}
      </section>
    </div>
  );
}
