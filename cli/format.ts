/** Text output: aligned tables, money, durations and times. Pure. */

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Longer cells are cut with an ellipsis. */
  max?: number;
  align?: 'left' | 'right';
}

export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, Math.max(1, max - 1))}…`;
}

/** Rows under a header, columns two spaces apart; the last column is not padded. */
export function table<T>(rows: readonly T[], columns: Column<T>[]): string[] {
  const cells = rows.map((row) => columns.map((c) => (c.max ? truncate(c.value(row), c.max) : c.value(row).replace(/\s+/g, ' '))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const pad = (v: string, i: number) =>
    columns[i]!.align === 'right' ? v.padStart(widths[i]!) : i === columns.length - 1 ? v : v.padEnd(widths[i]!);
  const line = (values: string[]) => values.map(pad).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)];
}

/** `Label:  value` lines with the values aligned; rows without a value are left out. */
export function fields(rows: [string, string | null | undefined][]): string[] {
  const present = rows.filter((r): r is [string, string] => r[1] !== null && r[1] !== undefined && r[1] !== '');
  const width = Math.max(0, ...present.map(([label]) => label.length + 1));
  return present.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`);
}

export function money(cents: number | null | undefined, currency = 'USD'): string {
  if (typeof cents !== 'number' || !Number.isFinite(cents)) return '-';
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** 850 → `850ms`, 42_000 → `42s`, 3_725_000 → `1h 2m`, 2 days → `2d 0h`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const negative = ms < 0;
  let rest = Math.abs(ms);
  const sign = negative ? '-' : '';
  if (rest < 1000) return `${sign}${Math.round(rest)}ms`;
  rest = Math.floor(rest / 1000);
  if (rest < 60) return `${sign}${rest}s`;
  const [d, h, m, s] = [Math.floor(rest / 86_400), Math.floor(rest / 3600) % 24, Math.floor(rest / 60) % 60, rest % 60];
  if (d > 0) return `${sign}${d}d ${h}h`;
  if (h > 0) return `${sign}${h}h ${m}m`;
  return `${sign}${m}m ${s}s`;
}

/** How long ago an ISO time was, as a duration; `-` when there is none. */
export function since(iso: string | null | undefined, now = Date.now()): string {
  const at = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(at) ? '-' : duration(now - at);
}

/** `2025-03-01 14:02:03Z` (UTC, to the second). */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : `${at.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `14:02:03.125` (UTC, to the millisecond), for steps that follow each other quickly. */
export function clock(iso: string | null | undefined): string {
  if (!iso) return '-';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toISOString().slice(11, 23);
}

/** `in 3s` / `4s ago` for a time relative to now. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  const at = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(at)) return '-';
  return at >= now ? `in ${duration(at - now)}` : `${duration(now - at)} ago`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export const arrow = (from: string | null | undefined, to: string | null | undefined) => `${from ?? '∅'} → ${to ?? '∅'}`;
