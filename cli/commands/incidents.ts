/** `incidents`: stuck, failed and retrying orders grouped by cause, and a bulk action over exactly one group. */
import type { BulkDryRun, BulkJob, IncidentGroup, IncidentReport } from '../../api/contract.ts';
import { UsageError } from '../client.ts';
import { flag, intOption, reasonUnlessDryRun, requireReason, stringOption, type CommandDef } from '../command.ts';
import { plural, since, table } from '../format.ts';

export const incidents: CommandDef = {
  path: ['incidents'],
  summary: 'stuck, failed and retrying orders grouped by step and error, largest group first',
  options: {
    limit: { type: 'string', value: 'n', description: 'at most this many groups (1..500, default 50)' },
    sample: { type: 'string', value: 'n', description: 'order ids per group in --json (0..50, default 5)' },
  },
  notes: [
    'each group is a filter: repair exactly one group with',
    '  saga-ctl incidents retry <key> --dry-run',
    '  saga-ctl incidents retry <key> --reason "carrier is back"',
    'or hold a retrying group until its cause is fixed: saga-ctl incidents pause <key> --reason "carrier outage"',
    'or list it, export it: saga-ctl export --incident <key> --format csv > incident.csv',
  ],
  async run(ctx) {
    const limit = intOption(ctx, 'limit', { min: 1, max: 500 });
    const sample = intOption(ctx, 'sample', { min: 0, max: 50 });
    const report = await ctx.client.get<IncidentReport>('/api/incidents', { limit, sample });
    if (ctx.json) return ctx.out.json(report);
    if (report.catchingUp) ctx.out.note("note: this orchestrator's index is still being built: the counts cover what is indexed so far");
    if (report.groups.length === 0) return ctx.out.line('no incidents: nothing is stuck, failed or retrying');
    const now = Date.now();
    ctx.out.line(
      ...table<IncidentGroup>(report.groups, [
        { header: 'SAGAS', value: (g) => String(g.count), align: 'right' },
        { header: 'KIND', value: (g) => g.kind },
        { header: 'STEP', value: (g) => g.step },
        { header: 'ERROR', value: (g) => `${g.errorKind ? `${g.errorKind}: ` : ''}${g.error}`, max: 64 },
        { header: 'FIRST SEEN', value: (g) => `${since(g.firstSeen, now)} ago`, align: 'right' },
        { header: 'LAST SEEN', value: (g) => `${since(g.lastSeen, now)} ago`, align: 'right' },
        { header: 'ACTIONS', value: (g) => g.actions.join(',') || '-' },
        { header: 'KEY', value: (g) => g.key },
      ]),
    );
    const shown = report.groups.length < report.groupCount ? `; the ${report.groups.length} largest shown (--limit)` : '';
    ctx.out.line('', `${plural(report.sagas, 'order')} in ${plural(report.groupCount, 'group')}${shown}`);
    const first = report.groups.find((g) => g.actions.length > 0);
    if (first) ctx.out.line(`repair a group: saga-ctl incidents ${first.actions[0]} ${first.key} --dry-run`);
  },
};

/** An example key and reason per action, for the help: a group of the kind that offers it. */
const EXAMPLES: Record<GroupAction, { key: string; reason: string; note?: string }> = {
  retry: { key: 'stuck.createShipment.3f9a0c1d2e4b', reason: 'carrier is back' },
  compensate: { key: 'stuck.createShipment.3f9a0c1d2e4b', reason: 'carrier is back' },
  pause: {
    key: 'retrying.createShipment.3f9a0c1d2e4b',
    reason: 'carrier outage',
    note: 'a retrying group: its orders then send no command and run no deadline; resume them with saga-ctl bulk resume --paused …',
  },
};
type GroupAction = 'retry' | 'compensate' | 'pause';

function groupAction(action: GroupAction): CommandDef {
  const example = EXAMPLES[action];
  return {
    path: ['incidents', action],
    summary: `${action} every order of one incident group (its key from "saga-ctl incidents"), in the background`,
    args: [{ name: 'key' }],
    options: {
      ...reasonUnlessDryRun,
      'dry-run': { type: 'boolean', description: 'only count the orders of the group now; change nothing' },
      'idempotency-key': { type: 'string', value: 'key', description: 'sending the same key again returns the same job' },
    },
    notes: [
      ...(example.note ? [example.note] : []),
      `example: saga-ctl incidents ${action} ${example.key} --dry-run`,
      `         saga-ctl incidents ${action} ${example.key} --reason "${example.reason}"`,
      'the job acts on the orders in the group when it starts; follow it with saga-ctl bulk status <job> --wait',
    ],
    async run(ctx) {
      const [key] = ctx.args as [string];
      if (!/^(stuck|failed|retrying)\.[A-Za-z]+\.[0-9a-f]{12}$/.test(key)) {
        throw new UsageError(`${JSON.stringify(key)} is not an incident key (like stuck.createShipment.3f9a0c1d2e4b: see saga-ctl incidents)`, ctx.usage);
      }
      const filter = { incident: key };
      const dryRun = flag(ctx, 'dry-run');
      const reason = dryRun ? stringOption(ctx, 'reason')?.trim() || 'dry run (saga-ctl)' : requireReason(ctx);
      const idempotencyKey = stringOption(ctx, 'idempotency-key');
      const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
      if (dryRun) {
        const answer = await ctx.client.post<BulkDryRun>('/api/bulk', { action, filter, reason, dryRun: true }, { headers });
        if (ctx.json) return ctx.out.json(answer);
        ctx.out.line(`dry run: ${action} would be tried on ${plural(answer.matched, 'order')} of incident ${key}`);
        if (answer.sample.length) ctx.out.line(`for example: ${answer.sample.slice(0, 10).join(', ')}${answer.matched > 10 ? ', …' : ''}`);
        return;
      }
      const job = await ctx.client.post<BulkJob>('/api/bulk', { action, filter, reason }, { headers });
      if (ctx.json) return ctx.out.json(job);
      if (job.state === 'running') ctx.out.line(`bulk ${action} job ${job.id} started on ${plural(job.total, 'order')} of incident ${key}`);
      else ctx.out.line(`bulk ${action} job ${job.id} was already sent with this request; it is ${job.state} at ${job.done}/${job.total}`);
      ctx.out.line(`follow it: saga-ctl bulk status ${job.id} --wait`);
    },
  };
}

export const incidentsRetry = groupAction('retry');
export const incidentsCompensate = groupAction('compensate');
export const incidentsPause = groupAction('pause');
