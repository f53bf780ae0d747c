/**
 * Whether NATS answers now, for the answers this instance serves from its own index (the
 * catalog, kept current by a watch on the saga bucket): while the broker does not answer (down,
 * or stalled with the socket open), the index cannot be current, and a list or count from it
 * would claim to be. Such a read answers 503 like every other read in an outage.
 *
 * One round trip (a PING, `flush`) proves the connection live; concurrent callers share it, and a
 * recent answer stands for a moment, so a busy list costs the broker at most a few PINGs a second.
 */
import type { NatsConnection } from '@nats-io/nats-core';
import type { FastifyReply } from 'fastify';
import { HttpProblem } from './problems.ts';

/** As long as a read waits for the PING's answer: the other reads' JetStream calls wait longer, none waits forever. */
const PROBE_MS = 2_000;
/** A PONG this recent stands for one now. */
const FRESH_MS = 250;

class BrokerPulse {
  private lastHeard = -Infinity;
  private probing: Promise<boolean> | null = null;

  constructor(private readonly nc: NatsConnection) {}

  answers(): Promise<boolean> {
    if (performance.now() - this.lastHeard < FRESH_MS) return Promise.resolve(true);
    this.probing ??= this.probe().finally(() => (this.probing = null));
    return this.probing;
  }

  private async probe(): Promise<boolean> {
    if (this.nc.isClosed()) return false;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_MS)));
    const heard = this.nc.flush().then(
      () => true,
      () => false,
    );
    const answered = await Promise.race([heard, late]).finally(() => clearTimeout(timer));
    if (answered) this.lastHeard = performance.now();
    return answered;
  }
}

const pulses = new WeakMap<NatsConnection, BrokerPulse>();

/**
 * Throws a 503 problem unless NATS answers now. `what`: the answer that would have been stale,
 * for the detail.
 */
export async function requireLiveIndex(nc: NatsConnection, reply: FastifyReply, what: string): Promise<void> {
  let pulse = pulses.get(nc);
  if (!pulse) pulses.set(nc, (pulse = new BrokerPulse(nc)));
  if (await pulse.answers()) return;
  reply.header('Retry-After', '1');
  throw new HttpProblem(
    503,
    'Service unavailable',
    `NATS does not answer: ${what} is this instance's index of the saga bucket, which cannot be kept current now; nothing was changed, retry later`,
    { retryable: true },
  );
}
