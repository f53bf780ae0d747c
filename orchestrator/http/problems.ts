/**
 * Errors as RFC 9457 problem details: every 4xx/5xx the API sends has a title, a detail a
 * person can act on, and, for bad input, the fields at fault.
 */
import { errors as natsErrors } from '@nats-io/transport-node';
import type { FastifyError, FastifyInstance } from 'fastify';

export interface FieldProblem {
  field: string;
  message: string;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/items/0/quantity` → `items[0].quantity`. */
function fieldOf(error: AjvError, context: string | undefined): string {
  const parts = error.instancePath.split('/').filter(Boolean);
  const extra = error.params.missingProperty ?? error.params.additionalProperty;
  if (typeof extra === 'string') parts.push(extra);
  const path = parts.map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
  const where = context === 'querystring' ? 'query' : context;
  if (!path) return where ?? 'body';
  return where === 'body' || !where ? path : `${where}.${path}`;
}

function describe(error: AjvError): string {
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'required') return 'is required';
  return error.message ?? 'is invalid';
}

const NATS_UNAVAILABLE = [
  natsErrors.ConnectionError,
  natsErrors.ClosedConnectionError,
  natsErrors.DrainingConnectionError,
  natsErrors.TimeoutError,
  natsErrors.RequestError,
  natsErrors.NoRespondersError,
];

/** NATS (or JetStream behind it) did not answer: the request may be retried later. */
function isNatsUnavailable(error: unknown): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (NATS_UNAVAILABLE.some((type) => cause instanceof type)) return true;
    if (cause.name === 'JetStreamNotEnabled') return true;
  }
  return false;
}

export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { validation?: AjvError[]; validationContext?: string }, request, reply) => {
    if (error instanceof HttpProblem) {
      return reply
        .code(error.status)
        .type('application/problem+json')
        .send({ type: 'about:blank', title: error.title, status: error.status, detail: error.detail, ...error.extra });
    }
    if (isNatsUnavailable(error)) {
      request.log.warn({ err: error }, 'NATS unavailable');
      return reply
        .code(503)
        .header('Retry-After', '1')
        .type('application/problem+json')
        .send({
          type: 'about:blank',
          title: 'Service unavailable',
          status: 503,
          detail: 'the order store (NATS JetStream) is not reachable; nothing was accepted or changed, retry later',
          retryable: true,
        });
    }
    if (error.validation) {
      const errors: FieldProblem[] = error.validation.map((e) => ({
        field: fieldOf(e, error.validationContext),
        message: describe(e),
      }));
      return reply
        .code(400)
        .type('application/problem+json')
        .send({
          type: 'about:blank',
          title: 'Invalid request',
          status: 400,
          detail: errors.map((e) => `${e.field} ${e.message}`).join('; '),
          errors,
        });
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'request failed');
    const detail =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `the request body is larger than ${app.initialConfig.bodyLimit} bytes`
        : error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
          ? 'the request body is not valid JSON'
          : status === 500
            ? 'internal error; nothing was changed by this request unless its response said so'
            : error.message;
    return reply
      .code(status)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: status === 500 ? 'Internal error' : 'Bad request',
        status,
        detail,
        ...(status === 400 ? { errors: [{ field: 'body', message: detail }] } : {}),
      });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send({ type: 'about:blank', title: 'Not found', status: 404, detail: `no route ${request.method} ${request.url}` }),
  );
}
