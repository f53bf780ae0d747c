/**
 * Each service may do only its job on the bus (lib/nats-permissions.ts), against a real
 * nats-server running the generated users and permissions, as every test server and deployment
 * does. Each refusal is seen twice: the call fails, and the server reports a permissions
 * violation for that very subject (so a refusal is the server's, not a timeout of something
 * else); where a refusal matters for data, the data is checked unchanged too. That each service
 * still does its whole job with these permissions is every system test's business
 * (test/support/system.ts connects each service as its own user).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { errors, type NatsConnection } from '@nats-io/nats-core';
import { authorizationBlock, NATS_IDENTITIES, PASSWORD_ENV, permissionsOf, randomPasswords, type NatsIdentity } from '../../lib/nats-permissions.ts';
import { BUCKETS, connectNats, CONSUMERS, ensureTopology, STREAMS, SUBJECTS, type Nats } from '../../lib/topology.ts';
import { redriveRefusal } from '../../orchestrator/ops/dead-letters.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
let server: TestNats;
const connections: Nats[] = [];
const violations = new Map<NatsConnection, { subject: string; operation: string }[]>();

async function as(identity: NatsIdentity): Promise<Nats & { fastJs: JetStreamClient; fastKvm: Kvm }> {
  const nats = await connectNats({ natsUrl: server.url, natsAuth: { user: identity, password: server.passwords![identity] } }, `permissions-test-${identity}`);
  connections.push(nats);
  const seen: { subject: string; operation: string }[] = [];
  violations.set(nats.nc, seen);
  void (async () => {
    for await (const status of nats.nc.status()) {
      if (status.type === 'error' && status.error instanceof errors.PermissionViolationError) {
        seen.push({ subject: status.error.subject, operation: status.error.operation });
      }
    }
  })();
  // Refusals are seen as missing answers on the services' muxed requests: wait 1.5 s, not 5.
  const fastJs = jetstream(nats.nc, { timeout: 1500 });
  return { ...nats, fastJs, fastKvm: new Kvm(fastJs) };
}

/** The call fails, and the server said why: no permission for `subject` (`operation` publish or subscription). */
async function refused(nats: Nats, subject: string, call: () => Promise<unknown>, operation: 'publish' | 'subscription' = 'publish'): Promise<void> {
  await expect(call()).rejects.toBeDefined();
  await nats.nc.flush();
  const deadline = Date.now() + 2000;
  const seen = violations.get(nats.nc)!;
  while (!seen.some((v) => v.subject === subject && v.operation === operation) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(seen, `a ${operation} violation for ${subject}`).toContainEqual({ subject, operation });
}

const messagesIn = async (nats: Nats, stream: string) => (await nats.jsm.streams.info(stream)).state.messages;

let admin: Nats;
let orchestrator: Awaited<ReturnType<typeof as>>;
let inventory: Awaited<ReturnType<typeof as>>;
let payment: Awaited<ReturnType<typeof as>>;

beforeAll(async () => {
  server = await startNats();
  orchestrator = await as('orchestrator');
  // The orchestrator creates the whole topology with its own identity, the workers' consumers and ledgers included.
  await ensureTopology(orchestrator, { natsReplicas: 1 });
  inventory = await as('inventory');
  payment = await as('payment');
  // Workers set up nothing: they find their consumer and ledger.
  await ensureTopology(inventory, { natsReplicas: 1 });
  await ensureTopology(payment, { natsReplicas: 1 });
  admin = await connectNats({ natsUrl: server.url }, 'permissions-test-admin');
  connections.push(admin);
}, 60_000);

afterAll(async () => {
  await Promise.all(connections.map((c) => c.nc.close().catch(() => undefined)));
  await server?.stop();
});

describe('a worker', () => {
  it('cannot submit orders: saga.submitted.* is refused and nothing is stored', async () => {
    const before = await messagesIn(admin, STREAMS.events);
    const subject = SUBJECTS.submitted('ord_forged');
    await refused(inventory, subject, () => inventory.fastJs.publish(subject, new Uint8Array([1]), { msgID: 'ord_forged' }));
    expect(await messagesIn(admin, STREAMS.events)).toBe(before);
  });

  it("cannot answer for another worker, or publish commands", async () => {
    await refused(inventory, SUBJECTS.reply('payment'), () => inventory.fastJs.publish(SUBJECTS.reply('payment'), new Uint8Array([1])));
    await refused(inventory, SUBJECTS.command('payment'), () => inventory.fastJs.publish(SUBJECTS.command('payment'), new Uint8Array([1])));
    // Its own reply is its job.
    await expect(inventory.fastJs.publish(SUBJECTS.reply('inventory'), new Uint8Array([1]))).resolves.toMatchObject({ stream: STREAMS.events });
  });

  it('cannot write or read the sagas bucket', async () => {
    const sagas = await inventory.fastKvm.open(BUCKETS.sagas);
    await refused(inventory, `$KV.${BUCKETS.sagas}.ord_forged`, () => sagas.put('ord_forged', new Uint8Array([1])));
    expect(await (await admin.kvm.open(BUCKETS.sagas)).get('ord_forged')).toBeNull();
    await refused(inventory, `$JS.API.STREAM.MSG.GET.KV_${BUCKETS.sagas}`, () => sagas.get('ord_forged'));
  });

  it("cannot read or write another worker's ledger, and can use its own", async () => {
    await (await admin.kvm.open(BUCKETS.ledger('payment'))).put('ord_1', new TextEncoder().encode('{"charged":1250}'));
    const theirs = await inventory.fastKvm.open(BUCKETS.ledger('payment'), { allow_direct: true });
    await refused(inventory, `$JS.API.DIRECT.GET.KV_${BUCKETS.ledger('payment')}.$KV.${BUCKETS.ledger('payment')}.ord_1`, () => theirs.get('ord_1'));
    await refused(inventory, `$KV.${BUCKETS.ledger('payment')}.ord_1`, () => theirs.put('ord_1', new Uint8Array([1])));
    await refused(inventory, `$JS.API.STREAM.INFO.KV_${BUCKETS.ledger('payment')}`, () => inventory.fastKvm.create(BUCKETS.ledger('payment')));
    const own = await inventory.fastKvm.create(BUCKETS.ledger('inventory'));
    await own.put('ord_1', new Uint8Array([1]));
    expect(Array.from((await own.get('ord_1'))?.value ?? [])).toEqual([1]);
  });

  it("cannot consume another worker's commands, nor make itself a consumer on the commands stream", async () => {
    const theirs = CONSUMERS.worker('payment');
    await refused(inventory, `$JS.API.CONSUMER.INFO.${STREAMS.commands}.${theirs}`, () => inventory.fastJs.consumers.get(STREAMS.commands, theirs));
    const pull = `$JS.API.CONSUMER.MSG.NEXT.${STREAMS.commands}.${theirs}`;
    await refused(inventory, pull, () => inventory.nc.request(pull, JSON.stringify({ batch: 1, expires: 1_000_000_000 }), { timeout: 1500, noMux: true }));
    const create = `$JS.API.CONSUMER.CREATE.${STREAMS.commands}.spy.${SUBJECTS.command('payment')}`;
    await refused(inventory, create, () => inventory.nc.request(create, JSON.stringify({ stream_name: STREAMS.commands, config: { name: 'spy', filter_subject: SUBJECTS.command('payment') } }), { timeout: 1500, noMux: true }));
    // Its own consumer is its job.
    await expect(inventory.fastJs.consumers.get(STREAMS.commands, CONSUMERS.worker('inventory'))).resolves.toBeDefined();
  });

  it("cannot listen on another identity's inbox (the answers to its requests) or on the saga subjects", async () => {
    for (const subject of ['_INBOX_payment.>', '_INBOX.>', SUBJECTS.commandAll, '>']) {
      const seen = violations.get(inventory.nc)!;
      inventory.nc.subscribe(subject);
      await inventory.nc.flush();
      const deadline = Date.now() + 2000;
      while (!seen.some((v) => v.subject === subject && v.operation === 'subscription') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(seen, subject).toContainEqual({ subject, operation: 'subscription' });
    }
  });

  it("cannot dead-letter as the orchestrator or another worker: the letters redrive trusts come only from their own source", async () => {
    const before = await messagesIn(admin, STREAMS.deadLetters);
    for (const source of ['orchestrator', 'payment']) {
      await refused(inventory, SUBJECTS.deadLetter(source), () => inventory.fastJs.publish(SUBJECTS.deadLetter(source), new Uint8Array([1])));
    }
    expect(await messagesIn(admin, STREAMS.deadLetters)).toBe(before);
    // Its own dead letters are its job, and what it can name in them is only a command to itself.
    await expect(inventory.fastJs.publish(SUBJECTS.deadLetter('inventory'), new Uint8Array([1]))).resolves.toBeDefined();
    const letter = (originalSubject: string, service = 'inventory') => ({ originalSubject, headers: { 'Dlq-Service': [service] } });
    expect(redriveRefusal(letter(SUBJECTS.command('inventory')), SUBJECTS.deadLetter('inventory'))).toBeNull();
    for (const subject of [SUBJECTS.submitted('ord_x'), SUBJECTS.reply('inventory'), SUBJECTS.command('payment')]) {
      expect(redriveRefusal(letter(subject), SUBJECTS.deadLetter('inventory')), subject).toMatch(/is not one "inventory" consumes/);
    }
    expect(redriveRefusal(letter(SUBJECTS.submitted('ord_x'), 'orchestrator'), SUBJECTS.deadLetter('inventory'))).toMatch(/forged/);
    // The orchestrator's letters: submissions and replies, never commands.
    expect(redriveRefusal(letter(SUBJECTS.submitted('ord_x'), 'orchestrator'), SUBJECTS.deadLetter('orchestrator'))).toBeNull();
    expect(redriveRefusal(letter(SUBJECTS.reply('payment'), 'orchestrator'), SUBJECTS.deadLetter('orchestrator'))).toBeNull();
    expect(redriveRefusal(letter(SUBJECTS.command('payment'), 'orchestrator'), SUBJECTS.deadLetter('orchestrator'))).toMatch(/not one "orchestrator" consumes/);
  });

  it('cannot change the topology', async () => {
    const purge = `$JS.API.STREAM.PURGE.${STREAMS.events}`;
    await refused(payment, purge, () => payment.fastJs.jetstreamManager().then((jsm) => jsm.streams.purge(STREAMS.events)));
    const del = `$JS.API.STREAM.DELETE.${STREAMS.commands}`;
    await refused(payment, del, () => payment.nc.request(del, undefined, { timeout: 1500, noMux: true }));
  });
});

describe('the orchestrator', () => {
  it("cannot write, read or purge a worker's ledger", async () => {
    const ledger = BUCKETS.ledger('payment');
    const theirs = await orchestrator.fastKvm.open(ledger);
    await refused(orchestrator, `$KV.${ledger}.ord_1`, () => theirs.put('ord_1', new Uint8Array([9])));
    await refused(orchestrator, `$JS.API.STREAM.MSG.GET.KV_${ledger}`, () => theirs.get('ord_1'));
    const purge = `$JS.API.STREAM.PURGE.KV_${ledger}`;
    await refused(orchestrator, purge, () => orchestrator.nc.request(purge, undefined, { timeout: 1500, noMux: true }));
    expect(new TextDecoder().decode((await (await admin.kvm.open(ledger)).get('ord_1'))!.value)).toBe('{"charged":1250}');
  });

  it("cannot take a worker's commands or answer its acks", async () => {
    const pull = `$JS.API.CONSUMER.MSG.NEXT.${STREAMS.commands}.${CONSUMERS.worker('payment')}`;
    await refused(orchestrator, pull, () => orchestrator.nc.request(pull, JSON.stringify({ batch: 1 }), { timeout: 1500, noMux: true }));
  });

  it('does its own job: submissions, commands, saga entries, its own dead letters, the audit trail', async () => {
    await expect(orchestrator.fastJs.publish(SUBJECTS.submitted('ord_ok'), new Uint8Array([1]))).resolves.toBeDefined();
    await expect(orchestrator.fastJs.publish(SUBJECTS.command('payment'), new Uint8Array([1]))).resolves.toBeDefined();
    await expect((await orchestrator.fastKvm.open(BUCKETS.sagas)).put('ord_ok', new Uint8Array([1]))).resolves.toBeGreaterThan(0);
    await expect(orchestrator.fastJs.publish(SUBJECTS.deadLetter('orchestrator'), new Uint8Array([1]))).resolves.toBeDefined();
    await expect(orchestrator.fastJs.publish(SUBJECTS.audit('ord_ok'), new Uint8Array([1]))).resolves.toBeDefined();
    await refused(orchestrator, SUBJECTS.deadLetter('payment'), () => orchestrator.fastJs.publish(SUBJECTS.deadLetter('payment'), new Uint8Array([1])));
  });
});

describe('the configuration', () => {
  it('has every identity, each with its own inbox and no wildcard publish but admin', () => {
    const block = authorizationBlock(randomPasswords());
    for (const identity of NATS_IDENTITIES) {
      expect(block).toContain(`user: "${identity}"`);
      const { publish, subscribe } = permissionsOf(identity);
      if (identity === 'admin') continue;
      expect(subscribe).toEqual([`_INBOX_${identity}.>`]);
      expect(publish.filter((s) => s === '>' || s.startsWith('$JS.API.>') || s === 'saga.>')).toEqual([]);
    }
  });

  it.each(['deploy/nats/nats.conf', 'deploy/nats/cluster-nats-1.conf', 'deploy/nats/cluster-nats-2.conf', 'deploy/nats/cluster-nats-3.conf'])(
    '%s holds the generated users (passwords from env) and nats-server accepts it',
    (file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text, 'regenerate with: npx tsx scripts/nats-auth.ts write-deploy').toContain(authorizationBlock('env'));
      expect(text).not.toMatch(/no_auth_user/);
      const dir = mkdtempSync(join(tmpdir(), 'nats-perm-conf-'));
      try {
        // Debian's 2.9 knows no sync_interval (the compose files run 2.10).
        writeFileSync(join(dir, 'nats.conf'), text.replace(/^\s*sync_interval\s*:.*$/m, ''));
        const env = { ...process.env, ...Object.fromEntries(NATS_IDENTITIES.map((identity) => [PASSWORD_ENV[identity], `pw-${identity}`])) };
        const result = spawnSync('nats-server', ['-t', '-c', join(dir, 'nats.conf')], { encoding: 'utf8', env });
        expect(result.status, `${result.stderr}${result.stdout}`).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
