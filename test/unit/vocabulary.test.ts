import { describe, expect, it } from 'vitest';
import { commandIdFor, isFinished, isSagaStatus, isService, parseCommandId, SAGA_STATUSES, SERVICES, STEP_NAMES } from '../../machines/index.ts';
import { commandIdOfEvent, replyEventId, timeoutEventId } from '../../orchestrator/saga/entry.ts';

describe('the saga vocabulary', () => {
  it('parses every command id it builds, an order id with a colon included', () => {
    for (const orderId of ['ord_06h2mdgan01f0kswzpaj7mk54n', 'legacy:42', 'a']) {
      for (const step of STEP_NAMES) {
        for (const attempt of [1, 3, 12]) expect(parseCommandId(commandIdFor(orderId, step, attempt))).toEqual({ orderId, step, attempt });
      }
    }
  });

  it('refuses a command id that is not one', () => {
    for (const bad of ['', 'ord_1', 'ord_1:chargePayment', 'ord_1:chargePayment:x', 'ord_1:mineBitcoin:1', ':chargePayment:1', 'ord_1:chargePayment:1:2']) {
      expect(parseCommandId(bad), bad).toBeUndefined();
    }
  });

  it('reads the command id back out of a reply or timeout event id, and nothing else', () => {
    const commandId = commandIdFor('ord_1', 'createShipment', 2);
    expect(commandIdOfEvent(replyEventId(commandId))).toBe(commandId);
    expect(commandIdOfEvent(timeoutEventId(commandId))).toBe(commandId);
    expect(commandIdOfEvent('submitted:ord_1')).toBeUndefined();
    expect(commandIdOfEvent('operator:retry:x')).toBeUndefined();
  });

  it('tells statuses, finished statuses and services from anything else', () => {
    expect(SAGA_STATUSES.filter(isSagaStatus)).toEqual([...SAGA_STATUSES]);
    expect(SAGA_STATUSES.filter(isFinished)).toEqual(['completed', 'cancelled', 'failed']);
    expect(SERVICES.every(isService)).toBe(true);
    for (const other of ['', 'Running', 'stuck ', null, 3, undefined]) {
      expect(isSagaStatus(other)).toBe(false);
      expect(isService(other)).toBe(false);
    }
    expect(isFinished('stuck')).toBe(false);
  });
});
