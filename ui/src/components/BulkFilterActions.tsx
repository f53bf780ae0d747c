/**
 * Pause or resume every order the list's filters match (a carrier outage: pause everything
 * waiting on createShipment; resume the paused view once it is over), as a bulk job with its
 * dry run first. Pause covers the matching sagas not paused yet and resume the paused ones, so
 * the dry run counts what the job would act on.
 */
import { useState } from 'react';
import { useConfig } from '../api/queries.ts';
import type { BulkAction } from '../api/operations.ts';
import type { OrderFilters } from '../api/types.ts';
import { describeQuery, isFiltered, queryOf } from '../views/filters-url.ts';
import { BULK_LABEL, BulkDialog, bulkButtonClass } from './BulkDialog.tsx';
import './operations.css';

type HoldAction = Extract<BulkAction, 'pause' | 'resume'>;

export function BulkFilterActions({ filters }: { filters: OrderFilters }) {
  const config = useConfig();
  const [acting, setActing] = useState<HoldAction | null>(null);
  const filtered = isFiltered(filters);
  const offered: HoldAction[] = (['pause', 'resume'] as const).filter((action) => filters.paused !== (action === 'pause'));
  const scopeOf = (action: HoldAction) => {
    const filter = { ...filters, paused: action === 'resume' };
    return { title: `orders matching ${describeQuery(queryOf(filters))}`, filter, of: "matching the list's filters" };
  };

  return (
    <span className="bulk-actions" role="group" aria-label="Act on every order matching the filters">
      {offered.map((action) => (
        <button
          key={action}
          type="button"
          className={`btn btn--small ${bulkButtonClass(action)}`}
          disabled={!filtered}
          title={
            filtered
              ? `${BULK_LABEL[action]} every ${action === 'resume' ? 'paused ' : ''}order matching the filters (not only this page), after a dry run`
              : 'Filter the list first: a bulk action covers every order the filters match'
          }
          onClick={() => setActing(action)}
          data-testid={`bulk-${action}`}
        >
          {BULK_LABEL[action]} matching…
        </button>
      ))}
      {acting && <BulkDialog action={acting} scope={scopeOf(acting)} tokenRequired={Boolean(config.data?.opsTokenRequired)} onClose={() => setActing(null)} />}
    </span>
  );
}
