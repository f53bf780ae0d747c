import { trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

/** JSON lines by default; `LOG_FORMAT=pretty` (set by `npm start`) for people. */
export function createLogger(service: string, config: Pick<Config, 'logLevel' | 'logPretty' | 'instanceId'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service, instance: config.instanceId },
    // Every line written inside a span (a saga step, a worker handler, a request) carries its trace.
    mixin() {
      const span = trace.getActiveSpan()?.spanContext();
      return span ? { traceId: span.traceId, spanId: span.spanId } : {};
    },
    ...(config.logPretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service,instance' },
          },
        }
      : {}),
  });
}
