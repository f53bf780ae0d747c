/**
 * The Dockerfile and .dockerignore, checked without building: the stages, what each copies and
 * runs, that the runtime image holds every file and package the services load, and that its
 * entry point, given each compose command, really starts that service's code.
 */
import { execFile } from 'node:child_process';
import { relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UI_DIST } from '../../orchestrator/http/ui-static.ts';
import { commandOf, dockerIgnores, dockerignorePatterns, exists, importGraph, loadCompose, parseDockerfile, read, ROOT, type Stage } from './packaging.ts';

const PKG = JSON.parse(read('package.json')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const { stages } = parseDockerfile(read('Dockerfile'));
const runtime = stages.at(-1)!;
const buildStages = stages.slice(0, -1);

const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const runs = (stage: Stage) => all(stage, 'RUN').map((i) => i.text);
const workdir = (stage: Stage) => all(stage, 'WORKDIR').at(-1)?.args[0] ?? '/';
/** `./lib`, `lib/`, `/app/lib` (under WORKDIR /app) → `lib`. */
const underWorkdir = (stage: Stage, path: string) => relative(workdir(stage), path.startsWith('/') ? path : `${workdir(stage)}/${path}`) || '.';

/** Every command a compose file gives an app service. */
const composeCommands = () =>
  ['docker-compose.yml', 'docker-compose.cluster.yml'].flatMap((file) =>
    Object.values(loadCompose(file).services)
      .filter((s) => s.build !== undefined)
      .map((s) => commandOf(s)),
  );

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage, both on node:20-bookworm-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toBe('node:20-bookworm-slim');
    expect(PKG.engines.node, 'the image satisfies engines.node').toMatch(/^>=20\./);
  });

  it('installs every dependency and builds the UI in a build stage', () => {
    const builder = buildStages.find((s) => runs(s).some((r) => /\bnpm run build:ui\b/.test(r)));
    expect(builder, 'a stage runs npm run build:ui').toBeDefined();
    const install = runs(builder!).findIndex((r) => /\bnpm ci\b/.test(r));
    expect(install, 'npm ci').toBeGreaterThanOrEqual(0);
    expect(runs(builder!)[install], 'dev dependencies too: vite builds the UI').not.toMatch(/--omit[= ]dev|--production/);
    // What the UI build reads: the UI and the statechart it imports.
    const copied = all(builder!, 'COPY').flatMap((c) => c.args.slice(0, -1));
    for (const needed of ['package.json', 'package-lock.json', 'ui', 'machines']) expect(copied.map((c) => c.replace(/^\.\/|\/$/g, ''))).toContain(needed);
  });

  it('installs production dependencies only in the runtime image, with tsx among them', () => {
    expect(runs(runtime).some((r) => /\bnpm ci\b.*--omit[= ]dev/.test(r)), 'npm ci --omit=dev').toBe(true);
    expect(Object.keys(PKG.dependencies), 'tsx runs the TypeScript at run time').toContain('tsx');
    const env = all(runtime, 'ENV').map((i) => i.text);
    expect(env.some((e) => /^NODE_ENV[= ]production$/.test(e)), 'ENV NODE_ENV=production').toBe(true);
  });

  it('runs as a non-root user', () => {
    const user = all(runtime, 'USER').at(-1)?.args[0];
    expect(user, 'USER in the runtime stage').toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    // USER comes after every RUN (which needs root for npm ci into /app).
    const index = (i: (typeof runtime.instructions)[number]) => runtime.instructions.indexOf(i);
    for (const run of all(runtime, 'RUN')) expect(index(run)).toBeLessThan(index(all(runtime, 'USER').at(-1)!));
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const patterns = dockerignorePatterns();
    for (const stage of stages) {
      for (const copy of all(stage, 'COPY').filter((c) => !c.flags.from)) {
        for (const source of copy.args.slice(0, -1)) {
          const path = source.replace(/^\.\/|\/$/g, '');
          expect(exists(path), `COPY ${source}: exists`).toBe(true);
          expect(dockerIgnores(patterns, path), `COPY ${source}: not in .dockerignore`).toBe(false);
        }
      }
    }
  });

  it('copies the built UI to where the orchestrator serves it from', () => {
    const builder = buildStages.find((s) => runs(s).some((r) => /\bnpm run build:ui\b/.test(r)))!;
    const fromBuild = all(runtime, 'COPY').filter((c) => c.flags.from === builder.name);
    const uiDist = relative(ROOT, UI_DIST);
    expect(uiDist).toBe('ui/dist');
    expect(
      fromBuild.some((c) => underWorkdir(builder, c.args[0]!) === uiDist && underWorkdir(runtime, c.args.at(-1)!) === uiDist),
      `COPY --from=${builder.name} <workdir>/${uiDist} → <workdir>/${uiDist}`,
    ).toBe(true);
  });

  it('holds every file the services and the CLI load, and every package they import is a production dependency', () => {
    const entries = [...new Set(composeCommands().map((c) => c[0]!)), 'cli/main.ts'];
    const { files, packages } = importGraph(entries);
    expect(files.size).toBeGreaterThan(20);
    const copied = all(runtime, 'COPY')
      .filter((c) => !c.flags.from)
      .flatMap((c) => c.args.slice(0, -1).map((source) => ({ source: source.replace(/^\.\/|\/$/g, ''), dest: underWorkdir(runtime, c.args.at(-1)!) })));
    // Each source keeps its path under WORKDIR, so relative imports resolve as in the repository.
    for (const { source, dest } of copied) if (dest !== '.') expect(dest, `COPY ${source}`).toBe(source);
    for (const file of files) {
      expect(
        copied.some(({ source }) => file === source || file.startsWith(`${source}/`)),
        `${file} is loaded at run time but not copied into the runtime image`,
      ).toBe(true);
    }
    for (const name of packages) expect(Object.keys(PKG.dependencies), `${name} is imported at run time: a dependency, not a devDependency`).toContain(name);
  });

  it('lets the compose file pick the service: tsx as the entry point, no default command, no one-port HEALTHCHECK', () => {
    const entrypoint = all(runtime, 'ENTRYPOINT').at(-1);
    expect(entrypoint?.text, 'exec form').toMatch(/^\[/);
    expect(entrypoint!.args.join(' ')).toMatch(/\btsx\b/);
    expect(all(runtime, 'CMD'), 'no CMD: every compose service names its own').toHaveLength(0);
    expect(all(runtime, 'HEALTHCHECK'), 'services answer on different ports: health checks live in compose').toHaveLength(0);
    const exposed = all(runtime, 'EXPOSE').flatMap((e) => e.args.map(Number));
    for (const port of [3000, 9101, 9102, 9103]) expect(exposed).toContain(port);
  });

  it('starts each compose service with its entry point and command (up to the config check)', async () => {
    const entrypoint = all(runtime, 'ENTRYPOINT').at(-1)!.args;
    expect(entrypoint[0]).toBe('node');
    const commands = [...new Map(composeCommands().map((c) => [c.join(' '), c])).values()];
    expect(commands.length).toBe(4);
    // A value the config refuses stops each service with exit 2 right after its whole module
    // graph loaded through tsx: the entry file, its imports and the worker name all resolve.
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'not-a-format' };
    await Promise.all(
      commands.map(async (command) => {
        const result = await promisify(execFile)(process.execPath, [...entrypoint.slice(1), ...command], { cwd: ROOT, env, timeout: 60_000 }).then(
          () => ({ code: 0, stderr: '' }),
          (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
        );
        expect(result.code, `${command.join(' ')}: ${result.stderr}`).toBe(2);
        expect(result.stderr, command.join(' ')).toContain('configuration error: LOG_FORMAT');
      }),
    );
    // And a worker command without a valid name says which names are valid.
    const bad = await promisify(execFile)(process.execPath, [...entrypoint.slice(1), 'workers/main.ts', 'nope'], { cwd: ROOT, env, timeout: 60_000 }).catch(
      (error: { code?: number; stderr?: string }) => error,
    );
    expect((bad as { code?: number }).code).toBe(2);
    expect((bad as { stderr?: string }).stderr).toContain('Valid services: inventory, payment, shipping');
  });

  it('installs from a lock file that matches package.json (else `npm ci` fails the build)', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }> };
    const root = lock.packages[''] ?? {};
    expect(root.dependencies ?? {}).toEqual(PKG.dependencies);
    expect(root.devDependencies ?? {}).toEqual(PKG.devDependencies);
    for (const name of Object.keys(PKG.dependencies)) expect(lock.packages[`node_modules/${name}`], `${name} locked`).toBeDefined();
  });
});

describe('.dockerignore', () => {
  it('keeps local state, installed modules and build output out of the context', () => {
    const patterns = dockerignorePatterns();
    for (const path of ['node_modules', 'node_modules/tsx/package.json', 'ui/node_modules', '.git', '.data', '.data/nats/jetstream', 'test-output', 'ui/dist', 'ui/dist/index.html', 'coverage']) {
      expect(dockerIgnores(patterns, path), path).toBe(true);
    }
    for (const path of ['package.json', 'lib/config.ts', 'ui/src/main.tsx', 'machines/index.ts']) expect(dockerIgnores(patterns, path), path).toBe(false);
  });
});
