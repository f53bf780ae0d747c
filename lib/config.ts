/**
 * The one place configuration is read: environment variables with defaults, validated at
 * start-up. A bad value stops the process with a message naming the variable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { CURRENT_MACHINE_VERSION, isMachineVersion, MACHINES } from '../machines/index.ts';

/** How a service proves itself to NATS: at most one of these, plus TLS when a CA is given. */
export interface NatsAuth {
  user?: string;
  password?: string;
  token?: string;
  /** An nkey seed (SU…), from NATS_NKEY_SEED or the file NATS_NKEY_SEED_FILE. */
  nkeySeed?: string;
  /** A .creds file (JWT + nkey seed). */
  credsFile?: string;
  tls?: { caFile: string; certFile?: string; keyFile?: string };
}

export interface Config {
  /** NATS server URL(s), comma-separated. */
  natsUrl: string;
  natsAuth: NatsAuth;
  /** Replicas for streams and buckets: 1 for a single server, 3 for a 3-node cluster. */
  natsReplicas: number;
  /** Where the orchestrator's HTTP server listens: loopback unless HOST says otherwise. */
  host: string;
  port: number;
  /** ALLOW_INSECURE_OPEN_API=true: listen beyond loopback without OPS_TOKEN (logged, and shown on the System page). */
  allowInsecureOpenApi: boolean;
  /** Host header names the API answers besides localhost, loopback and IP literals, and this machine's name; `*`: any (the check is off). */
  trustedHosts: string[] | '*';
  /** Clients of the live stream (/api/stream) at once; more are answered 503 with Retry-After. */
  streamMaxClients: number;
  /** Requests per client (token label, else IP) per rate-limit window under /api: reads (GET, HEAD) and writes; 0: no limit. */
  rateLimit: { reads: number; writes: number; windowMs: number };
  /** Concurrent command handlers per worker process. */
  workerPoolSize: number;
  /** How many deliveries a worker tries on transient faults before it gives up and dead-letters. */
  workerMaxDeliveries: number;
  /** Base delay of the worker's exponential backoff (with full jitter). */
  workerBackoffMs: number;
  /** How long a step may wait for its reply before the saga retries it. */
  stepTimeoutMs: number;
  /** Attempts per step before the saga parks in `stuck`. */
  stepMaxAttempts: number;
  /** Simulated transient fault rate of every worker call, 0..1. */
  faultRate: number;
  /** Simulated latency added to every worker call. */
  workerLatencyMs: number;
  /** How long shipping hangs for a SLOW- SKU (past every automatic attempt by default: defaultSlowShippingMs). */
  slowShippingMs: number;
  /** Concurrent saga events the orchestrator handles (different sagas; one saga stays ordered). */
  orchestratorConcurrency: number;
  /**
   * Sagas running at once (all instances together) before new submissions wait in their stream:
   * in a burst, the sagas in flight are served before new ones start, so queues stay short.
   */
  maxActiveSagas: number;
  /**
   * How long a service may hold a message without a sign of life before JetStream hands it to
   * another instance: a worker or orchestrator that dies is noticed after this, not after the
   * step timeout. Messages still being handled (or waiting their turn) say so every third of it.
   */
  ackWaitMs: number;
  /** How long finished sagas (and the streams' messages) are kept before they leave the hot bucket. */
  sagaRetentionMs: number;
  otelEndpoint: string | undefined;
  /** Share of new traces sampled (0..1) when exporting; a sampled order is traced through every service. */
  traceSampleRatio: number;
  /** HTTP port of a worker's /health, /ready and /metrics (0: none). */
  workerPort: number | undefined;
  traceUrlTemplate: string;
  /** Tokens that may act (operator actions, dead letters), each with the label used as the actor. */
  opsTokens: LabelledToken[];
  /** Tokens that may read; when none are set, reads are open. Ops tokens may always read. */
  readTokens: LabelledToken[];
  /** A running saga without a transition for this long shows in the `stalled` view. */
  stuckAfterMs: number;
  /** A bulk job whose entry nobody rewrote for this long (on the observer's own clock) is taken over by another instance. */
  bulkLeaseMs: number;
  /** The machine version new sagas start on (the current one unless pinned, e.g. during a rollout). */
  sagaMachineVersion: string;
  logLevel: string;
  logPretty: boolean;
  /** Where `npm start` keeps its embedded nats-server's data, and the orchestrator its saga index. */
  dataDir: string;
  /** The orchestrator's SQLite index of every saga (one file per instance; rebuilt from the bucket when missing). */
  indexPath: string;
  /** Names this process in replies, logs and the UI. */
  instanceId: string;
}

type Env = Record<string, string | undefined>;

export interface LabelledToken {
  label: string;
  token: string;
}

/** `secret` or `alice:secret1,bob:secret2`: a bare token is labelled with `fallbackLabel`. */
function readTokens(env: Env, name: string, fallbackLabel: string): LabelledToken[] {
  const raw = env[name];
  if (!raw) return [];
  return raw.split(',').map((part) => {
    const trimmed = part.trim();
    const colon = trimmed.indexOf(':');
    const token = colon > 0 ? { label: trimmed.slice(0, colon), token: trimmed.slice(colon + 1) } : { label: fallbackLabel, token: trimmed };
    if (token.token.length < 8) throw new ConfigError(`${name}: every token must be at least 8 characters`);
    return token;
  });
}

class ConfigError extends Error {}

const DAY_MS = 24 * 3_600_000;
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS };

/** `30d`, `12h`, `90m`, `45s`, `500ms`, or a bare number of milliseconds; at least one minute. */
function readDuration(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
  const value = match ? Number(match[1]) * DURATION_UNITS[match[2] ?? 'ms']! : NaN;
  if (!Number.isSafeInteger(value) || value < 60_000) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: a duration such as 30d, 12h or 90m (or milliseconds), at least 1m`);
  }
  return value;
}

function readNumber(env: Env, name: string, fallback: number, check: (n: number) => boolean, rule: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: ${rule}`);
  return value;
}

const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
const nonNegativeInt = (n: number) => Number.isInteger(n) && n >= 0;

/**
 * How long a SLOW- shipment hangs unless SLOW_SHIPPING_MS says: long enough that the saga uses
 * up its attempts and parks in `stuck`. Attempts overlap and share one effect key: once the
 * first attempt's hang ends the shipment is booked and every later attempt is answered at once,
 * so the last automatic attempt (sent about STEP_MAX_ATTEMPTS - 1 timeouts in) must reach the
 * worker before that. One whole round of timeouts, plus room for timer and queue lag.
 */
export function defaultSlowShippingMs(stepTimeoutMs: number, stepMaxAttempts: number): number {
  return stepMaxAttempts * stepTimeoutMs + Math.max(stepTimeoutMs, 5_000);
}

export function loadConfig(env: Env = process.env): Config {
  const stepTimeoutMs = readNumber(env, 'STEP_TIMEOUT_MS', 10_000, positiveInt, 'a positive integer of milliseconds');
  const stepMaxAttempts = readNumber(env, 'STEP_MAX_ATTEMPTS', 3, positiveInt, 'a positive integer');
  const natsReplicas = readNumber(env, 'NATS_REPLICAS', 1, (n) => [1, 3, 5].includes(n), 'one of 1, 3, 5');
  const traceUrlTemplate = env.TRACE_URL_TEMPLATE || 'http://localhost:16686/trace/{traceId}';
  if (!traceUrlTemplate.includes('{traceId}')) {
    throw new ConfigError(`TRACE_URL_TEMPLATE must contain {traceId}, got ${JSON.stringify(traceUrlTemplate)}`);
  }
  const logPretty = (env.LOG_FORMAT ?? 'json') === 'pretty';
  if (!['json', 'pretty'].includes(env.LOG_FORMAT ?? 'json')) throw new ConfigError(`LOG_FORMAT must be json or pretty`);
  // Protected reads with open actions would let anyone who may read act: refuse the half-set-up.
  if (env.READ_TOKEN && !env.OPS_TOKEN) throw new ConfigError('READ_TOKEN is set without OPS_TOKEN: set OPS_TOKEN too, so that acting needs more than reading');
  return {
    natsUrl: env.NATS_URL || 'nats://127.0.0.1:4222',
    natsAuth: readNatsAuth(env),
    natsReplicas,
    host: env.HOST || '127.0.0.1',
    port: readNumber(env, 'PORT', 3000, (n) => nonNegativeInt(n) && n < 65536, 'a TCP port (0 picks a free one)'),
    workerPoolSize: readNumber(env, 'WORKER_POOL_SIZE', 10, positiveInt, 'a positive integer'),
    workerMaxDeliveries: readNumber(env, 'WORKER_MAX_DELIVERIES', 5, positiveInt, 'a positive integer'),
    workerBackoffMs: readNumber(env, 'WORKER_BACKOFF_MS', 100, nonNegativeInt, 'a non-negative integer of milliseconds'),
    stepTimeoutMs,
    stepMaxAttempts,
    faultRate: readNumber(env, 'FAULT_RATE', 0, (n) => n >= 0 && n <= 1, 'a number from 0 to 1'),
    workerLatencyMs: readNumber(env, 'WORKER_LATENCY_MS', 0, nonNegativeInt, 'a non-negative integer of milliseconds'),
    slowShippingMs: readNumber(env, 'SLOW_SHIPPING_MS', defaultSlowShippingMs(stepTimeoutMs, stepMaxAttempts), nonNegativeInt, 'a non-negative integer of milliseconds'),
    orchestratorConcurrency: readNumber(env, 'ORCHESTRATOR_CONCURRENCY', 64, positiveInt, 'a positive integer'),
    maxActiveSagas: readNumber(env, 'MAX_ACTIVE_SAGAS', 2000, positiveInt, 'a positive integer'),
    ackWaitMs: readNumber(env, 'ACK_WAIT_MS', 2_000, (n) => Number.isInteger(n) && n >= 300, 'an integer of milliseconds, at least 300'),
    sagaRetentionMs: readDuration(env, 'SAGA_RETENTION', 30 * DAY_MS),
    otelEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    traceSampleRatio: readNumber(env, 'TRACE_SAMPLE_RATIO', 1, (n) => n >= 0 && n <= 1, 'a number from 0 to 1'),
    workerPort: env.WORKER_PORT === undefined || env.WORKER_PORT === '' ? undefined : readNumber(env, 'WORKER_PORT', 0, (n) => nonNegativeInt(n) && n < 65536, 'a TCP port'),
    traceUrlTemplate,
    opsTokens: readTokens(env, 'OPS_TOKEN', 'operator'),
    readTokens: readTokens(env, 'READ_TOKEN', 'reader'),
    stuckAfterMs: readNumber(env, 'STUCK_AFTER_MS', 5 * 60_000, positiveInt, 'a positive integer of milliseconds'),
    bulkLeaseMs: readNumber(env, 'BULK_LEASE_MS', 30_000, (n) => Number.isInteger(n) && n >= 100, 'an integer of milliseconds, at least 100'),
    sagaMachineVersion: readMachineVersion(env),
    logLevel: env.LOG_LEVEL || 'info',
    logPretty,
    dataDir: env.DATA_DIR || '.data',
    indexPath: env.INDEX_PATH || join(env.DATA_DIR || '.data', 'saga-index.sqlite'),
    instanceId: env.INSTANCE_ID || `${hostname()}-${process.pid}`,
    allowInsecureOpenApi: readFlag(env, 'ALLOW_INSECURE_OPEN_API'),
    trustedHosts: readTrustedHosts(env),
    streamMaxClients: readNumber(env, 'STREAM_MAX_CLIENTS', 100, positiveInt, 'a positive integer'),
    rateLimit: {
      reads: readNumber(env, 'RATE_LIMIT_READS', 6000, nonNegativeInt, 'a non-negative integer (requests per client per window; 0: no limit)'),
      writes: readNumber(env, 'RATE_LIMIT_WRITES', 6000, nonNegativeInt, 'a non-negative integer (requests per client per window; 0: no limit)'),
      windowMs: readNumber(env, 'RATE_LIMIT_WINDOW_MS', 60_000, (n) => Number.isInteger(n) && n >= 1000, 'an integer of milliseconds, at least 1000'),
    },
  };
}

function readFlag(env: Env, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(`${name}=${JSON.stringify(env[name])} is invalid: true or false`);
}

/** `TRUSTED_HOSTS=orders.example.com,*.corp.example.com`, or `*` to turn the Host check off. */
function readTrustedHosts(env: Env): string[] | '*' {
  const names = (env.TRUSTED_HOSTS ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  if (names.includes('*')) return '*';
  for (const name of names) {
    if (!/^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(name)) throw new ConfigError(`TRUSTED_HOSTS: ${JSON.stringify(name)} is not a host name (e.g. orders.example.com or *.example.com, no port)`);
  }
  return names;
}

/** HOST values that keep the API on this machine: the loopback addresses and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || /^::ffff:127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * Why the orchestrator must not start as configured, or undefined: listening beyond loopback
 * with nobody's token needed to act opens every operator action to the network, unless the
 * operator said so by name (ALLOW_INSECURE_OPEN_API=true).
 */
export function openApiRefusal(config: Pick<Config, 'host' | 'opsTokens' | 'allowInsecureOpenApi'>): string | undefined {
  if (isLoopbackHost(config.host) || config.opsTokens.length > 0 || config.allowInsecureOpenApi) return undefined;
  return (
    `HOST=${config.host} listens beyond this machine, and OPS_TOKEN is not set: anyone who reaches the port could act on every order. ` +
    'Set OPS_TOKEN (and READ_TOKEN to protect reads), or listen on loopback (unset HOST), or accept an open API explicitly with ALLOW_INSECURE_OPEN_API=true'
  );
}

/** What the configuration leaves open, in words, for the start-up log and the System page: empty when nothing is. */
export function openApiWarnings(config: Pick<Config, 'host' | 'opsTokens' | 'readTokens' | 'allowInsecureOpenApi' | 'trustedHosts'>): string[] {
  const warnings: string[] = [];
  const beyondLoopback = !isLoopbackHost(config.host);
  if (beyondLoopback && config.opsTokens.length === 0 && config.allowInsecureOpenApi) {
    warnings.push(`INSECURE: ALLOW_INSECURE_OPEN_API=true and no OPS_TOKEN: anyone who reaches ${config.host} may retry, compensate, cancel and redrive orders`);
  }
  if (beyondLoopback && config.readTokens.length === 0) warnings.push(`READ_TOKEN is not set: anyone who reaches ${config.host} may read every order`);
  if (config.trustedHosts === '*') warnings.push('TRUSTED_HOSTS=*: the Host check is off, so a DNS-rebinding page can reach the API from a browser on this network');
  return warnings;
}

function readNatsAuth(env: Env): NatsAuth {
  const auth: NatsAuth = {};
  if (env.NATS_USER) {
    auth.user = env.NATS_USER;
    auth.password = env.NATS_PASSWORD ?? '';
  }
  if (env.NATS_TOKEN) auth.token = env.NATS_TOKEN;
  const seed = env.NATS_NKEY_SEED || (env.NATS_NKEY_SEED_FILE ? readSecretFile(env.NATS_NKEY_SEED_FILE, 'NATS_NKEY_SEED_FILE') : undefined);
  if (seed) {
    if (!/^SU[A-Z2-7]{50,}$/.test(seed)) throw new ConfigError('NATS_NKEY_SEED must be a user nkey seed (it starts with SU)');
    auth.nkeySeed = seed;
  }
  if (env.NATS_CREDS) {
    readSecretFile(env.NATS_CREDS, 'NATS_CREDS');
    auth.credsFile = env.NATS_CREDS;
  }
  const methods = [auth.user, auth.token, auth.nkeySeed, auth.credsFile].filter(Boolean).length;
  if (methods > 1) throw new ConfigError('set only one of NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED(_FILE), NATS_CREDS');
  if (env.NATS_TLS_CA) {
    readSecretFile(env.NATS_TLS_CA, 'NATS_TLS_CA');
    auth.tls = { caFile: env.NATS_TLS_CA };
    if (env.NATS_TLS_CERT || env.NATS_TLS_KEY) {
      if (!env.NATS_TLS_CERT || !env.NATS_TLS_KEY) throw new ConfigError('NATS_TLS_CERT and NATS_TLS_KEY go together');
      auth.tls.certFile = env.NATS_TLS_CERT;
      auth.tls.keyFile = env.NATS_TLS_KEY;
    }
  }
  return auth;
}

function readSecretFile(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`${name}=${path} cannot be read: ${(error as Error).message}`);
  }
}

function readMachineVersion(env: Env): string {
  const version = env.SAGA_MACHINE_VERSION || CURRENT_MACHINE_VERSION;
  if (!isMachineVersion(version)) {
    throw new ConfigError(`SAGA_MACHINE_VERSION=${JSON.stringify(version)} is not a known machine version (${Object.keys(MACHINES).join(', ')})`);
  }
  return version;
}

/** Load the configuration or exit with a readable message: the start-up gate of every service. */
export function loadConfigOrExit(env: Env = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`configuration error: ${error.message}`);
    process.exit(2);
  }
}

/** The configuration as it may be logged: secrets masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  const mask = (tokens: LabelledToken[]) => tokens.map(({ label }) => `${label}:***`);
  const { password, token, nkeySeed, ...natsAuth } = config.natsAuth;
  return {
    ...config,
    // Secrets never reach a log: only whether they are set.
    natsAuth: { ...natsAuth, ...(password !== undefined ? { password: '***' } : {}), ...(token ? { token: '***' } : {}), ...(nkeySeed ? { nkeySeed: '***' } : {}) },
    natsUrl: config.natsUrl.replace(/\/\/[^@/]*@/g, '//***@'),
    opsTokens: mask(config.opsTokens),
    readTokens: mask(config.readTokens),
  };
}
