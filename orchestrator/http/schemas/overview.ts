/** What the UI reads first: its configuration, the counts the overview shows, and the load in front of the sagas. */
import { Type, type Static } from 'typebox';
import { Nullable, Timestamp } from './common.ts';
import { SAGA_STATUSES, SERVICES } from './vocabulary.ts';

/** `GET /api/config`: what the UI needs to start. */
export const AppConfigSchema = Type.Object({
  traceUrlTemplate: Type.String(),
  opsTokenRequired: Type.Boolean(),
  readTokenRequired: Type.Boolean(),
  machineVersion: Type.String({ description: 'the version new sagas start on' }),
});
export type AppConfig = Static<typeof AppConfigSchema>;

/** Sagas per status and per state, and how many retry or are paused now: what the saga index counts. */
export const OverviewSchema = Type.Object({
  total: Type.Integer(),
  byStatus: Type.Record(Type.Enum(SAGA_STATUSES), Type.Integer()),
  byState: Type.Record(Type.String(), Type.Integer(), { description: 'sagas per machine state (the heat map)' }),
  retrying: Type.Integer(),
  paused: Type.Integer({ description: 'sagas an operator holds paused' }),
});
export type Overview = Static<typeof OverviewSchema>;

/** What waits in front of the sagas and how fast it drains, so a spike reads as volume, not as a fault. */
export const LoadSchema = Type.Object({
  submissionsWaiting: Type.Integer({ description: 'orders accepted whose saga has not started yet' }),
  repliesWaiting: Type.Integer({ description: 'worker replies not yet applied to their sagas' }),
  commandsWaiting: Type.Record(Type.Enum(SERVICES), Type.Integer(), { description: 'commands each worker service has not yet acknowledged' }),
  running: Type.Integer(),
  maxActive: Type.Integer({ description: 'MAX_ACTIVE_SAGAS: new sagas start only while fewer run' }),
  finishedPerSecond: Type.Number({ description: 'sagas that reached completed, cancelled or failed, per second over the last minute, as this instance saw them' }),
  startedPerSecond: Type.Number(),
  clearsInSeconds: Nullable(Type.Integer({ description: '(submissionsWaiting + running) / finishedPerSecond, rounded up; null while nothing finishes' })),
  sampledAt: Timestamp(),
});
export type Load = Static<typeof LoadSchema>;

/** `GET /api/overview` as served: the counts, and the load (null when JetStream did not report it in time). */
export const OverviewWithLoadSchema = Type.Object({
  ...OverviewSchema.properties,
  load: Nullable(LoadSchema),
  catchingUp: Type.Optional(Type.Boolean({ description: "set while this instance's index is still being built from the bucket: the counts cover what is indexed so far" })),
});
export type OverviewWithLoad = Static<typeof OverviewWithLoadSchema>;
