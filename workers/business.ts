/**
 * The contract between the shared worker runtime and one service's business rules: the
 * runtime handles the bus (delivery, retries, replies, dead letters); a service only decides
 * what a command means for its books.
 */
import type { KV } from '@nats-io/kv';
import type { CheckedCommand, Command } from '../lib/codec.ts';
import type { Config } from '../lib/config.ts';
import type { Logger } from '../lib/logger.ts';

/** What a command came to: the reply a worker sends is made from this. */
export type Outcome =
  | { kind: 'succeeded'; reference: string }
  | { kind: 'failed'; code: string; message: string };

/**
 * A fault that may go away if the command is tried again (the simulated FAULT_RATE, a busy
 * dependency). It must be thrown before any effect is recorded: the runtime redelivers the
 * command with backoff, and finally answers failed_transiently.
 */
export class TransientError extends Error {
  override name = 'TransientError';
}

export interface BusinessContext {
  config: Pick<Config, 'slowShippingMs'>;
  logger: Logger;
  /** Aborted when the worker stops: a handler that is only waiting gives the command back. */
  signal: AbortSignal;
}

/** `command` is decoded and checked (lib/codec.ts): its ids are well formed and its action is its step's. */
export type BusinessFunction = (command: CheckedCommand, ledger: KV, context: BusinessContext) => Promise<Outcome>;

/** The command's payload once the runtime has checked that it belongs to this service. */
export type ActionOf<C extends NonNullable<Command['action']['case']>> = Extract<Command['action'], { case: C }>['value'];

/** A business function got a command of another service: the runtime filters these out first. */
export function notMine(service: string, command: Command): never {
  throw new Error(`${service} cannot handle ${command.action.case ?? 'a command without an action'}`);
}

/** A service ready to take commands; some keep a view of their ledger that close() stops. */
export interface OpenService {
  business: BusinessFunction;
  close(): Promise<void>;
}
