/**
 * A service's books: one KV entry per order in the service's ledger bucket, holding every
 * effect applied for that order, keyed by the command's effect_key. An effect is written once
 * (compare-and-set) and never changed, so whatever delivers a command again — a redelivery, a
 * re-published command, the next attempt of the same step — gets the recorded outcome back
 * instead of a second effect.
 */
import { isCasConflict } from '../lib/nats-errors.ts';
import type { KV } from '@nats-io/kv';
import { codec, stepFromProto, type CheckedMeta, type CommandMeta } from '../lib/codec.ts';
import { isForwardStep, type StepName } from '../machines/index.ts';
import type { Outcome } from './business.ts';

/** Units of one SKU moved by an effect. */
export interface StockLine {
  sku: string;
  quantity: number;
}

export interface EffectRecord {
  step: StepName;
  outcome: 'succeeded' | 'failed';
  /** The worker's id of what it did (reservation, charge, shipment...), when it succeeded. */
  reference?: string;
  code?: string;
  message?: string;
  /** The first command that asked for it; later deliveries and attempts only read it. */
  commandId: string;
  appliedAt: number;
  /** Stock reserved, released, shipped or cancelled. */
  items?: StockLine[];
  /** Money charged or refunded. */
  amountCents?: number;
  currency?: string;
  /** The forward effect this one undid. */
  undid?: string;
  /** A compensation that came before its forward effect: it undid nothing and blocks that effect for good. */
  tombstone?: boolean;
}

export interface LedgerEntry {
  orderId: string;
  effects: Record<string, EffectRecord>;
}

/** What a service decides for a command it has not applied yet; the ledger adds who and when. */
export type Decision = Omit<EffectRecord, 'step' | 'commandId' | 'appliedAt'>;

export interface Applied {
  effect: EffectRecord;
  entry: LedgerEntry;
  /** The KV revision of `entry`, so in-memory views can ignore older news. */
  revision: number;
}

const emptyEntry = (orderId: string): LedgerEntry => ({ orderId, effects: {} });

/** One order's entry in a ledger bucket (empty when the order has none). */
export async function readEntry(kv: KV, orderId: string): Promise<{ entry: LedgerEntry; revision: number | null }> {
  const stored = await kv.get(orderId);
  if (!stored || stored.operation !== 'PUT') return { entry: emptyEntry(orderId), revision: null };
  return { entry: codec.json.decode<LedgerEntry>(stored.value), revision: stored.revision };
}


/**
 * Apply the effect named by the command's effect_key at most once. `decide` sees the order's
 * entry as stored; if another delivery wrote first, the entry is read again and decided again,
 * so two racing deliveries never both take effect.
 */
export async function applyOnce(kv: KV, meta: CheckedMeta, decide: (entry: LedgerEntry) => Decision): Promise<Applied> {
  const { orderId, effectKey, commandId } = meta;
  const step = stepFromProto(meta.step);
  // A forward step is almost always the first effect of its order in this ledger: try to
  // create the entry straight away and read only if one exists (the create then fails).
  let current: { entry: LedgerEntry; revision: number | null } | null = isForwardStep(step) ? { entry: emptyEntry(orderId), revision: null } : null;
  for (;;) {
    const { entry, revision } = current ?? (await readEntry(kv, orderId));
    current = null;
    const recorded = entry.effects[effectKey];
    if (recorded) return { effect: recorded, entry, revision: revision! };
    const effect: EffectRecord = { step, commandId, appliedAt: Date.now(), ...decide(entry) };
    const next: LedgerEntry = { ...entry, effects: { ...entry.effects, [effectKey]: effect } };
    const bytes = codec.json.encode(next);
    try {
      const written = revision === null ? await kv.create(orderId, bytes) : await kv.update(orderId, bytes, revision);
      return { effect, entry: next, revision: written };
    } catch (error) {
      if (!isCasConflict(error)) throw error;
    }
  }
}

/** The effect already recorded under this key, if any (without deciding anything). */
export async function recordedEffect(kv: KV, meta: CommandMeta): Promise<EffectRecord | undefined> {
  return (await readEntry(kv, meta.orderId)).entry.effects[meta.effectKey];
}

/** The order's effect of one step (each step has one effect key, shared by its attempts). */
export function effectOfStep(entry: LedgerEntry, step: StepName): EffectRecord | undefined {
  return Object.values(entry.effects).find((effect) => effect.step === step);
}

export function outcomeOf(effect: EffectRecord): Outcome {
  return effect.outcome === 'succeeded'
    ? { kind: 'succeeded', reference: effect.reference ?? '' }
    : { kind: 'failed', code: effect.code ?? 'FAILED', message: effect.message ?? '' };
}
