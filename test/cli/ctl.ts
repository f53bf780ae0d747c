/** Run saga-ctl as a user would: a child process, its exit code, what it printed. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/saga-ctl.mjs', import.meta.url));

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CtlOptions {
  /** SAGA_URL, SAGA_TOKEN, SAGA_ACTOR and the like; nothing of the caller's SAGA_* leaks in. */
  env?: Record<string, string>;
  /** Through bin/saga-ctl.mjs (from `cwd`) instead of `node --import tsx cli/main.ts` in the repo. */
  bin?: boolean;
  cwd?: string;
}

export function ctl(args: string[], options: CtlOptions = {}): Promise<CtlResult> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('SAGA_')));
  const argv = options.bin ? [BIN, ...args] : ['--import', 'tsx', 'cli/main.ts', ...args];
  const child = spawn(process.execPath, argv, {
    cwd: options.cwd ?? ROOT,
    env: { ...env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A stack trace line, which an expected error must never print. */
export const STACK_LINE = /^\s+at .+\(.*:\d+:\d+\)$|^\s+at .*:\d+:\d+$/m;

/** The table row that names `id`. */
export function rowOf(output: string, id: string): string {
  const row = output.split('\n').find((line) => line.includes(id));
  if (!row) throw new Error(`no row for ${id} in:\n${output}`);
  return row;
}
