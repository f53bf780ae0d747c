/** `npm run start:worker -- <service>`: the worker as its own process, as in its container. */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands, oid, outcomeOf, startHarness, type WorkerHarness } from './harness.ts';

const TSX = 'node_modules/.bin/tsx';

function startWorkerProcess(args: string[], env: Record<string, string> = {}) {
  const child = spawn(TSX, ['workers/main.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

let h: WorkerHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('worker process', () => {
  it.each([[['warehouse']], [[]]])('refuses %j with the valid names and exit code 2', async (args) => {
    const worker = startWorkerProcess(args);
    expect(await worker.exited).toBe(2);
    expect(worker.output()).toMatch(/inventory\|payment\|shipping/);
  });

  it('serves its commands, and stops cleanly on SIGTERM', async () => {
    const worker = startWorkerProcess(['shipping'], { NATS_URL: h.server.url, INSTANCE_ID: 'shipping-proc-1', LOG_LEVEL: 'warn' });
    try {
      const command = commands.ship(oid('ord-proc-1'), [{ sku: 'MUG', quantity: 1 }]);
      await h.send(command);
      const reply = await h.reply(command.meta!.commandId, 15_000);
      expect(outcomeOf(reply)).toMatchObject({ kind: 'succeeded' });
      expect(reply.workerInstance).toBe('shipping-proc-1');
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);
  });
});
