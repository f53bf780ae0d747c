/**
 * docker-compose.yml and docker-compose.cluster.yml, checked as a reviewer would with no Docker
 * engine at hand: the services and their commands, ports, health checks, dependencies and
 * environment, against what the code actually reads and serves; the NATS configs they mount.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { PASSWORD_ENV } from '../../lib/nats-permissions.ts';
import { DEFAULT_WORKER_PORTS, SERVICE_NAMES } from '../../workers/services.ts';
import { freePort } from '../support/nats-server.ts';
import {
  commandOf,
  composeCli,
  configVariables,
  dependsOn,
  exists,
  healthcheckCommand,
  healthcheckUrl,
  isKnownPlatformVariable,
  loadCompose,
  mountsOf,
  natsServer,
  parseNatsConf,
  portsOf,
  read,
  ROOT,
  serviceEnv,
  type ComposeFile,
  type ComposeService,
} from './packaging.ts';

const VARIANTS = [
  { file: 'docker-compose.yml', natsNodes: 1, replicas: 1 },
  { file: 'docker-compose.cluster.yml', natsNodes: 3, replicas: 3 },
] as const;

const PKG = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
/** The entry file an npm script runs with tsx: `tsx orchestrator/main.ts` → orchestrator/main.ts. */
const scriptEntry = (script: string) => PKG.scripts[script]?.match(/^tsx\s+(\S+\.ts)/)?.[1];

const isNats = (service: ComposeService) => /^nats:/.test(service.image ?? '');
const isJaeger = (service: ComposeService) => /^jaegertracing\/all-in-one:/.test(service.image ?? '');
const isApp = (service: ComposeService) => service.build !== undefined;

function servicesOf(compose: ComposeFile) {
  const all = Object.entries(compose.services);
  return {
    all,
    nats: all.filter(([, s]) => isNats(s)),
    jaeger: all.filter(([, s]) => isJaeger(s)),
    apps: all.filter(([, s]) => isApp(s)),
  };
}

/** Which service an app container runs, from its command. */
function roleOf(service: ComposeService): { kind: 'orchestrator' } | { kind: 'worker'; name: string } | undefined {
  const [entry, ...args] = commandOf(service);
  if (entry === scriptEntry('start:orchestrator') && args.length === 0) return { kind: 'orchestrator' };
  if (entry === scriptEntry('start:worker') && args.length === 1) return { kind: 'worker', name: args[0]! };
  return undefined;
}

/** The port an app container serves /health and /ready on, as the code computes it from its env. */
function probePort(service: ComposeService): number {
  const config = loadConfig(serviceEnv(service));
  const role = roleOf(service)!;
  if (role.kind === 'orchestrator') return config.port;
  return config.workerPort ?? DEFAULT_WORKER_PORTS[role.name as keyof typeof DEFAULT_WORKER_PORTS];
}

/** The NATS config file a nats service runs with: `--config <path>` mounted from deploy/. */
function natsConfigOf(service: ComposeService): { file: string; target: string } {
  const command = commandOf(service);
  const flag = command.findIndex((arg) => arg === '--config' || arg === '-c');
  const target = command[flag + 1];
  const mount = mountsOf(service).find((m) => m.target === target && m.bind);
  if (flag < 0 || !target || !mount) throw new Error(`no --config file mounted: ${JSON.stringify(command)}`);
  return { file: mount.source.replace(/^\.\//, ''), target };
}

describe.each(VARIANTS)('$file', ({ file, natsNodes, replicas }) => {
  const compose = loadCompose(file);
  const { all, nats, jaeger, apps } = servicesOf(compose);

  it('runs NATS, Jaeger, the orchestrator and one container per worker service, and nothing else', () => {
    expect(nats).toHaveLength(natsNodes);
    expect(jaeger).toHaveLength(1);
    const roles = apps.map(([name, s]) => ({ name, role: roleOf(s) }));
    for (const { name, role } of roles) expect(role, `${name}: command ${JSON.stringify(commandOf(compose.services[name]!))}`).toBeDefined();
    expect(roles.filter((r) => r.role?.kind === 'orchestrator')).toHaveLength(1);
    const workers = roles.flatMap((r) => (r.role?.kind === 'worker' ? [r.role.name] : []));
    expect(workers.sort()).toEqual([...SERVICE_NAMES].sort());
    expect(all).toHaveLength(natsNodes + 1 + apps.length);
  });

  it("builds every app service from this repository's Dockerfile into one image, each run by its own command", () => {
    const images = new Set(apps.map(([, s]) => s.image));
    expect(images.size, 'one image for every app service').toBe(1);
    expect([...images][0]).toBeTruthy();
    for (const [name, service] of apps) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build!;
      expect(build.context, name).toBe('.');
      expect(exists(build.dockerfile ?? 'Dockerfile'), `${name}: the Dockerfile`).toBe(true);
      const [entry, ...args] = commandOf(service);
      expect(exists(entry!), `${name}: entry file ${entry}`).toBe(true);
      if (entry === scriptEntry('start:worker')) expect(SERVICE_NAMES, `${name}: worker name`).toContain(args[0]);
    }
  });

  it('restarts every service on failure', () => {
    for (const [name, service] of all) expect(['unless-stopped', 'always', 'on-failure'], name).toContain(service.restart);
  });

  it('publishes the UI and API (3000) and Jaeger (16686), and no host port twice', () => {
    const [, orchestrator] = apps.find(([, s]) => roleOf(s)?.kind === 'orchestrator')!;
    const port = loadConfig(serviceEnv(orchestrator)).port;
    expect(portsOf(orchestrator)).toContainEqual(expect.objectContaining({ published: 3000, target: port }));
    expect(portsOf(jaeger[0]![1])).toContainEqual(expect.objectContaining({ published: 16686, target: 16686 }));
    const published = all.flatMap(([, s]) => portsOf(s).map((p) => p.published).filter((p) => p !== undefined));
    expect(new Set(published).size, `published: ${published.join(', ')}`).toBe(published.length);
  });

  it('health-checks every service against an endpoint it serves, on the port it listens on', () => {
    for (const [name, service] of all) {
      const command = healthcheckCommand(service);
      expect(command.length, `${name} has a health check`).toBeGreaterThan(1);
      expect(command[0], name).not.toBe('NONE');
      const url = healthcheckUrl(service);
      expect(url, `${name}: health check URL in ${JSON.stringify(command)}`).toBeDefined();
      expect(['127.0.0.1', 'localhost'], name).toContain(url!.hostname);
    }
    for (const [name, service] of apps) {
      const url = healthcheckUrl(service)!;
      // node:20-bookworm-slim has neither wget nor curl: the check must be Node itself.
      expect(healthcheckCommand(service).slice(0, 3), name).toEqual(['CMD', 'node', '-e']);
      expect(Number(url.port), `${name}: probe port`).toBe(probePort(service));
      expect(['/ready', '/health'], name).toContain(url.pathname);
      const served = roleOf(service)!.kind === 'orchestrator' ? read('orchestrator/http/health.ts') : read('lib/metrics.ts');
      expect(served, `${name} serves ${url.pathname}`).toContain(`'${url.pathname}'`);
    }
    for (const [name, service] of nats) {
      const url = healthcheckUrl(service)!;
      const conf = parseNatsConf(read(natsConfigOf(service).file));
      expect(Number(url.port), `${name}: the monitoring port of its config`).toBe(conf.monitorPort);
      expect(url.pathname, name).toBe('/healthz');
    }
    // Jaeger's admin port answers its health at /.
    expect(Number(healthcheckUrl(jaeger[0]![1])!.port)).toBe(14269);
  });

  it('starts the app services once every NATS server is healthy', () => {
    for (const [name, service] of apps) {
      const deps = dependsOn(service);
      for (const [node] of nats) expect(deps[node]?.condition, `${name} → ${node}`).toBe('service_healthy');
      for (const dep of Object.keys(deps)) expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
    }
  });

  it('points every app service at these NATS servers, at Jaeger over OTLP gRPC, and links traces to Jaeger', () => {
    const [jaegerName, jaegerService] = jaeger[0]!;
    expect(serviceEnv(jaegerService).COLLECTOR_OTLP_ENABLED).toBe('true');
    const jaegerUi = portsOf(jaegerService).find((p) => p.target === 16686)!;
    for (const [name, service] of apps) {
      const env = serviceEnv(service);
      const servers = (env.NATS_URL ?? '').split(',').map((s) => new URL(s.trim()));
      expect(servers.map((u) => u.hostname).sort(), `${name}: NATS_URL`).toEqual(nats.map(([n]) => n).sort());
      for (const server of servers) {
        const [, node] = nats.find(([n]) => n === server.hostname)!;
        expect(Number(server.port), `${name}: ${server.href}`).toBe(parseNatsConf(read(natsConfigOf(node).file)).clientPort);
      }
      expect(env.NATS_REPLICAS, name).toBe(String(replicas));

      const otlp = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '');
      expect(otlp.hostname, `${name}: OTLP endpoint`).toBe(jaegerName);
      expect(otlp.port, `${name}: OTLP gRPC port`).toBe('4317');

      expect(env.TRACE_URL_TEMPLATE, name).toContain('{traceId}');
      expect(env.TRACE_URL_TEMPLATE, name).toBe(`http://localhost:${jaegerUi.published}/trace/{traceId}`);
    }
  });

  it('sets only variables the code reads, and values lib/config.ts accepts', () => {
    const known = configVariables();
    expect(known.has('NATS_URL') && known.has('WORKER_PORT'), 'lib/config.ts was read').toBe(true);
    for (const [name, service] of apps) {
      const env = serviceEnv(service);
      for (const variable of Object.keys(env)) {
        expect(known.has(variable) || isKnownPlatformVariable(variable), `${name}: ${variable} is read by nothing`).toBe(true);
      }
      // The start-up gate of every service: throws on a value it would refuse.
      const config = loadConfig(env);
      expect(config.natsUrl, name).toBe(env.NATS_URL);
      expect(config.natsReplicas, name).toBe(replicas);
      expect(config.otelEndpoint, name).toBe(env.OTEL_EXPORTER_OTLP_ENDPOINT);
      expect(config.logPretty, `${name}: JSON logs`).toBe(false);
      // The shell may override the defaults (`FAULT_RATE=0.2 docker compose up`): still valid.
      loadConfig(serviceEnv(service, { FAULT_RATE: '0.2', WORKER_LATENCY_MS: '50', STEP_TIMEOUT_MS: '3000', OPS_TOKEN: 'ops:s3cret-token' }));
    }
  });

  it('runs NATS 2.10+ with JetStream, fsync on every write, and its data on a named volume per server', () => {
    const volumes = new Set<string>();
    for (const [name, service] of nats) {
      const [major = 0, minor = 0] = (service.image!.split(':')[1] ?? '').split(/[.-]/).map(Number);
      expect(major * 100 + minor, `${name}: ${service.image} (sync_interval needs 2.10)`).toBeGreaterThanOrEqual(210);
      const { file: confFile } = natsConfigOf(service);
      expect(confFile.startsWith('deploy/') && exists(confFile), `${name}: ${confFile}`).toBe(true);
      const conf = parseNatsConf(read(confFile));
      expect(conf.jetstream, `${name}: jetstream block`).toBeDefined();
      expect(conf.syncInterval, `${name}: sync_interval`).toBe('always');
      const data = mountsOf(service).find((m) => m.target === conf.storeDir);
      expect(data, `${name}: a volume at store_dir ${conf.storeDir}`).toBeDefined();
      expect(data!.bind, `${name}: a named volume, not a host folder`).toBe(false);
      expect(compose.volumes, `${name}: volume ${data!.source} declared`).toHaveProperty(data!.source);
      volumes.add(data!.source);
    }
    expect(volumes.size, 'one volume per NATS server').toBe(nats.length);
  });

  const cli = composeCli();
  it.skipIf(!cli)(
    cli ? `passes \`${cli.join(' ')} -f ${file} config -q\`` : `\`docker compose config -q\` (SKIPPED: neither \`docker compose\` nor \`docker-compose\` is installed)`,
    () => {
      const result = spawnSync(cli![0]!, [...cli!.slice(1), '-f', file, 'config', '-q'], { cwd: ROOT, encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
    },
  );
});

describe('docker-compose.cluster.yml', () => {
  const compose = loadCompose('docker-compose.cluster.yml');
  const { nats, apps } = servicesOf(compose);

  it('is one NATS cluster of three servers whose routes name each other', () => {
    expect(nats).toHaveLength(3);
    const confs = nats.map(([name, service]) => ({ name, conf: parseNatsConf(read(natsConfigOf(service).file)) }));
    expect(new Set(confs.map((c) => c.conf.serverName)).size, 'distinct server names').toBe(3);
    expect(new Set(confs.map((c) => c.conf.cluster?.name)).size, 'one cluster name').toBe(1);
    expect(confs[0]!.conf.cluster?.name).toBeTruthy();
    for (const { name, conf } of confs) {
      const routes = conf.cluster!.routes.map((r) => new URL(r));
      const others = confs.filter((c) => c.name !== name);
      expect(routes.map((r) => r.hostname).sort(), `${name} routes to the other two`).toEqual(others.map((o) => o.name).sort());
      for (const route of routes) {
        const target = confs.find((c) => c.name === route.hostname)!;
        expect(Number(route.port), `${name} → ${route.hostname}: its cluster port`).toBe(target.conf.cluster!.port);
      }
    }
  });

  it('replicates every stream and bucket on all three (NATS_REPLICAS=3, the URL lists every server)', () => {
    for (const [name, service] of apps) {
      const config = loadConfig(serviceEnv(service));
      expect(config.natsReplicas, name).toBe(3);
      expect(config.natsUrl.split(','), name).toHaveLength(3);
    }
  });

  it('runs the same app services as docker-compose.yml, NATS aside', () => {
    const single = loadCompose('docker-compose.yml');
    const withoutNats = (service: ComposeService, natsNames: string[]) => {
      const env = { ...serviceEnv(service) };
      delete env.NATS_URL;
      delete env.NATS_REPLICAS;
      const deps = Object.fromEntries(Object.entries(dependsOn(service)).filter(([dep]) => !natsNames.includes(dep)));
      return { ...service, environment: env, depends_on: deps };
    };
    const singleNats = servicesOf(single).nats.map(([n]) => n);
    const clusterNats = nats.map(([n]) => n);
    const singleApps = Object.fromEntries(servicesOf(single).apps.map(([n, s]) => [n, withoutNats(s, singleNats)]));
    const clusterApps = Object.fromEntries(apps.map(([n, s]) => [n, withoutNats(s, clusterNats)]));
    expect(clusterApps).toEqual(singleApps);
  });
});

describe('health-check one-liners', () => {
  // The app images have no wget or curl: each check is a `node -e` script. Run every distinct
  // one against a local server that answers 200, then 503, then is gone.
  const scripts = new Map<string, string>();
  for (const { file } of VARIANTS) {
    for (const [name, service] of servicesOf(loadCompose(file)).apps) {
      const url = healthcheckUrl(service)!;
      scripts.set(healthcheckCommand(service)[3]!, `${name}: ${url.href}`);
    }
  }
  let server: Server;
  let port: number;
  let status = 200;
  const paths: string[] = [];
  beforeAll(async () => {
    port = await freePort();
    server = createServer((request, response) => {
      paths.push(request.url ?? '');
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  afterAll(() => server?.close());

  const run = async (script: string, target = port) => {
    const local = script.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${target}`);
    expect(local, 'the script names 127.0.0.1:<port>').not.toBe(script);
    try {
      await promisify(execFile)(process.execPath, ['-e', local], { timeout: 20_000 });
      return 0;
    } catch (error) {
      return (error as { code?: number }).code;
    }
  };

  it.each([...scripts].map(([script, label]) => ({ script, label })))('$label: 0 when ready, 1 on 503, 1 when nothing answers', async ({ script }) => {
    status = 200;
    paths.length = 0;
    expect(await run(script)).toBe(0);
    expect(paths).toEqual([new URL(script.match(/http:\/\/[^'"]+/)![0]).pathname]);
    status = 503;
    expect(await run(script)).toBe(1);
    expect(await run(script, await freePort())).toBe(1);
  });
});

describe('NATS config files', () => {
  const files = [...new Set(VARIANTS.flatMap(({ file }) => servicesOf(loadCompose(file)).nats.map(([, s]) => natsConfigOf(s).file)))];

  it('exist under deploy/ and turn on JetStream with sync_interval: always', () => {
    expect(files.length).toBe(4);
    for (const file of files) {
      const conf = parseNatsConf(read(file));
      expect(conf.text, file).toMatch(/\bjetstream\b/);
      expect(conf.text, file).toMatch(/\bsync_interval\b/);
      expect(conf.syncInterval, file).toBe('always');
      expect(conf.storeDir, file).toBeTruthy();
      expect(conf.clientPort, file).toBe(4222);
    }
  });

  const local = natsServer();
  it.skipIf(!local)(
    local
      ? `parse with the local nats-server ${local.version.join('.')} (\`nats-server -t\`${local.version[0] * 100 + local.version[1] < 210 ? '; sync_interval, new in 2.10, set aside' : ''})`
      : 'parse with nats-server -t (SKIPPED: no nats-server installed)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'nats-conf-'));
      try {
        for (const file of files) {
          let text = read(file);
          if (local!.version[0] * 100 + local!.version[1] < 210) text = text.replace(/^\s*sync_interval\s*:.*$/m, '');
          const copy = join(dir, file.replace(/\//g, '_'));
          writeFileSync(copy, text);
          // The users block names each password's environment variable (lib/nats-permissions.ts), as compose sets them.
          const env = { ...process.env, ...Object.fromEntries(Object.values(PASSWORD_ENV).map((name) => [name, 'packaging-test'])) };
          const result = spawnSync(local!.bin, ['-t', '-c', copy], { encoding: 'utf8', env });
          expect(result.status, `${file}: ${result.stderr}${result.stdout}`).toBe(0);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('README', () => {
  it('has "Running with Docker" before "Development", with both variants and their URLs', () => {
    const readme = read('README.md');
    const start = readme.indexOf('\n## Running with Docker\n');
    const end = readme.indexOf('\n## Development\n');
    expect(start, 'section present').toBeGreaterThan(0);
    expect(end, 'before Development').toBeGreaterThan(start);
    const section = readme.slice(start, end);
    for (const text of ['docker compose up --build', 'docker compose -f docker-compose.cluster.yml up --build', 'http://localhost:3000', 'http://localhost:16686', 'sync_interval']) {
      expect(section).toContain(text);
    }
  });
});
