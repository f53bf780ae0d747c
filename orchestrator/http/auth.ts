/**
 * Who may do what. Reads are open unless READ_TOKEN is set; acting (operator actions, bulk,
 * dead letters) needs an OPS_TOKEN when one is set. The actor recorded in the history and the
 * audit stream is the X-Actor header, else the token's label.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LabelledToken } from '../../lib/config.ts';
import { HttpProblem } from './problems.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is acting, for the audit trail. */
    actor: string;
  }
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  // EventSource cannot send headers: the live stream may carry the token in the query.
  const query = request.query as { access_token?: string } | undefined;
  return request.url.startsWith('/api/stream') ? query?.access_token : undefined;
}

const findToken = (tokens: LabelledToken[], presented: string | undefined) =>
  presented === undefined ? undefined : tokens.find((t) => sameSecret(t.token, presented));

function actorHeader(request: FastifyRequest): string | undefined {
  const value = request.headers['x-actor'];
  return typeof value === 'string' && value.trim() ? value.trim().slice(0, 100) : undefined;
}

/** Paths anyone may read: the process probes, the UI's files and its start-up config. */
const isOpenPath = (url: string) => !url.startsWith('/api/') || url.startsWith('/api/config');

export async function registerAuth(app: FastifyInstance): Promise<void> {
  const { opsTokens, readTokens } = app.saga.config;
  app.decorateRequest('actor', 'anonymous');

  app.addHook('onRequest', async (request) => {
    const presented = bearerOf(request);
    const ops = findToken(opsTokens, presented);
    request.actor = actorHeader(request) ?? ops?.label ?? findToken(readTokens, presented)?.label ?? 'anonymous';
    if (readTokens.length === 0 || isOpenPath(request.url) || ops || findToken(readTokens, presented)) return;
    throw new HttpProblem(401, 'Unauthorized', 'reading needs Authorization: Bearer <READ_TOKEN or OPS_TOKEN>');
  });
}

/** A dry run changes nothing: reading is enough for it. */
const isDryRun = (request: FastifyRequest) =>
  (request.query as { dryRun?: boolean } | undefined)?.dryRun === true || (request.body as { dryRun?: boolean } | undefined)?.dryRun === true;

/** preHandler for every route that changes something. */
export async function requireOps(this: FastifyInstance, request: FastifyRequest): Promise<void> {
  const { opsTokens, readTokens } = this.saga.config;
  if (opsTokens.length === 0 || isDryRun(request)) return;
  const presented = bearerOf(request);
  if (findToken(opsTokens, presented)) return;
  if (findToken(readTokens, presented)) throw new HttpProblem(403, 'Forbidden', 'this token may read but not act');
  throw new HttpProblem(401, 'Unauthorized', presented ? 'the bearer token is not valid' : 'this action needs Authorization: Bearer <OPS_TOKEN>');
}
