/**
 * How a saga entry is stored as its KV value: two lines of JSON, the saga's summary first, then
 * the entry itself. Every orchestrator instance's catalog sees every write; the summary line lets
 * it index another instance's write without parsing the whole snapshot and history. Both lines
 * stay readable with `nats kv get`.
 */
import { codec } from '../../lib/codec.ts';
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

export function decodeStoredSummary(value: Uint8Array): SagaSummary {
  return codec.json.decode<SagaSummary>(value.subarray(0, lineBreakOf(value)));
}
