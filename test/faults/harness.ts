/**
 * The fault-injection harness, Jepsen-style: drive bounded load through the API, inject faults
 * while it runs, wait for quiescence, then check invariants over everything that got a 202.
 *
 *   const run = new FaultRun('orchestrator-kill', system);
 *   const load = run.load({ orders: 120, perSecond: 20 });
 *   await run.fault('SIGKILL', 'orchestrator', () => system.services.orchestrator.kill(), () => system.services.orchestrator.start());
 *   await load;
 *   const report = await run.check();
 *   expectClean(report);
 *
 * Invariants (see `check`): every accepted order exists and ends with the status its rule
 * dictates, none left running; per order and in total, charged − refunded = the totals of the
 * completed orders and reserved − released = shipped − cancelled shipments; no effect applied
 * twice; no saga's history lost or rolled back (what was seen during the run is a prefix of the
 * final history) and no event id twice; and no order exists whose submitter was told it was not
 * accepted (DESIGN rule 8). The load is a careful client: on 503 "not accepted" it retries with
 * the same Idempotency-Key, or orders anew without one; on 504 "outcome unknown" it retries with
 * the same key, or without one looks the named order up until the API can tell.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { codec, stepFromProto } from '../../lib/codec.ts';
import { BUCKETS, DURABLE_CONSUMERS, STREAMS, SUBJECTS } from '../../lib/topology.ts';
import { listLedger } from '../support/ledger.ts';
import { checkBooks, type BooksReport } from '../support/books.ts';
import { EXPECTED_STATUS, orderFor, SCENARIOS, type Scenario } from '../support/orders.ts';
import type { TestSystem } from '../support/system.ts';

export type Profile = 'short' | 'long';
export const PROFILE: Profile = process.env.FAULT_PROFILE === 'long' ? 'long' : 'short';
/** A number for the short profile (npm test) or the long one (npm run test:faults). */
export const sized = (short: number, long: number): number => (PROFILE === 'long' ? long : short);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

const FINAL = new Set(['completed', 'cancelled', 'failed', 'stuck']);
const OUTPUT = new URL('../../test-output/faults/', import.meta.url).pathname;

export interface Accepted {
  orderId: string;
  scenario: Scenario;
  totalCents: number;
  acceptedAt: number;
}

export interface FaultRecord {
  kind: string;
  target: string;
  injectedAt: number;
  /** When the fault was undone (process restarted...). */
  healedAt?: number;
  /** When the first order submitted after healing completed. */
  recoveredAt?: number;
}

export interface Answer {
  status: number | 'unreachable';
  body: any;
}

export interface LoadOptions {
  orders: number;
  /** Every n-th order goes without an Idempotency-Key (0: all have one). */
  unkeyedEvery?: number;
  /** Submissions started per second (spreads the load over the fault window). */
  perSecond?: number;
  concurrency?: number;
  /** Tries per order (same Idempotency-Key) while the API answers 503 or cannot be reached. */
  tries?: number;
}

export interface FaultReport {
  scenario: string;
  profile: Profile;
  durationMs: number;
  /** Orders that got a 202. */
  orders: number;
  /** Orders the load gave up on (never got a 202). */
  refused: number;
  /** Every answer POST /api/orders gave, by status. */
  answers: Record<string, number>;
  faults: { kind: string; target: string; downMs: number | null; recoveryMs: number | null }[];
  /** Accepted orders the API does not know at the end. */
  lost: string[];
  /** Accepted orders whose final status is not the one their rule dictates (or that are still running). */
  wrongStatus: string[];
  stillRunning: number;
  /** Effects a ledger holds more than once for one order and step. */
  doubleEffects: string[];
  bookProblems: string[];
  totals: BooksReport['totals'];
  /** Histories that lost, reordered or repeated events. */
  historyProblems: string[];
  /** Answers that break the API contract under faults (anything but 202, 503, 504 "unknown", or no answer). */
  badAnswers: string[];
  /** Orders whose submitter was told "not accepted" (and never anything else), or that answered 404 when looked up after "unknown". */
  toldNotAccepted: number;
  /** Of those, the ones that exist after all: a submitter told "no" whose order runs anyway. */
  existsAfterNotAccepted: string[];
  /** Consumers with messages still pending when the check ran. */
  notQuiet: string[];
}

export class FaultRun {
  readonly accepted: Accepted[] = [];
  readonly faults: FaultRecord[] = [];
  readonly answers: Record<string, number> = {};
  readonly badAnswers: string[] = [];
  /** Order ids the API said were not accepted (or not found after "unknown"): they must never exist. */
  readonly toldNotAccepted = new Set<string>();
  /** Per order, the longest list of event ids seen while the run went on. */
  private readonly seen = new Map<string, string[]>();
  private readonly seenStatus = new Map<string, string>();
  private readonly started = Date.now();
  private refused = 0;
  private observing = false;
  private observer: Promise<void> | undefined;
  private probes = 0;
  private nextBase = 0;

  constructor(
    readonly scenario: string,
    readonly system: TestSystem,
  ) {}

  private base(): string {
    const urls = this.system.baseUrls;
    return urls[this.nextBase++ % urls.length]!;
  }

  /** One request to an orchestrator (round robin over all of them); a refused connection is `unreachable`. */
  async request(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}, baseUrl = this.base()): Promise<Answer> {
    try {
      const response = await fetch(`${baseUrl}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: response.status, body };
    } catch {
      return { status: 'unreachable', body: null };
    }
  }

  /** Count an answer to POST /api/orders; a problem outside the contract is a bad answer. */
  private tally(n: number, answer: Answer): void {
    this.answers[answer.status] = (this.answers[answer.status] ?? 0) + 1;
    const allowed = answer.status === 202 || answer.status === 'unreachable' || answer.status === 503 || (answer.status === 504 && answer.body?.outcome === 'unknown');
    if (!allowed) this.badAnswers.push(`POST /api/orders #${n}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    if (answer.body?.outcome && typeof answer.body.orderId !== 'string') {
      this.badAnswers.push(`POST /api/orders #${n}: ${answer.status} names no order: ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
  }

  private accept(orderId: string, scenario: Scenario, body: ReturnType<typeof orderFor>): Accepted {
    const order: Accepted = {
      orderId,
      scenario,
      totalCents: body.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0),
      acceptedAt: Date.now(),
    };
    if (!this.accepted.some((o) => o.orderId === order.orderId)) this.accepted.push(order);
    return order;
  }

  /**
   * After "outcome unknown": GET the named order until the API can tell (200: it exists, 404: it
   * does not). A 503 "cannot tell now" is waited out.
   */
  private async lookUp(orderId: string, tries = 60): Promise<'exists' | 'missing' | 'cannotTell'> {
    for (let attempt = 1; attempt <= tries; attempt++) {
      const answer = await this.request(`/api/orders/${orderId}`);
      if (answer.status === 200) return 'exists';
      if (answer.status === 404) return 'missing';
      await sleep(Math.min(1000, 200 * attempt));
    }
    return 'cannotTell';
  }

  /** Submit one order as a careful client would (see the file's comment); null when it gave up. */
  async submit(n: number, scenario: Scenario, tries = 40, keyed = true): Promise<Accepted | null> {
    return keyed ? this.submitKeyed(n, scenario, tries) : this.submitUnkeyed(n, scenario, tries);
  }

  /** With an Idempotency-Key: retry with the same key until a 202. */
  private async submitKeyed(n: number, scenario: Scenario, tries: number): Promise<Accepted | null> {
    const body = orderFor(scenario, n);
    const key = `${this.scenario}-${n}`;
    let orderId: string | undefined;
    let onlyRefusals = true;
    for (let attempt = 1; attempt <= tries; attempt++) {
      const answer = await this.request('/api/orders', { body, headers: { 'idempotency-key': key } });
      this.tally(n, answer);
      if (answer.status === 202) return this.accept(answer.body.orderId, scenario, body);
      orderId ??= typeof answer.body?.orderId === 'string' ? answer.body.orderId : undefined;
      if (!(answer.status === 503 && answer.body?.outcome === 'notAccepted')) onlyRefusals = false;
      // A 4xx is final; any 5xx or no answer is retried with the same key.
      if (typeof answer.status === 'number' && answer.status < 500) return null;
      await sleep(Math.min(1000, 100 * attempt));
    }
    this.refused++;
    if (orderId && onlyRefusals) this.toldNotAccepted.add(orderId);
    else if (orderId && (await this.lookUp(orderId)) === 'exists') return this.accept(orderId, scenario, body);
    return null;
  }

  /**
   * Without a key every POST is a new order: on "not accepted" order anew; on "unknown" look the
   * named order up, and order anew only once the API says it does not exist.
   */
  private async submitUnkeyed(n: number, scenario: Scenario, tries: number): Promise<Accepted | null> {
    const body = orderFor(scenario, n);
    for (let attempt = 1; attempt <= tries; attempt++) {
      const answer = await this.request('/api/orders', { body });
      this.tally(n, answer);
      if (answer.status === 202) return this.accept(answer.body.orderId, scenario, body);
      const orderId: string | undefined = typeof answer.body?.orderId === 'string' ? answer.body.orderId : undefined;
      if (typeof answer.status === 'number' && answer.status < 500) return null;
      if (answer.status === 503 && answer.body?.outcome === 'notAccepted' && orderId) this.toldNotAccepted.add(orderId);
      if (answer.status === 504 && orderId) {
        const found = await this.lookUp(orderId);
        if (found === 'exists') return this.accept(orderId, scenario, body);
        if (found === 'missing') this.toldNotAccepted.add(orderId);
        else {
          this.badAnswers.push(`GET /api/orders/${orderId} after "unknown" never told whether it exists`);
          return null;
        }
      }
      // No answer at all: without a key nobody can tell which order that was; the harness sends
      // orders without a key only where the API stays reachable, so this counts against the run.
      if (answer.status === 'unreachable') this.badAnswers.push(`POST /api/orders #${n} (no key): no answer, outcome unknowable`);
      await sleep(Math.min(1000, 100 * attempt));
    }
    this.refused++;
    return null;
  }

  /** Bounded load: `orders` submissions cycling through the four outcomes; resolves when all are answered. */
  async load(options: LoadOptions): Promise<void> {
    const { orders, perSecond = 25, concurrency = 16, tries = 40, unkeyedEvery = 0 } = options;
    this.observe();
    let next = 0;
    const startedAt = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < orders) {
          const n = next++;
          const due = startedAt + (n * 1000) / perSecond;
          if (due > Date.now()) await sleep(due - Date.now());
          await this.submit(n, SCENARIOS[n % SCENARIOS.length]!, tries, !(unkeyedEvery > 0 && n % unkeyedEvery === 0));
        }
      }),
    );
  }

  /** Watch the accepted orders' histories while the run goes on (a few GETs at a time). */
  observe(): void {
    if (this.observing) return;
    this.observing = true;
    this.observer = (async () => {
      let cursor = 0;
      while (this.observing) {
        const batch = this.accepted.slice(cursor, cursor + 10);
        cursor = cursor + 10 >= this.accepted.length ? 0 : cursor + 10;
        await Promise.all(batch.map((order) => this.look(order.orderId)));
        await sleep(150);
      }
    })();
  }

  private async look(orderId: string): Promise<void> {
    const answer = await this.request(`/api/orders/${orderId}`);
    if (answer.status !== 200) return;
    this.record(orderId, answer.body);
  }

  private record(orderId: string, order: any): void {
    const ids: string[] = (order.history ?? []).map((row: { eventId: string }) => row.eventId);
    const before = this.seen.get(orderId) ?? [];
    if (ids.length >= before.length) this.seen.set(orderId, ids);
    if (FINAL.has(order.status)) this.seenStatus.set(orderId, order.status);
  }

  /**
   * Inject one fault: `inject` (e.g. a SIGKILL), wait `downMs`, `heal` (e.g. start again), then
   * measure recovery: the time from healing until a fresh order submitted then completes.
   */
  async fault(kind: string, target: string, inject: () => Promise<void>, heal?: () => Promise<void>, downMs = 1000): Promise<FaultRecord> {
    const record: FaultRecord = { kind, target, injectedAt: Date.now() };
    this.faults.push(record);
    await inject();
    if (heal) {
      await sleep(downMs);
      await heal();
    }
    record.healedAt = Date.now();
    await this.probe(record);
    return record;
  }

  /** A happy order after a fault: recovered once it completes. */
  private async probe(record: FaultRecord, timeoutMs = 90_000): Promise<void> {
    const n = 1_000_000 + this.probes++;
    const order = await this.submit(n, 'happy', 100);
    if (!order) return;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = await this.request(`/api/orders/${order.orderId}`);
      if (answer.status === 200 && FINAL.has(answer.body.status)) {
        record.recoveredAt = Date.now();
        return;
      }
      await sleep(100);
    }
  }

  /** Stop the load's observers, wait for quiescence and check every invariant. */
  async check(options: { settleMs?: number; quietMs?: number } = {}): Promise<FaultReport> {
    const { settleMs = 150_000, quietMs = 45_000 } = options;
    this.observing = false;
    await this.observer;
    const ids = this.accepted.map((o) => o.orderId);

    // 1. Every accepted order reaches a final status (or the deadline passes).
    const finals = new Map<string, any>();
    const deadline = Date.now() + settleMs;
    while (Date.now() < deadline) {
      const open = ids.filter((id) => !FINAL.has(finals.get(id)?.status));
      if (open.length === 0) break;
      await this.fetchAll(open, finals);
      if (ids.some((id) => !FINAL.has(finals.get(id)?.status))) await sleep(300);
    }

    // 2. Quiescence: no consumer has messages waiting or unacknowledged (late redeliveries included).
    const nc = await this.system.connection();
    const notQuiet = await waitQuiet(nc, quietMs);

    // 3. The final view of every order, after everything settled.
    const latest = new Map<string, any>();
    await this.fetchAll(ids, latest);

    const lost: string[] = [];
    const wrongStatus: string[] = [];
    const historyProblems: string[] = [];
    let stillRunning = 0;
    for (const order of this.accepted) {
      const final = latest.get(order.orderId);
      if (final === null) {
        lost.push(order.orderId);
        continue;
      }
      if (!final) {
        wrongStatus.push(`${order.orderId} (${order.scenario}): no answer`);
        continue;
      }
      if (final.status === 'running') stillRunning++;
      if (final.status !== EXPECTED_STATUS[order.scenario]) wrongStatus.push(`${order.orderId} (${order.scenario}): ${final.status} in ${final.state}`);
      const finalIds: string[] = final.history.map((row: { eventId: string }) => row.eventId);
      if (new Set(finalIds).size !== finalIds.length) historyProblems.push(`${order.orderId}: an event id appears twice in its history`);
      const seen = this.seen.get(order.orderId) ?? [];
      if (seen.length > finalIds.length || seen.some((id, i) => finalIds[i] !== id)) {
        historyProblems.push(`${order.orderId}: history rolled back: saw [${seen.join(', ')}], now [${finalIds.join(', ')}]`);
      }
      const seenStatus = this.seenStatus.get(order.orderId);
      if (seenStatus && seenStatus !== final.status) historyProblems.push(`${order.orderId}: was ${seenStatus}, now ${final.status}`);
      if (final.history[0]?.event !== 'ORDER_SUBMITTED') historyProblems.push(`${order.orderId}: history does not start with ORDER_SUBMITTED`);
    }

    // 4. The books.
    const known = this.accepted.filter((o) => latest.get(o.orderId));
    const books = await checkBooks(
      nc,
      known.map((o) => ({ orderId: o.orderId, status: latest.get(o.orderId).status, totalCents: o.totalCents })),
    );
    const doubleEffects = await findDoubleEffects(nc, new Set(ids));
    const existsAfterNotAccepted = await findExisting(nc, [...this.toldNotAccepted]);
    const bookProblems = books.problems.map((p) => `${p.orderId}: ${p.problem}`);
    const { totals } = books;
    if (totals.charged - totals.refunded !== totals.completedTotals) {
      bookProblems.push(`in total: charged ${totals.charged} − refunded ${totals.refunded} ≠ completed totals ${totals.completedTotals}`);
    }
    if (totals.reserved - totals.released !== totals.shipped - totals.shipmentsCancelled) {
      bookProblems.push(`in total: reserved ${totals.reserved} − released ${totals.released} ≠ shipped ${totals.shipped} − cancelled ${totals.shipmentsCancelled}`);
    }

    const report: FaultReport = {
      scenario: this.scenario,
      profile: PROFILE,
      durationMs: Date.now() - this.started,
      orders: this.accepted.length,
      refused: this.refused,
      answers: { ...this.answers },
      faults: this.faults.map((f) => ({
        kind: f.kind,
        target: f.target,
        downMs: f.healedAt ? f.healedAt - f.injectedAt : null,
        recoveryMs: f.recoveredAt && f.healedAt ? f.recoveredAt - f.healedAt : null,
      })),
      lost,
      wrongStatus,
      stillRunning,
      doubleEffects,
      bookProblems,
      totals,
      historyProblems,
      badAnswers: [...this.badAnswers],
      toldNotAccepted: this.toldNotAccepted.size,
      existsAfterNotAccepted,
      notQuiet,
    };
    publish(report);
    return report;
  }

  /** GET every order, a few at a time: the body, or null for a 404. */
  private async fetchAll(ids: string[], into: Map<string, any>): Promise<void> {
    for (let i = 0; i < ids.length; i += 25) {
      await Promise.all(
        ids.slice(i, i + 25).map(async (id) => {
          const answer = await this.request(`/api/orders/${id}`, {}, this.system.baseUrl);
          if (answer.status === 200) into.set(id, answer.body);
          else if (answer.status === 404) into.set(id, null);
        }),
      );
    }
  }
}

/**
 * Duplicate delivery, forced: copy every command and reply stored so far onto its subject
 * again (without its Nats-Msg-Id, so JetStream keeps the copy), until `stop()`. Returns how
 * many copies went out.
 */
export function duplicateDeliveries(nc: NatsConnection, everyMs = 300): { stop(): Promise<number> } {
  let running = true;
  let copies = 0;
  const next: Record<string, number> = { [STREAMS.commands]: 1, [STREAMS.events]: 1 };
  const loop = (async () => {
    const jsm = await jetstreamManager(nc);
    const js = jsm.jetstream();
    while (running) {
      for (const stream of [STREAMS.commands, STREAMS.events]) {
        const info = await jsm.streams.info(stream).catch(() => null);
        if (!info) continue;
        for (; next[stream]! <= info.state.last_seq; next[stream]!++) {
          const message = await jsm.streams.getMessage(stream, { seq: next[stream]! }).catch(() => null);
          if (!message || message.header?.get('Fault-Duplicate') || message.subject.startsWith('saga.submitted.')) continue;
          const h = natsHeaders();
          for (const [key, values] of message.header ?? []) if (key !== 'Nats-Msg-Id') for (const v of values) h.append(key, v);
          h.set('Fault-Duplicate', '1');
          await js.publish(message.subject, message.data, { headers: h }).then(() => copies++, () => undefined);
        }
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return copies;
    },
  };
}

/** Wait until no consumer has messages pending or waiting for an ack; returns those that never got there. */
export async function waitQuiet(nc: NatsConnection, timeoutMs: number): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const consumers: [string, string][] = DURABLE_CONSUMERS.map(({ stream, name }) => [stream, name]);
  const deadline = Date.now() + timeoutMs;
  let busy: string[] = [];
  do {
    busy = [];
    for (const [stream, name] of consumers) {
      const info = await jsm.consumers.info(stream, name).catch(() => null);
      if (!info) busy.push(`${name}: no info`);
      else if (info.num_pending > 0 || info.num_ack_pending > 0) busy.push(`${name}: ${info.num_pending} pending, ${info.num_ack_pending} unacknowledged`);
    }
    if (busy.length === 0) return [];
    await sleep(250);
  } while (Date.now() < deadline);
  return busy;
}

/** Of these order ids, those that exist: a saga entry, or a submission in the stream. */
export async function findExisting(nc: NatsConnection, orderIds: string[]): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const sagas = await new Kvm(nc).open(BUCKETS.sagas);
  const existing: string[] = [];
  for (const orderId of orderIds) {
    const entry = await sagas.get(orderId);
    const submitted = await jsm.streams.getMessage(STREAMS.events, { last_by_subj: SUBJECTS.submitted(orderId) });
    if (entry || submitted) existing.push(`${orderId}: told not accepted, but ${entry ? 'its saga' : 'its submission'} exists`);
  }
  return existing;
}

/** Effects a ledger holds more than once for the same order and step (each should be there at most once). */
export async function findDoubleEffects(nc: NatsConnection, orderIds: Set<string>): Promise<string[]> {
  const doubles: string[] = [];
  const kvm = new Kvm(nc);
  for (const service of ['inventory', 'payment', 'shipping'] as const) {
    const kv = await kvm.open(BUCKETS.ledger(service));
    for (const entry of await listLedger(kv)) {
      if (!orderIds.has(entry.orderId)) continue;
      const perStep = new Map<string, number>();
      for (const effect of Object.values(entry.effects)) {
        if (effect.outcome !== 'succeeded' || effect.tombstone) continue;
        perStep.set(effect.step, (perStep.get(effect.step) ?? 0) + 1);
      }
      for (const [step, count] of perStep) if (count > 1) doubles.push(`${entry.orderId}: ${service} ${step} applied ${count} times`);
    }
  }
  return doubles;
}

const reports: FaultReport[] = [];

/** Print the scenario's figures and keep them in test-output/faults/ for the README table. */
function publish(report: FaultReport): void {
  reports.push(report);
  const recovery = report.faults.map((f) => `${f.kind} ${f.target}: down ${f.downMs ?? '-'} ms, recovered ${f.recoveryMs ?? 'never'} ms`);
  console.log(
    [
      `[faults] ${report.scenario} (${report.profile}): ${report.orders} orders accepted, ${report.refused} refused, ${report.faults.length} faults, ` +
        `lost ${report.lost.length}, double effects ${report.doubleEffects.length}, wrong status ${report.wrongStatus.length}, ` +
        `book problems ${report.bookProblems.length}, history problems ${report.historyProblems.length}, ` +
        `told not accepted ${report.toldNotAccepted} (existing anyway ${report.existsAfterNotAccepted.length}), ${Math.round(report.durationMs / 1000)} s`,
      `  answers: ${JSON.stringify(report.answers)}`,
      ...recovery.map((r) => `  ${r}`),
    ].join('\n'),
  );
  try {
    mkdirSync(OUTPUT, { recursive: true });
    writeFileSync(`${OUTPUT}${report.scenario}.json`, JSON.stringify(report, null, 2));
  } catch {
    // the figures are also on the console
  }
}

/**
 * Replies to an attempt older than its step's latest command (they came after the saga moved on),
 * in all and by the worker instance that gave them; and how many steps were retried.
 */
export async function lateReplies(system: TestSystem): Promise<{ replies: number; late: number; lateBy: Record<string, number>; retriedSteps: number }> {
  const jsm = await jetstreamManager(await system.connection());
  const latest = new Map<string, number>();
  const replies: { key: string; attempt: number; worker: string }[] = [];
  for (const stream of [STREAMS.commands, STREAMS.events]) {
    const info = await jsm.streams.info(stream);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const message = await jsm.streams.getMessage(stream, { seq });
      if (!message) continue;
      if (stream === STREAMS.commands) {
        const { meta } = codec.command.decode(message.data);
        const key = `${meta.orderId}:${stepFromProto(meta.step)}`;
        latest.set(key, Math.max(latest.get(key) ?? 0, meta.attempt));
      } else if (message.subject.startsWith('saga.reply.')) {
        const reply = codec.reply.decode(message.data);
        replies.push({ key: `${reply.meta.orderId}:${stepFromProto(reply.meta.step)}`, attempt: reply.meta.attempt, worker: reply.workerInstance });
      }
    }
  }
  const lateBy: Record<string, number> = {};
  for (const reply of replies) if (reply.attempt < (latest.get(reply.key) ?? 0)) lateBy[reply.worker] = (lateBy[reply.worker] ?? 0) + 1;
  const late = Object.values(lateBy).reduce((sum, n) => sum + n, 0);
  return { replies: replies.length, late, lateBy, retriedSteps: [...latest.values()].filter((a) => a > 1).length };
}

/** Every invariant, as test assertions (the lists show exactly which order broke what). */
export function expectClean(report: FaultReport, options: { minOrders?: number } = {}): void {
  expect(report.lost, 'accepted orders lost').toEqual([]);
  expect(report.wrongStatus, 'orders with the wrong final status').toEqual([]);
  expect(report.stillRunning).toBe(0);
  expect(report.doubleEffects, 'effects applied twice').toEqual([]);
  expect(report.bookProblems, 'books that do not balance').toEqual([]);
  expect(report.historyProblems, 'histories lost or rolled back').toEqual([]);
  expect(report.badAnswers, 'answers outside 202/503/504 unknown/unreachable').toEqual([]);
  expect(report.existsAfterNotAccepted, 'orders that exist although their submitter was told they were not accepted').toEqual([]);
  expect(report.notQuiet, 'consumers still busy').toEqual([]);
  expect(report.faults.every((f) => f.recoveryMs !== null), 'every fault recovered').toBe(true);
  expect(report.orders).toBeGreaterThanOrEqual(options.minOrders ?? 1);
}
