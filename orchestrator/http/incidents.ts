/** /api/incidents: stuck, failed and retrying sagas grouped by cause, each group a bulk filter. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Nats } from '../../lib/topology.ts';
import { incidentReport } from '../ops/incidents.ts';
import type { SagaCatalog } from '../saga/catalog.ts';
import { requireLiveIndex } from './broker-pulse.ts';
import { answer, problems } from './schemas/common.ts';
import { IncidentQuerySchema, IncidentReportSchema } from './schemas/incidents.ts';

export interface IncidentRoutesOptions {
  catalog: SagaCatalog;
  nats: Nats;
}

const incidentsSchema = {
  tags: ['inspector'],
  summary: 'Incidents: stuck, failed and retrying sagas grouped by step and normalised error',
  description:
    'Each group counts the sagas of one cause (kind, step, and the last error with ids and numbers taken out), with the first and last time seen, ' +
    'the newest order ids, and `filter`: the list, export and bulk filter (`incident=<key>`) of exactly that group. ' +
    'Repair a group with `POST /api/bulk` and that filter: a dry run first counts what it would cover.',
  querystring: IncidentQuerySchema,
  response: { 200: answer('The groups, largest first', IncidentReportSchema), ...problems(400, 401, 503) },
};

export const incidentRoutes: FastifyPluginAsyncTypebox<IncidentRoutesOptions> = async function incidentRoutes(app, { catalog, nats }) {
  app.get('/api/incidents', { schema: incidentsSchema }, async (request, reply) => {
    await requireLiveIndex(nats.nc, reply, 'the incident report');
    return incidentReport(catalog, request.query);
  });
};
