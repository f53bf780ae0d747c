/** Filters of the orders list; they live in the URL so a filtered list is a link. */
import { useEffect, useId, useState, type RefObject } from 'react';
import { STATUSES, type OrderFilters, type SagaStatus } from '../api/types.ts';
import { isFiltered } from '../views/filters-url.ts';

export function Filters({
  filters,
  states,
  onChange,
  searchRef,
}: {
  filters: OrderFilters;
  states: string[];
  onChange: (next: OrderFilters) => void;
  searchRef?: RefObject<HTMLInputElement | null>;
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
  const active = isFiltered(filters);

  return (
    <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
      <div className="field field--grow">
        <label htmlFor={`${id}-q`}>Search</label>
        <input
          ref={searchRef}
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
      <div className="field field--check">
        <input
          id={`${id}-stalled`}
          type="checkbox"
          checked={Boolean(filters.stalled)}
          onChange={(event) => onChange({ ...filters, stalled: event.target.checked || undefined })}
          data-testid="filter-stalled"
        />
        <label htmlFor={`${id}-stalled`} title="running with no transition for STUCK_AFTER_MS">
          stalled
        </label>
      </div>
      <div className="field field--check">
        <input
          id={`${id}-paused`}
          type="checkbox"
          checked={filters.paused === true}
          onChange={(event) => onChange({ ...filters, paused: event.target.checked || undefined })}
          data-testid="filter-paused"
        />
        <label htmlFor={`${id}-paused`} title="held by an operator: no new command goes out and no deadline runs until resumed">
          paused
        </label>
      </div>
      {filters.paused === false && <FilterChip label="hold" value="not paused" onRemove={() => onChange({ ...filters, paused: undefined })} />}
      {filters.customerId && (
        <FilterChip label="customer" value={filters.customerId} onRemove={() => onChange({ ...filters, customerId: undefined })} />
      )}
      {filters.incident && <FilterChip label="incident" value={filters.incident} onRemove={() => onChange({ ...filters, incident: undefined })} />}
      <button type="button" className="btn" disabled={!active} onClick={() => onChange({})}>
        Clear filters
      </button>
    </form>
  );
}

/** A filter that came with a link (a customer, an incident) and has no field of its own. */
function FilterChip({ label, value, onRemove }: { label: string; value: string; onRemove: () => void }) {
  return (
    <span className="filter-chip" data-filter={label}>
      <span className="muted">{label}</span> <span className="mono filter-chip__value" title={value}>{value}</span>
      <button type="button" className="btn btn--ghost btn--small" aria-label={`Remove the ${label} filter`} onClick={onRemove}>
        ✕
      </button>
    </span>
  );
}
