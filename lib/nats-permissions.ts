/**
 * Who may do what on the bus: one NATS user per service, each allowed only the subjects, streams,
 * consumers and buckets its job needs. This is the one definition: the nats-server
 * `authorization { users = [...] }` block that the compose files, `npm start`'s embedded server
 * and every test's server run with is generated from it (`authorizationBlock`), and
 * `test/system/nats-permissions.test.ts` checks each refusal against a real nats-server.
 *
 * JetStream is an API on subjects, so its permissions are subjects too:
 * `$JS.API.STREAM.<op>.<stream>`, `$JS.API.CONSUMER.<op>.<stream>.<consumer>[.<filter>]`,
 * `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` (a pull), `$JS.ACK.<stream>.<consumer>.>`
 * (acks), `$JS.API.DIRECT.GET.<stream>[.<subject>]` and `$JS.API.STREAM.MSG.GET.<stream>` (reads),
 * `$KV.<bucket>.<key>` (a KV write is a publish there), `$JS.FC.<stream>.>` (flow control of a
 * watch). JetStream answers on the requester's inbox: each user has its own inbox prefix
 * (`_INBOX_<user>`, set by lib/topology.ts' connectNats), so no service can read another's answers
 * (a ledger entry read by payment is no business of inventory's).
 *
 * Who creates the topology: the orchestrator. It creates and updates the four saga streams and
 * every durable consumer (which subjects each worker receives is its decision: a worker cannot
 * create or change a consumer on SAGA_COMMANDS, so it cannot widen its own filter), and creates
 * the buckets, the workers' ledgers included (creating a bucket is not writing to it: the
 * orchestrator can neither write, read nor purge a ledger). A worker only looks its consumer and
 * ledger up, and waits for them when it starts before the orchestrator (lib/topology.ts).
 *
 * What subject permissions cannot stop on nats-server 2.9 (nats-io/nats-server#8274, open): an
 * identity allowed to create a consumer on a stream can name any deliver subject, and the server
 * then delivers that stream's messages there on its own behalf. Consumer creation is therefore
 * granted only where needed: the orchestrator on its own streams and buckets, inventory on its own
 * ledger (its stock view watches it); payment and shipping on nothing.
 */
import { randomBytes } from 'node:crypto';
import { SERVICES, type Service } from '../machines/index.ts';
import { SUBJECTS } from './bus.ts';
// A cycle with topology.ts (which asks who is connecting): only read inside functions, never at load.
import { BUCKETS as BUCKET_NAMES, CONSUMERS as CONSUMER_NAMES, STREAMS as STREAM_NAMES } from './topology.ts';

/** Every NATS user of the system: one per service, and `admin` for operators' tools and tests. */
export const NATS_IDENTITIES = ['orchestrator', ...SERVICES, 'admin'] as const;
export type NatsIdentity = (typeof NATS_IDENTITIES)[number];

export const isNatsIdentity = (name: string | undefined): name is NatsIdentity => (NATS_IDENTITIES as readonly string[]).includes(name ?? '');

/** The environment variable holding each identity's password (read by nats-server's config and by `npm start`). */
export const PASSWORD_ENV: Record<NatsIdentity, string> = Object.fromEntries(
  NATS_IDENTITIES.map((identity) => [identity, `NATS_PASSWORD_${identity.toUpperCase()}`]),
) as Record<NatsIdentity, string>;

/** The inbox prefix a user's answers come to: only that user may subscribe to it. */
export const inboxPrefixOf = (identity: NatsIdentity): string => `_INBOX_${identity}`;

export interface Permissions {
  publish: string[];
  subscribe: string[];
}

const API = '$JS.API';
const kvStream = (bucket: string) => `KV_${bucket}`;

/** Reading a stream's stored messages: by sequence (the leader) and direct gets (any replica), by subject or not. */
const reads = (stream: string) => [`${API}.STREAM.MSG.GET.${stream}`, `${API}.DIRECT.GET.${stream}`, `${API}.DIRECT.GET.${stream}.>`];

/** Watching (or listing the keys of) a bucket: an ephemeral ordered push consumer, its flow control, its removal. */
const watches = (stream: string) => [
  `${API}.CONSUMER.CREATE.${stream}`,
  `${API}.CONSUMER.CREATE.${stream}.>`,
  `${API}.CONSUMER.DELETE.${stream}.*`,
  `${API}.CONSUMER.INFO.${stream}.*`,
  `$JS.FC.${stream}.>`,
];

/** Using a bucket fully: its info, reads, writes (a KV put, delete or purge is a publish on `$KV.<bucket>.<key>`), watches. */
const bucketUse = (bucket: string) => [`${API}.STREAM.INFO.${kvStream(bucket)}`, ...reads(kvStream(bucket)), `$KV.${bucket}.>`, ...watches(kvStream(bucket))];

function orchestrator(): Permissions {
  const sagaStreams = Object.values(STREAM_NAMES);
  const ownBuckets = [BUCKET_NAMES.sagas, BUCKET_NAMES.bulkJobs];
  const ledgers = SERVICES.map((service) => kvStream(BUCKET_NAMES.ledger(service)));
  return {
    publish: [
      `${API}.INFO`,
      // The topology it owns: the saga streams (created, brought up to date, read for health and load)...
      ...sagaStreams.flatMap((stream) => [`${API}.STREAM.CREATE.${stream}`, `${API}.STREAM.UPDATE.${stream}`, `${API}.STREAM.INFO.${stream}`]),
      // ...every durable consumer on them (its own and the workers'), and the legacy one it removes.
      ...[STREAM_NAMES.events, STREAM_NAMES.commands].flatMap((stream) => [
        `${API}.CONSUMER.CREATE.${stream}.>`,
        `${API}.CONSUMER.DURABLE.CREATE.${stream}.*`,
        `${API}.CONSUMER.INFO.${stream}.*`,
      ]),
      `${API}.CONSUMER.DELETE.${STREAM_NAMES.events}.${CONSUMER_NAMES.legacyOrchestrator}`,
      // ...and every bucket: its own to use, the ledgers only to create and to show their replicas.
      ...ownBuckets.map((bucket) => `${API}.STREAM.CREATE.${kvStream(bucket)}`),
      ...ledgers.flatMap((stream) => [`${API}.STREAM.CREATE.${stream}`, `${API}.STREAM.INFO.${stream}`]),
      // Its events: pulled from its two consumers and acknowledged; submissions looked up by order (Idempotency-Key).
      ...[CONSUMER_NAMES.replies, CONSUMER_NAMES.submissions].map((consumer) => `${API}.CONSUMER.MSG.NEXT.${STREAM_NAMES.events}.${consumer}`),
      `$JS.ACK.${STREAM_NAMES.events}.${CONSUMER_NAMES.replies}.>`,
      `$JS.ACK.${STREAM_NAMES.events}.${CONSUMER_NAMES.submissions}.>`,
      ...reads(STREAM_NAMES.events),
      // What it publishes: submissions (the API), commands (the outbox), and replies, only to redrive a dead-lettered one.
      SUBJECTS.submittedAll,
      ...SERVICES.map((service) => SUBJECTS.command(service)),
      ...SERVICES.map((service) => SUBJECTS.reply(service)),
      // Its buckets: saga entries (retention purges finished ones from the stream) and bulk jobs.
      ...ownBuckets.flatMap(bucketUse),
      `${API}.STREAM.PURGE.${kvStream(BUCKET_NAMES.sagas)}`,
      // Dead letters: its own, and the operators' desk over all of them (read, redrive, discard).
      SUBJECTS.deadLetter(DEAD_LETTER_SOURCE.orchestrator),
      ...reads(STREAM_NAMES.deadLetters),
      `${API}.STREAM.MSG.DELETE.${STREAM_NAMES.deadLetters}`,
      // The audit trail: written and read, never deleted.
      SUBJECTS.auditAll,
      ...reads(STREAM_NAMES.audit),
    ],
    subscribe: [`${inboxPrefixOf('orchestrator')}.>`],
  };
}

function worker(service: Service): Permissions {
  const ledger = BUCKET_NAMES.ledger(service);
  const consumer = CONSUMER_NAMES.worker(service);
  return {
    publish: [
      `${API}.INFO`,
      // Its commands: its own durable consumer only (looked up, pulled, acknowledged); it cannot create or change one.
      `${API}.CONSUMER.INFO.${STREAM_NAMES.commands}.${consumer}`,
      `${API}.CONSUMER.MSG.NEXT.${STREAM_NAMES.commands}.${consumer}`,
      `$JS.ACK.${STREAM_NAMES.commands}.${consumer}.>`,
      // Its replies and its dead letters, on its own subjects.
      SUBJECTS.reply(service),
      SUBJECTS.deadLetter(service),
      // Its ledger: read and written; watched only by inventory (its stock view), which alone may create a consumer there.
      `${API}.STREAM.INFO.${kvStream(ledger)}`,
      ...reads(kvStream(ledger)),
      `$KV.${ledger}.>`,
      ...(service === 'inventory' ? watches(kvStream(ledger)) : []),
    ],
    subscribe: [`${inboxPrefixOf(service)}.>`],
  };
}

/** What each identity may publish and subscribe to. `admin` (setup by hand, operators' `nats` CLI, test tools, the benchmark): everything. */
export function permissionsOf(identity: NatsIdentity): Permissions {
  if (identity === 'orchestrator') return orchestrator();
  if (identity === 'admin') return { publish: ['>'], subscribe: ['>'] };
  return worker(identity);
}

/**
 * The source a dead letter names in its subject (`saga.dlq.<source>`), and the subjects a letter
 * from that source can legitimately have come from: what that source consumes. The permissions
 * above let each identity publish only on its own `saga.dlq.<source>`, so the letter's subject,
 * not its headers, says who wrote it; redrive (orchestrator/ops/dead-letters.ts) re-publishes a
 * letter only to a subject its source reads.
 */
export const DEAD_LETTER_SOURCE = { orchestrator: 'orchestrator' } as const;

export function redrivableSubjects(source: string): { kind: 'submitted' | 'reply' | 'command'; service?: Service }[] {
  if (source === DEAD_LETTER_SOURCE.orchestrator) return [{ kind: 'submitted' }, ...SERVICES.map((service) => ({ kind: 'reply' as const, service }))];
  const service = SERVICES.find((s) => s === source);
  return service ? [{ kind: 'command', service }] : [];
}

/* --- the nats-server configuration ------------------------------------------------------- */

/** Passwords by identity, or `env`: the config then names each password's environment variable (`$NATS_PASSWORD_…`), resolved by nats-server. */
export type PasswordSource = Record<NatsIdentity, string> | 'env';

const quote = (text: string) => JSON.stringify(text);
const list = (items: string[], indent: string) => `[\n${items.map((item) => `${indent}  ${quote(item)}`).join(',\n')}\n${indent}]`;

/**
 * The nats-server `authorization` block: one user per identity with its permissions. With
 * `noAuthUser`, a client that sends no credentials is that user (the tests' own probes: `admin`);
 * never in a deployed config.
 */
export function authorizationBlock(passwords: PasswordSource, options: { noAuthUser?: NatsIdentity } = {}): string {
  const users = NATS_IDENTITIES.map((identity) => {
    const { publish, subscribe } = permissionsOf(identity);
    const password = passwords === 'env' ? `$${PASSWORD_ENV[identity]}` : quote(passwords[identity]);
    return [
      `    {`,
      `      user: ${quote(identity)}`,
      `      password: ${password}`,
      `      permissions: {`,
      `        publish: { allow: ${list(publish, '        ')} }`,
      `        subscribe: { allow: ${list(subscribe, '        ')} }`,
      `      }`,
      `    }`,
    ].join('\n');
  });
  return [
    ...(options.noAuthUser ? [`no_auth_user: ${quote(options.noAuthUser)}`] : []),
    `# Generated by lib/nats-permissions.ts (npx tsx scripts/nats-auth.ts): edit that file, not this block.`,
    `authorization {`,
    `  users = [`,
    users.join('\n'),
    `  ]`,
    `}`,
  ].join('\n');
}

/** Fresh random passwords for every identity (the embedded server of `npm start`, every test server). */
export function randomPasswords(): Record<NatsIdentity, string> {
  return Object.fromEntries(NATS_IDENTITIES.map((identity) => [identity, randomBytes(18).toString('base64url')])) as Record<NatsIdentity, string>;
}

/** The passwords named in `env` (`NATS_PASSWORD_<IDENTITY>`), or a random one for each that is unset. */
export function passwordsFromEnv(env: Record<string, string | undefined>): Record<NatsIdentity, string> {
  const random = randomPasswords();
  return Object.fromEntries(NATS_IDENTITIES.map((identity) => [identity, env[PASSWORD_ENV[identity]] || random[identity]])) as Record<NatsIdentity, string>;
}

/** The environment a service process connects with: its own user and password. */
export function credentialsEnv(identity: NatsIdentity, passwords: Record<NatsIdentity, string>): Record<string, string> {
  return { NATS_USER: identity, NATS_PASSWORD: passwords[identity] };
}
