/** Step through an order's history; the statechart and context follow. */
import { useId } from 'react';
import type { HistoryRow } from '../api/types.ts';
import { formatTime } from '../format.ts';

export function TimeTravel({
  history,
  selected,
  onSelect,
  problem,
}: {
  history: HistoryRow[];
  selected: number;
  onSelect: (index: number) => void;
  problem: string | null;
}) {
  const id = useId();
  const last = history.length - 1;
  const row = history[selected];
  return (
    <div className="time-travel" data-testid="time-travel">
      <button type="button" className="btn btn--small" onClick={() => onSelect(0)} disabled={selected === 0}>
        « First
      </button>
      <button type="button" className="btn btn--small" onClick={() => onSelect(selected - 1)} disabled={selected === 0}>
        ‹ Prev
      </button>
      <label htmlFor={`${id}-slider`} className="sr-only">
        Step through the history
      </label>
      <input
        id={`${id}-slider`}
        type="range"
        min={0}
        max={last}
        step={1}
        value={selected}
        onChange={(event) => onSelect(Number(event.target.value))}
        aria-valuetext={row ? `step ${selected + 1} of ${last + 1}: ${row.event}` : undefined}
        disabled={last === 0}
      />
      <button type="button" className="btn btn--small" onClick={() => onSelect(selected + 1)} disabled={selected === last}>
        Next ›
      </button>
      <button type="button" className="btn btn--small" onClick={() => onSelect(last)} disabled={selected === last}>
        Now »
      </button>
      <div className="time-travel__where" aria-live="polite" data-testid="time-travel-where">
        {row && (
          <>
            step {selected + 1} of {last + 1}: <span className="mono">{row.event}</span> → <span className="mono">{row.to}</span>{' '}
            <span className="muted small">{formatTime(row.at)}</span>
          </>
        )}
        {problem && <div className="warn-text small">⚠ {problem}</div>}
      </div>
    </div>
  );
}
