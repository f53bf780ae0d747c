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
import { SERVICES, type Service } from '../machines/index.ts';
import { SUBJECTS } from './bus.ts';
import type { Config, NatsAuth } from './config.ts';
import { isConsumerNotFound, isStreamNotFound, unlessMissing } from './nats-errors.ts';
import { inboxPrefixOf, isNatsIdentity, type NatsIdentity } from './nats-permissions.ts';

// The bus's names, for what imported them from here before lib/bus.ts held them.
export { HEADERS, SUBJECTS } from './bus.ts';

const SECOND_NS = 1_000_000_000;
const DEFAULT_ACK_WAIT_MS = 2_000;
const DEFAULT_RETENTION_MS = 30 * 24 * 3_600_000;

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

export const BUCKETS = {
  sagas: 'sagas',
  bulkJobs: 'bulk_jobs',
  ledger: (service: Service) => `ledger_${service}`,
} as const;

export const CONSUMERS = {
  /** Worker replies: a consumer of their own, so sagas in flight never wait behind new submissions. */
  replies: 'orchestrator_replies',
  /** New submissions: taken only while fewer than MAX_ACTIVE_SAGAS sagas run (the stream is the waiting room). */
  submissions: 'orchestrator_submissions',
  /** The one events consumer of earlier versions: the two above take over from its ack floor, then it is removed. */
  legacyOrchestrator: 'orchestrator',
  worker: (service: Service) => `worker_${service}`,
} as const;

/** The orchestrator's consumers, with what each one takes from SAGA_EVENTS. */
export const ORCHESTRATOR_CONSUMERS = [
  { durable: CONSUMERS.replies, filter: SUBJECTS.replyAll },
  { durable: CONSUMERS.submissions, filter: SUBJECTS.submittedAll },
] as const;

/** Every durable consumer, and the service that reads it: what health views, metrics and tests watch. */
export const DURABLE_CONSUMERS: readonly { stream: string; name: string; service: 'orchestrator' | Service }[] = [
  ...ORCHESTRATOR_CONSUMERS.map(({ durable }) => ({ stream: STREAMS.events, name: durable, service: 'orchestrator' as const })),
  ...SERVICES.map((service) => ({ stream: STREAMS.commands, name: CONSUMERS.worker(service), service })),
];

export interface Nats {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kvm: Kvm;
  /** The system's NATS user this connection is (lib/nats-permissions.ts), when it is one: what it may set up. */
  identity?: NatsIdentity;
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
  const user = config.natsAuth?.user;
  const identity = isNatsIdentity(user) ? user : undefined;
  const nc = await connectToNats({
    servers: config.natsUrl.split(',').map((s) => s.trim()),
    ...authOptions(config.natsAuth),
    // Answers come to an inbox only this user may subscribe to (lib/nats-permissions.ts).
    ...(identity ? { inboxPrefix: inboxPrefixOf(identity) } : {}),
    name,
    // A service outlives NATS restarts: reconnect forever, quickly.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    // Otherwise each request the library itself makes (ours go through lib/request-mux.ts) and
    // each subscription builds an Error up front to keep its caller's stack, for stacks nobody reads.
    noAsyncTraces: true,
  });
  const jsm = await jetstreamManager(nc);
  return { nc, js: jetstream(nc), jsm, kvm: new Kvm(nc), ...(identity ? { identity } : {}) };
}

function streamConfigs(replicas: number, retentionMs: number): (Partial<StreamConfig> & { name: string })[] {
  const common = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: replicas,
    duplicate_window: 120 * SECOND_NS,
    allow_direct: true,
  };
  return [
    // Kept as long as the sagas they moved (SAGA_RETENTION): an order's submission answers its Idempotency-Key.
    { ...common, name: STREAMS.events, subjects: [SUBJECTS.submittedAll, SUBJECTS.replyAll], max_age: retentionMs * 1_000_000 },
    { ...common, name: STREAMS.commands, subjects: [SUBJECTS.commandAll], max_age: retentionMs * 1_000_000 },
    // Dead letters wait for an operator, and the audit trail is kept: neither expires on its own.
    { ...common, name: STREAMS.deadLetters, subjects: [SUBJECTS.deadLetterAll] },
    { ...common, name: STREAMS.audit, subjects: [SUBJECTS.auditAll] },
  ];
}

/** Created when the server says there is no such stream, updated when there is; any other answer is thrown. */
async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  const name = config.name;
  const existing = await unlessMissing(jsm.streams.info(name), isStreamNotFound);
  if (existing) await jsm.streams.update(name, config);
  else await jsm.streams.add(config);
}

interface ConsumerSpec {
  durable: string;
  filter?: string;
  ackWaitMs: number;
  /** Where a consumer created now starts (a take-over from the legacy consumer); default: the stream's start. */
  startSeq?: number;
}

/** A durable pull consumer: created, or its changeable settings brought up to date (where it starts never changes). */
async function ensureConsumer(jsm: JetStreamManager, stream: string, spec: ConsumerSpec): Promise<void> {
  const settings = {
    ack_wait: spec.ackWaitMs * 1_000_000,
    // Never give up on a message silently: handlers dead-letter explicitly, with a reason.
    max_deliver: -1,
    max_ack_pending: 20_000,
  };
  const existing = await unlessMissing(jsm.consumers.info(stream, spec.durable), isConsumerNotFound);
  if (existing) {
    await jsm.consumers.update(stream, spec.durable, settings);
    return;
  }
  await jsm.consumers.add(stream, {
    ...settings,
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    ...(spec.startSeq ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: spec.startSeq } : { deliver_policy: DeliverPolicy.All }),
    ...(spec.filter ? { filter_subject: spec.filter } : {}),
  });
}

/**
 * The orchestrator's consumers. Where the single consumer of earlier versions is still there,
 * the new ones start just past its ack floor (what it left unacknowledged is delivered again:
 * applying an event twice changes nothing), and it is removed once they exist.
 */
async function ensureOrchestratorConsumers(jsm: JetStreamManager, ackWaitMs: number): Promise<void> {
  const legacy = await unlessMissing(jsm.consumers.info(STREAMS.events, CONSUMERS.legacyOrchestrator), isConsumerNotFound);
  const startSeq = legacy ? legacy.ack_floor.stream_seq + 1 : undefined;
  for (const { durable, filter } of ORCHESTRATOR_CONSUMERS) await ensureConsumer(jsm, STREAMS.events, { durable, filter, ackWaitMs, startSeq });
  // Another instance starting at the same time may have removed it first: that is done too.
  if (legacy) await unlessMissing(jsm.consumers.delete(STREAMS.events, CONSUMERS.legacyOrchestrator), isConsumerNotFound);
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

export type TopologySettings = Pick<Config, 'natsReplicas'> & Partial<Pick<Config, 'ackWaitMs' | 'sagaRetentionMs'>>;

/** How long a worker waits at start-up for the orchestrator to have created its consumer and ledger. */
const WORKER_TOPOLOGY_WAIT_MS = 120_000;

/**
 * Streams, consumers and buckets, created or brought up to date: by the orchestrator (or an
 * identity the server lets do everything, such as the tests' own). A worker's identity may not
 * create any of them (lib/nats-permissions.ts): it looks up its own consumer and ledger, waiting
 * for the orchestrator to have created them, and touches nothing else.
 */
export async function ensureTopology(nats: Nats, config: TopologySettings): Promise<Topology> {
  const worker = SERVICES.find((service) => service === nats.identity);
  if (worker) return openWorkerTopology(nats, worker);
  const ackWaitMs = config.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  for (const stream of streamConfigs(config.natsReplicas, config.sagaRetentionMs ?? DEFAULT_RETENTION_MS)) await ensureStream(nats.jsm, stream);
  await ensureOrchestratorConsumers(nats.jsm, ackWaitMs);
  for (const service of SERVICES) {
    await ensureConsumer(nats.jsm, STREAMS.commands, { durable: CONSUMERS.worker(service), filter: SUBJECTS.command(service), ackWaitMs });
  }
  const bucket = (name: string) =>
    nats.kvm.create(name, { replicas: config.natsReplicas, history: 1, storage: StorageType.File });
  const ledger = async (service: Service) => [service, await bucket(BUCKETS.ledger(service))] as const;
  const [sagas, bulkJobs, ledgers] = await Promise.all([bucket(BUCKETS.sagas), bucket(BUCKETS.bulkJobs), Promise.all(SERVICES.map(ledger))]);
  const sagasOnLeader = await nats.kvm.open(BUCKETS.sagas, { allow_direct: false });
  return { sagas, sagasOnLeader, bulkJobs, ledgers: Object.fromEntries(ledgers) as Record<Service, KV> };
}

/** A worker's view: its consumer and ledger once they exist; the other buckets bound without a call (it may not use them). */
async function openWorkerTopology(nats: Nats, service: Service): Promise<Topology> {
  const deadline = Date.now() + WORKER_TOPOLOGY_WAIT_MS;
  const ledgerName = BUCKETS.ledger(service);
  for (;;) {
    const [consumer, ledger] = await Promise.all([
      unlessMissing(nats.jsm.consumers.info(STREAMS.commands, CONSUMERS.worker(service)), (error) => isConsumerNotFound(error) || isStreamNotFound(error)),
      unlessMissing(nats.jsm.streams.info(`KV_${ledgerName}`), isStreamNotFound),
    ]);
    if (consumer && ledger) break;
    if (Date.now() > deadline) {
      throw new Error(`worker ${service}: its consumer ${CONSUMERS.worker(service)} or its ledger ${ledgerName} is still missing after ${WORKER_TOPOLOGY_WAIT_MS / 1000} s: the orchestrator creates them at its start`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const bind = (name: string) => nats.kvm.open(name);
  const ledgers = Object.fromEntries(
    await Promise.all(SERVICES.map(async (s) => [s, s === service ? await nats.kvm.create(ledgerName, { history: 1, storage: StorageType.File }) : await bind(BUCKETS.ledger(s))] as const)),
  ) as Record<Service, KV>;
  const [sagas, bulkJobs] = await Promise.all([bind(BUCKETS.sagas), bind(BUCKETS.bulkJobs)]);
  return { sagas, sagasOnLeader: sagas, bulkJobs, ledgers };
}
