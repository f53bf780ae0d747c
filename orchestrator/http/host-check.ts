/**
 * The DNS-rebinding defence: a request is answered only when its `Host` names this service as
 * it may be named — `localhost`, an IP address (a rebinding page always comes under a DNS name
 * of its own), this machine's host name, or a name in TRUSTED_HOSTS. A page on `evil.example`
 * whose name resolves to 127.0.0.1 reaches the port from the operator's browser, but its
 * requests say `Host: evil.example` and are refused with 421 before anything else runs.
 * TRUSTED_HOSTS=* turns the check off, on purpose (e.g. behind a proxy that checks it).
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../lib/config.ts';
import { HttpProblem } from './problems.ts';

/** The name part of a Host header: no port, no brackets around IPv6, lower case, no trailing dot. */
export function hostNameOf(header: string): string {
  const value = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  // One colon at most: name:port. More: a bare IPv6 address (not valid in Host, but not a name either).
  const name = value.split(':').length === 2 ? value.slice(0, value.lastIndexOf(':')) : value;
  return name.replace(/\.$/, '');
}

export function hostAllowed(header: string | undefined, trusted: readonly string[], machine: string = hostname()): boolean {
  if (!header) return false;
  const name = hostNameOf(header);
  if (!name) return false;
  if (name === 'localhost' || isIP(name) !== 0) return true;
  if (name === machine.toLowerCase()) return true;
  return trusted.some((entry) => (entry.startsWith('*.') ? name.endsWith(entry.slice(1)) && name.length > entry.length - 1 : name === entry));
}

export async function registerHostCheck(app: FastifyInstance, { trustedHosts }: Pick<Config, 'trustedHosts'>): Promise<void> {
  if (trustedHosts === '*') return;
  const machine = hostname();
  app.addHook('onRequest', async (request) => {
    if (hostAllowed(request.headers.host, trustedHosts, machine)) return;
    throw new HttpProblem(
      421,
      'Misdirected request',
      `this service does not answer to Host ${JSON.stringify(request.headers.host ?? '')}: use localhost or an IP address, or add the name to TRUSTED_HOSTS`,
    );
  });
}
