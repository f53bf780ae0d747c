/**
 * Who may do what, decided on the route that matched (never on the raw URL, which the router
 * decodes: `/%61pi/orders` is `/api/orders`). Every route under /api needs a read token when
 * READ_TOKEN is set, unless it is marked `access: 'open'`; so does a request that matches no
 * route. Routes marked `access: 'ops'` act, and need an ops token when OPS_TOKEN is set.
 * Outside /api nothing holds order data, so it is open: the UI's files, the process probes
 * (/health, /ready, /metrics) and the API's description (/docs: shapes, never data).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { Config, LabelledToken } from '../../lib/config.ts';
import { ANONYMOUS } from '../ops/audit.ts';
import { HttpProblem } from './problems.ts';

/** What a route needs: nothing, a read (or ops) token, or an ops token. */
export type Access = 'open' | 'read' | 'ops';

export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; unset: decided by `defaultAccess`. `ops`: the route acts. */
    access?: Access;
    /** The route also takes the token as `?access_token=` (EventSource cannot send headers). */
    tokenInQuery?: boolean;
  }
  interface FastifyRequest {
    /** The name the operator acts under, for the history and the audit: X-Actor, else `authenticatedAs`. */
    actor: string;
    /** The label of the token the request proved (ops before read), else 'anonymous'. */
    authenticatedAs: string;
  }
  interface FastifyInstance {
    /** Every route registered so far and what it needs, in registration order. */
    routeAccess: RouteAccess[];
  }
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The presented token: `Authorization: Bearer` (any case, RFC 7235), or the query where the route allows it. */
function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const scheme = header ? /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  if (scheme) return scheme[1];
  if (!request.routeOptions.config?.tokenInQuery) return undefined;
  const query = request.query as { access_token?: unknown } | undefined;
  return typeof query?.access_token === 'string' ? query.access_token : undefined;
}

const findToken = (tokens: LabelledToken[], presented: string | undefined) =>
  presented === undefined ? undefined : tokens.find((t) => sameSecret(t.token, presented));

/** The label of the valid token the request presents (ops before read), else undefined: e.g. what a rate limit is keyed by. */
export function provenLabelOf(request: FastifyRequest, { opsTokens, readTokens }: Pick<Config, 'opsTokens' | 'readTokens'>): string | undefined {
  const presented = bearerOf(request);
  return (findToken(opsTokens, presented) ?? findToken(readTokens, presented))?.label;
}

/**
 * A name the history can show beside the token's label without being mistaken for it: letters,
 * digits and a few separators, no parentheses, no control characters (headers are Latin-1 on the
 * wire, so anything else would arrive garbled anyway).
 */
export const ACTOR_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._@+-]{0,99}$/;

function actorHeader(request: FastifyRequest): string | undefined {
  const value = request.headers['x-actor'];
  const actor = typeof value === 'string' ? value.trim() : '';
  if (!actor) return undefined;
  if (ACTOR_PATTERN.test(actor)) return actor;
  throw new HttpProblem(400, 'Invalid request', 'X-Actor must be 1 to 100 letters, digits, spaces or . _ @ + - (starting with a letter or digit)', {
    errors: [{ field: 'headers.x-actor', message: 'is not a name: use letters, digits, spaces or . _ @ + -' }],
  });
}

const isApiRoute = (url: string) => url === '/api' || url.startsWith('/api/');

/** What a route needs when it does not say: under /api a read token; elsewhere (UI, probes, /docs) nothing. */
const defaultAccess = (route: RouteOptions): Access => (isApiRoute(route.url) ? 'read' : 'open');

/** A request that matched no route is treated as a read: an unknown path tells nothing without a token. */
const accessOf = (request: FastifyRequest): Access => (request.is404 ? 'read' : (request.routeOptions.config?.access ?? 'read'));

export async function registerAuth(app: FastifyInstance, { opsTokens, readTokens }: Pick<Config, 'opsTokens' | 'readTokens'>): Promise<void> {
  app.decorateRequest('actor', ANONYMOUS);
  app.decorateRequest('authenticatedAs', ANONYMOUS);
  const table: RouteAccess[] = [];
  app.decorate('routeAccess', table);

  app.addHook('onRoute', (route) => {
    const access = route.config?.access ?? defaultAccess(route);
    route.config = { ...route.config, access };
    for (const method of [route.method].flat()) table.push({ method, url: route.url, access });
  });

  app.addHook('onRequest', async (request) => {
    const presented = bearerOf(request);
    const proven = findToken(opsTokens, presented) ?? findToken(readTokens, presented);
    request.authenticatedAs = proven?.label ?? ANONYMOUS;
    request.actor = actorHeader(request) ?? request.authenticatedAs;
    if (readTokens.length === 0 || proven || accessOf(request) === 'open') return;
    throw new HttpProblem(401, 'Unauthorized', 'reading needs Authorization: Bearer <READ_TOKEN or OPS_TOKEN>');
  });

  // After validation, so a dry run (`dryRun` coerced and defaulted) is known to change nothing.
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.config?.access === 'ops') requireOps(request, opsTokens, readTokens);
  });
}

/** A dry run changes nothing: reading is enough for it. */
const isDryRun = (request: FastifyRequest) =>
  (request.query as { dryRun?: boolean } | undefined)?.dryRun === true || (request.body as { dryRun?: boolean } | undefined)?.dryRun === true;

/** Throws unless the request may act: an ops token where OPS_TOKEN is set. */
function requireOps(request: FastifyRequest, opsTokens: LabelledToken[], readTokens: LabelledToken[]): void {
  if (isDryRun(request)) return;
  if (opsTokens.length === 0) {
    // Reads are protected but nobody was given the right to act: acting is off, not open to all.
    if (readTokens.length > 0) throw new HttpProblem(403, 'Forbidden', 'actions are disabled: READ_TOKEN is set without OPS_TOKEN');
    return;
  }
  const presented = bearerOf(request);
  if (findToken(opsTokens, presented)) return;
  if (findToken(readTokens, presented)) throw new HttpProblem(403, 'Forbidden', 'this token may read but not act');
  throw new HttpProblem(401, 'Unauthorized', presented ? 'the bearer token is not valid' : 'this action needs Authorization: Bearer <OPS_TOKEN>');
}

