/** Every command, in the order the help lists them. */
import type { CommandDef } from '../command.ts';
import { cancel, compensate, fail, pause, replay, resolve, resume, retry } from './actions.ts';
import { audit } from './audit.ts';
import { bulkCancel, bulkCompensate, bulkList, bulkPause, bulkResume, bulkRetry, bulkStatus } from './bulk.ts';
import { dlqDiscard, dlqList, dlqRedrive, dlqShow } from './dlq.ts';
import { exportOrders } from './export.ts';
import { incidents, incidentsCompensate, incidentsPause, incidentsRetry } from './incidents.ts';
import { list, show } from './orders.ts';

export const COMMANDS: CommandDef[] = [
  list,
  show,
  exportOrders,
  incidents,
  incidentsRetry,
  incidentsCompensate,
  incidentsPause,
  retry,
  compensate,
  cancel,
  resolve,
  fail,
  pause,
  resume,
  replay,
  bulkRetry,
  bulkCompensate,
  bulkPause,
  bulkResume,
  bulkStatus,
  bulkList,
  bulkCancel,
  dlqList,
  dlqShow,
  dlqRedrive,
  dlqDiscard,
  audit,
];
