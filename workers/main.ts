/**
 * `npm run start:worker -- inventory|payment|shipping`: one worker service as its own process,
 * as it runs in its own container.
 */
import { describeConfig, loadConfigOrExit } from '../lib/config.ts';
import { createLogger } from '../lib/logger.ts';
import { connectNats, ensureTopology } from '../lib/topology.ts';
import { createRegistry, serveProbes } from '../lib/metrics.ts';
import { startTelemetry, stopTelemetry } from '../lib/telemetry.ts';
import { isService } from '../machines/index.ts';
import { WorkerMetrics } from './metrics.ts';
import { startWorker } from './runtime.ts';
import { DEFAULT_WORKER_PORTS, SERVICE_NAMES, SERVICE_OPENERS } from './services.ts';

const name = process.argv[2];
if (!isService(name)) {
  const problem = name ? `unknown worker service "${name}"` : 'no worker service named';
  console.error(`${problem}. Valid services: ${SERVICE_NAMES.join(', ')}.\nusage: npm run start:worker -- ${SERVICE_NAMES.join('|')}`);
  process.exit(2);
}

const config = loadConfigOrExit();
await startTelemetry(`worker-${name}`, config);
const logger = createLogger(`worker-${name}`, config);
logger.info({ config: describeConfig(config) }, 'starting worker');

const nats = await connectNats(config, `worker-${name}-${config.instanceId}`);
const topology = await ensureTopology(nats, config);
const service = await SERVICE_OPENERS[name](topology.ledgers[name], logger);
const registry = createRegistry(`worker-${name}`);
const worker = await startWorker({ service: name, business: service.business, config, nats, topology, logger, metrics: new WorkerMetrics(registry) });
// /health, /ready and /metrics: WORKER_PORT, else this service's default port; 0 turns it off.
const port = config.workerPort ?? DEFAULT_WORKER_PORTS[name];
const probes = port > 0 ? await serveProbes(port, registry, async () => !nats.nc.isClosed() && nats.nc.info !== undefined) : undefined;
if (probes) logger.info({ port }, 'serving /health, /ready and /metrics');

let stopping = false;
async function shutdown(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping worker');
  await worker.stop();
  await service.close();
  probes?.close();
  await nats.nc.drain();
  await stopTelemetry();
  process.exit(0);
}
// `once`: a second Ctrl-C finds no handler and ends the process at once, in-flight or not.
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
