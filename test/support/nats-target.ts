// A NATS target's configuration with the schema's defaults, and a journal on disk, for tests that
// build NATS workers in process against a real nats-server.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { NatsTargetSchema, type NatsTargetConfig } from "../../src/config/schema.ts";
import { envelopeHead } from "../../src/journal/line.ts";
import { SegmentWriter } from "../../src/journal/writer.ts";

export function natsTargetConfig(over: Partial<NatsTargetConfig> & { url: string | string[] }): NatsTargetConfig {
  return Value.Default(NatsTargetSchema, {
    kind: "nats",
    name: "n",
    stream: "ROOMHOOK",
    create_stream: true,
    ...over,
  }) as NatsTargetConfig;
}

export interface TestEvent {
  id: string;
  roomId: string | null;
  type?: string;
  body?: string;
}

/** A journal in a temp data dir, its writer open, with `events` appended in order. */
export async function journalWith(events: TestEvent[], root: string) {
  const dataDir = mkdtempSync(join(root ?? tmpdir(), "journal-"));
  const dir = join(dataDir, "journal");
  const writer = new SegmentWriter({ dir, durability: "write", segmentBytes: 1 << 20 }).open();
  await appendEvents(writer, events);
  return { dataDir, dir, writer };
}

export function appendEvents(writer: SegmentWriter, events: TestEvent[]): Promise<number[]> {
  return Promise.all(
    events.map((e, i) =>
      writer.append(
        envelopeHead({
          id: e.id,
          type: e.type ?? "Room.CallbackAfterMemberEnter",
          sdkAppId: 1400000000,
          roomId: e.roomId,
          eventTime: i,
          receivedAt: new Date().toISOString(),
          clientIp: null,
          optPlatform: null,
        }),
        e.body ?? `{"RoomId":${JSON.stringify(e.roomId)},"i":${i}}`,
      ),
    ),
  );
}

export const hexId = (n: number): string => n.toString(16).padStart(32, "0");
