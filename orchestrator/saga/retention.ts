/**
 * Retention: a finished saga leaves the hot bucket SAGA_RETENTION after its last change (the
 * events and commands streams expire their messages by the same age: topology.ts). Its
 * messages are purged from the bucket's stream by subject, which leaves no delete marker behind
 * (a KV purge would keep one per saga forever); so every instance sweeps its own index, and
 * purging what another instance purged already finds nothing.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from '../../lib/logger.ts';
import { BUCKETS } from '../../lib/topology.ts';
import type { SagaCatalog } from './catalog.ts';

const BATCH = 500;
/** Per sweep at most: a sweep after a long stop catches up over several. */
const MAX_PER_SWEEP = 20_000;

export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly jsm: Pick<JetStreamManager, 'streams'>,
    private readonly catalog: Pick<SagaCatalog, 'expiredBefore' | 'remove'>,
    private readonly retentionMs: number,
    private readonly logger: Logger,
  ) {}

  start(intervalMs = 60_000): void {
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Purge the finished sagas whose last change is older than the retention at `now` (a wall clock: ages of days need no better); returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let purged = 0;
    try {
      while (purged < MAX_PER_SWEEP) {
        const expired = this.catalog.expiredBefore(now - this.retentionMs, BATCH);
        if (expired.length === 0) break;
        for (const orderId of expired) {
          await this.jsm.streams.purge(`KV_${BUCKETS.sagas}`, { filter: `$KV.${BUCKETS.sagas}.${orderId}` });
          this.catalog.remove(orderId);
          purged++;
        }
      }
      if (purged > 0) this.logger.info({ purged, retentionMs: this.retentionMs }, 'finished sagas past their retention left the bucket');
    } catch (error) {
      this.logger.warn({ err: error, purged }, 'retention sweep stopped; the next one goes on');
    } finally {
      this.sweeping = false;
    }
    return purged;
  }
}
