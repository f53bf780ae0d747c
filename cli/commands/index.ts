/** Every command, in the order the help lists them. */
import type { CommandDef } from '../command.ts';
import { cancel, compensate, fail, replay, resolve, retry } from './actions.ts';
import { audit } from './audit.ts';
import { bulkCancel, bulkCompensate, bulkList, bulkRetry, bulkStatus } from './bulk.ts';
import { dlqDiscard, dlqList, dlqRedrive, dlqShow } from './dlq.ts';
import { exportOrders } from './export.ts';
import { incidents, incidentsCompensate, incidentsRetry } from './incidents.ts';
import { list, show } from './orders.ts';

export const COMMANDS: CommandDef[] = [
  list,
  show,
  exportOrders,
  incidents,
  incidentsRetry,
  incidentsCompensate,
  retry,
  compensate,
  cancel,
  resolve,
  fail,
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
