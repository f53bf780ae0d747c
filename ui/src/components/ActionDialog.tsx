/**
 * Confirming an operator action: what it will do (in the saga machine's own words where the API
 * sent `next`: the commands it sends, in order, and where the order ends), a required reason (it
 * goes into the saga's history), the reference for a step resolved by hand, the ops token when
 * the server asks for one, and the outcome.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { COMPENSATION_OF, isFinished, isForwardStep, STEPS, type StepName } from '../../../machines/index.ts';
import { ApiError, api } from '../api/client.ts';
import { keys } from '../api/queries.ts';
import { operatorName, opsToken } from '../api/session.ts';
import type { OrderDetail, ReplayPlan } from '../api/types.ts';
import { formatTime } from '../format.ts';
import { ACTION_LABEL, actionButtonClass, CONFIRM_LABEL, type DialogAction } from './action-labels.ts';
import { Dialog } from './Dialog.tsx';
import { planOf, PlanDetails } from './NextStepsCard.tsx';
import { ReplayTable, replayWouldChange } from './ReplayTable.tsx';

export { ACTION_LABEL, type DialogAction } from './action-labels.ts';

/** The step a stuck saga stopped at, where the order says. */
function stuckStepOf(order: OrderDetail): StepName | null {
  const step = order.context?.stuckStep ?? (order.status === 'stuck' ? order.lastError?.step : null);
  return step && Object.hasOwn(STEPS, step) ? (step as StepName) : null;
}

/** What the outside world calls the result of each step, for the reference field's hint. */
const REFERENCE_HINT: Record<StepName, string> = {
  reserveInventory: 'the reservation number in the warehouse system',
  chargePayment: "the payment provider's charge id",
  createShipment: "the carrier's parcel or tracking number",
  cancelShipment: "the carrier's cancellation number",
  refundPayment: "the payment provider's refund id",
  releaseInventory: 'the release number in the warehouse system',
};

/** The hand-written explanation, for replay and for a server that sends no `next`. */
function explain(action: DialogAction, order: OrderDetail): string {
  const stuckStep = stuckStepOf(order);
  switch (action) {
    case 'retry':
      return `Send ${stuckStep ?? 'the step the saga stopped at'} again as a new attempt, with a fresh round of attempts.`;
    case 'compensate':
      return 'Undo whatever may have happened (cancel the shipment, refund the payment, release the inventory) and end the order cancelled.';
    case 'cancel':
      return "The customer's cancel: undo what was done so far and end the order cancelled. Allowed until shipping begins.";
    case 'resolve':
      return `Record ${stuckStep ?? 'the stuck step'} as done by hand, with the reference the outside world gave it: the saga moves on as if the worker had answered.`;
    case 'fail':
      return `Record ${stuckStep ?? 'the stuck step'} as failed for good: a forward step compensates what came before it, a failed undo ends the order failed.`;
    case 'pause':
      return 'Hold the saga where it is: no new command goes out and no deadline runs until it is resumed; answers from workers still count (a step that answers meanwhile is recorded, and the next command waits).';
    case 'resume':
      return `Lift the hold${order.paused ? ` ${order.paused.actor} put on it` : ''}: the commands held meanwhile go out now, and the pending step gets a whole deadline afresh.`;
    case 'replay':
      return `Replay the recorded history through ${order.machineVersion ?? 'its machine'} and show where the result would differ. Changes nothing.${
        isFinished(order.status) ? ` The order is ${order.status}: a finished order is compared, never re-opened.` : ''
      }`;
  }
}

/** What marking the stuck step failed means, before anyone confirms it; read from the fail plan of the order's own machine version. */
function FailWarning({ step, order }: { step: StepName | null; order: OrderDetail }) {
  if (step && !isForwardStep(step)) {
    return (
      <p className="dialog__warning" role="note" data-testid="fail-warning">
        <strong>The order ends failed and needs a human.</strong> <span className="mono">{step}</span> is an undo: marking it failed stops
        the compensation here and nothing more is sent, so someone must {STEPS[step].does} (and undo what is left) by hand.
      </p>
    );
  }
  const failPlan = order.next?.plans.find((plan) => plan.action === 'fail');
  if (step && failPlan && !failPlan.commands.some((command) => command.step === COMPENSATION_OF[step])) {
    // Versions before order-saga@3 take the step as not having happened.
    return (
      <p className="dialog__warning" role="note" data-testid="fail-warning">
        <strong>
          On {order.machineVersion}, <span className="mono">{step}</span> is taken as not having happened: it is not undone.
        </strong>{' '}
        Should {STEPS[step].service} still {STEPS[step].does} after all (a hung attempt), nothing turns it away. Unless you know it
        cannot, compensate instead: that undoes the step too.
      </p>
    );
  }
  return (
    <p className="dialog__warning" role="note" data-testid="fail-warning">
      <strong>{step ? <span className="mono">{step}</span> : 'The step'}&apos;s outcome is not known, so it is undone too.</strong> Should{' '}
      {step ? `${STEPS[step].service} still ${STEPS[step].does}` : 'it still take effect'} after all, its undo reverses that or turns the late attempt away.
      What came before it is undone as well.
    </p>
  );
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
  const [reference, setReference] = useState('');
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
      return { kind: 'order', order: await api.act(order.orderId, action, reason.trim(), action === 'resolve' ? reference.trim() : undefined) };
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

  const needsReference = action === 'resolve';
  const incomplete = !reason.trim() || (needsReference && !reference.trim()) || (askToken && !token.trim());
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (incomplete || mutation.isPending) return;
    mutation.mutate('preview');
  };
  const plan = action === 'replay' ? undefined : planOf(order, action);
  const stuckStep = stuckStepOf(order);

  const error = mutation.error;
  const title = `${ACTION_LABEL[action]} · ${order.orderId}`;

  if (outcome) {
    // A finished saga's outcome is settled: replay only compares it (the server answers 409 to a real one).
    const canApply = outcome.kind === 'replay' && replayWouldChange(outcome.result) && !isFinished(order.status);
    return (
      <Dialog title={title} onClose={onClose} wide={outcome.kind !== 'order'}>
        {outcome.kind === 'order' ? (
          <p className="dialog__result" role="status">
            Done. The order is now <strong>{outcome.order.state}</strong> ({outcome.order.status}
            {outcome.order.paused ? ', paused' : ''}); the timeline shows the action with your reason{action === 'resolve' ? ' and the reference' : ''}.
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
    <Dialog title={title} onClose={onClose} wide={plan !== undefined && plan.commands.length > 1}>
      <form onSubmit={submit} className="form">
        {plan ? <PlanDetails plan={plan} /> : <p className="dialog__explain">{explain(action, order)}</p>}
        {action === 'fail' && <FailWarning step={stuckStep} order={order} />}
        {action === 'resume' && order.paused && (
          <p className="dialog__note" role="note" data-testid="resume-note">
            Paused by {order.paused.actor} since {formatTime(order.paused.at)}: {order.paused.reason}
          </p>
        )}
        {action === 'resolve' && (
          <>
            <p className="dialog__note" role="note">
              Only for what was really done outside the system: {stuckStep ? <span className="mono">{stuckStep}</span> : 'the stuck step'} counts
              as {stuckStep ? STEPS[stuckStep].service : 'the worker'} having done it, with your reference, and the saga moves on.
            </p>
            <label htmlFor={`${ids}-reference`}>
              Reference{' '}
              <span className="req">
                (required: what the outside world calls what was done{stuckStep ? `, e.g. ${REFERENCE_HINT[stuckStep]}` : ''})
              </span>
            </label>
            <input
              id={`${ids}-reference`}
              name="reference"
              required
              maxLength={200}
              autoComplete="off"
              spellCheck={false}
              className="mono"
              value={reference}
              onChange={(event) => setReference(event.target.value)}
              data-autofocus
            />
          </>
        )}
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
          data-autofocus={needsReference ? undefined : true}
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
            className={`btn ${action === 'replay' || action === 'resolve' || action === 'pause' ? 'btn--primary' : actionButtonClass(action)}`}
            disabled={incomplete || mutation.isPending}
          >
            {mutation.isPending ? 'Working…' : (CONFIRM_LABEL[action] ?? `Confirm ${ACTION_LABEL[action].toLowerCase()}`)}
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
