/**
 * The audit trail: every operator act (who, when, which target, action, reason, result) as
 * one message in the SAGA_AUDIT stream, on `saga.audit.order.<orderId>`, `saga.audit.dlq`
 * or `saga.audit.bulk`. Applied order actions are also in the saga's own history; refused ones
 * change nothing in the saga and are only here.
 */
import type { JetStreamClient, JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { codec } from '../../lib/codec.ts';
import { unlessMissing } from '../../lib/nats-errors.ts';
import { SUBJECTS } from '../../lib/bus.ts';
import { STREAMS } from '../../lib/topology.ts';
import type { AuditRecord } from '../../api/contract.ts';

export type { AuditRecord };

/** `authenticatedAs` of a request that proved no token (where none is required). */
export const ANONYMOUS = 'anonymous';

const subjectOf = (target: string) => {
  const [kind, id] = target.split(':');
  return kind === 'order' && id ? SUBJECTS.audit(`order.${id}`) : SUBJECTS.audit(kind ?? 'other');
};

export class AuditLog {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  async record(record: Omit<AuditRecord, 'at'>): Promise<AuditRecord> {
    const full: AuditRecord = { at: new Date().toISOString(), ...record };
    await this.js.publish(subjectOf(record.target), codec.json.encode(full));
    return full;
  }

  /** Newest first, at most `limit`; `orderId` (a valid order id: no wildcards) narrows to one order's trail. */
  async list(options: { orderId?: string; limit: number }): Promise<AuditRecord[]> {
    if (options.orderId) return this.newestOf(SUBJECTS.audit(`order.${options.orderId}`), options.limit);
    const info = await this.jsm.streams.info(STREAMS.audit);
    const records: AuditRecord[] = [];
    for (let seq = info.state.last_seq; seq >= info.state.first_seq && seq > 0 && records.length < options.limit; seq--) {
      const message = await unlessMissing(this.jsm.streams.getMessage(STREAMS.audit, { seq }));
      if (message) records.push(codec.json.decode<AuditRecord>(message.data));
    }
    return records;
  }

  /**
   * The newest `limit` records of one subject, newest first, without reading the rest: the
   * newest by `last_by_subj`, then the sequences below it halved until a part holds few enough
   * to read forward (direct gets with `next_by_subj` only go forward; works on nats-server 2.9).
   */
  private async newestOf(subject: string, limit: number): Promise<AuditRecord[]> {
    const newest = await unlessMissing(this.jsm.direct.getMessage(STREAMS.audit, { last_by_subj: subject }));
    if (!newest) return [];
    const older = await this.newestIn(subject, 1, newest.seq - 1, limit - 1);
    return [newest, ...older].map((message) => codec.json.decode<AuditRecord>(message.data));
  }

  /** The newest `want` messages of `subject` with a sequence in [from, to], newest first. */
  private async newestIn(subject: string, from: number, to: number, want: number): Promise<StoredMsg[]> {
    if (want <= 0 || from > to) return [];
    const first = await this.nextOf(subject, from);
    if (!first || first.seq > to) return [];
    if (to - first.seq < want) return (await this.readForward(subject, first, to)).reverse().slice(0, want);
    const middle = first.seq + Math.floor((to - first.seq) / 2);
    const upper = await this.newestIn(subject, middle + 1, to, want);
    if (upper.length >= want) return upper;
    const lower = await this.newestIn(subject, first.seq, middle, want - upper.length);
    return [...upper, ...lower];
  }

  /** `first` and every later message of `subject` up to sequence `to`, oldest first. */
  private async readForward(subject: string, first: StoredMsg, to: number): Promise<StoredMsg[]> {
    const messages = [first];
    for (let next = await this.nextOf(subject, first.seq + 1); next && next.seq <= to; next = await this.nextOf(subject, next.seq + 1)) {
      messages.push(next);
    }
    return messages;
  }

  private nextOf(subject: string, seq: number): Promise<StoredMsg | null> {
    return unlessMissing(this.jsm.direct.getMessage(STREAMS.audit, { seq, next_by_subj: subject }));
  }
}
