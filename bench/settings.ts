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

/** A comma-separated list of sizes (`0,100000`), each a whole number, smallest first. */
export function envSizes(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const sizes = raw.split(',').map((part) => Number(part.trim()));
  if (sizes.some((size) => !Number.isSafeInteger(size) || size < 0)) throw new Error(`${name}=${JSON.stringify(raw)} must list whole numbers, e.g. 0,100000`);
  return sizes.sort((a, b) => a - b);
}

/**
 * What the system starts with, by profile. `bench`: under load a step can wait long for its
 * reply without anything being wrong, so a long step timeout keeps the benchmark from measuring
 * retries it caused itself. `service`: the services' own defaults, as `npm start` runs them, to
 * see what a burst does to a system configured as shipped. Both: quiet logs, so the processes do
 * not spend the benchmark writing them, and the worker pool the load issues name.
 */
const PROFILES = {
  bench: { LOG_LEVEL: 'error', STEP_TIMEOUT_MS: '30000', WORKER_POOL_SIZE: '64' },
  service: { LOG_LEVEL: 'error', WORKER_POOL_SIZE: '64' },
} satisfies Record<string, Record<string, string>>;

export type EnvProfile = keyof typeof PROFILES;

/** Tuning knobs (lib/config.ts) a run may set in its own environment to try another value. */
const KNOBS = ['WORKER_POOL_SIZE', 'ORCHESTRATOR_CONCURRENCY', 'STEP_TIMEOUT_MS', 'TRACE_SAMPLE_RATIO', 'WORKER_LATENCY_MS', 'FAULT_RATE', 'LOG_LEVEL'];

/**
 * The system's environment: the profile's defaults, then any knob set in this process's
 * environment, then BENCH_SYSTEM_ENV (`A=1 B=2`) for a variable this list does not know yet.
 */
export function systemEnv(overrides: Record<string, string> = {}, profile: EnvProfile = 'bench'): Record<string, string> {
  const fromKnobs = Object.fromEntries(KNOBS.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
  const extra = Object.fromEntries(
    (process.env.BENCH_SYSTEM_ENV ?? '')
      .split(/\s+/)
      .filter((pair) => pair.includes('='))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  return { ...PROFILES[profile], ...fromKnobs, ...extra, ...overrides };
}
