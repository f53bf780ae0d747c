/** The process probes and what the running setup guarantees. */
import { Type, type Static } from 'typebox';
import { Nullable, StringEnum } from './common.ts';

export const DurabilitySchema = Type.Object({
  level: StringEnum(['process-crash', 'os-crash'], { description: 'the worst failure an acknowledged order survives' }),
  summary: Type.String(),
  syncInterval: Type.String(),
});

/** `GET /api/system` */
export const SystemInfoSchema = Type.Object({
  nats: Type.Object({
    version: Type.String(),
    server: Nullable(Type.String()),
    cluster: Nullable(Type.Object({ name: Nullable(Type.String()), size: Type.Integer(), leader: Nullable(Type.String()) })),
  }),
  durability: DurabilitySchema,
  streams: Type.Array(
    Type.Object({ name: Type.String(), replicas: Type.Integer(), storage: Type.String(), messages: Type.Integer(), bytes: Type.Integer() }),
  ),
  buckets: Type.Array(
    Type.Object({
      name: Type.String(),
      replicas: Type.Integer(),
      history: Type.Integer(),
      storage: Type.String(),
      values: Type.Integer(),
      bytes: Type.Integer(),
    }),
  ),
  consumers: Type.Array(
    Type.Object({
      name: Type.String(),
      stream: Type.String(),
      service: Type.String(),
      pending: Type.Integer(),
      ackPending: Type.Integer(),
      redelivered: Type.Integer(),
      waiting: Type.Integer(),
    }),
  ),
  deadLetters: Type.Object({ waiting: Type.Integer() }),
});
export type SystemInfo = Static<typeof SystemInfoSchema>;

/** `GET /health` */
export const HealthSchema = Type.Object({ status: Type.Literal('ok') });

/** `GET /ready`: 200 when every check passed, 503 (the same body) when one did not. */
export const ReadinessSchema = Type.Object({
  ready: Type.Boolean(),
  checks: Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) }), {
    description: 'each check by name: nats, every stream, the saga bucket, the catalog',
  }),
  durability: Nullable(DurabilitySchema),
});
