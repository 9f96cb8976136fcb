// What clients do, which Tencent's REST API cannot: members enter and leave (POST /emulator/enter,
// /emulator/leave {"RoomId","Members":[…],"Type"?,"Reason"?,"OptPlatform"?,"ClientIP"?}) and take or
// leave seats (/emulator/take-seat, /emulator/leave-seat {"RoomId","Member_Account","Index"?}).
// The operator is the (first) member; OptPlatform defaults to Web, ClientIP to the caller's.
import type { Emulator } from "./emulator.ts";
import { fail, type Outcome } from "./model.ts";
import { ClientSeatRequest, parseRequest, PresenceRequest } from "./requests.ts";
import { leaveSeat, takeSeat } from "./seats.ts";

const LEAVE_TYPES = ["Leave", "Kicked", "Expired"];

export const CLIENT_APIS = ["enter", "leave", "take-seat", "leave-seat"] as const;
export type ClientApi = (typeof CLIENT_APIS)[number];

export function handleClient(em: Emulator, api: ClientApi, body: unknown, callerIp: string): Outcome {
  if (api === "take-seat" || api === "leave-seat") {
    const p = parseRequest(ClientSeatRequest, body);
    if ("problem" in p) return fail(100002, `invalid parameter ${p.problem}`);
    const actor = { operator: p.ok.Member_Account, optPlatform: "Web", clientIp: callerIp };
    return em.apply(
      api === "take-seat"
        ? takeSeat(em.store, p.ok.RoomId, p.ok.Index, p.ok.Member_Account, actor)
        : leaveSeat(em.store, p.ok.RoomId, p.ok.Member_Account, actor),
    );
  }
  const p = parseRequest(PresenceRequest, body);
  if ("problem" in p) return fail(100002, `invalid parameter ${p.problem}`);
  const r = p.ok;
  const actor = { operator: r.Members[0]!, optPlatform: r.OptPlatform ?? "Web", clientIp: r.ClientIP ?? callerIp };
  if (api === "enter") {
    if (r.Type !== undefined && r.Type !== "Enter") return fail(100002, `invalid parameter Type: an enter is "Enter"`);
    return em.apply(em.store.enter(r.RoomId, r.Members, actor));
  }
  const type = r.Type ?? "Leave";
  if (!LEAVE_TYPES.includes(type)) return fail(100002, `invalid parameter Type: one of ${LEAVE_TYPES.join(", ")}`);
  return em.apply(em.store.leave(r.RoomId, r.Members, type, r.Reason ?? "", actor));
}
