/**
 * Dispatch: find the command in argv, parse its options strictly, run it, and turn every
 * expected failure into `error: …` on stderr with its exit code (0 ok, 1 the API refused or
 * failed, 2 usage, 3 the orchestrator cannot be reached). No stack traces for those.
 */
import { parseArgs } from 'node:util';
import { CliError, Client, EXIT, UsageError } from './client.ts';
import type { CommandDef, OptionDef, Output, Values } from './command.ts';
import { COMMANDS } from './commands/index.ts';

export const DEFAULT_URL = 'http://localhost:3000';

const GLOBAL: Record<string, OptionDef> = {
  url: { type: 'string', value: 'url', description: `the orchestrator (default $SAGA_URL, else ${DEFAULT_URL})` },
  token: { type: 'string', value: 'token', description: 'bearer token for actions (default $SAGA_TOKEN; prefer the variable: argv is visible to other users)' },
  actor: { type: 'string', value: 'name', description: 'who you are, for the audit trail (default $SAGA_ACTOR, else the token\'s label)' },
  json: { type: 'boolean', description: "print the API's JSON answer instead of tables" },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
}

const GROUPS: Record<string, string> = {
  bulk: 'retry, compensate, pause or resume every order matching a filter, as a background job',
  dlq: 'dead letters: list, show, redrive, discard',
};

function optionLines(options: Record<string, OptionDef>): string[] {
  const left = Object.entries(options).map(([name, o]) => `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` <${o.value ?? 'value'}>` : ''}`);
  const width = Math.max(...left.map((l) => l.length));
  return Object.values(options).map((o, i) => `  ${left[i]!.padEnd(width)}  ${o.description}`);
}

const signature = (c: CommandDef) => [...c.path, ...(c.args ?? []).map((a) => (a.optional ? `[<${a.name}>]` : `<${a.name}>`))].join(' ');

function usageLine(c: CommandDef): string {
  const required = Object.entries(c.options ?? {})
    .filter(([, o]) => o.required)
    .map(([name, o]) => ` --${name} <${o.value ?? 'value'}>`);
  const optional = Object.values(c.options ?? {}).some((o) => !o.required);
  return `usage: saga-ctl ${signature(c)}${required.join('')}${optional ? ' [options]' : ''}`;
}

/** The full help: `--help`. */
function commandHelp(c: CommandDef): string[] {
  const lines = [usageLine(c), '', `  ${c.summary}`];
  if (c.options) lines.push('', 'options:', ...optionLines(c.options));
  lines.push('', 'global options:', ...optionLines(GLOBAL));
  if (c.notes) lines.push('', ...c.notes);
  return lines;
}

/** What a usage error shows under its message. */
function commandUsage(c: CommandDef): string[] {
  const lines = [usageLine(c)];
  if (c.options) lines.push('', 'options:', ...optionLines(c.options));
  lines.push('', `more: saga-ctl ${c.path.join(' ')} --help`);
  return lines;
}

function commandTable(commands: CommandDef[]): string[] {
  const width = Math.max(...commands.map((c) => signature(c).length));
  return commands.map((c) => `  ${signature(c).padEnd(width)}  ${c.summary}`);
}

function globalUsage(full = true): string[] {
  const head = ['usage: saga-ctl <command> [options]        (in the repository: npm run ctl -- <command>)', '', 'commands:', ...commandTable(COMMANDS)];
  if (!full) return [...head, '', 'more: saga-ctl --help'];
  return [
    ...head,
    '',
    'global options:',
    ...optionLines(GLOBAL),
    '',
    'environment: SAGA_URL, SAGA_TOKEN, SAGA_ACTOR (the defaults of --url, --token, --actor)',
    'run "saga-ctl <command> --help" for its options',
    'exit codes: 0 ok, 1 the API refused or failed, 2 usage error, 3 cannot reach the orchestrator',
  ];
}

function groupUsage(group: string): string[] {
  return [`usage: saga-ctl ${group} <command> [options]`, '', `  ${GROUPS[group]}`, '', 'commands:', ...commandTable(COMMANDS.filter((c) => c.path[0] === group))];
}

/** Every option any command knows, so the command words can be found wherever options sit. */
function allOptions(): Record<string, OptionDef> {
  const all: Record<string, OptionDef> = { ...GLOBAL };
  for (const c of COMMANDS) Object.assign(all, c.options);
  return all;
}

type ParseOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;
const forParseArgs = (options: Record<string, OptionDef>): ParseOptions =>
  Object.fromEntries(Object.entries(options).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]));

function resolve(words: string[]): CommandDef | undefined {
  return COMMANDS.filter((c) => c.path.every((word, i) => words[i] === word)).sort((a, b) => b.path.length - a.path.length)[0];
}

function makeOutput(io: Io): Output {
  return {
    line: (...lines) => void io.stdout.write(lines.map((l) => `${l}\n`).join('')),
    json: (value) => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    note: (line) => void io.stderr.write(`${line}\n`),
    progress: (line) => void io.stderr.write(io.stderr.isTTY ? `\r\x1b[K${line}` : `${line}\n`),
    interactive: io.stderr.isTTY === true,
  };
}

function printHelp(io: Io, lines: string[]): number {
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const loose = parseArgs({ args: argv, options: forParseArgs(allOptions()), strict: false, allowPositionals: true });
  let words = loose.positionals;
  let help = loose.values.help === true;
  if (words[0] === 'help') {
    words = words.slice(1);
    help = true;
  }
  if (words.length === 0) {
    if (help) return printHelp(io, globalUsage());
    throw new UsageError('missing command', globalUsage(false));
  }
  const command = resolve(words);
  if (!command) {
    const group = words[0]!;
    if (group in GROUPS) {
      if (help && words.length === 1) return printHelp(io, groupUsage(group));
      throw new UsageError(words.length === 1 ? `${group} needs a command` : `unknown command "${group} ${words[1]}"`, groupUsage(group));
    }
    throw new UsageError(`unknown command "${group}"`, globalUsage(false));
  }
  const usage = commandUsage(command);
  if (help) return printHelp(io, commandHelp(command));

  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: forParseArgs({ ...GLOBAL, ...command.options }), strict: true, allowPositionals: true }) as typeof parsed;
  } catch (error) {
    // `--paused=false`: a flag takes no value, but its opposite may exist.
    const flagWithValue = /^Option '--([\w-]+)' does not take an argument/.exec((error as Error).message)?.[1];
    const opposite = flagWithValue && command.options?.[`not-${flagWithValue}`] ? ` (for the opposite: --not-${flagWithValue})` : '';
    throw new UsageError(`${(error as Error).message}${opposite}`, usage);
  }
  const args = parsed.positionals.slice(command.path.length);
  const declared = command.args ?? [];
  const missing = declared.slice(args.length).find((a) => !a.optional);
  if (missing) throw new UsageError(`missing <${missing.name}>`, usage);
  if (args.length > declared.length) throw new UsageError(`unexpected argument "${args[declared.length]}"`, usage);

  const { values } = parsed;
  const text = (name: string, variable: string) => {
    const value = typeof values[name] === 'string' ? (values[name] as string) : io.env[variable];
    return value?.trim() ? value.trim() : undefined;
  };
  const client = new Client({ url: text('url', 'SAGA_URL') ?? DEFAULT_URL, token: text('token', 'SAGA_TOKEN'), actor: text('actor', 'SAGA_ACTOR') });
  const code = await command.run({ client, values, args, json: values.json === true, out: makeOutput(io), usage });
  return code ?? EXIT.ok;
}

/** Run one command line; resolves to the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof CliError) {
      const extra = error.exitCode === EXIT.usage && error.lines.length ? ['', ...error.lines] : error.lines;
      io.stderr.write([`error: ${error.message}`, ...extra].join('\n') + '\n');
      return error.exitCode;
    }
    const detail = io.env.SAGA_CTL_DEBUG ? ((error as Error).stack ?? String(error)) : String((error as Error)?.message ?? error);
    io.stderr.write(`error: saga-ctl failed unexpectedly: ${detail}\n`);
    return EXIT.api;
  }
}
