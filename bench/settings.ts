/**
 * What a bench run may be told from outside: counts and rates from BENCH_* variables (so a
 * quick check runs with small numbers), and the environment every system under test gets.
 */

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${JSON.stringify(raw)} must be a positive number`);
  return value;
}

/**
 * Under load a step can wait long for its reply without anything being wrong: a long step
 * timeout keeps the benchmark from measuring retries it caused itself. Quiet logs, so the
 * processes do not spend the benchmark writing them.
 */
const BENCH_DEFAULTS: Record<string, string> = { LOG_LEVEL: 'error', STEP_TIMEOUT_MS: '30000', WORKER_POOL_SIZE: '64' };

/** Tuning knobs (lib/config.ts) a run may set in its own environment to try another value. */
const KNOBS = ['WORKER_POOL_SIZE', 'ORCHESTRATOR_CONCURRENCY', 'STEP_TIMEOUT_MS', 'TRACE_SAMPLE_RATIO', 'WORKER_LATENCY_MS', 'FAULT_RATE', 'LOG_LEVEL'];

/**
 * The system's environment: bench defaults, then any knob set in this process's environment,
 * then BENCH_SYSTEM_ENV (`A=1 B=2`) for a variable this list does not know yet.
 */
export function systemEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const fromKnobs = Object.fromEntries(KNOBS.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
  const extra = Object.fromEntries(
    (process.env.BENCH_SYSTEM_ENV ?? '')
      .split(/\s+/)
      .filter((pair) => pair.includes('='))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  return { ...BENCH_DEFAULTS, ...fromKnobs, ...extra, ...overrides };
}
