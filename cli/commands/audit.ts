/** `audit`: who did what, when, to which order or letter, why, and how it went. */
import type { AuditRecord } from '../api.ts';
import { intOption, stringOption, type CommandDef } from '../command.ts';
import { dateTime, table } from '../format.ts';

export const audit: CommandDef = {
  path: ['audit'],
  summary: 'the audit trail of operator actions, newest first',
  options: {
    order: { type: 'string', value: 'orderId', description: "only this order's trail" },
    limit: { type: 'string', value: 'n', description: 'how many records (1..500, default 50)' },
  },
  async run(ctx) {
    const answer = await ctx.client.get<{ items: AuditRecord[] }>('/api/audit', {
      orderId: stringOption(ctx, 'order'),
      limit: intOption(ctx, 'limit', { min: 1, max: 500 }),
    });
    if (ctx.json) return ctx.out.json(answer);
    if (answer.items.length === 0) return ctx.out.line('no audit records');
    ctx.out.line(
      ...table(answer.items, [
        { header: 'TIME', value: (r) => dateTime(r.at) },
        // What the request proved (older records have none), then the name it acted under.
        { header: 'TOKEN', value: (r) => r.authenticatedAs ?? '', max: 20 },
        { header: 'ACTOR', value: (r) => r.actor, max: 20 },
        { header: 'ACTION', value: (r) => r.action },
        { header: 'TARGET', value: (r) => r.target },
        { header: 'RESULT', value: (r) => r.result },
        { header: 'REASON', value: (r) => r.reason, max: 40 },
        { header: 'DETAIL', value: (r) => r.detail ?? '', max: 60 },
      ]),
    );
  },
};
