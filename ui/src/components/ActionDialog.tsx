/**
 * Confirming an operator action: what it will do, a required reason (it goes into the
 * saga's history), the ops token when the server asks for one, and the outcome.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { isFinished } from '../../../machines/index.ts';
import { ApiError, api } from '../api/client.ts';
import { keys } from '../api/queries.ts';
import { operatorName, opsToken } from '../api/session.ts';
import type { OperatorAction, OrderDetail, ReplayPlan } from '../api/types.ts';
import { Dialog } from './Dialog.tsx';
import { ReplayTable, replayWouldChange } from './ReplayTable.tsx';

export type DialogAction = OperatorAction | 'replay';

export const ACTION_LABEL: Record<DialogAction, string> = {
  retry: 'Retry',
  compensate: 'Compensate',
  cancel: 'Cancel order',
  replay: 'Replay (dry run)',
};

function explain(action: DialogAction, order: OrderDetail): string {
  const stuckStep = order.context?.stuckStep;
  switch (action) {
    case 'retry':
      return `Send ${stuckStep ?? 'the step the saga stopped at'} again as a new attempt, with a fresh round of attempts.`;
    case 'compensate':
      return 'Undo whatever may have happened (cancel the shipment, refund the payment, release the inventory) and end the order cancelled.';
    case 'cancel':
      return "The customer's cancel: undo what was done so far and end the order cancelled. Allowed until shipping begins.";
    case 'replay':
      return `Replay the recorded history through ${order.machineVersion ?? 'its machine'} and show where the result would differ. Changes nothing.${
        isFinished(order.status) ? ` The order is ${order.status}: a finished order is compared, never re-opened.` : ''
      }`;
  }
}

type Outcome =
  | { kind: 'order'; order: OrderDetail }
  | { kind: 'replay'; result: ReplayPlan }
  | { kind: 'replayed'; result: ReplayPlan; order: OrderDetail };

export function ActionDialog({
  action,
  order,
  tokenRequired,
  onClose,
}: {
  action: DialogAction;
  order: OrderDetail;
  tokenRequired: boolean;
  onClose: () => void;
}) {
  const client = useQueryClient();
  const ids = useId();
  const [reason, setReason] = useState('');
  const [actor, setActor] = useState(operatorName.get());
  const [token, setToken] = useState('');
  const [askToken, setAskToken] = useState(tokenRequired && !opsToken.get());
  // Kept apart from the mutation, so a dry run's result stays up while its replay is applied.
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const mutation = useMutation<Outcome, Error, 'preview' | 'apply'>({
    mutationFn: async (mode) => {
      if (askToken && token.trim()) opsToken.set(token);
      operatorName.set(actor);
      if (action === 'replay' && mode === 'apply') {
        const { plan, order: after } = await api.replay(order.orderId, reason.trim());
        return { kind: 'replayed', result: plan, order: after };
      }
      if (action === 'replay') return { kind: 'replay', result: await api.replayDryRun(order.orderId, reason.trim()) };
      return { kind: 'order', order: await api.act(order.orderId, action, reason.trim()) };
    },
    onSuccess: (result) => {
      setAskToken(false);
      setOutcome(result);
      if (result.kind !== 'replay') client.setQueryData(keys.order(order.orderId), result.order);
      void client.invalidateQueries({ queryKey: keys.order(order.orderId) });
      void client.invalidateQueries({ queryKey: keys.orders });
      void client.invalidateQueries({ queryKey: keys.overview });
    },
    onError: (error) => {
      // No token, a wrong one, or one that may only read: ask for an ops token right here.
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        setToken('');
        setAskToken(true);
      }
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!reason.trim() || (askToken && !token.trim()) || mutation.isPending) return;
    mutation.mutate('preview');
  };

  const error = mutation.error;
  const title = `${ACTION_LABEL[action]} · ${order.orderId}`;

  if (outcome) {
    // A finished saga's outcome is settled: replay only compares it (the server answers 409 to a real one).
    const canApply = outcome.kind === 'replay' && replayWouldChange(outcome.result) && !isFinished(order.status);
    return (
      <Dialog title={title} onClose={onClose} wide={outcome.kind !== 'order'}>
        {outcome.kind === 'order' ? (
          <p className="dialog__result" role="status">
            Done. The order is now <strong>{outcome.order.state}</strong> ({outcome.order.status}); the timeline shows the
            action with your reason.
          </p>
        ) : (
          <>
            <ReplayTable result={outcome.result} applied={outcome.kind === 'replayed'} />
            {outcome.kind === 'replayed' && (
              <p className="dialog__result" role="status">
                The order is now <strong>{outcome.order.state}</strong> on {outcome.order.machineVersion}.
              </p>
            )}
          </>
        )}
        {error && <ProblemMessage error={error} />}
        <footer className="dialog__footer">
          {canApply && (
            <button type="button" className="btn btn--danger" onClick={() => mutation.mutate('apply')} disabled={mutation.isPending}>
              {mutation.isPending ? 'Working…' : `Apply replay onto ${outcome.result.machineVersion}`}
            </button>
          )}
          <button type="button" className="btn btn--primary" onClick={onClose} autoFocus>
            Close
          </button>
        </footer>
      </Dialog>
    );
  }

  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={submit} className="form">
        <p className="dialog__explain">{explain(action, order)}</p>
        <label htmlFor={`${ids}-reason`}>
          Reason <span className="req">(required, kept in the history)</span>
        </label>
        <textarea
          id={`${ids}-reason`}
          name="reason"
          required
          maxLength={1000}
          rows={3}
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          data-autofocus
        />
        <label htmlFor={`${ids}-actor`}>Your name <span className="req">(optional, shown as the actor)</span></label>
        <input id={`${ids}-actor`} name="actor" maxLength={100} pattern="[A-Za-z0-9][A-Za-z0-9 ._@+\-]*" title="letters, digits, spaces or . _ @ + -" value={actor} onChange={(event) => setActor(event.target.value)} />
        {askToken && (
          <>
            <label htmlFor={`${ids}-token`}>
              Ops token <span className="req">(asked once, kept for this browser session)</span>
            </label>
            <input
              id={`${ids}-token`}
              name="token"
              type="password"
              autoComplete="off"
              required
              value={token}
              onChange={(event) => setToken(event.target.value)}
            />
          </>
        )}
        {error && <ProblemMessage error={error} />}
        <footer className="dialog__footer">
          <button type="button" className="btn" onClick={onClose}>
            Back
          </button>
          <button
            type="submit"
            className={`btn ${action === 'retry' || action === 'replay' ? 'btn--primary' : 'btn--danger'}`}
            disabled={!reason.trim() || (askToken && !token.trim()) || mutation.isPending}
          >
            {mutation.isPending ? 'Working…' : `Confirm ${ACTION_LABEL[action].toLowerCase()}`}
          </button>
        </footer>
      </form>
    </Dialog>
  );
}

/** An API problem (status, title and the server's detail) or any other error, for the person acting. */
function ProblemMessage({ error }: { error: Error }) {
  return (
    <p className="form__error" role="alert">
      {error instanceof ApiError && error.status ? `${error.status} ${error.title}: ` : ''}
      {error instanceof ApiError ? error.detail : error.message}
    </p>
  );
}
