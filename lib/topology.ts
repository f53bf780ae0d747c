/**
 * The one NATS set-up module: how every service connects, and the streams, consumers and
 * buckets the system runs on, created or updated idempotently at start-up.
 */
import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { connectToNats } from './nats-connection.ts';
import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Service } from '../machines/index.ts';
import type { Config, NatsAuth } from './config.ts';

const SECOND_NS = 1_000_000_000;

export const STREAMS = {
  /** Submissions and worker replies: everything that moves a saga. */
  events: 'SAGA_EVENTS',
  /** Commands from the orchestrator to the workers. */
  commands: 'SAGA_COMMANDS',
  /** Messages no service could handle, with the reason. */
  deadLetters: 'SAGA_DLQ',
  /** Every operator act: who, when, what, why, and what came of it. */
  audit: 'SAGA_AUDIT',
} as const;

export const SUBJECTS = {
  submitted: (orderId: string) => `saga.submitted.${orderId}`,
  submittedAll: 'saga.submitted.*',
  reply: (service: Service) => `saga.reply.${service}`,
  replyAll: 'saga.reply.*',
  command: (service: Service) => `saga.cmd.${service}`,
  commandAll: 'saga.cmd.*',
  deadLetter: (service: string) => `saga.dlq.${service}`,
  deadLetterAll: 'saga.dlq.>',
  audit: (target: string) => `saga.audit.${target}`,
  auditAll: 'saga.audit.>',
} as const;

export const BUCKETS = {
  sagas: 'sagas',
  bulkJobs: 'bulk_jobs',
  ledger: (service: Service) => `ledger_${service}`,
} as const;

export const CONSUMERS = {
  orchestrator: 'orchestrator',
  worker: (service: Service) => `worker_${service}`,
} as const;

/** Headers every saga message may carry. */
export const HEADERS = {
  orderId: 'Saga-Order-Id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  dlqReason: 'Dlq-Reason',
  dlqSubject: 'Dlq-Original-Subject',
  dlqStream: 'Dlq-Original-Stream',
  dlqSequence: 'Dlq-Original-Sequence',
  dlqService: 'Dlq-Service',
} as const;

export interface Nats {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kvm: Kvm;
}

function authOptions(auth: NatsAuth | undefined) {
  if (!auth) return {};
  return {
    ...(auth.user !== undefined ? { user: auth.user, pass: auth.password } : {}),
    ...(auth.token ? { token: auth.token } : {}),
    ...(auth.nkeySeed ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(auth.nkeySeed)) } : {}),
    ...(auth.credsFile ? { authenticator: credsAuthenticator(new Uint8Array(readFileSync(auth.credsFile))) } : {}),
    ...(auth.tls ? { tls: auth.tls } : {}),
  };
}

export async function connectNats(config: Pick<Config, 'natsUrl'> & { natsAuth?: NatsAuth }, name: string): Promise<Nats> {
  const nc = await connectToNats({
    servers: config.natsUrl.split(',').map((s) => s.trim()),
    ...authOptions(config.natsAuth),
    name,
    // A service outlives NATS restarts: reconnect forever, quickly.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    // Otherwise each request the library itself makes (ours go through lib/request-mux.ts) and
    // each subscription builds an Error up front to keep its caller's stack: measured as 11% of
    // the orchestrator's CPU under load before the mux, for stacks nobody reads.
    noAsyncTraces: true,
  });
  const jsm = await jetstreamManager(nc);
  return { nc, js: jetstream(nc), jsm, kvm: new Kvm(nc) };
}

function streamConfigs(replicas: number): (Partial<StreamConfig> & { name: string })[] {
  const common = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: replicas,
    duplicate_window: 120 * SECOND_NS,
    allow_direct: true,
  };
  return [
    { ...common, name: STREAMS.events, subjects: [SUBJECTS.submittedAll, SUBJECTS.replyAll], max_age: 7 * 24 * 3600 * SECOND_NS },
    { ...common, name: STREAMS.commands, subjects: [SUBJECTS.commandAll], max_age: 7 * 24 * 3600 * SECOND_NS },
    // Dead letters wait for an operator, and the audit trail is kept: neither expires on its own.
    { ...common, name: STREAMS.deadLetters, subjects: [SUBJECTS.deadLetterAll] },
    { ...common, name: STREAMS.audit, subjects: [SUBJECTS.auditAll] },
  ];
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  const name = config.name;
  const existing = await jsm.streams.info(name).catch(() => null);
  if (existing) await jsm.streams.update(name, config);
  else await jsm.streams.add(config);
}

/** Durable pull consumers: the orchestrator's on events, one per worker service on commands. */
async function ensureConsumer(jsm: JetStreamManager, stream: string, durable: string, filter: string | undefined, ackWaitMs: number) {
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ...(filter ? { filter_subject: filter } : {}),
    ack_wait: ackWaitMs * 1_000_000,
    // Never give up on a message silently: handlers dead-letter explicitly, with a reason.
    max_deliver: -1,
    max_ack_pending: 20_000,
  };
  const existing = await jsm.consumers.info(stream, durable).catch(() => null);
  if (existing) await jsm.consumers.update(stream, durable, config);
  else await jsm.consumers.add(stream, config);
}

export interface Topology {
  sagas: KV;
  /**
   * The same bucket, read from its stream's leader. `sagas` reads with direct gets, which any
   * replica may answer, a lagging one included: fast, and right for a hint.
   */
  sagasOnLeader: KV;
  bulkJobs: KV;
  ledgers: Record<Service, KV>;
}

export async function ensureTopology(nats: Nats, config: Pick<Config, 'natsReplicas'>): Promise<Topology> {
  for (const stream of streamConfigs(config.natsReplicas)) await ensureStream(nats.jsm, stream);
  await ensureConsumer(nats.jsm, STREAMS.events, CONSUMERS.orchestrator, undefined, 30_000);
  for (const service of ['inventory', 'payment', 'shipping'] as const) {
    await ensureConsumer(nats.jsm, STREAMS.commands, CONSUMERS.worker(service), SUBJECTS.command(service), 30_000);
  }
  const bucket = (name: string) =>
    nats.kvm.create(name, { replicas: config.natsReplicas, history: 1, storage: StorageType.File });
  const [sagas, bulkJobs, inventory, payment, shipping] = await Promise.all([
    bucket(BUCKETS.sagas),
    bucket(BUCKETS.bulkJobs),
    bucket(BUCKETS.ledger('inventory')),
    bucket(BUCKETS.ledger('payment')),
    bucket(BUCKETS.ledger('shipping')),
  ]);
  const sagasOnLeader = await nats.kvm.open(BUCKETS.sagas, { allow_direct: false });
  return { sagas, sagasOnLeader, bulkJobs, ledgers: { inventory, payment, shipping } };
}
