/**
 * Reading a service's books whole, as the tests and the fault suite check them: every order's
 * entry, and what the effects add up to per step. Not for production: a real shop's ledger is
 * far too large to list.
 */
import type { KV } from '@nats-io/kv';
import { listKeys } from '../../lib/kv-keys.ts';
import type { StepName } from '../../machines/index.ts';
import { readEntry, type EffectRecord, type LedgerEntry } from '../../workers/ledger.ts';

/** Stock units an effect moved. */
export const unitsOf = (effect: EffectRecord): number => (effect.items ?? []).reduce((sum, line) => sum + line.quantity, 0);

/** Every order's entry in a ledger bucket. */
export async function listLedger(kv: KV): Promise<LedgerEntry[]> {
  const keys = await listKeys(kv);
  const entries = await Promise.all(keys.map(async (key) => (await readEntry(kv, key)).entry));
  return entries.filter((entry) => Object.keys(entry.effects).length > 0);
}

export interface StepTotals {
  succeeded: number;
  failed: number;
  tombstones: number;
  /** Stock units the step's effects moved. */
  units: number;
  amountCents: number;
}

/** What the effects of some orders add up to, per step: e.g. units reserved − released. */
export function totalsOf(entries: LedgerEntry[]): Partial<Record<StepName, StepTotals>> {
  const totals: Partial<Record<StepName, StepTotals>> = {};
  for (const effect of entries.flatMap((entry) => Object.values(entry.effects))) {
    const sum = (totals[effect.step] ??= { succeeded: 0, failed: 0, tombstones: 0, units: 0, amountCents: 0 });
    sum[effect.outcome] += 1;
    if (effect.tombstone) sum.tombstones += 1;
    sum.units += unitsOf(effect);
    sum.amountCents += effect.amountCents ?? 0;
  }
  return totals;
}
