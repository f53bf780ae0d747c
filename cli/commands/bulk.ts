/** `bulk`: retry, compensate, pause or resume every order matching a filter, as a background job. */
import type { BulkAction } from '../../api/contract.ts';
import type { BulkDryRun, BulkJob, BulkResult } from '../api.ts';
import { CliError, EXIT, UsageError } from '../client.ts';
import { flag, reasonOption, reasonUnlessDryRun, requireReason, segment, stringOption, type CommandDef, type Context } from '../command.ts';
import { dateTime, duration, plural, since, table } from '../format.ts';
import { describeFilter, FILTER_FLAGS, filterFrom, filterOptions } from './filters.ts';

const POLL_MS = 500;
/** How long --wait keeps polling through a lost connection before it gives up. */
const UNREACHABLE_GRACE_MS = 15_000;
const SHOWN_RESULTS = 20;

const counts = (job: BulkJob) => `applied ${job.applied}, refused ${job.refused}, failed ${job.failed}`;
const progressOf = (job: BulkJob) => `${job.done}/${job.total} done: ${counts(job)}`;

function printJob(ctx: Context, job: BulkJob): void {
  const finished = job.finishedAt ? `${dateTime(job.finishedAt)} (took ${duration(Date.parse(job.finishedAt) - Date.parse(job.startedAt))})` : null;
  ctx.out.line(
    `job:       ${job.id}`,
    `action:    ${job.action}, by ${job.actor}, reason: ${job.reason}`,
    `filter:    ${describeFilter(job.filter)}`,
    `state:     ${job.state}`,
    `started:   ${dateTime(job.startedAt)} (${since(job.startedAt)} ago)`,
    ...(finished ? [`finished:  ${finished}`] : []),
    ...(job.cancelledBy ? [`cancelled: by ${job.cancelledBy.actor}: ${job.cancelledBy.reason}`] : []),
    ...(job.failure ? [`failure:   ${job.failure}`] : []),
    `progress:  ${progressOf(job)}`,
  );
  const results = job.results ?? [];
  const notApplied = results.filter((r) => r.result !== 'applied');
  if (notApplied.length === 0) return;
  ctx.out.line('', `not applied (${notApplied.length}${results.length >= 1000 ? ' among the last 1000 results' : ''}):`);
  ctx.out.line(
    ...table<BulkResult>(notApplied.slice(0, SHOWN_RESULTS), [
      { header: 'ORDER', value: (r) => r.orderId },
      { header: 'RESULT', value: (r) => r.result },
      { header: 'DETAIL', value: (r) => r.detail ?? '', max: 80 },
    ]).map((line) => `  ${line}`),
  );
  if (notApplied.length > SHOWN_RESULTS) ctx.out.line(`  … ${notApplied.length - SHOWN_RESULTS} more (--json shows them all)`);
}

/** A finished job exits 0 only when it completed and no order failed. */
const exitFor = (job: BulkJob) => (job.state === 'completed' && job.failed === 0 ? EXIT.ok : EXIT.api);

async function waitFor(ctx: Context, id: string): Promise<BulkJob> {
  const stopWaiting = () => {
    ctx.out.note(`\nstopped waiting; the job keeps running: saga-ctl bulk status ${id}`);
    process.exit(130);
  };
  process.once('SIGINT', stopWaiting);
  try {
    let lastShown = '';
    let lastShownAt = 0;
    let unreachableSince: number | null = null;
    for (;;) {
      let job: BulkJob;
      try {
        job = await ctx.client.get<BulkJob>(`/api/bulk/${segment(id)}`);
        unreachableSince = null;
      } catch (error) {
        if (!(error instanceof CliError) || error.exitCode !== EXIT.unreachable) throw error;
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince > UNREACHABLE_GRACE_MS) throw error;
        await new Promise((r) => setTimeout(r, POLL_MS));
        continue;
      }
      const line = `${job.action} ${progressOf(job)}`;
      if (!ctx.json && line !== lastShown && (ctx.out.interactive || Date.now() - lastShownAt >= 1000 || job.state !== 'running')) {
        ctx.out.progress(line);
        lastShown = line;
        lastShownAt = Date.now();
      }
      if (job.state !== 'running') {
        if (!ctx.json && ctx.out.interactive) ctx.out.note('');
        return job;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    process.off('SIGINT', stopWaiting);
  }
}

/** How each bulk action is shown in its help: an example filter, and what it is for. */
const EXAMPLES: Record<BulkAction, { filter: string; reason: string; note?: string }> = {
  retry: { filter: '--status stuck --state stuck', reason: 'carrier outage over' },
  compensate: { filter: '--status stuck', reason: 'carrier outage over' },
  pause: { filter: '--retrying --state creatingShipment', reason: 'carrier outage', note: 'paused orders send no command and run no deadline until resumed' },
  resume: { filter: '--paused --state creatingShipment', reason: 'carrier is back', note: 'the commands the orders held go out, each pending step with a fresh deadline' },
};

function startCommand(action: BulkAction): CommandDef {
  const example = EXAMPLES[action];
  return {
    path: ['bulk', action],
    summary: `${action} every order matching a filter, in the background`,
    options: {
      ...filterOptions,
      ...reasonUnlessDryRun,
      'dry-run': { type: 'boolean', description: 'only count the orders that match; change nothing' },
      wait: { type: 'boolean', description: 'follow the progress until the job ends, then summarise the results' },
      'idempotency-key': { type: 'string', value: 'key', description: 'sending the same key again returns the same job (with another filter or reason: refused)' },
    },
    notes: [
      ...(example.note ? [example.note] : []),
      'at least one filter is required',
      `example: saga-ctl bulk ${action} ${example.filter} --dry-run`,
      `         saga-ctl bulk ${action} ${example.filter} --reason "${example.reason}" --wait`,
      'with --wait it exits 0 when the job completed with no failed order, 1 otherwise',
    ],
    async run(ctx) {
      const filter = filterFrom(ctx);
      if (Object.keys(filter).length === 0) {
        throw new UsageError(`bulk ${action} needs at least one filter (${FILTER_FLAGS.join(', ')})`, ctx.usage);
      }
      const dryRun = flag(ctx, 'dry-run');
      const reason = dryRun ? (stringOption(ctx, 'reason')?.trim() || 'dry run (saga-ctl)') : requireReason(ctx);
      const key = stringOption(ctx, 'idempotency-key');
      const headers: Record<string, string> = key ? { 'idempotency-key': key } : {};
      if (dryRun) {
        const answer = await ctx.client.post<BulkDryRun>('/api/bulk', { action, filter, reason, dryRun: true }, { headers });
        if (ctx.json) return ctx.out.json(answer);
        ctx.out.line(`dry run: ${action} would be tried on ${plural(answer.matched, 'order')} matching ${describeFilter(filter)}`);
        if (answer.sample?.length) ctx.out.line(`for example: ${answer.sample.slice(0, 10).join(', ')}${answer.matched > 10 ? ', …' : ''}`);
        return;
      }
      const started = await ctx.client.post<BulkJob>('/api/bulk', { action, filter, reason }, { headers });
      if (!flag(ctx, 'wait')) {
        if (ctx.json) return ctx.out.json(started);
        if (started.state === 'running') {
          ctx.out.line(`bulk ${action} job ${started.id} started on ${plural(started.total, 'order')} matching ${describeFilter(started.filter)}`);
          ctx.out.line(`follow it: saga-ctl bulk status ${started.id} --wait`);
        } else {
          // The same action, filter and reason (or Idempotency-Key) as an earlier job answers that job.
          ctx.out.line(`bulk ${action} job ${started.id} was already sent with this request; it is ${started.state} at ${progressOf(started)}`);
        }
        return;
      }
      if (!ctx.json) ctx.out.note(`bulk ${action} job ${started.id}: ${plural(started.total, 'order')} matching ${describeFilter(started.filter)}`);
      const job = await waitFor(ctx, started.id);
      if (ctx.json) ctx.out.json(job);
      else printJob(ctx, job);
      return exitFor(job);
    },
  };
}

export const bulkRetry = startCommand('retry');
export const bulkCompensate = startCommand('compensate');
export const bulkPause = startCommand('pause');
export const bulkResume = startCommand('resume');

export const bulkStatus: CommandDef = {
  path: ['bulk', 'status'],
  summary: "a bulk job's progress and per-order results",
  args: [{ name: 'jobId' }],
  options: { wait: { type: 'boolean', description: 'follow the progress until the job ends' } },
  async run(ctx) {
    const [id] = ctx.args as [string];
    const job = flag(ctx, 'wait') ? await waitFor(ctx, id) : await ctx.client.get<BulkJob>(`/api/bulk/${segment(id)}`);
    if (ctx.json) return ctx.out.json(job);
    printJob(ctx, job);
  },
};

export const bulkList: CommandDef = {
  path: ['bulk', 'list'],
  summary: 'bulk jobs',
  async run(ctx) {
    const answer = await ctx.client.get<{ items: BulkJob[] }>('/api/bulk');
    if (ctx.json) return ctx.out.json(answer);
    if (answer.items.length === 0) return ctx.out.line('no bulk jobs');
    ctx.out.line(
      ...table(answer.items, [
        { header: 'JOB', value: (j) => j.id },
        { header: 'ACTION', value: (j) => j.action },
        { header: 'STATE', value: (j) => j.state },
        { header: 'DONE', value: (j) => `${j.done}/${j.total}`, align: 'right' },
        { header: 'APPLIED', value: (j) => String(j.applied), align: 'right' },
        { header: 'REFUSED', value: (j) => String(j.refused), align: 'right' },
        { header: 'FAILED', value: (j) => String(j.failed), align: 'right' },
        { header: 'BY', value: (j) => j.actor },
        { header: 'STARTED', value: (j) => dateTime(j.startedAt) },
        { header: 'FILTER', value: (j) => describeFilter(j.filter), max: 40 },
        { header: 'REASON', value: (j) => j.reason, max: 40 },
      ]),
    );
  },
};

export const bulkCancel: CommandDef = {
  path: ['bulk', 'cancel'],
  summary: 'stop a running bulk job (orders already done stay done)',
  args: [{ name: 'jobId' }],
  options: reasonOption,
  async run(ctx) {
    const [id] = ctx.args as [string];
    const reason = requireReason(ctx);
    const job = await ctx.client.post<BulkJob>(`/api/bulk/${segment(id)}/cancel`, { reason });
    if (ctx.json) return ctx.out.json(job);
    ctx.out.line(`bulk job ${job.id} is ${job.state} at ${progressOf(job)}`);
  },
};
