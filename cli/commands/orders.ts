/** `list` and `show`: reading orders. */
import type { OrderPage, OrderSummary, OrderView } from '../api.ts';
import { flag, intOption, segment, stringOption, type CommandDef } from '../command.ts';
import { arrow, clock, dateTime, fields, money, plural, relative, since, table, type Column } from '../format.ts';
import { filterFrom, filterOptions } from './filters.ts';
import { nextLines, pausedLines } from './next.ts';

const attempt = (pending: { attempt: number; maxAttempts: number } | null) => (pending ? `${pending.attempt}/${pending.maxAttempts}` : '-');

export const list: CommandDef = {
  path: ['list'],
  summary: 'list orders, newest first',
  options: {
    ...filterOptions,
    limit: { type: 'string', value: 'n', description: 'orders per page (1..500, default 50)' },
    cursor: { type: 'string', value: 'cursor', description: 'continue after a previous page' },
    all: { type: 'boolean', description: 'follow the pages to the end' },
  },
  notes: [
    'examples:',
    '  saga-ctl list --status stuck',
    '  saga-ctl list --state chargingPayment --retrying --all',
    '  saga-ctl list --incident stuck.createShipment.3f9a0c1d2e4b   (a key from saga-ctl incidents)',
    '  saga-ctl list --paused                                       (held by saga-ctl pause; a PAUSED column names who)',
  ],
  async run(ctx) {
    const limit = intOption(ctx, 'limit', { min: 1, max: 500 }) ?? (flag(ctx, 'all') ? 500 : 50);
    const query = { ...filterFrom(ctx), limit };
    let page = await ctx.client.get<OrderPage>('/api/orders', { ...query, cursor: stringOption(ctx, 'cursor') });
    const items = [...page.items];
    while (flag(ctx, 'all') && page.nextCursor) {
      page = await ctx.client.get<OrderPage>('/api/orders', { ...query, cursor: page.nextCursor });
      items.push(...page.items);
    }
    if (ctx.json) return ctx.out.json({ items, nextCursor: page.nextCursor });
    if (items.length === 0) return ctx.out.line('no orders match');
    const now = Date.now();
    const columns: Column<OrderSummary>[] = [
      { header: 'ORDER', value: (o) => o.orderId },
      { header: 'STATUS', value: (o) => o.status },
      { header: 'STATE', value: (o) => o.state },
      { header: 'ATTEMPT', value: (o) => attempt(o.pending) },
      { header: 'CUSTOMER', value: (o) => o.customerId, max: 24 },
      { header: 'TOTAL', value: (o) => money(o.totalCents, o.currency), align: 'right' },
      { header: 'AGE', value: (o) => since(o.createdAt, now), align: 'right' },
      { header: 'IN STATE', value: (o) => since(o.stateEnteredAt, now), align: 'right' },
    ];
    // Only when a row is paused, so the usual table keeps its columns.
    const paused = items.filter((o) => o.paused).length;
    if (paused) columns.push({ header: 'PAUSED', value: (o) => (o.paused ? `paused by ${o.paused.actor}` : ''), max: 48 });
    ctx.out.line(...table<OrderSummary>(items, columns));
    const count = `${plural(items.length, 'order')}${paused ? ` (${paused} paused)` : ''}`;
    ctx.out.line('', page.nextCursor ? `${count}; more with --all or --cursor ${page.nextCursor}` : count);
  },
};

export const show: CommandDef = {
  path: ['show'],
  summary: 'one order: state, pending step, history, allowed actions and what each would do next',
  args: [{ name: 'orderId' }],
  async run(ctx) {
    const [orderId] = ctx.args as [string];
    const order = await ctx.client.get<OrderView>(`/api/orders/${segment(orderId)}`);
    if (ctx.json) return ctx.out.json(order);
    const now = Date.now();
    const pending = order.pending;
    const error = order.lastError;
    ctx.out.line(
      ...fields([
        ['order', order.orderId],
        ['status', `${order.status} (state ${order.state})`],
        ['customer', order.customerId],
        ['total', `${money(order.totalCents, order.currency)}`],
        ['machine version', order.machineVersion],
        ['created', order.createdAt && `${dateTime(order.createdAt)} (${since(order.createdAt, now)} ago)`],
        ['in state since', order.stateEnteredAt && `${dateTime(order.stateEnteredAt)} (${since(order.stateEnteredAt, now)} ago)`],
        ['trace', order.traceUrl],
        [
          'pending step',
          pending &&
            `${pending.step}, attempt ${pending.attempt} of ${pending.maxAttempts}` +
              (pending.deadline ? `, deadline ${dateTime(pending.deadline)} (${relative(pending.deadline, now)})` : '') +
              (order.paused ? ', no deadline while paused' : ''),
        ],
        ['last error', error && `${error.step} attempt ${error.attempt}: ${error.kind}: ${error.message}`],
      ]),
      ...pausedLines(order, now),
    );
    ctx.out.line('', 'items:');
    for (const item of order.items ?? []) ctx.out.line(`  ${item.quantity} × ${item.sku} at ${money(item.unitPriceCents, order.currency)}`);
    ctx.out.line('', `history (${order.history.length}):`);
    if (order.history.length === 0) ctx.out.line('  (the saga has not started yet)');
    else
      ctx.out.line(
        ...table(order.history, [
          { header: 'TIME', value: (r) => clock(r.at) },
          { header: 'EVENT', value: (r) => r.event },
          { header: 'FROM → TO', value: (r) => (r.from === r.to ? `${r.to} (stays)` : arrow(r.from, r.to)) },
          { header: 'DETAIL', value: (r) => r.detail ?? '', max: 60 },
          { header: 'BY', value: (r) => r.actor ?? r.worker ?? '' },
        ]).map((line) => `  ${line}`),
      );
    ctx.out.line('', `allowed actions: ${order.allowedActions.length ? order.allowedActions.join(', ') : 'none'}`);
    const next = nextLines(order);
    if (next.length) ctx.out.line('', ...next);
  },
};
