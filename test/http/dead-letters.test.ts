/**
 * A dead letter is a message anyone on the bus can write, headers included: a redrive publishes
 * only to a subject the saga streams take, whatever the letter says (a forged letter pointing at
 * the JetStream API would otherwise have the orchestrator purge a stream). Sequences past 2^53
 * are bad input, not an internal error. Real services on a private nats-server; HTTP through inject.
 */
import { headers as natsHeaders } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_TRUNCATED_HEADER } from '../../lib/dead-letters.ts';
import { HEADERS, STREAMS, SUBJECTS } from '../../lib/topology.ts';
import { orderFor } from '../support/orders.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

const OPS = 'ops-secret-1';
const ops = { authorization: `Bearer ${OPS}`, 'x-actor': 'ops-ida' };

let nats: TestNats;
let t: TestApp;

beforeAll(async () => {
  nats = await startNats();
  t = await buildTestApp(nats.url, { env: { OPS_TOKEN: OPS } });
}, 30_000);
afterAll(async () => {
  await t?.close();
  await nats?.stop();
});

/** A letter as a hostile publisher writes it: on saga.dlq.*, claiming to come from `subject`. */
async function forgeLetter(subject: string | undefined): Promise<number> {
  const h = natsHeaders();
  if (subject !== undefined) h.set(HEADERS.dlqSubject, subject);
  h.set(HEADERS.dlqReason, 'payment provider down');
  h.set(HEADERS.dlqService, 'payment');
  return (await t.nats.js.publish(SUBJECTS.deadLetter('payment'), new TextEncoder().encode('{}'), { headers: h })).seq;
}

const messagesIn = async (stream: string) => (await t.nats.jsm.streams.info(stream)).state.messages;

describe('redrive', () => {
  it('refuses a letter whose original subject no saga stream takes: nothing is published, the letter waits, the refusal is audited', async () => {
    const accepted = await t.app.inject({ method: 'POST', url: '/api/orders', payload: orderFor('happy', 1) });
    expect(accepted.statusCode).toBe(202);
    const submissions = await messagesIn(STREAMS.events);
    expect(submissions).toBeGreaterThan(0);

    const forged = await forgeLetter(`$JS.API.STREAM.PURGE.${STREAMS.events}`);
    const answer = await t.app.inject({ method: 'POST', url: `/api/dead-letters/${forged}/redrive`, headers: ops, payload: { reason: 'provider is back' } });

    expect(answer.statusCode).toBe(409);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.json().detail).toMatch(/not one the saga streams take/);
    // The accepted order's submission is still there: the stream was not purged.
    expect(await messagesIn(STREAMS.events)).toBe(submissions);
    expect((await t.app.inject({ method: 'GET', url: `/api/dead-letters/${forged}` })).statusCode).toBe(200);
    const [record] = (await t.app.inject({ method: 'GET', url: '/api/audit?limit=1' })).json().items;
    expect(record).toMatchObject({ action: 'dlq.redrive', target: `dlq:${forged}`, result: 'refused', actor: 'ops-ida' });
  });

  it.each([[undefined], [''], ['saga.cmd.*'], ['saga.cmd.>'], ['saga.submitted'], ['saga.dlq.payment'], ['$KV.sagas.ord_x']])(
    'refuses original subject %j',
    async (subject) => {
      const forged = await forgeLetter(subject);
      const answer = await t.app.inject({ method: 'POST', url: `/api/dead-letters/${forged}/redrive`, headers: ops, payload: { reason: 'r' } });
      expect(answer.statusCode).toBe(409);
    },
  );

  it('refuses a letter that was cut down to fit: its payload is not the original message', async () => {
    const h = natsHeaders();
    h.set(HEADERS.dlqSubject, SUBJECTS.command('payment'));
    h.set(HEADERS.dlqReason, 'oversize');
    h.set(DLQ_TRUNCATED_HEADER, 'payload cut from 1048000 to 900000 bytes');
    const cut = (await t.nats.js.publish(SUBJECTS.deadLetter('payment'), new Uint8Array(16), { headers: h })).seq;
    const commands = await messagesIn(STREAMS.commands);
    const answer = await t.app.inject({ method: 'POST', url: `/api/dead-letters/${cut}/redrive`, headers: ops, payload: { reason: 'r' } });
    expect(answer.statusCode).toBe(409);
    expect(answer.json().detail).toMatch(/cut down/);
    expect(await messagesIn(STREAMS.commands)).toBe(commands);
  });

  it('redrive-all redrives the letters it may and leaves the forged ones waiting', async () => {
    const commands = await messagesIn(STREAMS.commands);
    const forged = await forgeLetter(`$JS.API.STREAM.DELETE.${STREAMS.audit}`);
    // Payment's letters can only be commands to payment (a reply is the orchestrator's to dead-letter).
    const elsewhere = await forgeLetter(SUBJECTS.reply('payment'));
    const genuine = await forgeLetter(SUBJECTS.command('payment'));

    const answer = await t.app.inject({ method: 'POST', url: '/api/dead-letters/redrive-all', headers: ops, payload: { reason: 'provider is back' } });

    expect(answer.statusCode).toBe(200);
    expect(answer.json().redriven).toContain(genuine);
    expect(answer.json().redriven).not.toContain(forged);
    expect(answer.json().redriven).not.toContain(elsewhere);
    expect(await messagesIn(STREAMS.commands)).toBe(commands + 1);
    expect(await messagesIn(STREAMS.audit)).toBeGreaterThan(0);
    expect((await t.app.inject({ method: 'GET', url: `/api/dead-letters/${forged}` })).statusCode).toBe(200);
  });
});

describe('sequences', () => {
  it.each(['/api/dead-letters/99999999999999999999', '/api/dead-letters?before=99999999999999999999'])('%s is a 400 naming the field (it was a 500, or silently another sequence)', async (url) => {
    const answer = await t.app.inject({ method: 'GET', url, headers: ops });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().errors[0].field).toMatch(/sequence|before/);
  });
});
