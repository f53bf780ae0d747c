/** What the UI needs to start: its configuration, the counts the overview heat map shows, and the load in front of the sagas. */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { AppConfig, Load, OverviewWithLoad } from '../../api/contract.ts';
import { CURRENT_MACHINE_VERSION } from '../../machines/index.ts';
import { loadOf } from '../saga/load-meter.ts';
import type { QueueSnapshot } from '../saga/queue-progress.ts';
import { requireLiveIndex } from './broker-pulse.ts';

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

export async function overviewRoutes(app: FastifyInstance): Promise<void> {
  const { catalog, config, nats, queues, loadMeter } = app.saga;

  // The UI reads this before it has a token: it says whether one is needed.
  app.get('/api/config', { config: { access: 'open' } }, async (): Promise<AppConfig> => ({
    traceUrlTemplate: config.traceUrlTemplate,
    opsTokenRequired: config.opsTokens.length > 0,
    readTokenRequired: config.readTokens.length > 0,
    machineVersion: CURRENT_MACHINE_VERSION,
  }));

  app.get('/api/overview', async (request, reply): Promise<OverviewWithLoad> => {
    await requireLiveIndex(nats.nc, reply, 'the overview');
    const snapshot = await queuesWithin(() => queues.snapshot(), request.log);
    const counts = catalog.counts();
    const load: Load | null = snapshot && loadOf(snapshot, counts.byStatus.running, config.maxActiveSagas, loadMeter.rates(), new Date());
    // While a new index is still being built from the bucket, the counts cover what is indexed so far.
    return { ...counts, load, ...(catalog.catchingUp ? { catchingUp: true } : {}) };
  });
}
