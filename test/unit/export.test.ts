/**
 * The export service on a real saga index: every match of a filter, more than one page of the
 * index, newest first, written a page at a time as the reader takes it (backpressure), as CSV
 * that quotes and defuses properly or as JSON lines.
 */
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { csvField, CSV_HEADER, EXPORT_PAGE_SIZE, exportChunks, exportFileName, exportStream } from '../../orchestrator/ops/export.ts';
import { SagaCatalog, summaryView, type SagaSummary } from '../../orchestrator/saga/catalog.ts';
import { SagaIndex } from '../../orchestrator/saga/saga-index.ts';
import { ServerClock } from '../../orchestrator/saga/server-clock.ts';
import { summarize } from '../../orchestrator/saga/summary.ts';
import { answer, completed, declined, held, started } from '../support/saga-entries.ts';

const SAGAS = 1200;
const logger = createLogger('test', { logLevel: 'silent', logPretty: false, instanceId: 'test' });

/** Customer ids a spreadsheet or a naive parser would trip on. */
const NASTY = ['a,"b"\nc', '=HYPERLINK("http://x","y")', '-2+3', '+1', '@SUM(A1)', '\tTAB', 'plain'];

/** 1,200 sagas written into the index directly, as the catalog would after catching up. */
function catalogWith(count = SAGAS): { catalog: SagaCatalog; summaries: SagaSummary[] } {
  const index = new SagaIndex(':memory:');
  const summaries: SagaSummary[] = [];
  for (let n = 0; n < count; n++) {
    const orderId = `ord_${String(n).padStart(6, '0')}`;
    const at = 1_700_000_000_000 + (n % 400) * 1000;
    const customer = n < NASTY.length ? NASTY[n]! : `cust-${n % 17}`;
    const entry = n % 11 === 3 ? held(started(orderId, at, customer), 'PAUSE', at + 3) : n % 5 === 0 ? declined(orderId, at, customer) : n % 7 === 0 ? answer(answer(started(orderId, at, customer), 'STEP_TIMED_OUT', at + 5), 'STEP_TIMED_OUT', at + 9) : completed(orderId, at, customer);
    summaries.push(summarize(entry));
  }
  index.applyBatch(summaries.map((summary, n) => ({ kind: 'put', summary, revision: n + 1 })), summaries.length);
  return { catalog: new SagaCatalog(logger, new ServerClock(() => 0), index), summaries };
}

const newestFirst = (summaries: SagaSummary[]) => [...summaries].sort((a, b) => b.createdAt - a.createdAt || (a.orderId < b.orderId ? 1 : -1));

async function text(chunks: AsyncIterable<string | Buffer>): Promise<string> {
  let all = '';
  for await (const chunk of chunks) all += chunk.toString();
  return all;
}

/** RFC 4180, the plain way: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(input: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && input[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field || row.length) throw new Error('the CSV does not end with CRLF');
  return rows;
}

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    ['=1+1', `"'=1+1"`],
    ['+1', `"'+1"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\tx', `"'\tx"`],
    ['＝1+1', `"'＝1+1"`],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['a=b', 'a=b'],
    ['', ''],
  ])('%j → %s', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('writes numbers and booleans as they are, and null as nothing', () => {
    expect([csvField(-5), csvField(12.5), csvField(true), csvField(null), csvField(undefined)]).toEqual(['-5', '12.5', 'true', '', '']);
  });
});

describe('the export', () => {
  it('writes every match as CSV across pages of the index, newest first, each field as stored', async () => {
    const { catalog, summaries } = catalogWith();
    const list = vi.spyOn(catalog, 'list');
    const csv = await text(exportChunks(catalog, {}, 'csv'));
    // More than one page: 1,200 sagas in pages of 500.
    expect(list).toHaveBeenCalledTimes(Math.ceil(SAGAS / EXPORT_PAGE_SIZE));
    for (const [query] of list.mock.calls) expect(query.limit).toBe(EXPORT_PAGE_SIZE);
    expect(csv.startsWith(CSV_HEADER)).toBe(true);
    const [header, ...rows] = parseCsv(csv);
    expect(header).toEqual(CSV_HEADER.trim().split(','));
    expect(rows).toHaveLength(SAGAS);
    const column = (name: string) => header!.indexOf(name);
    const expected = newestFirst(summaries);
    expect(rows.map((r) => r[column('orderId')])).toEqual(expected.map((s) => s.orderId));
    // Every nasty customer id comes back whole, formulas prefixed with ' so no spreadsheet runs them.
    for (const [n, customer] of NASTY.entries()) {
      const row = rows.find((r) => r[column('orderId')] === `ord_${String(n).padStart(6, '0')}`)!;
      expect(row[column('customerId')]).toBe(/^[=+\-@\t]/.test(customer) ? `'${customer}` : customer);
    }
    const first = expected[0]!;
    const firstRow = rows[0]!;
    expect(firstRow[column('createdAt')]).toBe(new Date(first.createdAt).toISOString());
    expect(firstRow[column('totalCents')]).toBe(String(first.totalCents));
    expect(firstRow[column('total')]).toBe((first.totalCents / 100).toFixed(2));
    expect(firstRow[column('retrying')]).toBe(String(first.retrying));
    const withError = rows.find((r) => r[column('lastErrorMessage')] !== '')!;
    expect(withError[column('lastErrorMessage')]).toBe('declined by the bank');
    // A held order says who paused it, when and why; the others leave those cells empty.
    const paused = rows.filter((r) => r[column('pausedBy')] !== '');
    expect(paused).toHaveLength(expected.filter((s) => s.paused).length);
    expect(paused[0]![column('pausedReason')]).toBe('pause for the test');
    expect(paused[0]![column('pausedAt')]).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(header!.slice(-3)).toEqual(['pausedBy', 'pausedAt', 'pausedReason']);
  });

  it('writes JSON lines, one order summary per line as the list shows it, for a filter only its matches', async () => {
    const { catalog, summaries } = catalogWith();
    const lines = (await text(exportChunks(catalog, { status: 'stuck' }, 'ndjson', 100))).split('\n');
    expect(lines.pop()).toBe('');
    const stuck = newestFirst(summaries.filter((s) => s.status === 'stuck'));
    expect(stuck.length).toBeGreaterThan(100);
    expect(lines.map((line) => JSON.parse(line))).toEqual(stuck.map((s) => JSON.parse(JSON.stringify(summaryView(s)))));
    expect(await text(exportChunks(catalog, { customerId: 'nobody' }, 'ndjson'))).toBe('');
    expect(await text(exportChunks(catalog, { customerId: 'nobody' }, 'csv'))).toBe(CSV_HEADER);
  });

  it('reads the next page only when the reader has taken the last one (backpressure)', async () => {
    const { catalog } = catalogWith();
    const list = vi.spyOn(catalog, 'list');
    const stream = exportStream(catalog, {}, 'ndjson', 100);
    const reader = stream[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(first.done).toBe(false);
    // A reader that takes nothing more: the stream fills its buffer (16 KiB, about one page here) and stops reading the index.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(list.mock.calls.length).toBeLessThanOrEqual(3);
    let bytes = (first.value as Buffer).length;
    for (let next = await reader.next(); !next.done; next = await reader.next()) bytes += (next.value as Buffer).length;
    expect(list).toHaveBeenCalledTimes(SAGAS / 100);
    expect(bytes).toBeGreaterThan(SAGAS * 300);
  });

  it('stops reading the index when the reader goes away', async () => {
    const { catalog } = catalogWith();
    const list = vi.spyOn(catalog, 'list');
    const stream = exportStream(catalog, {}, 'csv', 100);
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(list.mock.calls.length).toBeLessThan(4);
  });

  it('names the file after the format and the time', () => {
    expect(exportFileName('csv', new Date('2025-03-01T14:02:03.456Z'))).toBe('orders-20250301T140203Z.csv');
    expect(exportFileName('ndjson', new Date('2025-03-01T14:02:03.456Z'))).toBe('orders-20250301T140203Z.ndjson');
  });
});
