/**
 * Builds the UI (ui/dist) when it is missing or older than its sources: used by `npm start`
 * and by the browser tests, so a fresh clone needs no separate build step.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT = join(ROOT, 'ui/dist/index.html');
const SOURCES = ['ui/src', 'ui/index.html', 'ui/vite.config.ts', 'machines'];

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

export function uiIsStale(): boolean {
  if (!existsSync(BUILT)) return true;
  const built = statSync(BUILT).mtimeMs;
  return SOURCES.some((source) => newestChange(join(ROOT, source)) > built);
}

export function ensureUiBuilt(log: (message: string) => void = console.log): void {
  if (!existsSync(join(ROOT, 'ui/vite.config.ts'))) return;
  if (!uiIsStale()) return;
  log('building the UI (vite build)…');
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('the UI build failed; see the output above');
}
