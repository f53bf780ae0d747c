/**
 * What waits in the queues in front of the sagas, as JetStream reports it: the stream's last
 * sequences and each durable consumer's progress. One probe serves every caller for
 * `maxAgeMs`, so deadlines that fall due together, the overview and the load view share it.
 */
import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import { SERVICES, type Service } from '../../machines/index.ts';
import { CONSUMERS, STREAMS } from '../../lib/topology.ts';
import { monotonicNow } from './server-clock.ts';

export interface ConsumerProgress {
  /** Stored, not yet delivered. */
  pending: number;
  /** Delivered, not yet acknowledged. */
  ackPending: number;
  /** The stream sequence of the last message delivered. */
  deliveredSeq: number;
  /** Every message up to this stream sequence is acknowledged. */
  ackFloorSeq: number;
}

export interface QueueSnapshot {
  /** When it was read, on the local monotonic clock. */
  at: number;
  eventsLastSeq: number;
  commandsLastSeq: number;
  replies: ConsumerProgress;
  submissions: ConsumerProgress;
  workers: Record<Service, ConsumerProgress>;
}

const progressOf = (info: ConsumerInfo): ConsumerProgress => ({
  pending: info.num_pending,
  ackPending: info.num_ack_pending,
  deliveredSeq: info.delivered.stream_seq,
  ackFloorSeq: info.ack_floor.stream_seq,
});

export class QueueProgress {
  private last: QueueSnapshot | undefined;
  private probe: Promise<QueueSnapshot> | undefined;

  constructor(
    private readonly jsm: Pick<JetStreamManager, 'streams' | 'consumers'>,
    private readonly maxAgeMs = 250,
    private readonly now: () => number = monotonicNow,
  ) {}

  /** A snapshot no older than `maxAgeMs`; throws when JetStream cannot answer now. */
  snapshot(): Promise<QueueSnapshot> {
    if (this.last && this.now() - this.last.at <= this.maxAgeMs) return Promise.resolve(this.last);
    this.probe ??= this.read().finally(() => (this.probe = undefined));
    return this.probe;
  }

  private async read(): Promise<QueueSnapshot> {
    const at = this.now();
    const consumer = (stream: string, name: string) => this.jsm.consumers.info(stream, name).then(progressOf);
    const [events, commands, replies, submissions, ...workers] = await Promise.all([
      this.jsm.streams.info(STREAMS.events),
      this.jsm.streams.info(STREAMS.commands),
      consumer(STREAMS.events, CONSUMERS.replies),
      consumer(STREAMS.events, CONSUMERS.submissions),
      ...SERVICES.map((service) => consumer(STREAMS.commands, CONSUMERS.worker(service))),
    ]);
    this.last = {
      at,
      eventsLastSeq: events.state.last_seq,
      commandsLastSeq: commands.state.last_seq,
      replies,
      submissions,
      workers: Object.fromEntries(SERVICES.map((service, index) => [service, workers[index]!])) as Record<Service, ConsumerProgress>,
    };
    return this.last;
  }
}
