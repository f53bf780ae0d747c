/** What the UI needs to start: its configuration, and the counts the overview heat map shows. */
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../../api/contract.ts';
import { CURRENT_MACHINE_VERSION } from '../../machines/index.ts';

export async function overviewRoutes(app: FastifyInstance): Promise<void> {
  const { catalog, config } = app.saga;

  // The UI reads this before it has a token: it says whether one is needed.
  app.get('/api/config', { config: { access: 'open' } }, async (): Promise<AppConfig> => ({
    traceUrlTemplate: config.traceUrlTemplate,
    opsTokenRequired: config.opsTokens.length > 0,
    readTokenRequired: config.readTokens.length > 0,
    machineVersion: CURRENT_MACHINE_VERSION,
  }));

  app.get('/api/overview', async () => {
    await catalog.ready;
    return catalog.counts();
  });
}
