/** /api/dead-letters: list, show, redrive (one or all), discard; and /api/audit, the operator trail. Acting needs an OPS_TOKEN. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RedriveRefused } from '../ops/dead-letters.ts';
import { requireOps } from './auth.ts';
import { HttpProblem } from './problems.ts';
import { ORDER_ID_PATTERN } from './order-ids.ts';

const sequenceParams = {
  type: 'object',
  required: ['sequence'],
  // A stream sequence is a uint64, but past 2^53 a JSON number is not the sequence that was sent.
  properties: { sequence: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
} as const;
const reasonBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } },
} as const;

export async function deadLetterRoutes(app: FastifyInstance): Promise<void> {
  const { deadLetters } = app.saga;
  const notFound = (sequence: number) => new HttpProblem(404, 'Not found', `no dead letter with sequence ${sequence}`);
  const operatorOf = (request: FastifyRequest) => ({ actor: request.actor, authenticatedAs: request.authenticatedAs });

  app.get<{ Querystring: { limit: number; before?: number } }>(
    '/api/dead-letters',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, before: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
        },
      },
    },
    async (request) => deadLetters.list(request.query),
  );

  app.get<{ Params: { sequence: number } }>('/api/dead-letters/:sequence', { schema: { params: sequenceParams } }, async (request) => {
    return (await deadLetters.show(request.params.sequence)) ?? Promise.reject(notFound(request.params.sequence));
  });

  app.post<{ Params: { sequence: number }; Body: { reason: string } }>(
    '/api/dead-letters/:sequence/redrive',
    { schema: { params: sequenceParams, body: reasonBody }, preHandler: requireOps },
    async (request) => {
      const letter = await deadLetters.redrive(request.params.sequence, operatorOf(request), request.body.reason).catch((error: unknown) => {
        throw error instanceof RedriveRefused ? new HttpProblem(409, 'Conflict', error.message) : error;
      });
      if (!letter) throw notFound(request.params.sequence);
      return { redriven: letter.sequence, to: letter.originalSubject };
    },
  );

  app.post<{ Body: { reason: string } }>(
    '/api/dead-letters/redrive-all',
    { schema: { body: reasonBody }, preHandler: requireOps },
    async (request) => deadLetters.redriveAll(operatorOf(request), request.body.reason),
  );

  app.post<{ Params: { sequence: number }; Body: { reason: string } }>(
    '/api/dead-letters/:sequence/discard',
    { schema: { params: sequenceParams, body: reasonBody }, preHandler: requireOps },
    async (request) => {
      const letter = await deadLetters.discard(request.params.sequence, operatorOf(request), request.body.reason);
      if (!letter) throw notFound(request.params.sequence);
      return { discarded: letter.sequence };
    },
  );

  // `orderId` is an order id and nothing else: a subject wildcard (`*`, `>`) would read other orders' trails.
  app.get<{ Querystring: { orderId?: string; limit: number } }>(
    '/api/audit',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { orderId: { type: 'string', pattern: ORDER_ID_PATTERN }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
        },
      },
    },
    async (request) => ({ items: await app.saga.audit.list(request.query) }),
  );
}
