/**
 * `npm run start:worker -- inventory|payment|shipping`: one worker service as its own process,
 * as it runs in its own container.
 */
import { describeConfig, loadConfigOrExit } from '../lib/config.ts';
import { createLogger } from '../lib/logger.ts';
import { connectNats, ensureTopology } from '../lib/topology.ts';
import { startWorker } from './runtime.ts';
import { isService, SERVICE_NAMES, SERVICES } from './services.ts';

const name = process.argv[2];
if (!isService(name)) {
  const problem = name ? `unknown worker service "${name}"` : 'no worker service named';
  console.error(`${problem}. Valid services: ${SERVICE_NAMES.join(', ')}.\nusage: npm run start:worker -- ${SERVICE_NAMES.join('|')}`);
  process.exit(2);
}

const config = loadConfigOrExit();
const logger = createLogger(`worker-${name}`, config);
logger.info({ config: describeConfig(config) }, 'starting worker');

const nats = await connectNats(config, `worker-${name}-${config.instanceId}`);
const topology = await ensureTopology(nats, config);
const service = await SERVICES[name](topology.ledgers[name], logger);
const worker = await startWorker({ service: name, business: service.business, config, nats, topology, logger });

let stopping = false;
async function shutdown(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping worker');
  await worker.stop();
  await service.close();
  await nats.nc.drain();
  process.exit(0);
}
// `once`: a second Ctrl-C finds no handler and ends the process at once, in-flight or not.
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
