/**
 * Incidents on the overview: stuck, failed and retrying sagas grouped by step and normalised
 * error, largest first ("412 stuck at createShipment: carrier timeout"), each with its first
 * and last time seen, the newest orders, and the bulk actions over exactly that group (a dry
 * run first), or the group's export.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useConfig } from '../api/queries.ts';
import { incidentsKey, operations, type BulkAction, type IncidentGroup } from '../api/operations.ts';
import { formatAge, formatCount } from '../format.ts';
import { useNow } from '../now.ts';
import { ExportButton } from './ExportButton.tsx';
import { bulkButtonClass } from './BulkDialog.tsx';
import { IncidentBulkDialog } from './IncidentBulkDialog.tsx';
import { ErrorMessage } from './states.tsx';
import './operations.css';

const KIND_ICON: Record<IncidentGroup['kind'], string> = { stuck: '⚠', failed: '✕', retrying: '↻' };
const ACTION_LABEL: Record<BulkAction, string> = { retry: 'Retry…', compensate: 'Compensate…', pause: 'Pause…', resume: 'Resume…' };

/** Polled besides the live feed's refreshes: first and last seen move without a new saga. */
function useIncidents() {
  return useQuery({ queryKey: incidentsKey, queryFn: ({ signal }) => operations.incidents(signal), refetchInterval: 5000 });
}

export function IncidentsSection() {
  const incidents = useIncidents();
  const config = useConfig();
  const now = useNow(5000);
  const [acting, setActing] = useState<{ action: BulkAction; group: IncidentGroup } | null>(null);
  const data = incidents.data;

  return (
    <section className="incidents" aria-labelledby="incidents-title" data-testid="incidents">
      <div className="incidents__head">
        <h3 id="incidents-title" className="incidents__title">
          Incidents{' '}
          <span className="muted" data-testid="incidents-summary">
            · {data ? (data.groupCount === 0 ? 'none' : `${formatCount(data.sagas)} ${data.sagas === 1 ? 'saga' : 'sagas'} in ${data.groupCount} ${data.groupCount === 1 ? 'group' : 'groups'}`) : '…'}
          </span>
        </h3>
        <span className="muted small">stuck, failed and retrying sagas, grouped by step and error</span>
      </div>
      {incidents.error && !data ? <ErrorMessage error={incidents.error} what="the incidents" retry={() => void incidents.refetch()} /> : null}
      {data && data.groups.length === 0 && <p className="incidents__none">Nothing is stuck, failed or retrying.</p>}
      {data && data.groups.length > 0 && (
        <div className="table-scroll">
          <table className="table incidents__table">
            <thead>
              <tr>
                <th scope="col" className="num">
                  sagas
                </th>
                <th scope="col">cause</th>
                <th scope="col" className="num">
                  first seen
                </th>
                <th scope="col" className="num">
                  last seen
                </th>
                <th scope="col">newest</th>
                <th scope="col">act on the group</th>
              </tr>
            </thead>
            <tbody>
              {data.groups.map((group) => (
                <tr key={group.key} className={`incident incident--${group.kind}`} data-incident={group.key} data-kind={group.kind} data-step={group.step}>
                  <td className="num incident__count">{formatCount(group.count)}</td>
                  <td className="incident__cause">
                    <span className={`badge badge--${group.kind}`}>
                      <span aria-hidden="true">{KIND_ICON[group.kind]}</span> {group.kind}
                    </span>{' '}
                    at <span className="mono">{group.step}</span>
                    {group.errorKind && <span className="muted small"> · {group.errorKind}</span>}
                    <div className="incident__error" title={group.example ? `e.g. ${group.example.orderId}: ${group.example.message}` : undefined}>
                      {group.error}
                    </div>
                  </td>
                  <td className="num nowrap" title={group.firstSeen}>
                    {formatAge(group.firstSeen, now)} ago
                  </td>
                  <td className="num nowrap" title={group.lastSeen}>
                    {formatAge(group.lastSeen, now)} ago
                  </td>
                  <td className="incident__sample">
                    {group.sample.slice(0, 3).map((orderId) => (
                      <Link key={orderId} to={`/orders/${encodeURIComponent(orderId)}`} className="mono" title={orderId}>
                        {orderId.slice(0, 14)}…
                      </Link>
                    ))}
                  </td>
                  <td className="incident__actions">
                    {group.actions.map((action) => (
                      <button
                        key={action}
                        type="button"
                        className={`btn btn--small ${bulkButtonClass(action)}`}
                        onClick={() => setActing({ action, group })}
                        data-action={action}
                      >
                        {ACTION_LABEL[action]}
                      </button>
                    ))}
                    <Link to={`/?incident=${encodeURIComponent(group.key)}`} className="btn btn--small" data-testid="incident-show" title="List exactly these orders below">
                      Show
                    </Link>
                    <ExportButton filters={group.filter} compact label={`Export the ${group.count} orders of this incident`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.groupCount > data.groups.length && (
            <p className="muted small">
              The {data.groups.length} largest of {data.groupCount} groups; <code>GET /api/incidents?limit=500</code> lists more.
            </p>
          )}
        </div>
      )}
      {acting && (
        <IncidentBulkDialog action={acting.action} group={acting.group} tokenRequired={Boolean(config.data?.opsTokenRequired)} onClose={() => setActing(null)} />
      )}
    </section>
  );
}
