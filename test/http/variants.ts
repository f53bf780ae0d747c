/**
 * The ways a hostile client writes a route's path so that a check on the raw URL misses it while
 * the router (which decodes) may still find the route: percent-encoded letters and slashes,
 * doubled and trailing slashes, mixed case, dot segments.
 */
import type { RouteAccess } from '../../orchestrator/http/auth.ts';

/** A route pattern's parameters filled with values its schema accepts. */
const SAMPLE_PARAMS: Record<string, string> = {
  orderId: 'ord_0000000000000000000000000a',
  sequence: '1',
  id: 'bulk_0123456789abcdef0123',
};

export function concretePath(pattern: string): string {
  return pattern.replace(/:(\w+)/g, (_, name: string) => SAMPLE_PARAMS[name] ?? 'x').replace(/\*$/, 'x');
}

const encodeChar = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
const encodeAll = (segment: string) => [...segment].map(encodeChar).join('');
const upperFirst = (segment: string) => segment.charAt(0).toUpperCase() + segment.slice(1);

/** Every variant of `pattern`'s concrete path, the plain one first. */
export function pathVariants(pattern: string): string[] {
  const path = concretePath(pattern);
  const segments = path.split('/').slice(1);
  const join = (parts: string[]) => `/${parts.join('/')}`;
  const at = (i: number, f: (s: string) => string) => join(segments.map((s, j) => (i === j ? f(s) : s)));
  const variants = [
    path,
    // The issue's own: `/%61pi/…`, and each segment's first letter encoded in lower and upper hex.
    ...segments.map((_, i) => at(i, (s) => encodeChar(s.charAt(0)) + s.slice(1))),
    ...segments.map((_, i) => at(i, (s) => encodeChar(s.charAt(0)).toUpperCase() + s.slice(1))),
    join(segments.map(encodeAll)),
    // Slashes: encoded, doubled, trailing.
    `/${segments.join('%2F')}`,
    `/${segments.join('%2f')}`,
    `/%2F${segments.join('/')}`,
    `/${path}`,
    path.replace(/\/(?=[^/]*$)/, '//'),
    `${path}/`,
    `${path}//`,
    `${path}%2F`,
    // Case.
    path.toUpperCase(),
    join(segments.map(upperFirst)),
    at(0, (s) => s.toUpperCase()),
    // Dot segments and their encodings.
    `/.${path}`,
    `/x/..${path}`,
    `/%2e${path}`,
    `/x/%2e%2e${path}`,
    // Odd endings.
    `${path};`,
    `${path}%00`,
    `${path}%20`,
    `${path}?`,
    `${path}#`,
  ];
  return [...new Set(variants)];
}

export interface RouteCall {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  url: string;
  payload?: object;
}

/** Bodies that would act if they got through: an order that would be stored, a reason for every action. */
export function bodyFor(route: RouteAccess): object | undefined {
  if (route.method !== 'POST') return undefined;
  if (route.url === '/api/orders') return { customerId: 'cust-hostile', items: [{ sku: 'HOSTILE-1', quantity: 1, unitPriceCents: 100 }] };
  if (route.url === '/api/bulk') return { action: 'retry', filter: { status: 'stuck' }, reason: 'hostile' };
  return { reason: 'hostile' };
}

export function requestFor(route: RouteAccess, path: string): RouteCall {
  const payload = bodyFor(route);
  return { method: route.method as RouteCall['method'], url: path, ...(payload === undefined ? {} : { payload }) };
}
