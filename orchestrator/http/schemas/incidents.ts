/** Incidents: stuck, failed and retrying sagas grouped by cause, each group a bulk filter. */
import { Type, type Static } from 'typebox';
import type { FailureKind } from '../../../machines/index.ts';
import { INCIDENT_KEY_PATTERN, INCIDENT_KINDS } from '../../saga/incident.ts';
import { BulkActionSchema } from './bulk.ts';
import { Nullable, StringEnum, Timestamp } from './common.ts';
import { FAILURE_KINDS, STEP_NAMES } from './vocabulary.ts';

export const IncidentQuerySchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'at most this many groups, the largest first' }),
    sample: Type.Integer({ minimum: 0, maximum: 50, default: 5, description: 'order ids shown per group, newest first' }),
  },
  { additionalProperties: false },
);
export type IncidentQuery = Static<typeof IncidentQuerySchema>;

export const IncidentGroupSchema = Type.Object({
  key: Type.String({ pattern: INCIDENT_KEY_PATTERN, description: 'the group: `filter` selects exactly its sagas in the list, the export and a bulk action' }),
  kind: StringEnum(INCIDENT_KINDS, { description: '`stuck` (waits for an operator), `failed` (an undo was refused for good) or `retrying` (running, its step failed before)' }),
  step: StringEnum([...STEP_NAMES, 'unknown'], { description: 'the step the sagas are stuck at, failed at, or retry' }),
  errorKind: Type.Unsafe<FailureKind | null>({
    type: ['string', 'null'],
    enum: [...FAILURE_KINDS, null],
    description: 'how the step last failed; null when the sagas recorded no failure',
  }),
  error: Type.String({ description: 'the last error with ids, numbers, UUIDs and order ids taken out' }),
  title: Type.String({ description: '`412 stuck at createShipment: carrier timeout`' }),
  count: Type.Integer({ minimum: 1 }),
  firstSeen: Timestamp('the earliest time a saga of the group entered its state (the writers\' clocks)'),
  lastSeen: Timestamp('the latest change to a saga of the group (the writers\' clocks)'),
  sample: Type.Array(Type.String(), { description: 'the newest order ids of the group' }),
  example: Nullable(Type.Object({ orderId: Type.String(), message: Type.String({ description: 'its last error as recorded, ids and all' }) })),
  filter: Type.Object({ incident: Type.String() }, { description: 'the list, export and bulk filter of exactly this group' }),
  actions: Type.Array(BulkActionSchema, { description: "the bulk actions the group's sagas allow now (a dry run of `POST /api/bulk` counts them first)" }),
});
export type IncidentGroup = Static<typeof IncidentGroupSchema>;

/** `GET /api/incidents` */
export const IncidentReportSchema = Type.Object({
  sagas: Type.Integer({ description: 'sagas in all groups' }),
  groupCount: Type.Integer({ description: 'groups in all; `groups` holds the largest `limit` of them' }),
  groups: Type.Array(IncidentGroupSchema),
  catchingUp: Type.Optional(Type.Boolean({ description: "set while this instance's index is still being built from the bucket" })),
});
export type IncidentReport = Static<typeof IncidentReportSchema>;
