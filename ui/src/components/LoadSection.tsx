/**
 * The load in front of the sagas, in the overview: orders waiting to start, sagas running against
 * the limit, commands waiting per service, the pace of finishing and when the backlog clears. In a
 * spike it says in one sentence whether it is only volume.
 */
import { SERVICES } from '../../../machines/index.ts';
import type { Load } from '../api/types.ts';
import { formatCount, formatEstimate, formatRate } from '../format.ts';

type Mood = 'busy' | 'steady' | 'quiet' | 'unknown';

const plural = (count: number, one: string, many: string) => `${formatCount(count)} ${count === 1 ? one : many}`;

/** When the orders waiting now are done: a number only when sagas are finishing. */
export function backlogText(load: Load): string {
  if (load.submissionsWaiting === 0) return 'no backlog';
  if (load.clearsInSeconds === null) return 'no estimate yet';
  return `backlog clears in ${formatEstimate(load.clearsInSeconds)}`;
}

/** The state of things in one sentence, and how it reads. */
export function describeLoad(load: Load | null, stuck: number): { mood: Mood; text: string } {
  if (!load) return { mood: 'unknown', text: 'Load unknown: JetStream did not report its queues just now.' };
  const stuckNote = stuck === 0 ? 'Nothing is stuck for it.' : `${plural(stuck, 'saga is', 'sagas are')} stuck and wait for an operator.`;
  if (load.submissionsWaiting > 0) {
    const waiting = plural(load.submissionsWaiting, 'order', 'orders');
    const pace =
      load.clearsInSeconds === null
        ? 'none finished in the last minute, so no estimate yet'
        : `draining at ${formatRate(load.finishedPerSecond)}, clears in ${formatEstimate(load.clearsInSeconds)}`;
    return { mood: 'busy', text: `Busy: ${waiting} waiting, ${pace}. ${stuckNote}` };
  }
  if (load.running > 0) return { mood: 'steady', text: `Steady: ${plural(load.running, 'saga', 'sagas')} running, no orders waiting to start.` };
  return { mood: 'quiet', text: 'Quiet: no orders waiting, no sagas running.' };
}

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="load__stat">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

export function LoadSection({ load, stuck }: { load: Load | null | undefined; stuck: number }) {
  if (load === undefined) return null;
  const { mood, text } = describeLoad(load, stuck);
  return (
    <section className="load" aria-labelledby="load-title" data-testid="load">
      <h3 id="load-title" className="load__title">
        Load
      </h3>
      <p className={`load__summary load__summary--${mood}`} data-testid="load-summary" aria-live="polite">
        {text}
      </p>
      {load && (
        <dl className="load__stats">
          <Stat label="orders waiting to start" value={formatCount(load.submissionsWaiting)} testId="load-waiting" />
          <Stat
            label="running / max active"
            value={`${formatCount(load.running)} / ${formatCount(load.maxActive)}`}
            testId="load-running"
          />
          <Stat label="finished per second" value={formatRate(load.finishedPerSecond)} testId="load-finished-rate" />
          <Stat label="backlog" value={backlogText(load)} testId="load-clears" />
          <div className="load__stat">
            <dt>commands waiting</dt>
            <dd data-testid="load-commands">
              {SERVICES.map((service) => (
                <span key={service} className="load__service">
                  {service} <span className="strong">{formatCount(load.commandsWaiting[service] ?? 0)}</span>
                </span>
              ))}
            </dd>
          </div>
          <Stat label="replies waiting" value={formatCount(load.repliesWaiting)} testId="load-replies" />
        </dl>
      )}
    </section>
  );
}
