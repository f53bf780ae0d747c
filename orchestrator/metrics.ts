/**
 * The orchestrator's metrics, named for what ops alert on: sagas started and finished by
 * outcome, sagas in each state now, step latency, retries, timeouts, CAS conflicts, dead
 * letters, consumer backlogs, HTTP requests, and the process.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DURABLE_CONSUMERS, STREAMS, type Nats } from '../lib/topology.ts';
import type { SagaCatalog } from './saga/catalog.ts';

export class SagaMetrics {
  readonly started: Counter<never>;
  readonly finished: Counter<'outcome'>;
  readonly stepDuration: Histogram<'event'>;
  readonly retries: Counter<'step' | 'reason'>;
  readonly timeouts: Counter<'step'>;
  readonly casConflicts: Counter<never>;
  readonly deadLetters: Counter<never>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.started = new Counter({ name: 'saga_started_total', help: 'Sagas started (orders whose submission was consumed)', registers });
    this.finished = new Counter({ name: 'saga_finished_total', help: 'Sagas that reached a final status, by outcome (completed, cancelled, failed)', labelNames: ['outcome'], registers });
    this.stepDuration = new Histogram({
      name: 'saga_step_duration_seconds',
      help: 'Time to apply one event to a saga: read, decide, CAS write, publish its commands',
      labelNames: ['event'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.retries = new Counter({ name: 'saga_step_retries_total', help: 'Step attempts that failed and were retried or parked, by step and reason (transient, timeout)', labelNames: ['step', 'reason'], registers });
    this.timeouts = new Counter({ name: 'saga_step_timeouts_total', help: 'Step deadlines that fired', labelNames: ['step'], registers });
    this.casConflicts = new Counter({ name: 'saga_cas_conflicts_total', help: 'Saga writes that lost a compare-and-set race and were re-applied', registers });
    this.deadLetters = new Counter({ name: 'saga_dead_letters_total', help: 'Events the orchestrator dead-lettered', registers });
    this.httpRequests = new Counter({ name: 'http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  /** Gauges read at scrape time: the catalog's counts and JetStream's backlogs. */
  observe(registry: Registry, catalog: SagaCatalog, nats: Nats): void {
    const registers = [registry];
    new Gauge({
      name: 'saga_sagas',
      help: 'Sagas in each machine state now',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const [state, count] of Object.entries(catalog.counts().byState)) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'saga_sagas_by_status',
      help: 'Sagas in each status now (running, completed, cancelled, failed, stuck)',
      labelNames: ['status'],
      registers,
      collect() {
        for (const [status, count] of Object.entries(catalog.counts().byStatus)) this.set({ status }, count);
      },
    });
    new Gauge({
      name: 'saga_retrying',
      help: 'Running sagas whose pending step already failed at least once',
      registers,
      collect() {
        this.set(catalog.counts().retrying);
      },
    });
    new Gauge({
      name: 'saga_paused',
      help: 'Sagas an operator holds paused: no new command, no deadline until resumed',
      registers,
      collect() {
        this.set(catalog.counts().paused);
      },
    });
    const pending = new Gauge({ name: 'nats_consumer_pending_messages', help: 'Messages not yet delivered to a durable consumer', labelNames: ['consumer'], registers });
    const ackPending = new Gauge({ name: 'nats_consumer_ack_pending_messages', help: 'Messages delivered but not yet acknowledged', labelNames: ['consumer'], registers });
    const redelivered = new Gauge({ name: 'nats_consumer_redelivered_messages', help: 'Messages being redelivered now', labelNames: ['consumer'], registers });
    new Gauge({
      name: 'saga_dead_letters_waiting',
      help: 'Dead letters waiting for an operator',
      registers,
      async collect() {
        this.set((await nats.jsm.streams.info(STREAMS.deadLetters)).state.messages);
        for (const { stream, name } of DURABLE_CONSUMERS) {
          const info = await nats.jsm.consumers.info(stream, name);
          pending.set({ consumer: name }, info.num_pending);
          ackPending.set({ consumer: name }, info.num_ack_pending);
          redelivered.set({ consumer: name }, info.num_redelivered);
        }
      },
    });
  }
}
