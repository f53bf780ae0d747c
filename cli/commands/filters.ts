/** The order filters `list`, `export` and `bulk` share, as options and as the API's query fields. */
// The vocabulary module alone: it is pure, while machines/index.ts would build every machine at start-up.
import { SAGA_STATUSES } from '../../machines/order-saga/types.ts';
import type { BulkFilter } from '../api.ts';
import { UsageError } from '../client.ts';
import { choiceOption, flag, stringOption, type Context, type OptionDef } from '../command.ts';

export const filterOptions: Record<string, OptionDef> = {
  status: { type: 'string', value: 'status', description: `only this status: ${SAGA_STATUSES.join(', ')}` },
  state: { type: 'string', value: 'state', description: 'only this machine state (e.g. chargingPayment, stuck)' },
  customer: { type: 'string', value: 'id', description: 'only this customer id' },
  search: { type: 'string', value: 'q', description: 'an order-id prefix or an exact customer id' },
  retrying: { type: 'boolean', description: 'only running orders whose pending step already failed or timed out' },
  paused: { type: 'boolean', description: 'only orders an operator holds paused (saga-ctl pause)' },
  'not-paused': { type: 'boolean', description: 'only orders not paused' },
  stalled: { type: 'boolean', description: 'only running orders with no transition for longer than STUCK_AFTER_MS' },
  incident: { type: 'string', value: 'key', description: 'only the orders of this incident group (its key from saga-ctl incidents)' },
};

export function filterFrom(ctx: Context): BulkFilter {
  const filter: BulkFilter = {};
  const status = choiceOption(ctx, 'status', SAGA_STATUSES);
  if (status) filter.status = status;
  const state = stringOption(ctx, 'state');
  if (state) filter.state = state;
  const customer = stringOption(ctx, 'customer');
  if (customer) filter.customerId = customer;
  const search = stringOption(ctx, 'search');
  if (search) filter.q = search;
  if (flag(ctx, 'retrying')) filter.retrying = true;
  if (flag(ctx, 'paused') && flag(ctx, 'not-paused')) throw new UsageError('--paused and --not-paused exclude each other: give one', ctx.usage);
  if (flag(ctx, 'paused')) filter.paused = true;
  if (flag(ctx, 'not-paused')) filter.paused = false;
  if (flag(ctx, 'stalled')) filter.stalled = true;
  const incident = stringOption(ctx, 'incident');
  if (incident) filter.incident = incident;
  return filter;
}

/** The flags, for messages that name them. */
export const FILTER_FLAGS = Object.keys(filterOptions).map((name) => `--${name}`);

/** `status=stuck state=stuck`, `paused`, `paused=false` for messages; `every order` when empty. */
export function describeFilter(filter: BulkFilter | undefined): string {
  const parts = Object.entries(filter ?? {})
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => (v === true ? k : `${k}=${String(v)}`));
  return parts.length ? parts.join(' ') : 'every order';
}
