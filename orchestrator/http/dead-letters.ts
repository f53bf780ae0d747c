/** /api/dead-letters: list, show, redrive (one or all), discard; and /api/audit, the operator trail. Acting needs an OPS_TOKEN. */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../ops/audit.ts';
import { RedriveRefused, type DeadLetterDesk } from '../ops/dead-letters.ts';
import { HttpProblem } from './problems.ts';
import { problems, ReasonBodySchema } from './schemas/common.ts';
import {
  AuditPageSchema,
  AuditQuerySchema,
  DeadLetterListQuerySchema,
  DeadLetterPageSchema,
  DeadLetterSchema,
  DiscardedSchema,
  RedrivenAllSchema,
  RedrivenSchema,
  SequenceParamsSchema,
} from './schemas/dead-letters.ts';

export interface DeadLetterRoutesOptions {
  deadLetters: DeadLetterDesk;
  audit: AuditLog;
}

const tags = ['dead letters'];

export const deadLetterRoutes: FastifyPluginAsyncTypebox<DeadLetterRoutesOptions> = async function deadLetterRoutes(app, { deadLetters, audit }) {
  const notFound = (sequence: number) => new HttpProblem(404, 'Not found', `no dead letter with sequence ${sequence}`);
  const operatorOf = (request: FastifyRequest) => ({ actor: request.actor, authenticatedAs: request.authenticatedAs });

  app.get(
    '/api/dead-letters',
    {
      schema: {
        tags,
        summary: 'List dead letters, newest first',
        querystring: DeadLetterListQuerySchema,
        response: { 200: DeadLetterPageSchema, ...problems(400, 401, 503) },
      },
    },
    async (request) => deadLetters.list(request.query),
  );

  app.get(
    '/api/dead-letters/:sequence',
    {
      schema: {
        tags,
        summary: 'Read a dead letter: reason, origin, headers, payload decoded',
        params: SequenceParamsSchema,
        response: { 200: DeadLetterSchema, ...problems(400, 401, 404, 503) },
      },
    },
    async (request) => (await deadLetters.show(request.params.sequence)) ?? Promise.reject(notFound(request.params.sequence)),
  );

  app.post(
    '/api/dead-letters/:sequence/redrive',
    {
      schema: {
        tags,
        summary: 'Publish a dead letter again on its original subject',
        description: 'Refused (409) when its original subject is not one the saga streams take, or it was cut down to fit.',
        params: SequenceParamsSchema,
        body: ReasonBodySchema,
        response: { 200: RedrivenSchema, ...problems(400, 401, 403, 404, 409, 503, 504) },
      },
      config: { access: 'ops' },
    },
    async (request) => {
      const letter = await deadLetters.redrive(request.params.sequence, operatorOf(request), request.body.reason).catch((error: unknown) => {
        throw error instanceof RedriveRefused ? new HttpProblem(409, 'Conflict', error.message) : error;
      });
      if (!letter) throw notFound(request.params.sequence);
      return { redriven: letter.sequence, to: letter.originalSubject };
    },
  );

  app.post(
    '/api/dead-letters/redrive-all',
    {
      schema: {
        tags,
        summary: 'Redrive every letter waiting now (refused ones stay)',
        body: ReasonBodySchema,
        response: { 200: RedrivenAllSchema, ...problems(400, 401, 403, 503, 504) },
      },
      config: { access: 'ops' },
    },
    async (request) => deadLetters.redriveAll(operatorOf(request), request.body.reason),
  );

  app.post(
    '/api/dead-letters/:sequence/discard',
    {
      schema: {
        tags,
        summary: 'Discard a dead letter',
        params: SequenceParamsSchema,
        body: ReasonBodySchema,
        response: { 200: DiscardedSchema, ...problems(400, 401, 403, 404, 503, 504) },
      },
      config: { access: 'ops' },
    },
    async (request) => {
      const letter = await deadLetters.discard(request.params.sequence, operatorOf(request), request.body.reason);
      if (!letter) throw notFound(request.params.sequence);
      return { discarded: letter.sequence };
    },
  );

  // `orderId` is an order id and nothing else: a subject wildcard (`*`, `>`) would read other orders' trails.
  app.get(
    '/api/audit',
    {
      schema: {
        tags: ['audit'],
        summary: "The operators' audit trail, newest first",
        querystring: AuditQuerySchema,
        response: { 200: AuditPageSchema, ...problems(400, 401, 503) },
      },
    },
    async (request) => ({ items: await audit.list(request.query) }),
  );
};
