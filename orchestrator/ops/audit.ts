/**
 * The audit trail: every operator act (who, when, which target, action, reason, result) as
 * one message in the SAGA_AUDIT stream, on `saga.audit.order.<orderId>`, `saga.audit.dlq`
 * or `saga.audit.bulk`. Order actions are also in the saga's own history.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { codec } from '../../lib/codec.ts';
import { STREAMS, SUBJECTS } from '../../lib/topology.ts';
import type { AuditRecord } from '../../api/contract.ts';

export type { AuditRecord };

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

  /** Newest first; `orderId` narrows to one order's trail. */
  async list(options: { orderId?: string; limit: number }): Promise<AuditRecord[]> {
    if (options.orderId) return (await this.readSubject(SUBJECTS.audit(`order.${options.orderId}`))).reverse().slice(0, options.limit);
    const info = await this.jsm.streams.info(STREAMS.audit);
    const records: AuditRecord[] = [];
    for (let seq = info.state.last_seq; seq >= info.state.first_seq && seq > 0 && records.length < options.limit; seq--) {
      const message = await this.jsm.streams.getMessage(STREAMS.audit, { seq }).catch(() => null);
      if (message) records.push(codec.json.decode<AuditRecord>(message.data));
    }
    return records;
  }

  /** One subject's records, oldest first, by direct gets (works on nats-server 2.9). */
  private async readSubject(subject: string): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    for (let seq = 1; ; ) {
      const message = await this.jsm.direct.getMessage(STREAMS.audit, { seq, next_by_subj: subject }).catch(() => null);
      if (!message) return records;
      records.push(codec.json.decode<AuditRecord>(message.data));
      seq = message.seq + 1;
    }
  }
}
