/**
 * Tracing for every service: one tracer provider per process, started before the service does
 * anything, exporting OTLP over gRPC through the Node SDK when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set (and exporting nothing, quietly, when it is not: spans still get real ids, so trace
 * context still travels and every order still has a trace id).
 * W3C trace context travels in NATS headers: `inject` before publishing, `extract` on receipt
 * (lib/trace.ts, re-exported here).
 *
 * Contexts are passed by hand (`inSpan` hands its work the span's context), not kept in an
 * AsyncLocalStorage: on Node 20 that runs async hooks on every promise, and nothing here needs
 * an implicit "current" span. Log lines find
 * their trace by the order they are about instead (`orderTraceFields`).
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type ContextManager,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Config } from './config.ts';

export { SpanKind, SpanStatusCode, trace, type Context, type Span };
// How trace context travels in headers lives in lib/trace.ts (no SDK): the bus needs it, not the SDK.
export { extract, extractTraceparent, inject, traceparentOf } from './trace.ts';

/** How the started tracing stops: flushes what is left to export. */
let shutdown: (() => Promise<void>) | undefined;

/** No implicit current context: `active()` is always the root, `with` just calls. */
class ExplicitContexts implements ContextManager {
  active = () => ROOT_CONTEXT;
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(_context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return fn.call(thisArg, ...args);
  }
  bind<T>(_context: Context, target: T): T {
    return target;
  }
  enable = () => this;
  disable = () => this;
}

/**
 * Start tracing for this process. Without an endpoint it is synchronous and loads only the
 * tracer: no span is recorded, but each still has real ids, so trace context still travels and
 * every order still has a trace id. The Node SDK and the gRPC exporter load only when there is
 * somewhere to export: they are most of a service's start-up time otherwise.
 */
export async function startTelemetry(service: string, config: Pick<Config, 'otelEndpoint' | 'instanceId' | 'traceSampleRatio'>): Promise<void> {
  if (shutdown) return;
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: service,
    [ATTR_SERVICE_VERSION]: process.env.npm_package_version ?? '0.1.0',
    'service.instance.id': config.instanceId,
    'service.namespace': 'order-saga',
  });
  if (!config.otelEndpoint) {
    const provider = new BasicTracerProvider({ resource, sampler: new AlwaysOffSampler() });
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new ExplicitContexts());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    shutdown = () => provider.shutdown();
    return;
  }
  shutdown = async () => undefined;
  const [{ NodeSDK }, { OTLPTraceExporter }, { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-grpc'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const sdk = new NodeSDK({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.traceSampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.otelEndpoint }), { scheduledDelayMillis: 500 })],
    instrumentations: [],
    contextManager: new ExplicitContexts(),
  });
  sdk.start();
  shutdown = () => sdk.shutdown();
}

export async function stopTelemetry(): Promise<void> {
  await shutdown?.().catch(() => undefined);
  shutdown = undefined;
}

export const tracer = () => trace.getTracer('order-saga');

export interface SpanOptions {
  /** The context the span continues; none starts a new trace. */
  parent?: Context;
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
}

/** The ids a log line carries to lead to a span. */
export interface TraceFields {
  traceId: string;
  spanId: string;
}

/**
 * The span each order was last in, in this process, oldest first: what log lines about the
 * order point to (every span about an order carries `order.id`). Bounded, so memory does not
 * grow with the orders seen; a line about an order no span here has touched lately gets none.
 */
const orderSpans = new Map<string, TraceFields>();
const ORDER_SPANS_KEPT = 10_000;

function rememberOrderSpan(attributes: Attributes | undefined, span: Span): void {
  const orderId = attributes?.['order.id'];
  if (typeof orderId !== 'string') return;
  const { traceId, spanId } = span.spanContext();
  orderSpans.delete(orderId);
  orderSpans.set(orderId, { traceId, spanId });
  if (orderSpans.size > ORDER_SPANS_KEPT) orderSpans.delete(orderSpans.keys().next().value!);
}

/**
 * The trace of a log line about `orderId`: the order's trace (all its spans are in it) and the
 * latest span about it in this process (the one the line was written in, unless two spans of
 * one order run here at once).
 */
export function orderTraceFields(orderId: string): TraceFields | undefined {
  return orderSpans.get(orderId);
}

/**
 * Run `work` in a new span, handing it the span and the span's context (what the work's
 * messages carry, so their receivers continue this span). Errors are recorded and rethrown.
 * A span with an `order.id` attribute is what that order's log lines point to from now on.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span, ctx: Context) => Promise<T>): Promise<T> {
  const parent = options.parent ?? ROOT_CONTEXT;
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links }, parent);
  rememberOrderSpan(options.attributes, span);
  try {
    return await work(span, trace.setSpan(parent, span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** A link to the span a context holds, if it holds a valid one. */
export function linkTo(ctx: Context): Link[] {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && trace.isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}
