import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { orderTraceFields } from './telemetry.ts';

export type { Logger };

/** Marks a child logger bound to a trace, so the mixin needs no parse of its bindings per line. */
const TRACED = Symbol('traced');

/** A child of `logger` whose every line carries `traceId` and `spanId` (an HTTP request's, say). */
export function withTrace<L extends { child(bindings: Record<string, string>): L }>(logger: L, ids: { traceId: string; spanId: string }): L {
  return Object.assign(logger.child(ids), { [TRACED]: true });
}

/** JSON lines by default; `LOG_FORMAT=pretty` (set by `npm start`) for people. */
export function createLogger(service: string, config: Pick<Config, 'logLevel' | 'logPretty' | 'instanceId'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service, instance: config.instanceId },
    // A line about an order leads to its trace. Contexts are passed by hand (telemetry.ts), so
    // there is no "active span" to ask: the order's latest span in this process stands in.
    // Ids the line or its child logger (`withTrace`) names itself win.
    mixin(line: { orderId?: unknown; traceId?: unknown }, _level, logger) {
      if (line.traceId !== undefined || typeof line.orderId !== 'string' || TRACED in logger) return {};
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
