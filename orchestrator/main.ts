/**
 * The orchestrator service: HTTP API, the saga inbox, durable deadlines and the catalog.
 * `npm run start:orchestrator`.
 */
import { describeConfig, loadConfigOrExit, openApiRefusal, openApiWarnings } from '../lib/config.ts';
import { createLogger } from '../lib/logger.ts';
import { createRegistry } from '../lib/metrics.ts';
import { startTelemetry, stopTelemetry } from '../lib/telemetry.ts';
import { BUCKETS, connectNats, ensureTopology } from '../lib/topology.ts';
import { buildApp } from './http/app.ts';
import { SagaMetrics } from './metrics.ts';
import { AuditLog } from './ops/audit.ts';
import { BulkJobs } from './ops/bulk.ts';
import { DeadLetterDesk } from './ops/dead-letters.ts';
import { SagaCatalog } from './saga/catalog.ts';
import { openSagaIndex } from './saga/index-file.ts';
import { Retention } from './saga/retention.ts';
import { Admission } from './saga/admission.ts';
import { DeadlineScheduler } from './saga/deadlines.ts';
import { Inbox } from './saga/inbox.ts';
import { LoadMeter } from './saga/load-meter.ts';
import { QueueProgress } from './saga/queue-progress.ts';
import { SagaRuntime } from './saga/runtime.ts';
import { SagaBucket } from './saga/saga-bucket.ts';
import { calibrate, ServerClock } from './saga/server-clock.ts';

const config = loadConfigOrExit();
// Safe defaults: an API reachable beyond this machine needs OPS_TOKEN, or an explicit, named opt-out.
const refusal = openApiRefusal(config);
if (refusal) {
  console.error(`configuration error: ${refusal}`);
  process.exit(2);
}
await startTelemetry('orchestrator', config);
const logger = createLogger('orchestrator', config);
const registry = createRegistry('orchestrator');
const metrics = new SagaMetrics(registry);
logger.info({ config: describeConfig(config) }, 'starting orchestrator');
for (const warning of openApiWarnings(config)) logger.warn({ exposure: warning }, warning);

const nats = await connectNats(config, `orchestrator ${config.instanceId}`);
const topology = await ensureTopology(nats, config);
// Write times come from the server's clock, never another instance's: take one fresh sample
// before the catch-up, so an old pending deadline is not taken for a new one.
const serverClock = new ServerClock();
await calibrate(serverClock, nats.jsm, `KV_${BUCKETS.sagas}`).catch((error: unknown) =>
  logger.warn({ err: error }, 'could not sample the server clock; deadlines caught up now may fire late'),
);
// One owner of the saga bucket: the runtime steps sagas through it, the catalog indexes what it reports.
const bucket = new SagaBucket(topology.sagas, topology.sagasOnLeader, serverClock, logger);
const runtime = new SagaRuntime(bucket, nats, config, logger, metrics);
const index = openSagaIndex(config.indexPath, await nats.jsm.streams.info(`KV_${BUCKETS.sagas}`), logger);
const catalog = new SagaCatalog(logger, serverClock, index);
// Resumes from what the index holds: the open sagas are known now, whatever the history behind them.
await catalog.start(bucket);
const queues = new QueueProgress(nats.jsm);
const loadMeter = new LoadMeter();
const deadlines = new DeadlineScheduler(runtime, logger, config.stepTimeoutMs, undefined, undefined, queues);
deadlines.attach(catalog);
deadlines.start();

// Recovery, once the catalog has caught up with the bucket. Only what happens from then on counts as traffic.
void catalog.ready.then(async () => {
  loadMeter.attach(catalog);
  const republished = await runtime.recoverOutboxes(catalog.unfinished());
  logger.info({ sagas: catalog.size, republished }, 'catalog caught up; outboxes of running sagas re-published');
});

const retention = new Retention(nats.jsm, catalog, config.sagaRetentionMs, logger);
retention.start();

metrics.observe(registry, catalog, nats);
const inbox = new Inbox(runtime, nats.js, logger, metrics);
const admission = new Admission(config.maxActiveSagas, () => catalog.running, () => inbox.starting);
catalog.onChange(() => admission.changed());
await inbox.start({ concurrency: config.orchestratorConcurrency, heartbeatMs: Math.floor(config.ackWaitMs / 3) }, admission);

const audit = new AuditLog(nats.js, nats.jsm);
const deadLetters = new DeadLetterDesk(nats.js, nats.jsm, audit);
const bulk = new BulkJobs(topology.bulkJobs, runtime, catalog, audit, config, logger);
bulk.startSweeping();
const app = await buildApp({ config, nats, topology, runtime, catalog, queues, loadMeter, audit, deadLetters, bulk, metrics, registry }, logger);
const address = await app.listen({ host: config.host, port: config.port });
logger.info({ address }, `orchestrator listening on ${address}`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'draining');
  await app.close();
  await inbox.stop();
  bulk.stop();
  deadlines.stop();
  retention.stop();
  bucket.stop();
  catalog.stop();
  catalog.close();
  await nats.nc.drain();
  await stopTelemetry();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
