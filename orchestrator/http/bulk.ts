/** /api/bulk: retry or compensate every saga matching a filter, as a background job. */
import type { FastifyInstance } from 'fastify';
import type { BulkDryRun } from '../../api/contract.ts';
import { isBulkKeyReused, type BulkAction, type BulkFilter } from '../ops/bulk.ts';
import { requireOps } from './auth.ts';
import { SAGA_FILTER_PROPERTIES } from './orders.ts';
import { HttpProblem } from './problems.ts';

const startSchema = {
  headers: {
    type: 'object',
    properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } },
  },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['action', 'filter', 'reason'],
    properties: {
      action: { type: 'string', enum: ['retry', 'compensate'] },
      reason: { type: 'string', minLength: 1, maxLength: 1000 },
      dryRun: { type: 'boolean', default: false },
      filter: { type: 'object', additionalProperties: false, properties: SAGA_FILTER_PROPERTIES },
    },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^bulk_[0-9a-f]{20}$' } } } as const;

export async function bulkRoutes(app: FastifyInstance): Promise<void> {
  const { bulk } = app.saga;

  app.post<{ Body: { action: BulkAction; filter: BulkFilter; reason: string; dryRun: boolean }; Headers: { 'idempotency-key'?: string } }>(
    '/api/bulk',
    { schema: startSchema, preHandler: requireOps },
    async (request, reply) => {
      const { action, filter, reason, dryRun } = request.body;
      if (Object.keys(filter).length === 0) {
        throw new HttpProblem(400, 'Invalid request', 'a bulk action needs at least one filter', {
          errors: [{ field: 'filter', message: 'must name at least one of status, state, customerId, q, retrying, stalled' }],
        });
      }
      if (dryRun) {
        const ids = bulk.matching(filter);
        const preview: BulkDryRun = { matched: ids.length, sample: ids.slice(0, 20) };
        return preview;
      }
      const idempotencyKey = request.headers['idempotency-key'];
      const { job, created } = await bulk
        .start({ action, filter, reason, actor: request.actor, authenticatedAs: request.authenticatedAs, ...(idempotencyKey ? { idempotencyKey } : {}) })
        .catch((error: unknown) => {
          if (!isBulkKeyReused(error)) throw error;
          // As for orders: a reused key with another body is refused, never answered with the old job.
          throw new HttpProblem(422, 'Idempotency-Key reused', 'this Idempotency-Key was used for a different bulk request (action, filter or reason)', {
            errors: [{ field: 'headers.idempotency-key', message: 'was already used with a different request body' }],
            jobId: error.jobId,
          });
        });
      return reply.code(created ? 202 : 200).header('Location', `/api/bulk/${job.id}`).send(job);
    },
  );

  app.get('/api/bulk', async () => ({ items: await bulk.list() }));

  app.get<{ Params: { id: string } }>('/api/bulk/:id', { schema: { params: idParams } }, async (request) => {
    const job = await bulk.get(request.params.id);
    if (!job) throw new HttpProblem(404, 'Not found', `no bulk job ${request.params.id}`);
    return job;
  });

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/api/bulk/:id/cancel',
    {
      schema: {
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } } },
      },
      preHandler: requireOps,
    },
    async (request) => {
      const job = await bulk.cancel(request.params.id, request.actor, request.body.reason, request.authenticatedAs);
      if (!job) throw new HttpProblem(404, 'Not found', `no bulk job ${request.params.id}`);
      return job;
    },
  );
}
