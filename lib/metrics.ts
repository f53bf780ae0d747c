/**
 * Prometheus metrics: one registry per process with the process metrics (CPU, memory, event
 * loop, GC), and for workers a tiny HTTP server with /health, /ready and /metrics.
 */
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** /health (process up), /ready (`ready()` says so), /metrics (the registry). */
export function serveProbes(port: number, registry: Registry, ready: () => Promise<boolean>): Promise<Server> {
  const server = createServer((request, response) => {
    void (async () => {
      if (request.url === '/metrics') {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(await registry.metrics());
      } else if (request.url === '/health') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"status":"ok"}');
      } else if (request.url === '/ready') {
        const ok = await ready().catch(() => false);
        response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ready: ok }));
      } else {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end('{"title":"Not found"}');
      }
    })().catch(() => response.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
