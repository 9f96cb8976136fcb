// The common REST answer (reference §4.2): ActionStatus, ErrorCode, ErrorInfo, a RequestId, and the
// API's data under Response. Shared by the client, which checks what Tencent sent, and the emulator.
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

export const RestAnswer = Type.Object({
  ActionStatus: Type.Union([Type.Literal("OK"), Type.Literal("FAIL")]),
  ErrorCode: Type.Integer(),
  ErrorInfo: Type.String(),
  RequestId: Type.Optional(Type.String()),
  Response: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type RestAnswer = Static<typeof RestAnswer>;

export function isRestAnswer(v: unknown): v is RestAnswer {
  return Value.Check(RestAnswer, v);
}
