/**
 * Export: every order a filter matches, as CSV or JSON lines, for finance and support. Never
 * the whole set in memory: the index is walked newest first with the list's cursor, one page
 * at a time, and a page is read only when the reader has taken the one before (a stream's
 * backpressure), so a slow download of a million orders holds one page, not a million.
 */
import { Readable } from 'node:stream';
import type { ExportFormat, OrderSummary } from '../../api/contract.ts';
import { summaryView, type ListQuery, type SagaCatalog } from '../saga/catalog.ts';

export type { ExportFormat };

/** Orders read from the index at a time: a page is one chunk of the download. */
export const EXPORT_PAGE_SIZE = 500;

export type ExportFilter = Omit<ListQuery, 'limit' | 'cursor'>;

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/**
 * A cell that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+1+cmd`, `-2+3`, `@SUM(…)`)
 * starts with one of these, or with a tab or carriage return, or their full-width forms.
 */
const FORMULA_START = /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, quotes doubled;
 * text a spreadsheet would take for a formula gets a leading `'` (OWASP's CSV injection
 * advice) and is quoted. Numbers and booleans are written as they are; null is empty.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const defused = FORMULA_START.test(value);
  const text = defused ? `'${value}` : value;
  return defused || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

type Cell = string | number | boolean | null | undefined;

/** The CSV's columns: an order summary (as the list shows it) flattened. */
const CSV_COLUMNS: [header: string, value: (order: OrderSummary) => Cell][] = [
  ['orderId', (o) => o.orderId],
  ['status', (o) => o.status],
  ['state', (o) => o.state],
  ['customerId', (o) => o.customerId],
  ['total', (o) => (o.totalCents / 100).toFixed(2)],
  ['totalCents', (o) => o.totalCents],
  ['currency', (o) => o.currency],
  ['createdAt', (o) => o.createdAt],
  ['updatedAt', (o) => o.updatedAt],
  ['stateEnteredAt', (o) => o.stateEnteredAt],
  ['machineVersion', (o) => o.machineVersion],
  ['pendingStep', (o) => o.pending?.step],
  ['pendingAttempt', (o) => o.pending?.attempt],
  ['pendingMaxAttempts', (o) => o.pending?.maxAttempts],
  ['retrying', (o) => o.retrying],
  ['deadline', (o) => o.deadline],
  ['lastErrorStep', (o) => o.lastError?.step],
  ['lastErrorKind', (o) => o.lastError?.kind],
  ['lastErrorAttempt', (o) => o.lastError?.attempt],
  ['lastErrorMessage', (o) => o.lastError?.message],
  // Added last, so a sheet that reads columns by position keeps working.
  ['pausedBy', (o) => o.paused?.actor],
  ['pausedAt', (o) => o.paused?.at],
  ['pausedReason', (o) => o.paused?.reason],
];

export const CSV_HEADER = `${CSV_COLUMNS.map(([header]) => header).join(',')}\r\n`;

export function csvLine(order: OrderSummary): string {
  return `${CSV_COLUMNS.map(([, value]) => csvField(value(order))).join(',')}\r\n`;
}

const lineOf: Record<ExportFormat, (order: OrderSummary) => string> = {
  csv: csvLine,
  ndjson: (order) => `${JSON.stringify(order)}\n`,
};

/**
 * The export as text chunks: the CSV header, then one chunk per page of the index, newest
 * first, to the last match. A generator: the next page is read only when the next chunk is asked for.
 */
export async function* exportChunks(catalog: SagaCatalog, filter: ExportFilter, format: ExportFormat, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<string> {
  const line = lineOf[format];
  if (format === 'csv') yield CSV_HEADER;
  let cursor: string | undefined;
  for (;;) {
    const page = catalog.list({ ...filter, limit: pageSize, ...(cursor ? { cursor } : {}) });
    if (page.items.length > 0) yield page.items.map((summary) => line(summaryView(summary))).join('');
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
    // Each page is a synchronous read of the index: let requests and timers in between two.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The export as a byte stream with backpressure: what the HTTP route sends. */
export function exportStream(catalog: SagaCatalog, filter: ExportFilter, format: ExportFormat, pageSize = EXPORT_PAGE_SIZE): Readable {
  return Readable.from(exportChunks(catalog, filter, format, pageSize), { objectMode: false });
}

/** `orders-20250301T140203Z.csv` */
export function exportFileName(format: ExportFormat, at = new Date()): string {
  return `orders-${at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '')}.${format}`;
}
