/** /api/orders: submit, read, list, and the operator actions; each route's schema beside it, its use case in a service. */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../lib/config.ts';
import { isUnavailable } from '../../lib/nats-errors.ts';
import { linkTo, traceparentOf } from '../../lib/telemetry.ts';
import type { Nats } from '../../lib/topology.ts';
import { performAction, performReplay, replayPreview } from '../ops/actions.ts';
import { EXPORT_CONTENT_TYPES, exportFileName, exportStream } from '../ops/export.ts';
import type { AuditLog } from '../ops/audit.ts';
import { summaryView, type SagaCatalog } from '../saga/catalog.ts';
import { findOrder, takeOrder, type StoredOrder } from '../saga/intake.ts';
import type { SagaRuntime } from '../saga/runtime.ts';
import { requireLiveIndex } from './broker-pulse.ts';
import { HttpProblem } from './problems.ts';
import { keyScopeOf, newOrderId, orderIdForKey } from './order-ids.ts';
import { orderLinks, orderView, submittedView, traceUrlFor } from './order-view.ts';
import { answer, problems, ProblemSchema, ReasonBodySchema } from './schemas/common.ts';
import {
  IdempotencyKeyHeadersSchema,
  OrderAcceptedSchema,
  OrderDetailSchema,
  OrderIdParamsSchema,
  OrderExportQuerySchema,
  OrderListQuerySchema,
  OrderPageSchema,
  ReplayAppliedSchema,
  ReplayPlanSchema,
  ReplayQuerySchema,
  ResolveBodySchema,
  SubmitOrderBodySchema,
  SubmitProblemSchema,
  type ResolveBody,
  type SubmitProblem,
} from './schemas/orders.ts';
import { SAGA_ACTIONS } from './schemas/vocabulary.ts';
import type { SagaAction } from '../../machines/index.ts';

export interface OrderRoutesOptions {
  runtime: SagaRuntime;
  catalog: SagaCatalog;
  audit: AuditLog;
  nats: Nats;
  config: Pick<Config, 'traceUrlTemplate' | 'stuckAfterMs'>;
}

/** Seconds a client should wait before it retries or looks the order up. */
const RETRY_AFTER_S = 2;

/** A submit's 503 and 504 are its own problems (naming the order), or, should one slip through, the general one. */
const submitProblems = {
  description: 'Not accepted (503: retry later) or outcome unknown (504: look the order up, or retry with the same Idempotency-Key)',
  content: { 'application/problem+json': { schema: Type.Union([SubmitProblemSchema, ProblemSchema]) } },
};

const submitSchema = {
  tags: ['orders'],
  summary: 'Submit an order',
  description: 'Answers 202 only once JetStream has stored the submission. The same `Idempotency-Key` always answers the same order and starts no second saga.',
  headers: IdempotencyKeyHeadersSchema,
  body: SubmitOrderBodySchema,
  response: { 202: answer('Stored: the order exists and its saga starts (the same answer again for the same Idempotency-Key)', OrderAcceptedSchema), ...problems(400, 401, 413, 415, 422), 503: submitProblems, 504: submitProblems },
};

const readSchema = {
  tags: ['orders'],
  summary: 'Read an order',
  description: 'The saga: state, status, context, history, trace and the operator actions allowed now.',
  params: OrderIdParamsSchema,
  response: { 200: answer('The order', OrderDetailSchema), ...problems(400, 401, 404, 503) },
};

const listSchema = {
  tags: ['orders'],
  summary: 'List orders, newest first',
  querystring: OrderListQuerySchema,
  response: { 200: answer('One page of orders; `nextCursor` fetches the next', OrderPageSchema), ...problems(400, 401, 503) },
};

/** A body that is text, not JSON: the document says which, the serializer never sees it (a stream is sent as it is). */
const textBody = (description: string) => ({ type: 'string', description });

const exportSchema = {
  tags: ['orders'],
  summary: 'Export every order matching the filter (CSV or JSON lines), streamed',
  description:
    'The same filters as the list, every match (not a page), newest first, as a download (`Content-Disposition: attachment`). ' +
    'Streamed as the index is walked page by page: the answer starts at once, whatever the number of orders. ' +
    'CSV: RFC 4180 with a header row; text that a spreadsheet would run as a formula (starting with = + - @) is prefixed with `\'`. ' +
    "NDJSON: one order summary per line, as the list's `items`. `X-Catching-Up: true` while this instance's index is still being built.",
  querystring: OrderExportQuerySchema,
  response: {
    200: {
      description: 'Every matching order, streamed',
      content: {
        'text/csv': { schema: textBody('a header row, then one order per line (CRLF)') },
        'application/x-ndjson': { schema: textBody('one JSON order summary per line (LF)') },
      },
    },
    ...problems(400, 401, 503),
  },
};

const replaySchema = {
  tags: ['operator actions'],
  summary: "Replay an order's history through the current machine version",
  description: 'With `dryRun=true`, the plan only (reading is enough). For real, the saga (running or stuck) moves onto the current version from the first divergence.',
  params: OrderIdParamsSchema,
  querystring: ReplayQuerySchema,
  body: ReasonBodySchema,
  response: { 200: answer('The plan (dry run), or the plan followed and the order moved', Type.Union([ReplayPlanSchema, ReplayAppliedSchema])), ...problems(400, 401, 403, 404, 409, 503, 504) },
};

/** What each action does, for the document; the machine decides where it is allowed. */
const ACTION_SUMMARY: Record<SagaAction, string> = {
  retry: 'Retry the stuck step with a fresh round of attempts',
  compensate: 'Undo what the order did (a stuck forward step)',
  cancel: "Cancel the order for the customer (before shipping began)",
  resolve: 'Record the stuck step as done by hand, with its reference: the saga moves on as if the worker had answered',
  fail: 'Record the stuck step as failed for good: a forward step is undone with what came before it (its undo fences a late attempt), a failed undo ends the order failed',
  pause: 'Hold the order: answers are still taken in, but no new command goes out and no deadline runs until it is resumed',
  resume: 'Lift the hold: the commands it held go out and the pending step gets a fresh deadline',
};

const actionSchema = (action: SagaAction) => ({
  tags: ['operator actions'],
  summary: ACTION_SUMMARY[action],
  description: 'Answers 409 with the reason (and the actions allowed) when the saga does not allow it now; `next.plans` of the order says what it would set off.',
  params: OrderIdParamsSchema,
  body: action === 'resolve' ? ResolveBodySchema : ReasonBodySchema,
  response: { 200: answer('Applied: the order as it is now', OrderDetailSchema), ...problems(400, 401, 403, 404, 409, 503, 504) },
});

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

export const orderRoutes: FastifyPluginAsyncTypebox<OrderRoutesOptions> = async function orderRoutes(app, { runtime, catalog, audit, nats, config }) {
  const view = (order: StoredOrder) =>
    order.kind === 'saga' ? orderView(order.entry, config.traceUrlTemplate) : submittedView(order.submission, config.traceUrlTemplate);

  app.post('/api/orders', { schema: submitSchema }, async (request, reply) => {
    const idempotencyKey = request.headers['idempotency-key'];
    const orderId = idempotencyKey ? orderIdForKey(idempotencyKey, keyScopeOf(request.authenticatedAs, request.body.customerId)) : newOrderId();
    request.span?.setAttribute('order.id', orderId);
    // The order's trace is this request's: its span is the root of everything the order does.
    const traceparent = traceparentOf(request.traceContext);
    const result = await takeOrder(runtime, { orderId, order: request.body, traceparent, ...(idempotencyKey ? { idempotencyKey } : {}) });
    switch (result.kind) {
      case 'totalTooLarge':
        throw new HttpProblem(400, 'Invalid request', 'items total is too large', {
          errors: [{ field: 'items', message: 'total of quantity × unitPriceCents is too large' }],
        });
      case 'keyReused':
        throw new HttpProblem(422, 'Idempotency-Key reused', 'this Idempotency-Key was used for a different order', {
          errors: [{ field: 'headers.idempotency-key', message: 'was already used with a different request body' }],
        });
      case 'existing': {
        const existing = view(result.order);
        return reply.code(202).header('Idempotent-Replayed', 'true').send({ orderId, state: existing.state, status: existing.status, links: existing.links });
      }
      case 'keyUncheckable':
        // Nothing was sent yet: this request certainly stored nothing (an earlier one with the same key may have).
        request.log.warn({ err: result.error, orderId }, 'idempotency check failed: NATS unavailable');
        return sendSubmitProblem(reply, 'notAccepted', orderId, idempotencyKey, `whether this Idempotency-Key's order ${orderId} exists cannot be checked now (NATS JetStream does not answer); this request stored nothing, retry later`);
      case 'notStored': {
        request.log.warn({ orderId, reason: result.reason }, 'submission not stored');
        // With a key, an earlier request may have stored this order: say only what this one did.
        const notStored = idempotencyKey
          ? `this request stored nothing (${result.reason}); an earlier request with this Idempotency-Key may have stored order ${orderId}: look it up at GET /api/orders/${orderId}, or retry later`
          : `the order could not be stored (${result.reason}); it was not accepted, retry later`;
        return sendSubmitProblem(reply, 'notAccepted', orderId, idempotencyKey, notStored);
      }
      case 'unknown':
        request.log.error({ orderId, reason: result.reason, attempts: result.attempts }, 'submission outcome unknown');
        return sendSubmitProblem(reply, 'unknown', orderId, idempotencyKey, `JetStream did not confirm in time whether order ${orderId} was stored (${result.reason}); it may have been accepted`);
      case 'unconfirmed':
        request.log.warn({ err: result.error, orderId }, 'stored order could not be read back');
        return sendSubmitProblem(reply, 'unknown', orderId, idempotencyKey, `order ${orderId} is stored, but could not be read to check that it is this request's order`);
      case 'accepted':
        return reply
          .code(202)
          .header('Location', `/api/orders/${orderId}`)
          .send({ orderId, state: 'submitted', status: 'running', links: orderLinks(orderId, traceUrlFor(config.traceUrlTemplate, traceparent)) });
    }
  });

  app.get('/api/orders/:orderId', { schema: readSchema }, async (request, reply) => {
    const { orderId } = request.params;
    let found: StoredOrder | null;
    try {
      found = await findOrder(runtime, orderId);
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
    return view(found);
  });

  app.get('/api/orders', { schema: listSchema }, async (request, reply) => {
    await requireLiveIndex(nats.nc, reply, 'the order list');
    const { stalled, ...filters } = request.query;
    const page = catalog.list({ ...filters, ...(stalled ? { stalledBefore: Date.now() - config.stuckAfterMs } : {}) });
    // While a new index is still being built from the bucket, the page holds only what is indexed so far.
    return { items: page.items.map(summaryView), nextCursor: page.nextCursor, ...(catalog.catchingUp ? { catchingUp: true } : {}) };
  });

  app.get('/api/orders/export', { schema: exportSchema }, async (request, reply) => {
    await requireLiveIndex(nats.nc, reply, 'the export');
    const { stalled, format, ...filters } = request.query;
    const filter = { ...filters, ...(stalled ? { stalledBefore: Date.now() - config.stuckAfterMs } : {}) };
    if (catalog.catchingUp) reply.header('X-Catching-Up', 'true');
    reply
      .type(EXPORT_CONTENT_TYPES[format])
      .header('Content-Disposition', `attachment; filename="${exportFileName(format)}"`)
      .header('Cache-Control', 'no-store');
    // HEAD: the headers only. (Fastify would read a stream sent to a HEAD to its end: the whole index.)
    if (request.method === 'HEAD') return reply.send();
    return reply.send(exportStream(catalog, filter, format));
  });

  app.post('/api/orders/:orderId/replay', { schema: replaySchema, config: { access: 'ops' } }, async (request) => {
    const { orderId } = request.params;
    if (request.query.dryRun) {
      return (await replayPreview(runtime, orderId)) ?? Promise.reject(new HttpProblem(404, 'Not found', `no order ${orderId}`));
    }
    const { actor, authenticatedAs } = request;
    const outcome = await performReplay(runtime, audit, { orderId, actor, authenticatedAs, reason: request.body.reason, links: linkTo(request.traceContext) });
    if (outcome.result === 'unknown') throw new HttpProblem(404, 'Not found', `no order ${orderId}`);
    if (outcome.result !== 'applied') {
      throw new HttpProblem(409, outcome.result === 'refused' ? 'Action not allowed' : 'Nothing to replay', outcome.detail, { plan: outcome.plan });
    }
    return { plan: outcome.plan, order: orderView(outcome.entry, config.traceUrlTemplate) };
  });

  for (const action of SAGA_ACTIONS) {
    app.post(`/api/orders/:orderId/${action}`, { schema: actionSchema(action), config: { access: 'ops' } }, async (request) => {
      const { orderId } = request.params;
      request.span?.setAttribute('order.id', orderId);
      const outcome = await performAction(runtime, audit, {
        orderId,
        action,
        actor: request.actor,
        authenticatedAs: request.authenticatedAs,
        reason: request.body.reason,
        ...('reference' in request.body ? { reference: (request.body as ResolveBody).reference } : {}),
        links: linkTo(request.traceContext),
      });
      if (outcome.result === 'unknown') throw new HttpProblem(404, 'Not found', outcome.detail);
      if (outcome.result === 'refused') {
        throw new HttpProblem(409, 'Action not allowed', outcome.detail, { state: outcome.state, allowedActions: outcome.allowedActions });
      }
      request.log.info({ orderId, action, actor: request.actor }, 'operator action applied');
      return orderView(outcome.entry, config.traceUrlTemplate);
    });
  }
};
