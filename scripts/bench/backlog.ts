// A journal backlog for the fan-out benchmarks: EVENTS Room.CallbackAfterMemberEnter events over
// ROOMS rooms, written in roomhook's own format (durability "write": it is input, not under test).
import { envelopeHead } from "../../src/journal/line.ts";
import { SegmentWriter } from "../../src/journal/writer.ts";

export const BENCH_APP = 1400000000;

export async function writeBacklog(dir: string, events: number, rooms: number): Promise<void> {
  const writer = new SegmentWriter({ dir, durability: "write", segmentBytes: 128 << 20 }).open();
  for (let i = 0; i < events; i += 5000) {
    const batch = [];
    for (let j = i; j < Math.min(events, i + 5000); j++) {
      const room = `rid-bench-${j % rooms}`;
      const body = `{"CallbackCommand":"Room.CallbackAfterMemberEnter","Operator_Account":"u${j}","RoomId":"${room}","MemberCount":2,"Type":"Enter","MemberList_Account":["u${j}"],"EventTime":${1700000000000 + j}}`;
      const head = envelopeHead({
        id: j.toString(16).padStart(32, "0"),
        type: "Room.CallbackAfterMemberEnter",
        sdkAppId: BENCH_APP,
        roomId: room,
        eventTime: 1700000000000 + j,
        receivedAt: new Date().toISOString(),
        clientIp: "127.0.0.1",
        optPlatform: "Web",
      });
      batch.push(writer.append(head, body));
    }
    await Promise.all(batch);
  }
  await writer.close();
}
