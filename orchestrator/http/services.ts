/** What the HTTP app is built from: buildApp hands each route plugin the part it uses. */
import type { Registry } from 'prom-client';
import type { Nats, Topology } from '../../lib/topology.ts';
import type { SagaMetrics } from '../metrics.ts';
import type { Config } from '../../lib/config.ts';
import type { AuditLog } from '../ops/audit.ts';
import type { BulkJobs } from '../ops/bulk.ts';
import type { DeadLetterDesk } from '../ops/dead-letters.ts';
import type { SagaCatalog } from '../saga/catalog.ts';
import type { LoadMeter } from '../saga/load-meter.ts';
import type { QueueProgress } from '../saga/queue-progress.ts';
import type { SagaRuntime } from '../saga/runtime.ts';

export interface SagaServices {
  config: Config;
  nats: Nats;
  topology: Topology;
  runtime: SagaRuntime;
  catalog: SagaCatalog;
  /** What waits in the queues: one prober shared with the deadlines, so they and the overview cost JetStream one probe. */
  queues: QueueProgress;
  loadMeter: LoadMeter;
  audit: AuditLog;
  deadLetters: DeadLetterDesk;
  bulk: BulkJobs;
  metrics: SagaMetrics;
  registry: Registry;
}
