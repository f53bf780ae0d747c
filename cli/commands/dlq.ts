/** `dlq`: dead letters, the messages no service could act on. */
import type { DeadLetter, DeadLetterPage } from '../api.ts';
import { UsageError } from '../client.ts';
import { flag, intOption, limitOption, reasonOption, requireReason, type CommandDef, type Context } from '../command.ts';
import { dateTime, fields, plural, table } from '../format.ts';

function sequenceArg(ctx: Context, raw: string | undefined): number {
  const value = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`the dead letter's sequence must be a positive whole number, not ${JSON.stringify(raw ?? '')}`, ctx.usage);
  }
  return value;
}

export const dlqList: CommandDef = {
  path: ['dlq', 'list'],
  summary: 'dead letters, newest first',
  options: { ...limitOption, before: { type: 'string', value: 'seq', description: 'only letters older than this sequence (next page)' } },
  async run(ctx) {
    const page = await ctx.client.get<DeadLetterPage>('/api/dead-letters', {
      limit: intOption(ctx, 'limit', { min: 1, max: 500 }),
      before: intOption(ctx, 'before'),
    });
    if (ctx.json) return ctx.out.json(page);
    if (page.items.length === 0) return ctx.out.line('no dead letters');
    ctx.out.line(
      ...table(page.items, [
        { header: 'SEQ', value: (l) => String(l.sequence), align: 'right' },
        { header: 'TIME', value: (l) => dateTime(l.at) },
        { header: 'SERVICE', value: (l) => l.service || '-' },
        { header: 'ORIGINAL SUBJECT', value: (l) => l.originalSubject || '-' },
        { header: 'REASON', value: (l) => l.reason || '-', max: 80 },
      ]),
    );
    ctx.out.line('', `${plural(page.waiting, 'dead letter')} waiting${page.nextBefore ? `; older ones with --before ${page.nextBefore}` : ''}`);
  },
};

export const dlqShow: CommandDef = {
  path: ['dlq', 'show'],
  summary: 'one dead letter: reason, origin, headers and decoded payload',
  args: [{ name: 'seq' }],
  async run(ctx) {
    const sequence = sequenceArg(ctx, ctx.args[0]);
    const letter = await ctx.client.get<DeadLetter>(`/api/dead-letters/${sequence}`);
    if (ctx.json) return ctx.out.json(letter);
    const bytes = Buffer.from(letter.payloadBase64, 'base64');
    ctx.out.line(
      ...fields([
        ['sequence', String(letter.sequence)],
        ['time', dateTime(letter.at)],
        ['service', letter.service],
        ['reason', letter.reason],
        ['original subject', letter.originalSubject],
        ['original stream', letter.originalStream && `${letter.originalStream}${letter.originalSequence ? ` #${letter.originalSequence}` : ''}`],
      ]),
    );
    ctx.out.line('', 'headers:');
    for (const [name, values] of Object.entries(letter.headers)) for (const value of values) ctx.out.line(`  ${name}: ${value}`);
    ctx.out.line('', `payload (${plural(bytes.length, 'byte')}):`);
    if (letter.decodeError === null) {
      ctx.out.line(...JSON.stringify(letter.decoded, null, 2).split('\n').map((line) => `  ${line}`));
    } else {
      ctx.out.line(`  does not decode: ${letter.decodeError}`);
      const base64 = letter.payloadBase64;
      ctx.out.line(`  base64: ${base64.length > 400 ? `${base64.slice(0, 400)}… (--json has it all)` : base64 || '(empty)'}`);
    }
  },
};

export const dlqRedrive: CommandDef = {
  path: ['dlq', 'redrive'],
  summary: 'publish a dead letter (or all) again on its original subject, once the cause is fixed',
  args: [{ name: 'seq', optional: true }],
  options: { ...reasonOption, all: { type: 'boolean', description: 'redrive every dead letter' } },
  notes: ['give either a sequence or --all'],
  async run(ctx) {
    const all = flag(ctx, 'all');
    if (all === (ctx.args[0] !== undefined)) throw new UsageError('give either a dead letter sequence or --all', ctx.usage);
    const sequence = all ? undefined : sequenceArg(ctx, ctx.args[0]);
    const reason = requireReason(ctx);
    if (sequence === undefined) {
      const answer = await ctx.client.post<{ redriven: number[] }>('/api/dead-letters/redrive-all', { reason });
      if (ctx.json) return ctx.out.json(answer);
      ctx.out.line(answer.redriven.length ? `redriven ${plural(answer.redriven.length, 'dead letter')}: ${answer.redriven.join(', ')}` : 'no dead letters to redrive');
      return;
    }
    const answer = await ctx.client.post<{ redriven: number; to: string }>(`/api/dead-letters/${sequence}/redrive`, { reason });
    if (ctx.json) return ctx.out.json(answer);
    ctx.out.line(`redriven dead letter ${answer.redriven} to ${answer.to}`);
  },
};

export const dlqDiscard: CommandDef = {
  path: ['dlq', 'discard'],
  summary: 'delete a dead letter for good, with a reason',
  args: [{ name: 'seq' }],
  options: reasonOption,
  async run(ctx) {
    const sequence = sequenceArg(ctx, ctx.args[0]);
    const reason = requireReason(ctx);
    const answer = await ctx.client.post<{ discarded: number }>(`/api/dead-letters/${sequence}/discard`, { reason });
    if (ctx.json) return ctx.out.json(answer);
    ctx.out.line(`discarded dead letter ${answer.discarded}`);
  },
};
