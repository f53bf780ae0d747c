/** What the UI needs to start: its configuration, and the counts the overview heat map shows. */
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../../api/contract.ts';
import { CURRENT_MACHINE_VERSION } from '../../machines/index.ts';
import { requireLiveIndex } from './broker-pulse.ts';

export async function overviewRoutes(app: FastifyInstance): Promise<void> {
  const { catalog, config, nats } = app.saga;

  // The UI reads this before it has a token: it says whether one is needed.
  app.get('/api/config', { config: { access: 'open' } }, async (): Promise<AppConfig> => ({
    traceUrlTemplate: config.traceUrlTemplate,
    opsTokenRequired: config.opsTokens.length > 0,
    readTokenRequired: config.readTokens.length > 0,
    machineVersion: CURRENT_MACHINE_VERSION,
  }));

  app.get('/api/overview', async (_request, reply) => {
    await catalog.ready;
    await requireLiveIndex(nats.nc, reply, 'the overview');
    return catalog.counts();
  });
}
