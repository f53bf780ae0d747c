/**
 * A real OTLP/gRPC trace receiver, in-process: the services export to it exactly as they
 * would to Jaeger or a collector, and tests read back the spans it received.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  links: { traceId: string; spanId: string }[];
  statusCode: number;
  events: string[];
}

export interface OtlpReceiver {
  endpoint: string;
  spans: ReceivedSpan[];
  stop(): Promise<void>;
}

const hex = (bytes: Buffer | undefined) => (bytes ? Buffer.from(bytes).toString('hex') : '');

type AnyValue = { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number };
const valueOf = (value: AnyValue | undefined): string | number | boolean =>
  value?.stringValue ?? value?.boolValue ?? (value?.intValue !== undefined ? Number(value.intValue) : (value?.doubleValue ?? ''));

function attributesOf(list: { key: string; value?: AnyValue }[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const definition = protoLoader.loadSync(fileURLToPath(new URL('./otlp/trace_service.proto', import.meta.url)), {
    keepCase: false,
    longs: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as any;
  const service = loaded.opentelemetry.proto.collector.trace.v1.TraceService.service;
  const spans: ReceivedSpan[] = [];
  const server = new grpc.Server();
  server.addService(service, {
    Export(call: any, callback: (error: null, response: object) => void) {
      for (const resourceSpans of call.request.resourceSpans ?? []) {
        const resource = attributesOf(resourceSpans.resource?.attributes);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              service: String(resource['service.name'] ?? ''),
              traceId: hex(span.traceId),
              spanId: hex(span.spanId),
              parentSpanId: hex(span.parentSpanId),
              name: span.name,
              kind: span.kind,
              attributes: attributesOf(span.attributes),
              links: (span.links ?? []).map((link: any) => ({ traceId: hex(link.traceId), spanId: hex(link.spanId) })),
              statusCode: span.status?.code ?? 0,
              events: (span.events ?? []).map((event: any) => event.name),
            });
          }
        }
      }
      callback(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
