/** The dry-run replay: each recorded transition next to what the machine does with it now. */
import type { ReplayPlan } from '../api/types.ts';

/** Whether a real replay would change anything: the path differs, or the saga would move version. */
export function replayWouldChange(result: ReplayPlan): boolean {
  return result.firstDivergence !== null || (result.recordedVersion !== undefined && result.recordedVersion !== result.machineVersion);
}

export function ReplayTable({ result, applied }: { result: ReplayPlan; applied?: boolean }) {
  const diverged = result.firstDivergence;
  const from = result.recordedVersion && result.recordedVersion !== result.machineVersion ? ` (the saga is on ${result.recordedVersion})` : '';
  const changed = applied ? ' The replay was applied: the saga moved on from there.' : ' Nothing was changed.';
  return (
    <div className="replay">
      <p role="status" className={diverged === null ? 'ok-text' : 'warn-text'}>
        {diverged === null
          ? `Replaying all ${result.steps.length} events through ${result.machineVersion}${from} gives the same path.${changed}`
          : `Replay through ${result.machineVersion}${from} first differs at step ${diverged + 1}.${changed}`}
        {result.finalState && (
          <>
            {' '}
            Final state: recorded <span className="mono">{result.finalState.recorded}</span>, replayed{' '}
            <span className="mono">{result.finalState.replayed}</span>.
          </>
        )}
      </p>
      <div className="table-scroll">
        <table className="table table--compact">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">event</th>
              <th scope="col">recorded</th>
              <th scope="col">replayed</th>
            </tr>
          </thead>
          <tbody>
            {result.steps.map((step, index) => (
              <tr key={index} className={step.differs ? 'row--differs' : undefined}>
                <td>{index + 1}</td>
                <td className="mono">{step.event}</td>
                <td className="mono">
                  {step.recorded.from ?? '∅'} → {step.recorded.to}
                </td>
                <td className="mono">
                  {step.replayed ? `${step.replayed.from ?? '∅'} → ${step.replayed.to ?? '—'}` : 'not accepted'}
                  {step.differs && <span className="badge badge--failed">differs</span>}
                  {step.note && <div className="muted small">{step.note}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
