/**
 * How a saga entry is stored as its KV value: two lines of JSON, the saga's summary first, then
 * the entry itself. Every orchestrator instance's catalog sees every write; the summary line lets
 * it index another instance's write without parsing the whole snapshot and history. Both lines
 * stay readable with `nats kv get`.
 */
import { codec } from '../../lib/codec.ts';
import { isSagaStatus } from '../../machines/index.ts';
import type { SagaEntry } from './entry.ts';
import { summarize, type SagaSummary } from './summary.ts';

const NEWLINE = 0x0a;
const textEncoder = new TextEncoder();

/** `summary` when the caller has it already (it is `summarize(entry)`). */
export function encodeStoredEntry(entry: SagaEntry, summary: SagaSummary = summarize(entry)): Uint8Array {
  // JSON.stringify never writes a raw newline, so the first one ends the summary line.
  return textEncoder.encode(`${JSON.stringify(summary)}\n${JSON.stringify(entry)}`);
}

function lineBreakOf(value: Uint8Array): number {
  const at = value.indexOf(NEWLINE);
  if (at < 0) throw new Error('a saga entry needs its summary line and its entry line');
  return at;
}

export function decodeStoredEntry(value: Uint8Array): SagaEntry {
  return codec.json.decode<SagaEntry>(value.subarray(lineBreakOf(value) + 1));
}

/** The summary line, checked for what the index and the timers rely on: a value written by hand or by a bug is refused, not indexed. */
export function decodeStoredSummary(value: Uint8Array): SagaSummary {
  const summary = codec.json.decode<SagaSummary>(value.subarray(0, lineBreakOf(value)));
  const text = (field: unknown) => typeof field === 'string' && field.length > 0;
  const time = (field: unknown) => Number.isSafeInteger(field);
  if (
    typeof summary !== 'object' || summary === null ||
    !text(summary.orderId) || !text(summary.customerId) || !text(summary.state) || !isSagaStatus(summary.status) ||
    !time(summary.createdAt) || !time(summary.updatedAt) || !time(summary.stateEnteredAt)
  ) {
    throw new Error('the summary line of a saga entry lacks its order id, customer, state, status or times');
  }
  return summary;
}
