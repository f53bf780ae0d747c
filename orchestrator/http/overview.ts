/** What the UI needs to start: its configuration, the counts the overview heat map shows, and the load in front of the sagas. */
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../lib/config.ts';
import type { Nats } from '../../lib/topology.ts';
import { CURRENT_MACHINE_VERSION } from '../../machines/index.ts';
import type { SagaCatalog } from '../saga/catalog.ts';
import { loadOf, type LoadMeter } from '../saga/load-meter.ts';
import type { QueueProgress, QueueSnapshot } from '../saga/queue-progress.ts';
import { requireLiveIndex } from './broker-pulse.ts';
import { problems } from './schemas/common.ts';
import { AppConfigSchema, OverviewWithLoadSchema, type Load } from './schemas/overview.ts';

export interface OverviewRoutesOptions {
  catalog: SagaCatalog;
  nats: Nats;
  queues: QueueProgress;
  loadMeter: LoadMeter;
  config: Pick<Config, 'traceUrlTemplate' | 'opsTokens' | 'readTokens' | 'maxActiveSagas'>;
}

/** The counts are this instance's own: a slow queue probe must not hold them up for long. */
const LOAD_PROBE_MS = 1_000;

/** The queues' snapshot, or null when JetStream does not answer in time. */
async function queuesWithin(snapshot: () => Promise<QueueSnapshot>, log: FastifyBaseLogger): Promise<QueueSnapshot | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), LOAD_PROBE_MS)));
  const probed = snapshot().catch((error: unknown) => {
    log.warn({ err: error }, 'queue probe failed: the overview answers without its load');
    return null;
  });
  return Promise.race([probed, late]).finally(() => clearTimeout(timer));
}

export const overviewRoutes: FastifyPluginAsyncTypebox<OverviewRoutesOptions> = async function overviewRoutes(app, { catalog, config, nats, queues, loadMeter }) {
  // The UI reads this before it has a token: it says whether one is needed.
  const configSchema = { tags: ['inspector'], summary: 'What the UI needs to start (open: it says whether a token is needed)', response: { 200: AppConfigSchema } };
  app.get('/api/config', { schema: configSchema, config: { access: 'open' } }, async () => ({
    traceUrlTemplate: config.traceUrlTemplate,
    opsTokenRequired: config.opsTokens.length > 0,
    readTokenRequired: config.readTokens.length > 0,
    machineVersion: CURRENT_MACHINE_VERSION,
  }));

  const overviewSchema = {
    tags: ['inspector'],
    summary: 'Sagas per status and state, and the load in front of them',
    response: { 200: OverviewWithLoadSchema, ...problems(401, 503) },
  };
  app.get('/api/overview', { schema: overviewSchema }, async (request, reply) => {
    await requireLiveIndex(nats.nc, reply, 'the overview');
    const snapshot = await queuesWithin(() => queues.snapshot(), request.log);
    const counts = catalog.counts();
    // Running as admission counts it (`catalog.running`): a paused saga holds no capacity and will not finish by itself.
    const load: Load | null = snapshot && loadOf(snapshot, catalog.running, config.maxActiveSagas, loadMeter.rates(), new Date());
    // While a new index is still being built from the bucket, the counts cover what is indexed so far.
    return { ...counts, load, ...(catalog.catchingUp ? { catchingUp: true } : {}) };
  });
};
