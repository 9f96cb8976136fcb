// The configuration file's shape (README "Configuration"). This schema is the single source of the
// Config type; defaults live here too, so check-config can show every effective value.
import { Type, type Static } from "@sinclair/typebox";

const Strict = { additionalProperties: false } as const;

/** 12 retries over about 31.7 hours: a target may be down for a full day and still get everything. */
export const DEFAULT_RETRY_DELAYS_MS = [
  1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 28_800_000,
  28_800_000,
];

const TargetName = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$" });

export const ServerSchema = Type.Object(
  {
    listen: Type.String({ default: "0.0.0.0:8080", description: "host:port" }),
    path: Type.String({ default: "/callback", pattern: "^/" }),
    max_body_bytes: Type.Integer({ default: 1_048_576, minimum: 1024, maximum: 64 * 1024 * 1024 }),
    tls_cert: Type.Optional(Type.String({ minLength: 1 })),
    tls_key: Type.Optional(Type.String({ minLength: 1 })),
    allow_from: Type.Array(Type.String(), { default: [] }),
    trust_proxy: Type.Boolean({ default: false }),
  },
  Strict,
);

export const AppSchema = Type.Object(
  {
    sdk_app_id: Type.Integer({ minimum: 1, maximum: 4_294_967_295 }),
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    sign_window_s: Type.Integer({ default: 60, minimum: 1, maximum: 86_400 }),
  },
  Strict,
);

export const JournalSchema = Type.Object(
  {
    durability: Type.Union([Type.Literal("fsync"), Type.Literal("write")], { default: "fsync" }),
    segment_bytes: Type.Integer({ default: 134_217_728, minimum: 4096 }),
    retention_hours: Type.Number({ default: 168, minimum: 0 }),
  },
  Strict,
);

export const DedupeSchema = Type.Object(
  { window: Type.Integer({ default: 100_000, minimum: 0, maximum: 10_000_000 }) },
  Strict,
);

export const AdminSchema = Type.Object(
  {
    listen: Type.String({ default: "127.0.0.1:8081" }),
    token: Type.Optional(Type.String({ minLength: 16 })),
  },
  Strict,
);

export const LogSchema = Type.Object(
  {
    level: Type.Union(
      ["trace", "debug", "info", "warn", "error", "fatal", "silent"].map((l) => Type.Literal(l)),
      { default: "info" },
    ),
  },
  Strict,
);

/** An HTTP target (Standard Webhooks). `kind` may be left out: every target was one before NATS. */
export const TargetSchema = Type.Object(
  {
    kind: Type.Optional(Type.Literal("http")),
    name: TargetName,
    url: Type.String({ pattern: "^https?://" }),
    secret: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]),
    types: Type.Array(Type.String({ minLength: 1 }), { default: ["*"] }),
    rooms: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    max_in_flight: Type.Integer({ default: 16, minimum: 1, maximum: 1024 }),
    timeout_ms: Type.Integer({ default: 5000, minimum: 100, maximum: 300_000 }),
    retry_delays_ms: Type.Array(Type.Integer({ minimum: 0 }), { default: DEFAULT_RETRY_DELAYS_MS }),
  },
  Strict,
);

/** The room-state projection (SPEC §8). */
export const RoomsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    retain_destroyed_hours: Type.Number({ default: 24, minimum: 0 }),
    /** How often the snapshot is written while the state moves; a restart replays at most this much. */
    snapshot_every_s: Type.Number({ default: 10, minimum: 0.05, maximum: 3600 }),
  },
  Strict,
);

/** Who a NATS connection authenticates as, and over what (README "Scaling out"). Shared by target and upstream. */
const NatsConnectionFields = {
  url: Type.Union([
    Type.String({ pattern: "^(nats|tls)://" }),
    Type.Array(Type.String({ pattern: "^(nats|tls)://" }), { minItems: 1 }),
  ]),
  token: Type.Optional(Type.String({ minLength: 1 })),
  user: Type.Optional(Type.String({ minLength: 1 })),
  password: Type.Optional(Type.String({ minLength: 1 })),
  creds_file: Type.Optional(Type.String({ minLength: 1 })),
  tls_ca: Type.Optional(Type.String({ minLength: 1 })),
  tls_cert: Type.Optional(Type.String({ minLength: 1 })),
  tls_key: Type.Optional(Type.String({ minLength: 1 })),
  stream: Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" }),
};

/** A NATS JetStream target: every journal line published to `stream`, in journal order. */
export const NatsTargetSchema = Type.Object(
  {
    kind: Type.Literal("nats"),
    name: TargetName,
    ...NatsConnectionFields,
    subject: Type.String({ default: "roomhook.{sdkAppId}.{type}", minLength: 1 }),
    create_stream: Type.Boolean({ default: false }),
    /** The stream's subjects when roomhook creates it; by default the subject up to its first placeholder, then `>`. */
    stream_subjects: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    duplicate_window_s: Type.Integer({ default: 120, minimum: 1, maximum: 604_800 }),
    replicas: Type.Integer({ default: 1, minimum: 1, maximum: 5 }),
    types: Type.Array(Type.String({ minLength: 1 }), { default: ["*"] }),
    rooms: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    max_in_flight: Type.Integer({ default: 1024, minimum: 1, maximum: 4096 }),
    timeout_ms: Type.Integer({ default: 5000, minimum: 100, maximum: 300_000 }),
    /** Backoff of a failed publish: doubles from 100 ms up to this, forever (the journal is the buffer). */
    retry_max_ms: Type.Integer({ default: 30_000, minimum: 100, maximum: 3_600_000 }),
  },
  Strict,
);

/** `[upstream] kind = "nats"`: mirror a stream into this journal (roomhook as a hub). */
export const UpstreamSchema = Type.Object(
  {
    kind: Type.Literal("nats"),
    ...NatsConnectionFields,
    /** The durable consumer's name: its position is kept by JetStream. */
    consumer: Type.String({ default: "roomhook-hub", pattern: "^[A-Za-z0-9_-]{1,64}$" }),
    filter_subject: Type.Optional(Type.String({ minLength: 1 })),
    batch: Type.Integer({ default: 256, minimum: 1, maximum: 4096 }),
  },
  Strict,
);

/** Targets are validated per kind (load.ts), so a wrong HTTP target's errors name its own keys. */
export const AnyTargetSchema = Type.Union([TargetSchema, NatsTargetSchema]);

export const ConfigSchema = Type.Object(
  {
    data_dir: Type.String({ default: "/var/lib/roomhook", minLength: 1 }),
    server: ServerSchema,
    apps: Type.Array(AppSchema, { minItems: 1 }),
    journal: JournalSchema,
    dedupe: DedupeSchema,
    admin: AdminSchema,
    log: LogSchema,
    rooms: RoomsSchema,
    targets: Type.Array(AnyTargetSchema, { default: [] }),
    upstream: Type.Optional(UpstreamSchema),
  },
  Strict,
);

export type Config = Static<typeof ConfigSchema>;
export type AppConfig = Static<typeof AppSchema>;
export type TargetConfig = Static<typeof AnyTargetSchema>;
export type HttpTargetConfig = Static<typeof TargetSchema>;
export type NatsTargetConfig = Static<typeof NatsTargetSchema>;
export type UpstreamConfig = Static<typeof UpstreamSchema>;
/** The connection part that target and upstream share. */
export type NatsConnectionConfig = Pick<
  NatsTargetConfig,
  "url" | "token" | "user" | "password" | "creds_file" | "tls_ca" | "tls_cert" | "tls_key" | "stream"
>;
export type LogLevel = Config["log"]["level"];
