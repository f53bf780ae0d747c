/**
 * A loopback TCP proxy for partitions: a service gets the proxy's URL as its NATS_URL, and a test
 * can `cut()` the link (destroy every open connection, and accept-then-drop every new one, so
 * the client sees a dead peer rather than a clean refusal), then `restore()` it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** `nats://127.0.0.1:<port>`: the URL to hand to the proxied service. */
  url: string;
  readonly isCut: boolean;
  /** Connections made through the proxy so far (a reconnect is a new one). */
  readonly connections: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? '127.0.0.1';
  const open = new Set<Socket>();
  let isCut = false;
  let connections = 0;

  const server: Server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    connections++;
    const upstream = connect(target.port, host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };

  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    get isCut() {
      return isCut;
    },
    get connections() {
      return connections;
    },
    cut() {
      isCut = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    restore() {
      isCut = false;
    },
    async close() {
      isCut = true;
      for (const socket of open) socket.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
