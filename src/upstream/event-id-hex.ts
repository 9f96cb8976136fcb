// An event id as the journal line and Nats-Msg-Id carry it (32 hex digits) back into the EventId
// the dedupe window keys on. Null for anything else: such a line did not come from a roomhook.
import type { EventId } from "../journal/line.ts";

export function hexEventId(hex: string): EventId | null {
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  return { hex, words };
}
