/** Operator actions on one order: retry, compensate, cancel, resolve, fail, pause, resume, replay. */
import { UsageError } from '../client.ts';
import type { HistoryRow, OrderView, ReplayPlan } from '../api.ts';
import { flag, reasonOption, reasonUnlessDryRun, requireReason, segment, stringOption, type CommandDef, type Context, type OptionDef } from '../command.ts';
import { arrow, table } from '../format.ts';
import { nextLines, pausedLines } from './next.ts';

const EVENTS = { retry: 'RETRY', compensate: 'COMPENSATE', cancel: 'CANCEL', resolve: 'RESOLVE', fail: 'FAIL', pause: 'PAUSE', resume: 'RESUME' } as const;
type Action = keyof typeof EVENTS;

/** After these, the first line of Next says where the saga goes from here (or that it is held). */
const PRINTS_NEXT: ReadonlySet<Action> = new Set(['resolve', 'fail', 'pause', 'resume']);

const SUMMARIES: Record<Action, string> = {
  retry: 're-send the step a stuck order stopped at, as a new attempt',
  compensate: 'undo whatever may have happened (cancel shipment, refund, release); ends cancelled',
  cancel: "the customer's cancel, allowed until shipping begins",
  resolve: 'record the step a stuck order stopped at as done by hand (with its outside reference); the saga moves on',
  fail: 'record the step a stuck order stopped at as failed for good; a forward step compensates, a failed undo ends failed',
  pause: 'hold an order: no new command goes out and no deadline runs until it is resumed (answers still count)',
  resume: 'lift the hold: the commands it held go out and the pending step gets a fresh deadline',
};

const OPTIONS: Partial<Record<Action, Record<string, OptionDef>>> = {
  resolve: {
    reference: {
      type: 'string',
      value: 'ref',
      required: true,
      description: "what the outside world calls what was done (the carrier's parcel number, the payment id); becomes the step's reference",
    },
    ...reasonOption,
  },
};

const NOTES: Partial<Record<Action, string[]>> = {
  resolve: [
    'only for a step really done outside the system (the parcel was booked by phone): the saga continues as if the worker had answered',
    'example: saga-ctl resolve ord_… --reference PARCEL-88412 --reason "booked by phone with the carrier"',
  ],
  fail: [
    "a forward step's (reserve, charge, ship) outcome is not known, so its own undo goes out first, then the saga undoes what came before it;",
    'a failed undo (release, refund, cancel shipment) ends the order failed, and a human must settle it',
    'example: saga-ctl fail ord_… --reason "the carrier confirms nothing was booked"',
  ],
  pause: [
    'for a suspect customer or an outage: a paused order stays in its state, a late answer to a command already sent still counts,',
    'but the next command waits, and the pending step cannot time out or get stuck; allowed on any order that has not ended',
    'example: saga-ctl pause ord_… --reason "suspect customer, checking with fraud"',
    'many at once: saga-ctl bulk pause --customer cust-… --dry-run; the paused ones: saga-ctl list --paused',
  ],
  resume: [
    'example: saga-ctl resume ord_… --reason "fraud check passed"',
    'all paused orders at once: saga-ctl bulk resume --paused --dry-run',
  ],
};

function actionCommand(action: Action): CommandDef {
  return {
    path: [action],
    summary: SUMMARIES[action],
    args: [{ name: 'orderId' }],
    options: OPTIONS[action] ?? reasonOption,
    notes: [...(NOTES[action] ?? []), `prints the transition; exits 1 with the reason (and the allowed actions) when the order's state does not allow ${action}`],
    async run(ctx) {
      const [orderId] = ctx.args as [string];
      const reason = requireReason(ctx);
      const reference = action === 'resolve' ? requireReference(ctx) : undefined;
      const body = reference === undefined ? { reason } : { reason, reference };
      const order = await ctx.client.post<OrderView>(`/api/orders/${segment(orderId)}/${action}`, body);
      if (ctx.json) return ctx.out.json(order);
      const row: HistoryRow | undefined = order.history.findLast((r) => r.event === EVENTS[action]) ?? order.history.at(-1);
      // A pause or resume leaves the state as it is.
      const moved = !row ? order.state : row.from === row.to ? `${row.to} (stays)` : arrow(row.from, row.to);
      ctx.out.line(`${action} applied to ${order.orderId}: ${moved}${reference === undefined ? '' : ` (reference ${reference})`}`);
      ctx.out.line(`status now ${order.status} (state ${order.state}); allowed actions: ${order.allowedActions.join(', ') || 'none'}`);
      ctx.out.line(...pausedLines(order));
      if (PRINTS_NEXT.has(action)) {
        const next = nextLines(order);
        if (next.length) ctx.out.line(next[0]!);
      }
    },
  };
}

function requireReference(ctx: Context): string {
  const reference = stringOption(ctx, 'reference')?.trim();
  if (!reference) throw new UsageError('missing --reference "<ref>" (what the outside world calls what was done, e.g. the parcel number)', ctx.usage);
  if (reference.length > 200) throw new UsageError(`--reference is ${reference.length} characters; at most 200`, ctx.usage);
  return reference;
}

export const retry = actionCommand('retry');
export const compensate = actionCommand('compensate');
export const cancel = actionCommand('cancel');
export const resolve = actionCommand('resolve');
export const fail = actionCommand('fail');
export const pause = actionCommand('pause');
export const resume = actionCommand('resume');

function printPlan(ctx: Context, orderId: string, plan: ReplayPlan, dryRun: boolean): void {
  ctx.out.line(`replay of ${orderId}${dryRun ? ', dry run' : ''}: recorded on machine ${plan.recordedVersion}, replayed on ${plan.machineVersion}`, '');
  const indexed = plan.steps.map((step, index) => ({ step, index }));
  ctx.out.line(
    ...table(indexed, [
      { header: '#', value: (r) => String(r.index + 1), align: 'right' },
      { header: 'EVENT', value: (r) => r.step.event },
      { header: 'RECORDED', value: (r) => arrow(r.step.recorded.from, r.step.recorded.to) },
      { header: 'REPLAYED', value: (r) => (r.step.replayed ? arrow(r.step.replayed.from, r.step.replayed.to) : `(${r.step.note ?? 'not replayed'})`) },
      { header: '', value: (r) => (r.index === plan.firstDivergence ? '≠ ◀ first divergence' : r.step.differs ? '≠' : '') },
    ]),
  );
  ctx.out.line('', `final state: recorded ${plan.finalState.recorded}, replayed ${plan.finalState.replayed}`);
  if (plan.firstDivergence === null) {
    ctx.out.line('no divergence: the machine agrees with the recorded history');
  } else if (dryRun) {
    const step = plan.steps[plan.firstDivergence]!;
    ctx.out.line(`first divergence at step ${plan.firstDivergence + 1} (${step.event}); a real replay restarts the saga from there`);
  }
}

export const replay: CommandDef = {
  path: ['replay'],
  summary: "run the order's recorded events through the current machine; restart it from the first divergence",
  args: [{ name: 'orderId' }],
  options: {
    ...reasonUnlessDryRun,
    'dry-run': { type: 'boolean', description: 'change nothing: show recorded vs replayed states and the first divergence' },
  },
  notes: [
    'a real replay moves a running or stuck order onto the current machine version and re-sends from the first divergence with new command ids;',
    'it exits 1 when there is nothing to replay (no divergence) or the order is finished (completed, cancelled, failed: never re-opened)',
    'example: saga-ctl replay ord_… --dry-run',
  ],
  async run(ctx) {
    const [orderId] = ctx.args as [string];
    const dryRun = flag(ctx, 'dry-run');
    // The API wants a reason on a dry run too; a dry run changes nothing, so one is not asked for.
    const reason = dryRun ? (stringOption(ctx, 'reason')?.trim() || 'dry run (saga-ctl)') : requireReason(ctx);
    const path = `/api/orders/${segment(orderId)}/replay`;
    if (dryRun) {
      const plan = await ctx.client.request<ReplayPlan>('POST', path, { query: { dryRun: true }, body: { reason } });
      return ctx.json ? ctx.out.json(plan) : printPlan(ctx, orderId, plan, true);
    }
    const answer = await ctx.client.request<{ plan: ReplayPlan; order: OrderView }>('POST', path, { query: { dryRun: false }, body: { reason } });
    if (ctx.json) return ctx.out.json(answer);
    const { plan, order } = answer;
    printPlan(ctx, orderId, plan, false);
    const row = order.history.at(-1);
    ctx.out.line(
      '',
      `replay applied to ${order.orderId}: ${row ? arrow(row.from, row.to) : order.state}, now on machine ${order.machineVersion ?? plan.machineVersion}`,
      `status now ${order.status} (state ${order.state})`,
    );
  },
};
