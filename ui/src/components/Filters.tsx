/** Filters of the orders list; they live in the URL so a filtered list is a link. */
import { useEffect, useId, useState } from 'react';
import { STATUSES, type OrderFilters, type SagaStatus } from '../api/types.ts';

export function Filters({
  filters,
  states,
  onChange,
}: {
  filters: OrderFilters;
  states: string[];
  onChange: (next: OrderFilters) => void;
}) {
  const id = useId();
  const [search, setSearch] = useState(filters.q ?? '');
  // Follow the URL (back button, chips) without fighting the typing.
  useEffect(() => setSearch(filters.q ?? ''), [filters.q]);
  useEffect(() => {
    const q = search.trim() || undefined;
    if (q === filters.q) return;
    const timer = setTimeout(() => onChange({ ...filters, q }), 250);
    return () => clearTimeout(timer);
  }, [search, filters, onChange]);
  const active = Boolean(filters.status || filters.state || filters.q || filters.retrying);

  return (
    <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
      <div className="field field--grow">
        <label htmlFor={`${id}-q`}>Search</label>
        <input
          id={`${id}-q`}
          type="search"
          placeholder="order id prefix or exact customer id"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') onChange({ ...filters, q: search.trim() || undefined });
          }}
          data-testid="search"
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select
          id={`${id}-status`}
          value={filters.status ?? ''}
          onChange={(event) => onChange({ ...filters, status: (event.target.value || undefined) as SagaStatus | undefined })}
          data-testid="filter-status"
        >
          <option value="">any status</option>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-state`}>State</label>
        <select
          id={`${id}-state`}
          value={filters.state ?? ''}
          onChange={(event) => onChange({ ...filters, state: event.target.value || undefined })}
          data-testid="filter-state"
        >
          <option value="">any state</option>
          {states.map((state) => (
            <option key={state} value={state}>
              {state}
            </option>
          ))}
        </select>
      </div>
      <div className="field field--check">
        <input
          id={`${id}-retrying`}
          type="checkbox"
          checked={Boolean(filters.retrying)}
          onChange={(event) => onChange({ ...filters, retrying: event.target.checked || undefined })}
          data-testid="filter-retrying"
        />
        <label htmlFor={`${id}-retrying`}>retrying now</label>
      </div>
      <button type="button" className="btn" disabled={!active} onClick={() => onChange({})}>
        Clear filters
      </button>
    </form>
  );
}
