/**
 * `/orders/:orderId`: where this order's saga stands and why, how it got there, and what an
 * operator may do about it. `?step=N` shows the saga as it was after the N-th transition.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { isFinished, machineFor, type OrderSagaMachine } from '../../../machines/index.ts';
import { ApiError } from '../api/client.ts';
import { useConfig, useOrder } from '../api/queries.ts';
import type { OrderDetail } from '../api/types.ts';
import { ActionDialog } from '../components/ActionDialog.tsx';
import { ACTION_LABEL, actionButtonClass, type DialogAction } from '../components/action-labels.ts';
import { PausedBadge, RetryingBadge, StatusBadge } from '../components/badges.tsx';
import { ContextView } from '../components/ContextView.tsx';
import { NextStepsCard } from '../components/NextStepsCard.tsx';
import { OutcomeCard } from '../components/OutcomeCard.tsx';
import { PausedBanner } from '../components/PausedBanner.tsx';
import { PendingCard } from '../components/PendingCard.tsx';
import { ErrorMessage, Loading } from '../components/states.tsx';
import { TimeTravel } from '../components/TimeTravel.tsx';
import { Timeline } from '../components/Timeline.tsx';
import { formatMoney, formatRelative, formatTime } from '../format.ts';
import { useNow } from '../now.ts';
import { graphOf } from '../statechart/graph.ts';
import { visitedPath } from '../statechart/path.ts';
import { replayHistory } from '../statechart/replay.ts';
import { Statechart } from '../statechart/Statechart.tsx';

export function OrderDetailPage() {
  const { orderId = '' } = useParams();
  const query = useOrder(orderId);

  useEffect(() => {
    document.title = `${orderId} · saga inspector`;
  }, [orderId]);

  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/">← All orders</Link>
      </nav>
      {query.isLoading ? (
        <Loading what={`order ${orderId}`} />
      ) : query.error && !query.data ? (
        query.error instanceof ApiError && query.error.status === 404 ? (
          <div className="state-msg state-msg--empty" role="alert">
            <h1 className="h-plain">No order {orderId}</h1>
            <p>
              The orchestrator does not know this order id. <Link to={`/?q=${encodeURIComponent(orderId)}`}>Search for it</Link>.
            </p>
          </div>
        ) : (
          <ErrorMessage error={query.error} what={`order ${orderId}`} retry={() => void query.refetch()} />
        )
      ) : query.data ? (
        <OrderView order={query.data} />
      ) : null}
    </div>
  );
}

function notReplayable(order: OrderDetail, replayed: number): string {
  const stop = order.history[replayed];
  if (stop?.event === 'REPLAY') {
    return `row ${replayed + 1} moved the saga to another machine version; the browser does not rebuild the context past it (the chart shows the recorded state)`;
  }
  return `row ${replayed + 1} carries no recorded event, so the browser cannot replay past it (the chart shows the recorded state)`;
}

function machineOf(version: string | undefined): OrderSagaMachine | Error {
  if (!version) return new Error('the saga has not started yet');
  try {
    return machineFor(version);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function OrderView({ order }: { order: OrderDetail }) {
  const now = useNow(1000);
  const config = useConfig();
  const [params, setParams] = useSearchParams();
  const [dialog, setDialog] = useState<DialogAction | null>(null);
  const machine = useMemo(() => machineOf(order.machineVersion), [order.machineVersion]);
  const last = order.history.length - 1;
  const requested = Number(params.get('step'));
  const selected = Number.isInteger(requested) && requested >= 1 && requested <= last + 1 ? requested - 1 : last;
  const latest = selected === last;
  const select = (index: number) => {
    const next = new URLSearchParams(params);
    if (index >= last) next.delete('step');
    else next.set('step', String(index + 1));
    setParams(next, { replace: true });
  };

  const replay = useMemo(
    () => (machine instanceof Error || order.history.length === 0 ? null : replayHistory(machine, order)),
    [machine, order],
  );
  const graph = machine instanceof Error ? null : graphOf(machine);
  const path = useMemo(
    () => (graph ? visitedPath(graph, order.history.slice(0, selected + 1)) : null),
    [graph, order.history, selected],
  );
  const replayed = replay?.[selected];
  const shownState = latest ? order.state : (replayed?.state ?? order.history[selected]?.to ?? order.state);
  const shownContext = latest ? order.context : replayed?.context;
  const final = isFinished(order.status);
  const actions: DialogAction[] = [...order.allowedActions, ...(order.machineVersion ? (['replay'] as const) : [])];

  return (
    <>
      <header className="detail-head">
        <div className="detail-head__title">
          <h1>
            <span className="muted h-label">Order</span> <span className="mono" data-testid="order-id">{order.orderId}</span>
          </h1>
          <div className="detail-head__badges">
            <StatusBadge status={order.status} />
            {order.paused ? (
              <PausedBadge hold={order.paused} />
            ) : (
              order.pending?.retrying && <RetryingBadge attempt={order.pending.attempt} maxAttempts={order.pending.maxAttempts} />
            )}
          </div>
        </div>
        <dl className="meta">
          <div>
            <dt>state</dt>
            <dd className="mono" data-testid="order-state">{order.state}</dd>
          </div>
          <div>
            <dt>machine</dt>
            <dd className="mono">{order.machineVersion ?? '—'}</dd>
          </div>
          <div>
            <dt>customer</dt>
            <dd data-testid="order-customer">
              <Link to={`/?customerId=${encodeURIComponent(order.customerId)}`} title="Every order of this customer">
                {order.customerId}
              </Link>
            </dd>
          </div>
          <div>
            <dt>total</dt>
            <dd>{formatMoney(order.totalCents, order.currency)}</dd>
          </div>
          <div>
            <dt>created</dt>
            <dd title={formatTime(order.createdAt)}>{formatRelative(order.createdAt, now)}</dd>
          </div>
          <div>
            <dt>trace</dt>
            <dd>
              {order.traceUrl ? (
                <a href={order.traceUrl} target="_blank" rel="noopener noreferrer" data-testid="trace-link" className="mono">
                  {order.traceId ? `${order.traceId.slice(0, 12)}…` : 'open trace'} ↗
                </a>
              ) : (
                <span className="muted">no trace</span>
              )}
            </dd>
          </div>
        </dl>
        <div className="actions" role="group" aria-label="Operator actions">
          {actions.map((action) => (
            <button
              key={action}
              type="button"
              className={`btn ${actionButtonClass(action)}`}
              onClick={() => setDialog(action)}
            >
              {ACTION_LABEL[action]}
            </button>
          ))}
        </div>
      </header>

      {order.paused && <PausedBanner hold={order.paused} now={now} />}

      {order.state === 'submitted' && (
        <p className="notice" role="status">
          Submitted and stored; the saga starts in a moment.
        </p>
      )}

      <div className="detail-summary">
        <PendingCard order={order} now={now} />
        <OutcomeCard order={order} />
        <section className="card" aria-labelledby="items-title">
          <h2 id="items-title" className="card__title">
            Items
          </h2>
          <ul className="items">
            {order.items.map((item, index) => (
              <li key={index}>
                <span className="mono">{item.sku}</span> × {item.quantity}{' '}
                <span className="muted">@ {formatMoney(item.unitPriceCents, order.currency)}</span>
              </li>
            ))}
          </ul>
          <p className="strong">Total {formatMoney(order.totalCents, order.currency)}</p>
        </section>
      </div>

      <NextStepsCard order={order} onAct={setDialog} />

      <section className="card" aria-labelledby="chart-title">
        <div className="card__head">
          <h2 id="chart-title" className="card__title">
            Statechart{' '}
            <span className="muted">
              · {latest ? 'now' : `after step ${selected + 1} of ${last + 1}`} in <span className="mono">{shownState}</span>
            </span>
          </h2>
        </div>
        {machine instanceof Error ? (
          <p className="muted">Statechart unavailable: {machine.message}.</p>
        ) : (
          <Statechart
            machine={machine}
            current={shownState}
            visited={path}
            height={440}
            label={`Statechart of ${order.orderId}, in ${shownState}`}
          />
        )}
        {order.history.length > 0 && (
          <TimeTravel
            history={order.history}
            selected={selected}
            onSelect={select}
            problem={replayed?.problem ?? (replay && selected >= replay.length ? notReplayable(order, replay.length) : null)}
          />
        )}
      </section>

      <section className="card" aria-labelledby="timeline-title">
        <h2 id="timeline-title" className="card__title">
          Timeline <span className="muted">· {order.history.length} transitions</span>
        </h2>
        {order.history.length === 0 ? (
          <p className="muted">No transitions yet.</p>
        ) : (
          <Timeline history={order.history} final={final} now={now} selected={selected} onSelect={select} />
        )}
      </section>

      <section className="card" aria-labelledby="context-title">
        <h2 id="context-title" className="card__title">
          Context <span className="muted">· {latest ? 'now' : `after step ${selected + 1} (replayed in the browser)`}</span>
        </h2>
        {shownContext ? (
          <ContextView context={shownContext} deadline={latest ? (order.pending?.deadline ?? null) : undefined} held={latest && Boolean(order.paused)} now={now} />
        ) : (
          <p className="muted">Not available for this step.</p>
        )}
      </section>

      {dialog && (
        <ActionDialog
          action={dialog}
          order={order}
          tokenRequired={config.data?.opsTokenRequired ?? false}
          onClose={() => setDialog(null)}
        />
      )}
    </>
  );
}
