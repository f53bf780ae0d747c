/** The process probes. /health: the process is up. /ready: NATS connected, streams and the saga bucket reachable. /metrics: Prometheus. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import { STREAMS, type Nats, type Topology } from '../../lib/topology.ts';
import type { SagaCatalog } from '../saga/catalog.ts';
import { assessDurability } from './durability.ts';
import { HealthSchema, ReadinessSchema } from './schemas/system.ts';

export interface HealthRoutesOptions {
  nats: Nats;
  topology: Topology;
  catalog: SagaCatalog;
  registry: Registry;
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms))]);

/** How long each readiness check may take; they run at once, so /ready answers within about this. */
const PROBE_MS = 2000;

const healthSchema = { tags: ['probes'], summary: 'The process is up', response: { 200: HealthSchema } };
const readySchema = {
  tags: ['probes'],
  summary: 'NATS connected, every stream and the saga bucket reachable (503 with the same body when not)',
  response: { 200: ReadinessSchema, 503: ReadinessSchema },
};

const metricsSchema = {
  tags: ['probes'],
  summary: 'Prometheus metrics',
  response: { 200: { description: 'the text exposition format', content: { 'text/plain': { schema: Type.String() } } } },
};

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async function healthRoutes(app, { nats, topology, catalog, registry }) {
  app.get('/health', { schema: healthSchema }, async () => ({ status: 'ok' as const }));

  app.get('/metrics', { schema: metricsSchema }, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  app.get('/ready', { schema: readySchema }, async (_request, reply) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    const check = async (name: string, probe: () => Promise<string | undefined>) => {
      checks[name] = { ok: false, detail: 'no answer yet' }; // in the order asked, whichever answers first
      try {
        const detail = await withTimeout(probe(), PROBE_MS);
        checks[name] = detail ? { ok: true, detail } : { ok: true };
      } catch (error) {
        checks[name] = { ok: false, detail: (error as Error).message };
      }
    };
    // All at once, each bounded: a stalled broker answers none of them, and a probe (a load
    // balancer's, Kubernetes') must hear "not ready" within its own timeout, not after the sum of ours.
    let replicas: number | undefined;
    await Promise.all([
      check('nats', async () => {
        if (nats.nc.isClosed()) throw new Error('connection closed');
        await nats.nc.flush();
        return `connected to ${nats.nc.getServer()} (nats-server ${nats.nc.info?.version ?? '?'})`;
      }),
      ...Object.values(STREAMS).map((stream) =>
        check(`stream ${stream}`, async () => {
          const info = await nats.jsm.streams.info(stream);
          if (stream === STREAMS.events) replicas = info.config.num_replicas;
          return `${info.state.messages} messages, ${info.config.num_replicas} replica(s), ${info.config.storage} storage`;
        }),
      ),
      check('bucket sagas', async () => `${(await topology.sagas.status()).values} entries`),
      check('catalog', async () => {
        // Sagas run without the index: a new one being built from the bucket is reported, not waited for.
        return `${catalog.size} sagas indexed${catalog.catchingUp ? ', catching up with the bucket' : ''}`;
      }),
    ]);
    const ready = Object.values(checks).every((c) => c.ok);
    // What an acknowledged order survives with this setup (see the system panel for details).
    const durability = replicas === undefined ? null : assessDurability(nats.nc.info?.version ?? '0', replicas);
    return reply.code(ready ? 200 : 503).send({ ready, checks, durability });
  });
};
