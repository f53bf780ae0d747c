/**
 * GET /api/system: what the running setup guarantees and how it is doing — the NATS server,
 * replication and storage of every stream and bucket, consumer backlogs, dead letters.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isLoopbackHost, openApiWarnings, type Config } from '../../lib/config.ts';
import { DURABLE_CONSUMERS, STREAMS, type Nats, type Topology } from '../../lib/topology.ts';
import { SERVICES } from '../../machines/index.ts';
import { assessDurability } from './durability.ts';
import { problems } from './schemas/common.ts';
import { SystemInfoSchema } from './schemas/system.ts';

export interface SystemRoutesOptions {
  nats: Nats;
  topology: Topology;
  config: Pick<Config, 'host' | 'opsTokens' | 'readTokens' | 'allowInsecureOpenApi' | 'trustedHosts' | 'rateLimit' | 'streamMaxClients'>;
}

const systemSchema = {
  tags: ['inspector'],
  summary: 'What the running setup guarantees: NATS, streams, buckets, consumers, dead letters',
  response: { 200: SystemInfoSchema, ...problems(401, 503) },
};

export const systemRoutes: FastifyPluginAsyncTypebox<SystemRoutesOptions> = async function systemRoutes(app, { nats, topology, config }) {
  const exposure = {
    listen: config.host,
    loopbackOnly: isLoopbackHost(config.host),
    insecureOpenApi: !isLoopbackHost(config.host) && config.opsTokens.length === 0 && config.allowInsecureOpenApi,
    actionsNeedToken: config.opsTokens.length > 0,
    readsNeedToken: config.readTokens.length > 0,
    hostCheck: config.trustedHosts !== '*',
    trustedHosts: config.trustedHosts === '*' ? ['*'] : config.trustedHosts,
    rateLimit: config.rateLimit,
    streamMaxClients: config.streamMaxClients,
    warnings: openApiWarnings(config),
  };
  app.get('/api/system', { schema: systemSchema }, async () => {
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
      exposure,
    };
  });
};
