/** What an order does next, in words: the API's `next`, which it reads from the saga's own machine. */
import type { OrderView } from '../api.ts';
import { dateTime, since } from '../format.ts';

/** `Paused by ops-ben since 2025-03-01 14:02:03Z (3m 2s ago): carrier outage`, or nothing when the order is not paused. */
export function pausedLines(order: Pick<OrderView, 'paused'>, now = Date.now()): string[] {
  const hold = order.paused;
  return hold ? [`Paused by ${hold.actor} since ${dateTime(hold.at)} (${since(hold.at, now)} ago): ${hold.reason}`] : [];
}

/** `Next: the order …`, then each action the order allows now: what it sends, in order, where it ends, and the same in words. */
export function nextLines(order: OrderView): string[] {
  const next = order.next;
  if (!next) return [];
  const lines = [`Next: the order ${next.says}`];
  const plans = next.plans.filter((plan) => order.allowedActions.includes(plan.action));
  for (const plan of plans) {
    const sends = plan.commands.length
      ? plan.commands.map((c) => `${c.service} → ${c.step}${c.undo ? ' (undo)' : ''}`).join(', then ')
      : 'no command';
    lines.push(`  ${plan.action.padEnd(10)} sends ${sends}; ends ${plan.ends}`, `  ${' '.repeat(10)} ${plan.says}`);
  }
  return lines;
}
