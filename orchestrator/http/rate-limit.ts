/**
 * A per-client rate limit on the API (@fastify/rate-limit's store and counting): each client —
 * the label of the token it proves, else its IP address — has a budget of reads (GET, HEAD) and
 * a separate one of writes per window (RATE_LIMIT_READS, RATE_LIMIT_WRITES, RATE_LIMIT_WINDOW_MS).
 * Past it the API answers 429 with Retry-After, before the request is authenticated or parsed,
 * so a flood of bad tokens is limited too. Only /api is limited: the UI's files, the probes and
 * /docs are not. The counts live in this process (an LRU of at most 5,000 clients): with several
 * orchestrators each has its own budget.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../lib/config.ts';
import { provenLabelOf } from './auth.ts';
import { HttpProblem } from './problems.ts';

const isApi = (url: string) => url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
const isRead = (method: string) => method === 'GET' || method === 'HEAD';

export async function registerRateLimit(app: FastifyInstance, config: Pick<Config, 'rateLimit' | 'opsTokens' | 'readTokens'>): Promise<void> {
  const { reads, writes, windowMs } = config.rateLimit;
  if (reads === 0 && writes === 0) return;
  // `global: false`: no per-route hooks; the one hook below decides which budget a request spends.
  await app.register(rateLimit, { global: false, timeWindow: windowMs });
  const clientOf = (request: FastifyRequest) => {
    const label = provenLabelOf(request, config);
    return label ? `token:${label}` : `ip:${request.ip}`;
  };
  const limiters = {
    read: reads > 0 ? app.createRateLimit({ max: reads, timeWindow: windowMs, keyGenerator: (request) => `read ${clientOf(request)}` }) : undefined,
    write: writes > 0 ? app.createRateLimit({ max: writes, timeWindow: windowMs, keyGenerator: (request) => `write ${clientOf(request)}` }) : undefined,
  };
  app.addHook('onRequest', async (request, reply) => {
    if (!isApi(request.url)) return;
    const kind = isRead(request.method) ? 'read' : 'write';
    const limiter = limiters[kind];
    if (!limiter) return;
    const result = await limiter(request);
    if (result.isAllowed || !result.isExceeded) return;
    const seconds = Math.max(1, result.ttlInSeconds);
    reply.header('Retry-After', String(seconds));
    reply.header('X-RateLimit-Limit', String(result.max));
    reply.header('X-RateLimit-Remaining', '0');
    throw new HttpProblem(429, 'Too many requests', `this client (${result.key.split(' ')[1]}) used its ${result.max} ${kind}s per ${windowMs / 1000} s; retry in ${seconds} s`, {
      retryable: true,
    });
  });
}
