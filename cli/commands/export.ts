/**
 * `export`: every order a filter matches, as CSV or JSON lines, streamed from the API to stdout
 * or a file as it arrives (never held whole), at the pace the output takes it.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { ExportFormat } from '../../api/contract.ts';
import { ApiError, CliError, EXIT, type Problem } from '../client.ts';
import { choiceOption, stringOption, type CommandDef, type Context } from '../command.ts';
import { filterFrom, filterOptions } from './filters.ts';

const FORMATS: readonly ExportFormat[] = ['csv', 'ndjson'];

/** `12.3 MB` */
const size = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`);

/** The token and actor as for every other command: the option, else the environment. */
function credentials(ctx: Context): Record<string, string> {
  const token = stringOption(ctx, 'token')?.trim() || process.env.SAGA_TOKEN?.trim();
  const actor = stringOption(ctx, 'actor')?.trim() || process.env.SAGA_ACTOR?.trim();
  return { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(actor ? { 'x-actor': actor } : {}) };
}

/** Write a chunk, and wait while the output is full (its backpressure). */
async function write(out: Writable, chunk: Uint8Array): Promise<void> {
  if (out.errored) throw new CliError(`cannot write the export: ${out.errored.message}`, EXIT.api);
  if (!out.write(chunk)) await once(out, 'drain').catch((error: Error) => Promise.reject(new CliError(`cannot write the export: ${error.message}`, EXIT.api)));
}

async function openFile(path: string): Promise<Writable> {
  const file = createWriteStream(path);
  try {
    await once(file, 'open');
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`, EXIT.api);
  }
  // A later write error is reported by the next write.
  file.on('error', () => undefined);
  return file;
}

export const exportOrders: CommandDef = {
  path: ['export'],
  summary: 'every order matching the filters, as CSV or JSON lines (streamed, all pages)',
  options: {
    ...filterOptions,
    format: { type: 'string', value: 'csv|ndjson', description: 'csv (default; a header row, spreadsheet formulas defused) or ndjson (one JSON order per line)' },
    output: { type: 'string', value: 'file', description: 'write to this file instead of stdout' },
  },
  notes: [
    'examples:',
    '  saga-ctl export --format csv > orders.csv',
    '  saga-ctl export --status stuck --format ndjson --output stuck.ndjson',
    'exits 1 when the orchestrator cuts the export off: the output is then incomplete',
  ],
  async run(ctx) {
    const format = choiceOption(ctx, 'format', FORMATS) ?? 'csv';
    const filter = filterFrom(ctx);
    const url = new URL(`${ctx.client.baseUrl}/api/orders/export`);
    url.searchParams.set('format', format);
    for (const [key, value] of Object.entries(filter)) url.searchParams.set(key, String(value));

    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: 'text/csv, application/x-ndjson, application/problem+json', ...credentials(ctx) } });
    } catch {
      throw new CliError(`cannot reach ${ctx.client.baseUrl} (is the orchestrator running?)`, EXIT.unreachable);
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      let problem: Problem;
      try {
        problem = JSON.parse(text) as Problem;
      } catch {
        problem = { title: `HTTP ${response.status} ${response.statusText}`.trim(), detail: text.slice(0, 300) || '(empty answer)' };
      }
      throw new ApiError(response.status, problem);
    }
    if (response.headers.get('x-catching-up') === 'true') ctx.out.note("note: this orchestrator's index is still being built: the export holds what is indexed so far");

    const path = stringOption(ctx, 'output');
    const out: Writable = path ? await openFile(path) : process.stdout;
    let bytes = 0;
    try {
      for await (const chunk of response.body) {
        bytes += chunk.byteLength;
        await write(out, chunk);
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
      if (path) out.end();
      throw new CliError(`the export was cut off after ${size(bytes)}: the output is incomplete (${(error as Error).message})`, EXIT.api);
    }
    if (path) {
      out.end();
      await once(out, 'finish');
    }
    if (path || ctx.out.interactive) ctx.out.note(`exported ${size(bytes)} of ${format}${path ? ` to ${path}` : ''}`);
  },
};
