/**
 * A bulk action over a filter (one incident group, or the orders list's filters): the reason
 * first, then a dry run (how many sagas the filter covers now, and which), then the job applied
 * to that set, followed to its end. The same POST /api/bulk as `saga-ctl bulk`; every act lands
 * in each saga's history and the audit trail with the reason.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client.ts';
import { operations, type BulkAction, type BulkDryRun, type BulkJob, type SagaFilter } from '../api/operations.ts';
import { keys } from '../api/queries.ts';
import { operatorName, opsToken } from '../api/session.ts';
import { Dialog } from './Dialog.tsx';
import './operations.css';

export const BULK_LABEL: Record<BulkAction, string> = { retry: 'Retry', compensate: 'Compensate', pause: 'Pause', resume: 'Resume' };
const DONE: Record<BulkAction, string> = { retry: 'retried', compensate: 'compensated', pause: 'paused', resume: 'resumed' };

/** The look of a bulk action's button: retry and resume move sagas on, pause holds them, compensate undoes. */
export function bulkButtonClass(action: BulkAction): string {
  if (action === 'retry' || action === 'resume') return 'btn--primary';
  return action === 'compensate' ? 'btn--danger' : '';
}

/** What a bulk action runs over: its filter, and how to say which sagas those are. */
export interface BulkScope {
  /** After the action in the dialog's title: an incident's title, or the filter in words. */
  title: string;
  filter: SagaFilter;
  /** Which sagas, after "every saga": "of this incident", "matching the list's filters". */
  of: string;
  /** The step a retry sends again, where the scope has one. */
  step?: string;
}

function explain(action: BulkAction, scope: BulkScope): string {
  switch (action) {
    case 'retry':
      return `Send ${scope.step ?? 'the step each saga stopped at'} again, with a fresh round of attempts, for every saga ${scope.of}.`;
    case 'compensate':
      return `Undo whatever may have happened for every saga ${scope.of} (cancel the shipment, refund, release the inventory) and end each order cancelled.`;
    case 'pause':
      return `Pause every saga ${scope.of}: no new command goes out and no deadline runs until each is resumed; answers from workers still count. Orders that have ended are refused and stay as they are.`;
    case 'resume':
      return `Resume every paused saga ${scope.of}: the commands held meanwhile go out, and each pending step gets a whole deadline afresh.`;
  }
}

type Phase = { kind: 'form' } | { kind: 'preview'; dryRun: BulkDryRun } | { kind: 'job'; jobId: string };

export function BulkDialog({ action, scope, tokenRequired, onClose }: { action: BulkAction; scope: BulkScope; tokenRequired: boolean; onClose: () => void }) {
  const client = useQueryClient();
  const ids = useId();
  const [reason, setReason] = useState('');
  const [actor, setActor] = useState(operatorName.get());
  const [token, setToken] = useState('');
  const [askToken, setAskToken] = useState(tokenRequired && !opsToken.get());
  const [phase, setPhase] = useState<Phase>({ kind: 'form' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  const run = async (step: () => Promise<void>) => {
    if (askToken && token.trim()) opsToken.set(token);
    operatorName.set(actor);
    setBusy(true);
    setError(null);
    try {
      await step();
      setAskToken(false);
    } catch (failure) {
      setError(failure as Error);
      // No token, a wrong one, or one that may only read: ask for an ops token right here.
      if (failure instanceof ApiError && (failure.status === 401 || failure.status === 403)) {
        setToken('');
        setAskToken(true);
      }
    } finally {
      setBusy(false);
    }
  };

  const dryRun = (event: FormEvent) => {
    event.preventDefault();
    if (!reason.trim() || (askToken && !token.trim()) || busy) return;
    void run(async () => setPhase({ kind: 'preview', dryRun: await operations.bulkDryRun(action, scope.filter, reason.trim()) }));
  };

  const apply = () =>
    void run(async () => {
      const job = await operations.bulkStart(action, scope.filter, reason.trim());
      setPhase({ kind: 'job', jobId: job.id });
      void client.invalidateQueries({ queryKey: keys.overview });
      void client.invalidateQueries({ queryKey: keys.orders });
    });

  const title = `${BULK_LABEL[action]} · ${scope.title}`;

  if (phase.kind === 'job') return <JobProgress title={title} jobId={phase.jobId} onClose={onClose} />;

  if (phase.kind === 'preview') {
    const { matched, sample } = phase.dryRun;
    return (
      <Dialog title={title} onClose={onClose}>
        <div className="bulk-preview" data-testid="bulk-preview">
          <p role="status">
            Dry run: <strong data-testid="bulk-matched">{matched}</strong> {matched === 1 ? 'saga' : 'sagas'} {scope.of} would be {DONE[action]}. Nothing
            has changed yet.
          </p>
          {sample.length > 0 && (
            <p className="bulk-preview__sample">
              For example:{' '}
              {sample.slice(0, 8).map((orderId) => (
                <Link key={orderId} to={`/orders/${encodeURIComponent(orderId)}`} className="mono" onClick={onClose}>
                  {orderId}
                </Link>
              ))}
              {matched > 8 ? ' …' : ''}
            </p>
          )}
        </div>
        {error && <Problem error={error} />}
        <footer className="dialog__footer">
          <button type="button" className="btn" onClick={() => setPhase({ kind: 'form' })} disabled={busy}>
            Back
          </button>
          <button type="button" className={`btn ${bulkButtonClass(action)}`} onClick={apply} disabled={busy || matched === 0} data-testid="bulk-apply">
            {busy ? 'Starting…' : `${BULK_LABEL[action]} ${matched} ${matched === 1 ? 'saga' : 'sagas'}`}
          </button>
        </footer>
      </Dialog>
    );
  }

  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={dryRun} className="form" data-testid="bulk-form">
        <p className="dialog__explain">{explain(action, scope)} A dry run shows how many it covers before anything changes.</p>
        <label htmlFor={`${ids}-reason`}>
          Reason <span className="req">(required, kept in every saga&apos;s history)</span>
        </label>
        <textarea id={`${ids}-reason`} name="reason" required maxLength={1000} rows={3} value={reason} onChange={(event) => setReason(event.target.value)} data-autofocus />
        <label htmlFor={`${ids}-actor`}>
          Your name <span className="req">(optional, shown as the actor)</span>
        </label>
        <input id={`${ids}-actor`} name="actor" maxLength={100} pattern="[A-Za-z0-9][A-Za-z0-9 ._@+\-]*" title="letters, digits, spaces or . _ @ + -" value={actor} onChange={(event) => setActor(event.target.value)} />
        {askToken && (
          <>
            <label htmlFor={`${ids}-token`}>
              Ops token <span className="req">(asked once, kept for this browser session)</span>
            </label>
            <input id={`${ids}-token`} name="token" type="password" autoComplete="off" required value={token} onChange={(event) => setToken(event.target.value)} />
          </>
        )}
        {error && <Problem error={error} />}
        <footer className="dialog__footer">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn--primary" disabled={!reason.trim() || (askToken && !token.trim()) || busy} data-testid="bulk-dry-run">
            {busy ? 'Counting…' : 'Dry run'}
          </button>
        </footer>
      </form>
    </Dialog>
  );
}

/** The job, polled until it ends. */
function JobProgress({ title, jobId, onClose }: { title: string; jobId: string; onClose: () => void }) {
  const client = useQueryClient();
  const job = useQuery({
    queryKey: ['bulk', jobId],
    queryFn: ({ signal }) => operations.bulkJob(jobId, signal),
    refetchInterval: (query) => (query.state.data && query.state.data.state !== 'running' ? false : 500),
  });
  const data: BulkJob | undefined = job.data;
  const finished = Boolean(data && data.state !== 'running');
  // The sagas moved: the counts, the incidents and the list are worth reading again.
  useEffect(() => {
    if (!finished) return;
    void client.invalidateQueries({ queryKey: keys.overview });
    void client.invalidateQueries({ queryKey: keys.orders });
  }, [finished, client]);
  return (
    <Dialog title={title} onClose={onClose}>
      <div className="bulk-job" data-testid="bulk-job" data-state={data?.state ?? 'starting'}>
        {data ? (
          <>
            <progress max={Math.max(1, data.total)} value={data.done} aria-label="Progress" />
            <p role="status">
              Job <span className="mono">{data.id}</span> is <strong>{data.state}</strong>: {data.done} of {data.total} done — applied {data.applied}, refused{' '}
              {data.refused}, failed {data.failed}.
            </p>
            {finished && data.results.some((r) => r.result !== 'applied') && (
              <ul className="bulk-job__results">
                {data.results
                  .filter((r) => r.result !== 'applied')
                  .slice(0, 5)
                  .map((r) => (
                    <li key={r.orderId}>
                      <span className="mono">{r.orderId}</span> {r.result}: {r.detail}
                    </li>
                  ))}
              </ul>
            )}
          </>
        ) : job.error ? (
          <Problem error={job.error} />
        ) : (
          <p role="status">Starting…</p>
        )}
      </div>
      <footer className="dialog__footer">
        <button type="button" className="btn btn--primary" onClick={onClose} autoFocus data-testid="bulk-close">
          {finished ? 'Close' : 'Close (the job goes on)'}
        </button>
      </footer>
    </Dialog>
  );
}

function Problem({ error }: { error: Error }) {
  return (
    <p className="form__error" role="alert">
      {error instanceof ApiError && error.status ? `${error.status} ${error.title}: ` : ''}
      {error instanceof ApiError ? error.detail : error.message}
    </p>
  );
}
