/**
 * /api/orders: submit, read, list, and the operator actions. Schemas sit next to handlers.
 */
import { LIMITS } from '../../lib/codec.ts';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SubmitProblem } from '../../api/contract.ts';
import { isUnavailable } from '../../lib/nats-errors.ts';
import { linkTo, traceparentOf } from '../../lib/telemetry.ts';
import type { OperatorAction, SagaStatus } from '../../machines/index.ts';
import { summaryView, type SagaFilter } from '../saga/catalog.ts';
import { historyActor, performAction } from '../ops/actions.ts';
import type { Submission } from '../saga/entry.ts';
import { replayDryRun } from '../saga/replay.ts';
import { requireOps } from './auth.ts';
import { requireLiveIndex } from './broker-pulse.ts';
import { HttpProblem } from './problems.ts';
import { newOrderId, ORDER_ID_PATTERN, orderIdForKey } from './order-ids.ts';
import { orderLinks, orderView, submittedView, traceUrlFor } from './order-view.ts';

const STATUSES: SagaStatus[] = ['running', 'completed', 'cancelled', 'failed', 'stuck'];

const orderIdParams = {
  type: 'object',
  required: ['orderId'],
  properties: { orderId: { type: 'string', pattern: ORDER_ID_PATTERN } },
} as const;

const submitOrderSchema = {
  headers: {
    type: 'object',
    properties: {
      'idempotency-key': { type: 'string', minLength: 1, maxLength: LIMITS.idempotencyKey, pattern: '^[\\x21-\\x7e]+$' },
    },
  },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['customerId', 'items'],
    properties: {
      customerId: { type: 'string', minLength: 1, maxLength: LIMITS.customerId, pattern: '^[\\x21-\\x7e]+$' },
      items: {
        type: 'array',
        minItems: 1,
        maxItems: LIMITS.items,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['sku', 'quantity', 'unitPriceCents'],
          properties: {
            sku: { type: 'string', minLength: 1, maxLength: LIMITS.sku, pattern: '^[\\x21-\\x7e]+$' },
            quantity: { type: 'integer', minimum: 1, maximum: LIMITS.quantity },
            unitPriceCents: { type: 'integer', minimum: 0, maximum: Number(LIMITS.unitPriceCents) },
          },
        },
      },
      currency: { type: 'string', enum: ['USD'] },
    },
  },
} as const;

interface SubmitBody {
  customerId: string;
  items: { sku: string; quantity: number; unitPriceCents: number }[];
  currency?: 'USD';
}

/** Which sagas: the list's filters, which a bulk action takes too. */
export const SAGA_FILTER_PROPERTIES = {
  status: { type: 'string', enum: STATUSES },
  state: { type: 'string', maxLength: 64 },
  customerId: { type: 'string', maxLength: LIMITS.customerId },
  q: { type: 'string', minLength: 1, maxLength: LIMITS.customerId },
  retrying: { type: 'boolean' },
  stalled: { type: 'boolean' },
} as const;

const listSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...SAGA_FILTER_PROPERTIES,
      limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
      cursor: { type: 'string', maxLength: 200 },
    },
  },
} as const;

interface ListQuerystring extends SagaFilter {
  limit: number;
  cursor?: string;
}

const actionSchema = {
  params: orderIdParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } },
  },
} as const;

const OPERATOR_ACTIONS: OperatorAction[] = ['retry', 'compensate', 'cancel'];

function requestHashOf(body: SubmitBody): string {
  const canonical = JSON.stringify({
    customerId: body.customerId,
    currency: body.currency ?? 'USD',
    items: body.items.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents })),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** Seconds a client should wait before it retries or looks the order up. */
const RETRY_AFTER_S = 2;

/**
 * A submit that did not end in 202, said as it is (DESIGN rule 8): 503 "not accepted" only when
 * this request certainly stored nothing; 504 "unknown" when it may have, naming the order so the
 * client can look it up or retry with the same Idempotency-Key instead of ordering twice.
 */
function sendSubmitProblem(reply: FastifyReply, outcome: SubmitProblem['outcome'], orderId: string, idempotencyKey: string | undefined, cause: string) {
  const self = `/api/orders/${orderId}`;
  const retry = idempotencyKey ? 'retry with the same Idempotency-Key' : 'send an Idempotency-Key with every order so that a retry is safe';
  const body: SubmitProblem =
    outcome === 'unknown'
      ? {
          type: 'about:blank',
          title: 'Outcome unknown',
          status: 504,
          detail: `${cause}. Look it up at GET ${self} before ordering again${idempotencyKey ? `, or ${retry}` : ` (without an Idempotency-Key a new POST is a new order; ${retry})`}`,
          outcome,
          orderId,
          retryable: true,
          links: { self },
        }
      : { type: 'about:blank', title: 'Service unavailable', status: 503, detail: `${cause}${idempotencyKey ? ` (${retry})` : ''}`, outcome, orderId, retryable: true, links: { self } };
  if (outcome === 'unknown') reply.header('Location', self);
  return reply.code(body.status).header('Retry-After', String(RETRY_AFTER_S)).type('application/problem+json').send(body);
}

export async function ordersRoutes(app: FastifyInstance): Promise<void> {
  const { runtime, catalog, config, audit, nats } = app.saga;


  /** An order exists once its submission is stored: a new Idempotency-Key costs that one lookup. */
  async function orderOfKey(orderId: string) {
    const submission = await runtime.findSubmission(orderId);
    if (!submission) return null;
    const stored = await runtime.read(orderId);
    if (stored) return { requestHash: stored.entry.requestHash, view: orderView(stored.entry, config.traceUrlTemplate) };
    return { requestHash: submission.requestHash, view: submittedView(submission, config.traceUrlTemplate) };
  }

  async function existingOrder(orderId: string) {
    const stored = await runtime.read(orderId);
    if (stored) return { requestHash: stored.entry.requestHash, view: orderView(stored.entry, config.traceUrlTemplate) };
    const submission = await runtime.findSubmission(orderId);
    if (submission) return { requestHash: submission.requestHash, view: submittedView(submission, config.traceUrlTemplate) };
    return null;
  }

  app.post<{ Body: SubmitBody; Headers: { 'idempotency-key'?: string } }>(
    '/api/orders',
    { schema: submitOrderSchema },
    async (request, reply) => {
      const body = request.body;
      const totalCents = body.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
      if (!Number.isSafeInteger(totalCents)) {
        throw new HttpProblem(400, 'Invalid request', 'items total is too large', {
          errors: [{ field: 'items', message: 'total of quantity × unitPriceCents is too large' }],
        });
      }
      const idempotencyKey = request.headers['idempotency-key'];
      const requestHash = requestHashOf(body);
      const orderId = idempotencyKey ? orderIdForKey(idempotencyKey) : newOrderId();

      const replay = async () => {
        const existing = await orderOfKey(orderId);
        if (!existing) return false;
        if (existing.requestHash !== requestHash) {
          throw new HttpProblem(422, 'Idempotency-Key reused', 'this Idempotency-Key was used for a different order', {
            errors: [{ field: 'headers.idempotency-key', message: 'was already used with a different request body' }],
          });
        }
        reply.header('Idempotent-Replayed', 'true');
        reply.code(202).send({ orderId, state: existing.view.state, status: existing.view.status, links: existing.view.links });
        return true;
      };
      if (idempotencyKey) {
        try {
          if (await replay()) return reply;
        } catch (error) {
          if (!isUnavailable(error)) throw error;
          // Nothing was sent yet: this request certainly stored nothing (an earlier one with the same key may have).
          request.log.warn({ err: error, orderId }, 'idempotency check failed: NATS unavailable');
          return sendSubmitProblem(reply, 'notAccepted', orderId, idempotencyKey, `whether this Idempotency-Key's order ${orderId} exists cannot be checked now (NATS JetStream does not answer); this request stored nothing, retry later`);
        }
      }

      // The order's trace is this request's: its span is the root of everything the order does.
      const traceparent = traceparentOf(request.traceContext);
      request.span?.setAttribute('order.id', orderId);
      const submission: Submission = {
        order: { orderId, customerId: body.customerId, currency: body.currency ?? 'USD', items: body.items, totalCents },
        traceparent,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        requestHash,
      };
      const outcome = await runtime.submit(submission);
      if (outcome.kind === 'notStored') {
        request.log.warn({ orderId, reason: outcome.reason }, 'submission not stored');
        // With a key, an earlier request may have stored this order: say only what this one did.
        const notStored = idempotencyKey
          ? `this request stored nothing (${outcome.reason}); an earlier request with this Idempotency-Key may have stored order ${orderId}: look it up at GET /api/orders/${orderId}, or retry later`
          : `the order could not be stored (${outcome.reason}); it was not accepted, retry later`;
        return sendSubmitProblem(reply, 'notAccepted', orderId, idempotencyKey, notStored);
      }
      if (outcome.kind === 'unknown') {
        request.log.error({ orderId, reason: outcome.reason, attempts: outcome.attempts }, 'submission outcome unknown');
        return sendSubmitProblem(reply, 'unknown', orderId, idempotencyKey, `JetStream did not confirm in time whether order ${orderId} was stored (${outcome.reason}); it may have been accepted`);
      }
      // With a key, a concurrent request with the same key may have won the race: answer with its
      // order (422 if its body differs). Without one the id is ours alone, so a duplicate is our
      // own earlier attempt that JetStream stored before it answered.
      if (outcome.duplicate && idempotencyKey) {
        try {
          if (await replay()) return reply;
        } catch (error) {
          if (!isUnavailable(error)) throw error;
          request.log.warn({ err: error, orderId }, 'stored order could not be read back');
          return sendSubmitProblem(reply, 'unknown', orderId, idempotencyKey, `order ${orderId} is stored, but could not be read to check that it is this request's order`);
        }
      }
      const traceUrl = traceUrlFor(config.traceUrlTemplate, traceparent);
      return reply
        .code(202)
        .header('Location', `/api/orders/${orderId}`)
        .send({ orderId, state: 'submitted', status: 'running', links: orderLinks(orderId, traceUrl) });
    },
  );

  app.get<{ Params: { orderId: string } }>('/api/orders/:orderId', { schema: { params: orderIdParams } }, async (request, reply) => {
    const { orderId } = request.params;
    let found: Awaited<ReturnType<typeof existingOrder>>;
    try {
      found = await existingOrder(orderId);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      // "Cannot tell now" is not "not found": a client told 404 might order again.
      request.log.warn({ err: error, orderId }, 'order lookup failed: NATS unavailable');
      return reply
        .code(503)
        .header('Retry-After', String(RETRY_AFTER_S))
        .type('application/problem+json')
        .send({
          type: 'about:blank',
          title: 'Service unavailable',
          status: 503,
          detail: `the order store (NATS JetStream) does not answer; whether order ${orderId} exists cannot be told now, retry later`,
          orderId,
          retryable: true,
        });
    }
    if (!found) throw new HttpProblem(404, 'Not found', `no order ${orderId}`);
    return found.view;
  });

  app.get<{ Querystring: ListQuerystring }>('/api/orders', { schema: listSchema }, async (request, reply) => {
    await requireLiveIndex(nats.nc, reply, 'the order list');
    const { stalled, ...filters } = request.query;
    const page = catalog.list({ ...filters, ...(stalled ? { stalledBefore: Date.now() - config.stuckAfterMs } : {}) });
    // While a new index is still being built from the bucket, the page holds only what is indexed so far.
    return { items: page.items.map(summaryView), nextCursor: page.nextCursor, ...(catalog.catchingUp ? { catchingUp: true } : {}) };
  });

  app.post<{ Params: { orderId: string }; Querystring: { dryRun?: boolean }; Body: { reason: string } }>(
    '/api/orders/:orderId/replay',
    {
      schema: {
        ...actionSchema,
        querystring: { type: 'object', properties: { dryRun: { type: 'boolean', default: false } } },
      },
      preHandler: requireOps,
    },
    async (request) => {
      const { orderId } = request.params;
      const { reason } = request.body;
      if (request.query.dryRun) {
        const stored = await runtime.read(orderId);
        if (!stored) throw new HttpProblem(404, 'Not found', `no order ${orderId}`);
        return replayDryRun(stored.entry);
      }
      const result = await runtime.rebase(orderId, { actor: historyActor(request.actor, request.authenticatedAs), reason }, linkTo(request.traceContext));
      if (result.kind === 'unknownSaga') throw new HttpProblem(404, 'Not found', `no order ${orderId}`);
      const audited = { actor: request.actor, authenticatedAs: request.authenticatedAs, action: 'replay', target: `order:${orderId}`, reason };
      if (result.kind !== 'rebased') {
        await audit.record({ ...audited, result: 'refused', detail: result.detail });
        const title = result.kind === 'refused' ? 'Action not allowed' : 'Nothing to replay';
        throw new HttpProblem(409, title, result.detail, { plan: result.plan });
      }
      const { from, to } = result.entry.history.at(-1)!;
      await audit.record({ ...audited, result: 'applied', detail: `${from} → ${to} on ${result.entry.machineVersion}` });
      return { plan: result.plan, order: orderView(result.entry, config.traceUrlTemplate) };
    },
  );

  for (const action of OPERATOR_ACTIONS) {
    app.post<{ Params: { orderId: string }; Body: { reason: string } }>(
      `/api/orders/:orderId/${action}`,
      { schema: actionSchema, preHandler: requireOps },
      async (request) => {
        const { orderId } = request.params;
        request.span?.setAttribute('order.id', orderId);
        const outcome = await performAction(runtime, audit, {
          orderId,
          action,
          actor: request.actor,
          authenticatedAs: request.authenticatedAs,
          reason: request.body.reason,
          links: linkTo(request.traceContext),
        });
        if (outcome.result === 'unknown') throw new HttpProblem(404, 'Not found', outcome.detail);
        if (outcome.result === 'refused') {
          throw new HttpProblem(409, 'Action not allowed', outcome.detail, { state: outcome.state, allowedActions: outcome.allowedActions });
        }
        request.log.info({ orderId, action, actor: request.actor }, 'operator action applied');
        return orderView(outcome.entry, config.traceUrlTemplate);
      },
    );
  }
}
