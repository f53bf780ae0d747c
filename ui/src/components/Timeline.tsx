/**
 * The saga's history: every transition with its time, how long the saga then stayed in the
 * state it entered, and why (reply reference, failure message, operator reason).
 */
import { HOLD_EVENTS, type HistoryRow } from '../api/types.ts';
import { formatClock, formatDuration, formatTime } from '../format.ts';
import { Reference } from './Reference.tsx';
import './next-steps.css';

const FAILURE_EVENTS = /UNAVAILABLE|DECLINED|REJECTED|FAILED|TIMED_OUT/;
/**
 * An operator's acts; RESOLVE and FAIL record a stuck step done or failed by hand, PAUSE and
 * RESUME put a hold on the saga and lift it (the state stays: from and to are the same).
 */
const OPERATOR_EVENTS = new Set(['RETRY', 'COMPENSATE', 'CANCEL', 'RESOLVE', 'FAIL', ...HOLD_EVENTS]);
const BY_HAND: Record<string, string> = { RESOLVE: 'done by hand', FAIL: 'failed by hand', PAUSE: 'on hold', RESUME: 'hold lifted' };

/** The outside world's reference an operator gave with RESOLVE (the row's detail is the reason). */
function resolvedReference(row: HistoryRow): string | undefined {
  const payload = row.payload as { type?: unknown; reference?: unknown } | undefined;
  return row.event === 'RESOLVE' && typeof payload?.reference === 'string' && payload.reference ? payload.reference : undefined;
}

function rowClass(row: HistoryRow, selected: boolean): string {
  const classes = ['timeline-row'];
  if (FAILURE_EVENTS.test(row.event)) classes.push('timeline-row--failure');
  if (OPERATOR_EVENTS.has(row.event)) classes.push('timeline-row--operator');
  if (HOLD_EVENTS.has(row.event)) classes.push('timeline-row--hold');
  if (selected) classes.push('is-selected');
  return classes.join(' ');
}

export function Timeline({
  history,
  final,
  now,
  selected,
  onSelect,
}: {
  history: HistoryRow[];
  final: boolean;
  now: number;
  selected: number;
  onSelect: (index: number) => void;
}) {
  return (
    <div className="table-scroll">
      <table className="table timeline" data-testid="timeline">
        <thead>
          <tr>
            <th scope="col" className="col-num">#</th>
            <th scope="col">time</th>
            <th scope="col">event</th>
            <th scope="col">from → to</th>
            <th scope="col">time in state</th>
            <th scope="col">detail</th>
            <th scope="col">actor / worker</th>
          </tr>
        </thead>
        <tbody>
          {history.map((row, index) => {
            const next = history[index + 1];
            const at = Date.parse(row.at);
            const spent = next ? Date.parse(next.at) - at : final ? null : now - at;
            return (
              <tr key={row.eventId} className={rowClass(row, index === selected)} aria-current={index === selected ? 'step' : undefined} data-event={row.event}>
                <td className="col-num">
                  <button
                    type="button"
                    className="btn btn--link"
                    onClick={() => onSelect(index)}
                    aria-label={`Show the saga after step ${index + 1}, ${row.event}`}
                    title="Show the statechart and context as they were after this transition"
                  >
                    {index + 1}
                  </button>
                </td>
                <td className="nowrap mono small" title={formatTime(row.at)}>
                  {formatClock(row.at)}
                </td>
                <td className="mono event">
                  {row.event}
                  {BY_HAND[row.event] && <span className="timeline__by-hand">{BY_HAND[row.event]}</span>}
                </td>
                <td className="mono nowrap">
                  {row.from ?? '∅'} → <strong>{row.to}</strong>
                </td>
                <td className="nowrap">
                  {spent === null ? <span className="muted">final</span> : formatDuration(spent)}
                  {!next && !final && <span className="muted"> so far</span>}
                </td>
                <td className="detail">
                  {row.detail ?? ''}
                  {resolvedReference(row) && (
                    <div className="timeline__reference small" data-testid="resolved-reference">
                      <span className="muted">reference</span> <Reference value={resolvedReference(row)} what="reference" />
                    </div>
                  )}
                </td>
                <td className="small">
                  {row.actor && <div>actor: {row.actor}</div>}
                  {row.worker && <div className="mono">worker: {row.worker}</div>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
