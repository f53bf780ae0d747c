/**
 * GET /api/system: what the running setup guarantees and how it is doing — the NATS server,
 * replication and storage of every stream and bucket, consumer backlogs, dead letters.
 */
import type { FastifyInstance } from 'fastify';
import type { SystemInfo } from '../../api/contract.ts';
import { assessDurability } from './durability.ts';
import { DURABLE_CONSUMERS, STREAMS } from '../../lib/topology.ts';
import type { Service } from '../../machines/index.ts';

const SERVICES: Service[] = ['inventory', 'payment', 'shipping'];

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
    const consumers = await Promise.all(DURABLE_CONSUMERS.map(({ stream, name, service }) => consumerOf(stream, name, service)));
    const events = streams.find((s) => s.name === STREAMS.events)!;
    const clusterSize = events.cluster ? 1 + (events.cluster.replicas?.length ?? 0) : 1;
    const replicas = Math.min(...streams.map((s) => s.replicas), ...buckets.map((b) => b.replicas));
    const durability = assessDurability(version, replicas);
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
