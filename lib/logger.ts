import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { orderTraceFields } from './telemetry.ts';

export type { Logger };

/** JSON lines by default; `LOG_FORMAT=pretty` (set by `npm start`) for people. */
export function createLogger(service: string, config: Pick<Config, 'logLevel' | 'logPretty' | 'instanceId'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service, instance: config.instanceId },
    // A line about an order leads to its trace. Contexts are passed by hand (telemetry.ts), so
    // there is no "active span" to ask: the order's latest span in this process stands in.
    // Ids the line or its child logger (an HTTP request's) names itself win.
    mixin(line: { orderId?: unknown; traceId?: unknown }, _level, logger) {
      if (line.traceId !== undefined || typeof line.orderId !== 'string') return {};
      if (logger.bindings().traceId !== undefined) return {};
      return orderTraceFields(line.orderId) ?? {};
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
