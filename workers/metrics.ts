/** A worker's metrics: commands handled by outcome, handling time, handlers busy now. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class WorkerMetrics {
  readonly commands: Counter<'step' | 'outcome'>;
  readonly duration: Histogram<'step'>;
  readonly inFlight: Gauge<never>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.commands = new Counter({
      name: 'worker_commands_total',
      help: 'Command deliveries handled, by step and outcome (succeeded, failed for good, transient, gave_up after the last delivery, poison)',
      labelNames: ['step', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'worker_command_duration_seconds',
      help: 'Time to handle one command delivery, effect and reply included',
      labelNames: ['step'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers,
    });
    this.inFlight = new Gauge({ name: 'worker_commands_in_flight', help: 'Command handlers busy now (at most WORKER_POOL_SIZE)', registers });
  }
}
