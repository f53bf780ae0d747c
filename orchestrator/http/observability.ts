/**
 * Every HTTP request as a server span (continuing the caller's traceparent, if it sent one)
 * and in the request metrics (served at GET /metrics: health.ts). A submitted order's trace
 * starts at its POST /api/orders span.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { withTrace } from '../../lib/logger.ts';
import { extract, SpanKind, SpanStatusCode, trace, tracer, type Context, type Span } from '../../lib/telemetry.ts';
import type { SagaMetrics } from '../metrics.ts';

declare module 'fastify' {
  interface FastifyRequest {
    span?: Span;
    /** The request span's context: parent of what the request does, link for what it starts. */
    traceContext: Context;
  }
}

const headerGetter = (request: FastifyRequest) => ({
  get: (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  },
});

export async function registerObservability(app: FastifyInstance, metrics: SagaMetrics): Promise<void> {
  app.decorateRequest('span', undefined);
  app.decorateRequest('traceContext', null as unknown as Context);

  app.addHook('onRequest', async (request) => {
    const parent = extract(headerGetter(request));
    request.traceContext = parent;
    const route = request.routeOptions.url ?? 'unmatched';
    // The live stream stays open for hours: no span, no latency sample.
    if (route === '/api/stream' || route === '/metrics') return;
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route, 'url.path': request.url.split('?')[0] } },
      parent,
    );
    request.span = span;
    request.traceContext = trace.setSpan(parent, span);
    // Every line the request writes leads to its trace; on an order's routes the lines name the
    // order, and the logger leads them to the order's own trace instead (lib/logger.ts).
    if (!route.includes(':orderId')) {
      const { traceId, spanId } = span.spanContext();
      request.log = withTrace(request.log, { traceId, spanId });
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (request.span) {
      request.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) request.span.setStatus({ code: SpanStatusCode.ERROR });
      request.span.end();
    }
    if (route === '/metrics') return;
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}
