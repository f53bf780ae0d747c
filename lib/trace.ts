/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) and how it travels in message
 * headers. Only the OpenTelemetry API, not the SDK (lib/telemetry.ts starts that), so the bus
 * module and whatever reads subjects need not load it.
 */
import { propagation, ROOT_CONTEXT, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';

/** A W3C trace context, as a message payload carries it. */
export interface TraceContext {
  traceparent: string;
  tracestate: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}

/** Headers of any kind that can be read and written by name (NATS MsgHdrs, plain objects). */
interface HeaderLike {
  get(name: string): string;
  set(name: string, value: string): void;
}

const getter: TextMapGetter<{ get(name: string): string } | undefined> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (carrier, key) => carrier?.get(key) || undefined,
};
const setter: TextMapSetter<HeaderLike> = { set: (carrier, key, value) => carrier.set(key, value) };

/** The trace context a message carries (root when it carries none). */
export function extract(headers: { get(name: string): string } | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, headers, getter);
}

export function extractTraceparent(traceparent: string | undefined): Context {
  return extract({ get: (name) => (name === 'traceparent' ? (traceparent ?? '') : '') });
}

/** Write a context (a span's, so the receiver continues it) into outgoing headers. */
export function inject(headers: HeaderLike, ctx: Context): void {
  propagation.inject(ctx, headers, setter);
}

/** The W3C traceparent of a context's span, for storing with a saga or a message payload. */
export function traceparentOf(ctx: Context): string {
  const carrier = new Map<string, string>();
  propagation.inject(ctx, carrier, { set: (c, k, v) => c.set(k, v) });
  return carrier.get('traceparent') ?? '';
}
