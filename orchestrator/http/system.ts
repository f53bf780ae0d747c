/**
 * GET /api/system: what the running setup guarantees and how it is doing — the NATS server,
 * replication and storage of every stream and bucket, consumer backlogs, dead letters.
 */
import type { FastifyInstance } from 'fastify';
import type { SystemInfo } from '../../api/contract.ts';
import { CONSUMERS, STREAMS } from '../../lib/topology.ts';
import type { Service } from '../../machines/index.ts';

const SERVICES: Service[] = ['inventory', 'payment', 'shipping'];

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

export async function systemRoutes(app: FastifyInstance): Promise<void> {
  const { nats, topology } = app.saga;

  app.get('/api/system', async (): Promise<SystemInfo> => {
    const version = nats.nc.info?.version ?? 'unknown';
    const streams = await Promise.all(
      Object.values(STREAMS).map(async (name) => {
        const info = await nats.jsm.streams.info(name);
        return {
          name,
          replicas: info.config.num_replicas,
          storage: info.config.storage,
          messages: info.state.messages,
          bytes: info.state.bytes,
          cluster: info.cluster ?? null,
        };
      }),
    );
    const buckets = await Promise.all(
      [topology.sagas, ...SERVICES.map((s) => topology.ledgers[s])].map(async (kv) => {
        const status = await kv.status();
        return {
          name: status.bucket,
          replicas: status.replicas,
          history: status.history,
          storage: status.streamInfo.config.storage,
          values: status.values,
          bytes: status.size,
        };
      }),
    );
    const consumerOf = async (stream: string, name: string, service: string) => {
      const info = await nats.jsm.consumers.info(stream, name);
      return {
        name,
        stream,
        service,
        pending: info.num_pending,
        ackPending: info.num_ack_pending,
        redelivered: info.num_redelivered,
        waiting: info.num_waiting,
      };
    };
    const consumers = await Promise.all([
      consumerOf(STREAMS.events, CONSUMERS.orchestrator, 'orchestrator'),
      ...SERVICES.map((service) => consumerOf(STREAMS.commands, CONSUMERS.worker(service), service)),
    ]);
    const events = streams.find((s) => s.name === STREAMS.events)!;
    const clusterSize = events.cluster ? 1 + (events.cluster.replicas?.length ?? 0) : 1;
    const replicas = Math.min(...streams.map((s) => s.replicas), ...buckets.map((b) => b.replicas));
    const syncInterval = versionAtLeast(version, 2, 10)
      ? 'server setting sync_interval (default: fsync every 2 min)'
      : 'not configurable before nats-server 2.10: fsync about every 2 min';
    const durability =
      replicas >= 3
        ? {
            level: 'os-crash' as const,
            summary: `Every stream and bucket has ${replicas} replicas: an acknowledged order survives a crash, OS crash or power loss of any one node. A coordinated power loss of all nodes can still lose the last writes not yet fsynced.`,
            syncInterval,
          }
        : {
            level: 'process-crash' as const,
            summary: `${replicas} replica: an acknowledged order survives any process crash, nats-server included, but not an OS crash or power loss of the NATS host (writes reach disk on the fsync interval). Run a 3-node cluster with NATS_REPLICAS=3 to survive losing a machine.`,
            syncInterval,
          };
    return {
      nats: {
        version,
        server: nats.nc.info?.server_name ?? null,
        cluster: events.cluster ? { name: events.cluster.name ?? null, size: clusterSize, leader: events.cluster.leader ?? null } : null,
      },
      durability,
      streams: streams.map(({ cluster: _cluster, ...rest }) => rest),
      buckets,
      consumers,
      deadLetters: { waiting: streams.find((s) => s.name === STREAMS.deadLetters)!.messages },
    };
  });
}
