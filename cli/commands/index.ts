/** Every command, in the order the help lists them. */
import type { CommandDef } from '../command.ts';
import { cancel, compensate, replay, retry } from './actions.ts';
import { audit } from './audit.ts';
import { bulkCancel, bulkCompensate, bulkList, bulkRetry, bulkStatus } from './bulk.ts';
import { dlqDiscard, dlqList, dlqRedrive, dlqShow } from './dlq.ts';
import { list, show } from './orders.ts';

export const COMMANDS: CommandDef[] = [
  list,
  show,
  retry,
  compensate,
  cancel,
  replay,
  bulkRetry,
  bulkCompensate,
  bulkStatus,
  bulkList,
  bulkCancel,
  dlqList,
  dlqShow,
  dlqRedrive,
  dlqDiscard,
  audit,
];
