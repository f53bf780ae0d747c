/** Turns a worker's reply into the machine event it means. Pure. */
import { stepFromProto, type CheckedReply } from '../../lib/codec.ts';
import { STEPS, type SagaEvent } from '../../machines/index.ts';

export function eventOfReply(reply: CheckedReply): SagaEvent {
  const { meta } = reply;
  const step = stepFromProto(meta.step);
  const commandId = meta.commandId;
  switch (reply.outcome.case) {
    case 'succeeded':
      return { type: STEPS[step].succeeded, commandId, reference: reply.outcome.value.reference };
    case 'failed': {
      const { code, message } = reply.outcome.value;
      return { type: STEPS[step].failed, commandId, message: code ? `${code}: ${message}` : message };
    }
    case 'failedTransiently':
      return { type: 'STEP_FAILED_TRANSIENTLY', commandId, message: reply.outcome.value.message };
  }
}
