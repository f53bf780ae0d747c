/** /api/bulk: retry, compensate, pause or resume every saga matching a filter, as a background job. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isBulkKeyReused, type BulkJobs } from '../ops/bulk.ts';
import { HttpProblem } from './problems.ts';
import { BulkDryRunSchema, BulkIdempotencyHeadersSchema, BulkIdParamsSchema, BulkJobListSchema, BulkJobSchema, BulkStartBodySchema, type BulkDryRun } from './schemas/bulk.ts';
import { answer, problems, ReasonBodySchema } from './schemas/common.ts';

export interface BulkRoutesOptions {
  bulk: BulkJobs;
}

const startSchema = {
  tags: ['bulk jobs'],
  summary: 'Start a bulk job (or, with `dryRun`, count what it would cover)',
  description: 'Answers 202 with a new job, 200 with the job the same request (or Idempotency-Key) started before, or 200 with the dry run.',
  headers: BulkIdempotencyHeadersSchema,
  body: BulkStartBodySchema,
  response: {
    200: answer('The dry run, or the job the same request started before', Type.Union([BulkDryRunSchema, BulkJobSchema])),
    202: answer('Started', BulkJobSchema),
    ...problems(400, 401, 403, 422, 503, 504),
  },
};

export const bulkRoutes: FastifyPluginAsyncTypebox<BulkRoutesOptions> = async function bulkRoutes(app, { bulk }) {
  app.post('/api/bulk', { schema: startSchema, config: { access: 'ops' } }, async (request, reply) => {
    const { action, filter, reason, dryRun } = request.body;
    if (Object.keys(filter).length === 0) {
      throw new HttpProblem(400, 'Invalid request', 'a bulk action needs at least one filter', {
        errors: [{ field: 'filter', message: 'must name at least one of status, state, customerId, q, retrying, paused, stalled, incident' }],
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
  });

  app.get(
    '/api/bulk',
    { schema: { tags: ['bulk jobs'], summary: 'List bulk jobs, newest first', response: { 200: BulkJobListSchema, ...problems(401, 503) } } },
    async () => ({ items: await bulk.list() }),
  );

  app.get(
    '/api/bulk/:id',
    { schema: { tags: ['bulk jobs'], summary: 'Read a bulk job', params: BulkIdParamsSchema, response: { 200: BulkJobSchema, ...problems(400, 401, 404, 503) } } },
    async (request) => {
      const job = await bulk.get(request.params.id);
      if (!job) throw new HttpProblem(404, 'Not found', `no bulk job ${request.params.id}`);
      return job;
    },
  );

  app.post(
    '/api/bulk/:id/cancel',
    {
      schema: {
        tags: ['bulk jobs'],
        summary: 'Cancel a running bulk job',
        params: BulkIdParamsSchema,
        body: ReasonBodySchema,
        response: { 200: BulkJobSchema, ...problems(400, 401, 403, 404, 503, 504) },
      },
      config: { access: 'ops' },
    },
    async (request) => {
      const job = await bulk.cancel(request.params.id, request.actor, request.body.reason, request.authenticatedAs);
      if (!job) throw new HttpProblem(404, 'Not found', `no bulk job ${request.params.id}`);
      return job;
    },
  );
};
