/**
 * Errors as RFC 9457 problem details: every 4xx/5xx the API sends has a title, a detail a
 * person can act on, and, for bad input, the fields at fault.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isNoResponders, isNotSent, isUnavailable } from '../../lib/nats-errors.ts';

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

/**
 * How NATS (or JetStream behind it) failed a request, if it did (`null`: another error). A
 * request that was never sent, or that nobody listened to, was not acted on; any other failure
 * (a timeout, a connection lost mid-request, a JetStream server error) may have been.
 */
function natsFailureOf(error: unknown): 'notReached' | 'noAnswer' | null {
  if (!isUnavailable(error)) return null;
  return isNotSent(error) || isNoResponders(error) ? 'notReached' : 'noAnswer';
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  408: 'Request timeout',
  409: 'Conflict',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  431: 'Request header fields too large',
  500: 'Internal error',
  503: 'Service unavailable',
  504: 'Outcome unknown',
};

/** The problem's title: the status's name, so a 413 never reads "Bad request". */
export const titleOf = (status: number) => TITLES[status] ?? (status >= 500 ? 'Server error' : 'Client error');

/** A read changes nothing, so only a write can leave its outcome unknown. */
const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/**
 * What a 503 (or, when a write's outcome is unknown, a 504) may truthfully say. A read changed nothing. A write may have been carried out in part
 * (a request takes several steps; an earlier one may have been stored before NATS went away), and
 * a timed-out step may have been stored without an answer: the client must look before retrying.
 */
function unavailableDetail(method: string, failure: 'notReached' | 'noAnswer'): { detail: string; outcome?: 'unknown' } {
  const what = failure === 'notReached' ? 'is not reachable' : 'did not answer in time';
  if (isRead(method)) return { detail: `the order store (NATS JetStream) ${what}; nothing was changed, retry later` };
  return {
    detail: `the order store (NATS JetStream) ${what}; whether this request took effect is unknown: read the resource (e.g. GET the order, the audit trail) before retrying`,
    outcome: 'unknown',
  };
}

function sendProblem(reply: FastifyReply, status: number, detail: string, extra: Record<string, unknown> = {}, title = titleOf(status)) {
  return reply.code(status).type('application/problem+json').send({ type: 'about:blank', title, status, detail, ...extra });
}

/**
 * Fastify's `frameworkErrors`: what the router rejects before any route runs (a URL that is not
 * valid percent-encoding, a path parameter over its length) answers a problem too.
 */
export function frameworkProblem(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
  const detail = error.code === 'FST_ERR_BAD_URL' ? 'the URL is not valid (bad percent-encoding)' : error.message;
  void sendProblem(reply, status, detail, status === 400 ? { errors: [{ field: 'url', message: detail }] } : {});
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser rejects before Fastify sees a request
 * (headers or a URL over Node's 16 KiB, a malformed request line or header, a request too slow to
 * arrive) answers a problem too, on the raw socket, which is then closed.
 */
export function clientErrorProblem(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const detail =
    status === 431
      ? 'the request line and headers are larger than the server takes (16 KiB)'
      : status === 408
        ? 'the request did not arrive in time'
        : 'the request is not valid HTTP/1.1';
  const body = JSON.stringify({ type: 'about:blank', title: titleOf(status), status, detail });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${titleOf(status)}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { validation?: AjvError[]; validationContext?: string }, request, reply) => {
    if (error instanceof HttpProblem) return sendProblem(reply, error.status, error.detail, error.extra, error.title);
    const natsFailure = natsFailureOf(error);
    if (natsFailure) {
      request.log.warn({ err: error }, 'NATS unavailable');
      const { detail, outcome } = unavailableDetail(request.method, natsFailure);
      reply.header('Retry-After', '1');
      // As for a submitted order: 503 changed nothing, 504 may have; the status alone tells.
      return sendProblem(reply, outcome ? 504 : 503, detail, { retryable: true, ...(outcome ? { outcome } : {}) });
    }
    if (error.validation) {
      const errors: FieldProblem[] = error.validation.map((e) => ({
        field: fieldOf(e, error.validationContext),
        message: describe(e),
      }));
      return sendProblem(reply, 400, errors.map((e) => `${e.field} ${e.message}`).join('; '), { errors }, 'Invalid request');
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
    return sendProblem(reply, status, detail, status === 400 ? { errors: [{ field: 'body', message: detail }] } : {});
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, 404, `no route ${request.method} ${request.url}`));
}
