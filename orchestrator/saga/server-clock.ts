/**
 * When the nats-server stored something, on this process's monotonic clock. Instances never
 * compare their wall clocks: the one clock they share is the server's, which stamps every KV
 * write (`KvEntry.created`). This keeps a per-process estimate of the offset between that clock
 * and `performance.now()`, so "how long ago was this written" needs no other machine's time, and
 * a step of this machine's wall clock (NTP, a VM resumed) changes nothing.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** This process's monotonic clock in ms: never steps, and keeps counting while the process is paused. */
export const monotonicNow = (): number => performance.now();

/**
 * How fast the estimate may rise with no sample that says so (10 ms per second): far above a
 * quartz's drift, so a server whose clock stepped back is followed within minutes, never ignored.
 */
const RISE_PER_MS = 0.01;

export class ServerClock {
  /** Local monotonic time minus server time, at least (a sample only ever overstates it: transit and queueing add to it). */
  private offset: number | undefined;
  private offsetAt = 0;

  constructor(readonly now: () => number = monotonicNow) {}

  /**
   * Something the server stamped `serverMs` is seen now (or at `seenAt`): returns when it was
   * stored, on the local monotonic clock. A fresh delivery tightens the estimate; a stale one
   * (a catch-up after a restart or a reconnect) is placed as far back as the estimate allows.
   */
  storedAt(serverMs: number, seenAt: number = this.now()): number {
    const lag = seenAt - serverMs;
    const risen = this.offset === undefined ? lag : this.offset + Math.max(0, seenAt - this.offsetAt) * RISE_PER_MS;
    this.offset = Math.min(risen, lag);
    this.offsetAt = seenAt;
    // Never after it was seen; never later than the estimate says (an overstated offset only makes it look younger).
    return Math.min(seenAt, serverMs + this.offset);
  }

  /** Whether any sample was taken yet. */
  get calibrated(): boolean {
    return this.offset !== undefined;
  }
}

/**
 * One fresh sample before anything old is read: create (and drop) an ephemeral consumer on
 * `stream`, whose `created` the server stamps as it answers. Without it, the first estimate would
 * come from the catch-up itself and take its youngest entry for brand new.
 */
export async function calibrate(clock: ServerClock, jsm: JetStreamManager, stream: string): Promise<void> {
  const info = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.New,
    // A subject no key uses: the probe is never sent anything.
    filter_subject: `$KV.${stream.replace(/^KV_/, '')}.__server_clock_probe__`,
    inactive_threshold: nanos(10_000),
  });
  const seenAt = clock.now();
  clock.storedAt(Date.parse(info.created), seenAt);
  // Deliberately unchecked: a probe whose delete fails (gone already, or an outage) expires by itself after inactive_threshold.
  await jsm.consumers.delete(stream, info.name).catch(() => undefined);
}
