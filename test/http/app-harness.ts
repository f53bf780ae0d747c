/**
 * The orchestrator's Fastify app built as main.ts builds it, with the real services on a private
 * nats-server, for `inject` tests of the HTTP layer. No deadlines and no workers; the inbox on request.
 */
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { createRegistry } from '../../lib/metrics.ts';
import { connectNats, ensureTopology, type Nats } from '../../lib/topology.ts';
import { buildApp } from '../../orchestrator/http/app.ts';
import type { RouteAccess } from '../../orchestrator/http/auth.ts';
import { SagaMetrics } from '../../orchestrator/metrics.ts';
import { AuditLog } from '../../orchestrator/ops/audit.ts';
import { BulkJobs } from '../../orchestrator/ops/bulk.ts';
import { DeadLetterDesk } from '../../orchestrator/ops/dead-letters.ts';
import { SagaCatalog } from '../../orchestrator/saga/catalog.ts';
import { Inbox } from '../../orchestrator/saga/inbox.ts';
import { LoadMeter } from '../../orchestrator/saga/load-meter.ts';
import { QueueProgress } from '../../orchestrator/saga/queue-progress.ts';
import { SagaRuntime } from '../../orchestrator/saga/runtime.ts';
import { SagaBucket } from '../../orchestrator/saga/saga-bucket.ts';
import { jetstreamManager } from '@nats-io/jetstream';

export interface TestApp {
  app: FastifyInstance;
  nats: Nats;
  config: Config;
  runtime: SagaRuntime;
  audit: AuditLog;
  /** Every route the app registered and what it needs (auth.ts collects them with an onRoute hook). */
  routes: RouteAccess[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** The orchestrator's env, over NATS_URL. */
  env?: Record<string, string>;
  /** How long a JetStream API call waits, so that an outage answers within a test's patience. */
  jsTimeoutMs?: number;
  /** Settings over what the env gives, e.g. a combination loadConfig refuses. */
  override?: Partial<Config>;
  /** Run the saga inbox too, so submitted orders become sagas (no workers: they wait at their first step). */
  runSagas?: boolean;
  /** Called with the built app before it is ready: a test's own hooks still reach every route. */
  beforeReady?: (app: FastifyInstance) => void;
}

export async function buildTestApp(natsUrl: string, { env = {}, jsTimeoutMs, runSagas = false, override = {}, beforeReady }: TestAppOptions = {}): Promise<TestApp> {
  // Tests send many requests from one client: the per-client budgets are raised unless a test sets its own.
  const config = { ...loadConfig({ NATS_URL: natsUrl, LOG_LEVEL: 'silent', RATE_LIMIT_READS: '10000000', RATE_LIMIT_WRITES: '10000000', ...env }), ...override };
  const logger = createLogger('orchestrator', config);
  const registry = createRegistry('orchestrator');
  const metrics = new SagaMetrics(registry);
  const nats = await connectNats(config, 'http-test');
  if (jsTimeoutMs) nats.jsm = await jetstreamManager(nats.nc, { timeout: jsTimeoutMs });
  const topology = await ensureTopology(nats, config);
  const catalog = new SagaCatalog(logger);
  const bucket = new SagaBucket(topology.sagas, topology.sagasOnLeader, catalog.clock, logger);
  const runtime = new SagaRuntime(bucket, nats, config, logger, metrics);
  await catalog.start(bucket);
  await catalog.ready;
  const queues = new QueueProgress(nats.jsm);
  const loadMeter = new LoadMeter();
  loadMeter.attach(catalog);
  const audit = new AuditLog(nats.js, nats.jsm);
  const deadLetters = new DeadLetterDesk(nats.js, nats.jsm, audit);
  const bulk = new BulkJobs(topology.bulkJobs, runtime, catalog, audit, config, logger);
  const inbox = runSagas ? new Inbox(runtime, nats.js, logger, metrics) : undefined;
  await inbox?.start({ concurrency: config.orchestratorConcurrency, heartbeatMs: Math.floor(config.ackWaitMs / 3) });

  const app = await buildApp({ config, nats, topology, runtime, catalog, queues, loadMeter, audit, deadLetters, bulk, metrics, registry }, logger);
  beforeReady?.(app);
  await app.ready();
  return {
    app,
    nats,
    config,
    runtime,
    audit,
    routes: app.routeAccess,
    async close() {
      await app.close();
      await inbox?.stop();
      bulk.stop();
      catalog.stop();
      await nats.nc.close();
    },
  };
}
