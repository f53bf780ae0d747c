/**
 * Poison on every subject: random bytes and wrong-typed protobuf on the submission, reply and
 * command subjects end in the dead-letter stream with a reason; the services keep working.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { jetstream } from '@nats-io/jetstream';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codec, create, LineItemSchema, OrderSchema, OrderSubmittedSchema } from '../../lib/codec.ts';
import { HEADERS, STREAMS } from '../../lib/topology.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

let system: TestSystem;

beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => system?.stop());

it('dead-letters malformed messages with their reason and keeps processing', async () => {
  const nc = await system.connection();
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const wrongType = codec.submission.encode(
    create(OrderSubmittedSchema, {
      order: create(OrderSchema, { orderId: 'ord_x', customerId: 'c', items: [create(LineItemSchema, { sku: 'A', quantity: 1 })] }),
    }),
  );
  const poison: [string, Uint8Array][] = [
    ['saga.reply.inventory', randomBytes(64)],
    ['saga.reply.payment', wrongType],
    ['saga.submitted.ord_00000000000000000000000000', randomBytes(32)],
    ['saga.cmd.inventory', randomBytes(48)],
    ['saga.cmd.payment', wrongType],
    ['saga.cmd.shipping', new Uint8Array()],
  ];
  for (const [subject, data] of poison) await js.publish(subject, data);

  await until('six dead letters', async () => (await jsm.streams.info(STREAMS.deadLetters)).state.messages === 6, 20_000);
  const letters = [];
  for (let seq = 1; seq <= 6; seq++) letters.push(await jsm.streams.getMessage(STREAMS.deadLetters, { seq }));
  const bySubject = new Map(letters.map((m) => [m!.header.get(HEADERS.dlqSubject), m!]));
  expect([...bySubject.keys()].sort()).toEqual(poison.map(([s]) => s).sort());
  for (const [subject, data] of poison) {
    const letter = bySubject.get(subject)!;
    expect(letter.header.get(HEADERS.dlqReason)).not.toBe('');
    expect(Buffer.from(letter.data).equals(Buffer.from(data))).toBe(true);
  }
  expect(bySubject.get('saga.reply.payment')!.header.get(HEADERS.dlqReason)).toMatch(/invalid|not a valid/);

  // Good traffic still flows.
  const { orderId } = (
    await system.api('/api/orders', { body: { customerId: 'c', items: [{ sku: 'A', quantity: 1, unitPriceCents: 5 }] } })
  ).body;
  const [order] = [...(await waitUntilSettled(system, [orderId], 20_000)).values()];
  expect(order.status).toBe('completed');
});
