/**
 * Where orders are right now: counts per status, sagas retrying and paused, the load in front of the sagas,
 * and the statechart as a heat map of sagas per state. Clicking a status, a state node or a state
 * chip filters the list.
 */
import { useCallback } from 'react';
import { CURRENT_MACHINE_VERSION, machineFor } from '../../../machines/index.ts';
import { useConfig, useOverview } from '../api/queries.ts';
import { STATUSES, type OrderFilters, type SagaStatus } from '../api/types.ts';
import { formatCount } from '../format.ts';
import { graphOf } from '../statechart/graph.ts';
import { Statechart } from '../statechart/Statechart.tsx';
import { IncidentsSection } from './IncidentsSection.tsx';
import { LoadSection } from './LoadSection.tsx';
import { ErrorMessage } from './states.tsx';

const NO_COUNTS: Record<string, number> = {};

export function OverviewPanel({ filters, onChange }: { filters: OrderFilters; onChange: (next: OrderFilters) => void }) {
  const overview = useOverview();
  const config = useConfig();
  let machine;
  try {
    machine = machineFor(config.data?.machineVersion ?? CURRENT_MACHINE_VERSION);
  } catch {
    machine = machineFor(CURRENT_MACHINE_VERSION);
  }
  const data = overview.data;
  const states = graphOf(machine).nodes.map((node) => node.id);
  const toggleStatus = (status: SagaStatus) =>
    onChange({ ...filters, status: filters.status === status ? undefined : status, retrying: undefined });
  const toggleState = useCallback(
    (state: string) => onChange({ ...filters, state: filters.state === state ? undefined : state }),
    [filters, onChange],
  );

  return (
    <section className="overview card" aria-labelledby="overview-title" data-testid="overview">
      <div className="overview__head">
        <h2 id="overview-title" className="card__title">
          Overview <span className="muted">· {data ? `${formatCount(data.total)} sagas` : '…'}</span>
        </h2>
        <div className="tiles" role="group" aria-label="Filter by status">
          {STATUSES.map((status) => (
            <button
              key={status}
              type="button"
              className={`tile tile--${status}`}
              aria-pressed={filters.status === status}
              onClick={() => toggleStatus(status)}
              data-testid={`tile-${status}`}
            >
              <span className="tile__count">{data ? formatCount(data.byStatus[status] ?? 0) : '–'}</span>
              <span className="tile__label">{status}</span>
            </button>
          ))}
          <button
            type="button"
            className="tile tile--retrying"
            aria-pressed={Boolean(filters.retrying)}
            onClick={() => onChange({ ...filters, retrying: filters.retrying ? undefined : true, status: undefined })}
            data-testid="tile-retrying"
          >
            <span className="tile__count">{data ? formatCount(data.retrying) : '–'}</span>
            <span className="tile__label">retrying now</span>
          </button>
          <button
            type="button"
            className="tile tile--paused"
            aria-pressed={filters.paused === true}
            onClick={() => onChange({ ...filters, paused: filters.paused === true ? undefined : true, status: undefined })}
            title="sagas an operator holds paused: no new command goes out and no deadline runs until they are resumed"
            data-testid="tile-paused"
          >
            <span className="tile__count">{data ? formatCount(data.paused ?? 0) : '–'}</span>
            <span className="tile__label">paused</span>
          </button>
        </div>
      </div>
      {overview.error && !data ? <ErrorMessage error={overview.error} what="the overview" retry={() => void overview.refetch()} /> : null}
      <LoadSection load={data?.load} stuck={data?.byStatus.stuck ?? 0} />
      <IncidentsSection />
      <Statechart
        machine={machine}
        counts={data?.byState ?? NO_COUNTS}
        selected={filters.state ?? null}
        onStateClick={toggleState}
        height={340}
        label="Sagas per state on the order-saga statechart"
      />
      <div className="chips" role="group" aria-label="Filter by state">
        {states.map((state) => (
          <button
            key={state}
            type="button"
            className="chip"
            aria-pressed={filters.state === state}
            onClick={() => toggleState(state)}
            data-state-chip={state}
          >
            <span className="mono">{state}</span> <span className="chip__count">{data ? formatCount(data.byState[state] ?? 0) : '–'}</span>
          </button>
        ))}
      </div>
    </section>
  );
}
