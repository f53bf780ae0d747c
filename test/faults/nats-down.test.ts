/**
 * With nats-server gone, the API refuses orders with 503 (retryable) and never answers 202:
 * with or without an Idempotency-Key. Then NATS comes back and orders are accepted again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { orderFor } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';
import { sleep } from './harness.ts';

let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ workers: false });
});
afterAll(async () => system?.stop());

async function post(headers: Record<string, string> = {}) {
  return system.api('/api/orders', { body: orderFor('happy', 1), headers }).catch(() => ({ status: 'unreachable' as const, body: null }));
}

it('answers 503, never 202, while NATS is down: without and with an Idempotency-Key', async () => {
  await system.nats.kill();
  await until('/ready to notice', async () => (await fetch(`${system.baseUrl}/ready`)).status === 503, 15_000);
  const answers: { key: boolean; status: number | string }[] = [];
  for (let i = 0; i < 2; i++) {
    answers.push({ key: false, status: (await post()).status });
    answers.push({ key: true, status: (await post({ 'idempotency-key': `down-${i}` })).status });
    await sleep(200);
  }
  await system.nats.restart();
  await until('/ready again', async () => (await fetch(`${system.baseUrl}/ready`)).status === 200, 30_000);
  const after = await post({ 'idempotency-key': 'after-outage' });

  expect(answers.filter((a) => a.status === 202)).toEqual([]);
  // The contract (README): NATS down before the publish: 503 `notAccepted`, this request stored nothing.
  expect(answers).toEqual(answers.map((a) => ({ key: a.key, status: 503 })));
  expect(after.status).toBe(202);
}, 90_000);
