/** The process probes and what the running setup guarantees. */
import { Type, type Static } from 'typebox';
import { Nullable, StringEnum } from './common.ts';

export const DurabilitySchema = Type.Object({
  level: StringEnum(['process-crash', 'os-crash'], { description: 'the worst failure an acknowledged order survives' }),
  summary: Type.String(),
  syncInterval: Type.String(),
});

/** Who can reach this orchestrator's API and what they may do: what the settings expose. */
export const ExposureSchema = Type.Object(
  {
    listen: Type.String({ description: 'HOST: where the API listens' }),
    loopbackOnly: Type.Boolean({ description: 'true when only this machine can connect' }),
    insecureOpenApi: Type.Boolean({ description: 'ALLOW_INSECURE_OPEN_API=true: listening beyond loopback with no OPS_TOKEN, on purpose' }),
    actionsNeedToken: Type.Boolean({ description: 'OPS_TOKEN is set: operator actions need it' }),
    readsNeedToken: Type.Boolean({ description: 'READ_TOKEN is set: reading orders needs a token' }),
    hostCheck: Type.Boolean({ description: 'requests with a Host not allowed (TRUSTED_HOSTS) are refused: the DNS-rebinding defence' }),
    trustedHosts: Type.Array(Type.String(), { description: 'names allowed besides localhost, IP addresses and this machine' }),
    rateLimit: Type.Object({ reads: Type.Integer(), writes: Type.Integer(), windowMs: Type.Integer() }, { description: 'per client (token label, else IP) and window; 0: no limit' }),
    streamMaxClients: Type.Integer(),
    warnings: Type.Array(Type.String(), { description: 'what these settings leave open, in words' }),
  },
  { description: 'what the settings expose (README, "Threat model")' },
);

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
  exposure: ExposureSchema,
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
