/**
 * The orders list: fixed row heights and stable keys, so live updates change text in place
 * and never move what the operator is looking at. Each row is a link to the order.
 */
import { Link } from 'react-router';
import type { OrderSummary } from '../api/types.ts';
import { formatAge, formatMoney, formatTime } from '../format.ts';
import { useNow } from '../now.ts';
import { PausedBadge, RetryingBadge, StatusBadge } from './badges.tsx';

export function OrdersTable({ orders, loading }: { orders: OrderSummary[]; loading: boolean }) {
  // Ages tick here, so the rest of the page does not re-render every second.
  const now = useNow(1000);
  return (
    <div className="table-scroll">
      <table className="table orders" data-testid="orders-table" aria-busy={loading}>
        <colgroup>
          <col className="c-id" />
          <col className="c-status" />
          <col className="c-state" />
          <col className="c-customer" />
          <col className="c-total" />
          <col className="c-age" />
          <col className="c-in-state" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">order</th>
            <th scope="col">status</th>
            <th scope="col">current state</th>
            <th scope="col">customer</th>
            <th scope="col" className="num">total</th>
            <th scope="col" className="num">age</th>
            <th scope="col" className="num">in state</th>
          </tr>
        </thead>
        <tbody>
          {orders.map((order) => (
            <OrderRow key={order.orderId} order={order} now={now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function OrderRow({ order, now }: { order: OrderSummary; now: number }) {
  const retrying = order.retrying ?? (order.pending ? order.pending.attempt > 1 : false);
  return (
    <tr className={`order-row order-row--${order.status}`} data-order-id={order.orderId} data-status={order.status} data-paused={order.paused ? 'true' : undefined}>
      <td className="mono cell-id">
        <Link to={`/orders/${encodeURIComponent(order.orderId)}`} className="row-link" title={order.orderId}>
          {order.orderId}
        </Link>
      </td>
      <td className="cell-status">
        <StatusBadge status={order.status} />
        {/* Paused, it retries nothing until resumed: the hold is what the row says. */}
        {order.paused ? (
          <PausedBadge hold={order.paused} />
        ) : (
          retrying && order.pending && <RetryingBadge attempt={order.pending.attempt} maxAttempts={order.pending.maxAttempts} />
        )}
      </td>
      <td className="mono cell-state" title={order.lastError ? `last error: ${order.lastError.message}` : undefined}>
        {order.state}
      </td>
      <td className="cell-customer" title={order.customerId}>
        {order.customerId}
      </td>
      <td className="num">{formatMoney(order.totalCents, order.currency)}</td>
      <td className="num" title={`created ${formatTime(order.createdAt)}`}>
        {formatAge(order.createdAt, now)}
      </td>
      <td className="num" title={`in ${order.state} since ${formatTime(order.stateEnteredAt ?? order.updatedAt)}`}>
        {formatAge(order.stateEnteredAt ?? order.updatedAt, now)}
      </td>
    </tr>
  );
}
