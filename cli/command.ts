/** What a command is, what it gets to run, and the option helpers every command shares. */
import type { Client } from './client.ts';
import { UsageError } from './client.ts';

export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder in the help, for string options. */
  value?: string;
  /** Shown in the usage line (the command checks it). */
  required?: boolean;
  description: string;
}

export interface ArgDef {
  name: string;
  optional?: boolean;
}

export type Values = Record<string, string | boolean | undefined>;

export interface Output {
  /** Lines for stdout. */
  line(...lines: string[]): void;
  /** A value as indented JSON on stdout. */
  json(value: unknown): void;
  /** A line for stderr (progress, notes). */
  note(line: string): void;
  /** Overwrite the current stderr line (progress on a terminal). */
  progress(line: string): void;
  readonly interactive: boolean;
}

export interface Context {
  client: Client;
  values: Values;
  args: string[];
  /** --json: print the API's answer as it is. */
  json: boolean;
  out: Output;
  /** This command's usage lines, for usage errors. */
  usage: string[];
}

export interface CommandDef {
  /** The words that name it: ['list'], ['bulk', 'retry']. */
  path: string[];
  summary: string;
  args?: ArgDef[];
  options?: Record<string, OptionDef>;
  /** Extra help lines (examples, what it prints). */
  notes?: string[];
  /** Resolves to the exit code (0 when nothing is returned). */
  run(ctx: Context): Promise<number | void>;
}

export function stringOption(ctx: Context, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(ctx: Context, name: string): boolean {
  return ctx.values[name] === true;
}

export function intOption(ctx: Context, name: string, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  const raw = stringOption(ctx, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}`, ctx.usage);
  }
  return value;
}

export function choiceOption<T extends string>(ctx: Context, name: string, choices: readonly T[]): T | undefined {
  const raw = stringOption(ctx, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not ${JSON.stringify(raw)}`, ctx.usage);
  }
  return raw as T;
}

/** Every action needs a reason for the audit trail. */
export function requireReason(ctx: Context): string {
  const reason = stringOption(ctx, 'reason')?.trim();
  if (!reason) throw new UsageError('missing --reason "<why>" (every action is recorded in the audit trail with its reason)', ctx.usage);
  return reason;
}

export const reasonOption: Record<string, OptionDef> = {
  reason: { type: 'string', value: 'text', required: true, description: 'why (required; recorded in the history and the audit trail)' },
};

/** For commands with a dry run, where a reason is only needed when something changes. */
export const reasonUnlessDryRun: Record<string, OptionDef> = {
  reason: { type: 'string', value: 'text', description: 'why (required unless --dry-run; recorded in the history and the audit trail)' },
};

export const limitOption: Record<string, OptionDef> = {
  limit: { type: 'string', value: 'n', description: 'how many to show (1..500, default 50)' },
};

/** The id in a path segment, encoded. */
export const segment = (value: string) => encodeURIComponent(value);
