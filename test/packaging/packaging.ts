/**
 * Readers for the packaging files (compose files, Dockerfile, .dockerignore, NATS configs),
 * so the packaging tests can check them as a reviewer would without a Docker engine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
export const exists = (path: string) => existsSync(join(ROOT, path));

// ---------------------------------------------------------------- compose files

export interface Healthcheck {
  test?: string[] | string;
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number; published?: number | string; host_ip?: string })[];
  expose?: (string | number)[];
  volumes?: (string | { type: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: Healthcheck;
  restart?: string;
  init?: boolean;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** A compose file as `docker compose` sees it: YAML with merge keys (`<<: *anchor`). */
export function loadCompose(path: string): ComposeFile {
  const doc = YAML.parseDocument(read(path), { merge: true });
  if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS() as ComposeFile;
}

/** Compose's variable interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$$`. */
export function interpolate(value: string, env: Record<string, string | undefined> = {}): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, name, op, fallback, bare) => {
    if (match === '$$') return '$';
    if (bare) return env[bare] ?? '';
    const current = env[name];
    if (op === ':-') return current ? current : fallback;
    if (op === '-') return current !== undefined ? current : fallback;
    return current ?? '';
  });
}

/** A service's environment as the container gets it, with the shell's variables unset. */
export function serviceEnv(service: ComposeService, shell: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  const raw = service.environment ?? {};
  const entries: [string, unknown][] = Array.isArray(raw)
    ? raw.map((line) => {
        const eq = line.indexOf('=');
        return eq < 0 ? [line, shell[line]] : [line.slice(0, eq), line.slice(eq + 1)];
      })
    : Object.entries(raw);
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    env[name] = interpolate(String(value), shell);
  }
  return env;
}

export const commandOf = (service: ComposeService): string[] =>
  Array.isArray(service.command) ? service.command : (service.command ?? '').split(/\s+/).filter(Boolean);

export const dependsOn = (service: ComposeService): Record<string, { condition?: string }> =>
  Array.isArray(service.depends_on)
    ? Object.fromEntries(service.depends_on.map((name) => [name, { condition: 'service_started' }]))
    : (service.depends_on ?? {});

export interface PortMapping {
  hostIp?: string;
  published?: number;
  target: number;
}

/** `"3000:3000"`, `"127.0.0.1:4222:4222"`, `"9101"`, or the long form. */
export function portsOf(service: ComposeService): PortMapping[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port !== 'string') {
      return { hostIp: port.host_ip, published: port.published === undefined ? undefined : Number(port.published), target: port.target };
    }
    const parts = port.replace(/\/(tcp|udp)$/, '').split(':');
    const target = Number(parts.pop());
    const published = parts.length > 0 ? Number(parts.pop()) : undefined;
    return { hostIp: parts[0], published, target };
  });
}

export function healthcheckCommand(service: ComposeService): string[] {
  const test = service.healthcheck?.test;
  if (!test) return [];
  if (typeof test === 'string') return ['CMD-SHELL', test];
  return test;
}

/** The URL a health check fetches (wget or Node's fetch), as host, port and path. */
export function healthcheckUrl(service: ComposeService): URL | undefined {
  const match = healthcheckCommand(service)
    .join(' ')
    .match(/https?:\/\/[^\s'"`]+/);
  return match ? new URL(match[0]) : undefined;
}

/** `./deploy/x.conf:/etc/nats/nats.conf:ro` and named volumes `data:/data`, by target. */
export function mountsOf(service: ComposeService): { source: string; target: string; bind: boolean }[] {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') return { source: volume.source ?? '', target: volume.target, bind: volume.type === 'bind' };
    const [source = '', target = ''] = volume.split(':');
    return { source, target, bind: source.startsWith('.') || source.startsWith('/') };
  });
}

// ---------------------------------------------------------------- lib/config.ts

/** Every environment variable lib/config.ts reads: `env.NAME`, `env['NAME']` and helpers called with `(env, 'NAME'`. */
export function configVariables(): Set<string> {
  const source = read('lib/config.ts');
  const names = new Set<string>();
  for (const pattern of [/\benv\.([A-Z][A-Z0-9_]*)/g, /\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]/g, /\(env,\s*['"]([A-Z][A-Z0-9_]*)['"]/g]) {
    for (const match of source.matchAll(pattern)) names.add(match[1]!);
  }
  return names;
}

/** Variables a container may set that lib/config.ts does not read: Node's own and OpenTelemetry's. */
export const isKnownPlatformVariable = (name: string) => ['NODE_ENV', 'NODE_OPTIONS', 'TZ'].includes(name) || name.startsWith('OTEL_');

// ---------------------------------------------------------------- Dockerfile

export interface Instruction {
  keyword: string;
  /** The arguments as written (continuations joined). */
  text: string;
  /** Exec form (`["a","b"]`) parsed, else split on white space. */
  args: string[];
  /** Flags such as `--from=build`. */
  flags: Record<string, string>;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** The stages of a Dockerfile, `ARG`s before the first `FROM` substituted into the images. */
export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push(pending + line);
    pending = '';
  }
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', rest = ''] = line.match(/^(\S+)\s*(.*)$/) ?? [];
    const upper = keyword.toUpperCase();
    const flags: Record<string, string> = {};
    let body = rest;
    while (/^--[a-z-]+=\S+/.test(body)) {
      const [flag = '', ...tail] = body.split(/\s+/);
      const [name = '', value = ''] = flag.slice(2).split('=');
      flags[name] = value;
      body = tail.join(' ');
    }
    let args: string[];
    try {
      args = body.startsWith('[') ? (JSON.parse(body) as string[]) : body.split(/\s+/).filter(Boolean);
    } catch {
      args = body.split(/\s+/).filter(Boolean);
    }
    const instruction = { keyword: upper, text: body, args, flags };
    if (upper === 'FROM') {
      const image = (args[0] ?? '').replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => globalArgs[name] ?? '');
      const asIndex = args.findIndex((a) => a.toUpperCase() === 'AS');
      stages.push({ image, name: asIndex >= 0 ? args[asIndex + 1] : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (upper === 'ARG') {
        const [name = '', value = ''] = body.split('=');
        globalArgs[name] = value;
      }
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { args: globalArgs, stages };
}

// ---------------------------------------------------------------- .dockerignore

/** Whether .dockerignore keeps `path` (relative to the build context) out of the context. */
export function dockerIgnores(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const source = pattern
      .split('/')
      .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
      .join('/')
      .replace(/\.\*\//g, '(?:.*/)?');
    // A pattern matches the path itself or any folder above it.
    if (new RegExp(`^${source}(?:/.*)?$`).test(path)) ignored = !negate;
  }
  return ignored;
}

export const dockerignorePatterns = () =>
  read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

// ---------------------------------------------------------------- what the entry files need

/** Every repository file an entry file loads (relative imports, followed), and the packages it imports. */
export function importGraph(entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const builtins = new Set(builtinModules);
  const queue = entries.map((entry) => resolve(ROOT, entry));
  while (queue.length > 0) {
    const file = queue.pop()!;
    const rel = relative(ROOT, file);
    if (files.has(rel)) continue;
    files.add(rel);
    const source = readFileSync(file, 'utf8');
    const specifiers = [
      ...source.matchAll(/^\s*(?:import|export)\s[^'"]*?\sfrom\s+['"]([^'"]+)['"]/gm),
      ...source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
      ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((m) => m[1]!);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (existsSync(target)) queue.push(target);
        else throw new Error(`${rel} imports ${specifier}, which does not exist`);
      } else if (!specifier.startsWith('node:') && !builtins.has(specifier)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
      }
    }
  }
  return { files, packages };
}

// ---------------------------------------------------------------- NATS server configs

export interface NatsConf {
  text: string;
  serverName?: string;
  clientPort?: number;
  monitorPort?: number;
  jetstream?: string;
  storeDir?: string;
  syncInterval?: string;
  cluster?: { name?: string; port?: number; routes: string[] };
}

const block = (text: string, name: string) => text.match(new RegExp(`^\\s*${name}\\s*[:=]?\\s*\\{([^}]*)\\}`, 'm'))?.[1];
const field = (text: string, name: string) => text.match(new RegExp(`^\\s*${name}\\s*[:=]\\s*"?([^"\\s#]+)"?`, 'm'))?.[1];
const portOf = (listen: string | undefined) => (listen === undefined ? undefined : Number(listen.split(':').pop()));

/** The fields of our NATS config files the packaging relies on (not a general parser). */
export function parseNatsConf(text: string): NatsConf {
  const withoutComments = text.replace(/#.*$/gm, '');
  const jetstream = block(withoutComments, 'jetstream');
  const cluster = block(withoutComments, 'cluster');
  const topLevel = withoutComments.replace(/\{[^}]*\}/g, '{}');
  return {
    text,
    serverName: field(topLevel, 'server_name'),
    clientPort: portOf(field(topLevel, 'listen') ?? field(topLevel, 'port')),
    monitorPort: portOf(field(topLevel, 'http') ?? field(topLevel, 'http_port')),
    jetstream,
    storeDir: jetstream === undefined ? undefined : field(jetstream, 'store_dir'),
    syncInterval: jetstream === undefined ? undefined : field(jetstream, 'sync_interval'),
    cluster:
      cluster === undefined
        ? undefined
        : {
            name: field(cluster, 'name'),
            port: portOf(field(cluster, 'listen')),
            routes: [...(cluster.match(/routes\s*[:=]\s*\[([^\]]*)\]/)?.[1] ?? '').matchAll(/nats(?:-route)?:\/\/[^\s,\]]+/g)].map((m) => m[0]),
          },
  };
}

// ---------------------------------------------------------------- tools that may be missing

/** `docker compose` (v2 plugin) or `docker-compose` (v1), whichever answers; undefined if neither. */
export function composeCli(): string[] | undefined {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    const probe = spawnSync(candidate[0]!, [...candidate.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/** The local nats-server and its version as [major, minor], or undefined when there is none. */
export function natsServer(): { bin: string; version: [number, number] } | undefined {
  for (const bin of ['nats-server', '/usr/sbin/nats-server', '/usr/local/bin/nats-server']) {
    const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    const match = probe.stdout?.match(/v(\d+)\.(\d+)/);
    if (probe.status === 0 && match) return { bin, version: [Number(match[1]), Number(match[2])] };
  }
  return undefined;
}
