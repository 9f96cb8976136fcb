// The REST API subset of SPEC §9, with Tencent's request checks, answer shape and error codes:
// HTTP 200 always, {ErrorCode, ErrorInfo, ActionStatus, RequestId[, Response]}.
import { randomBytes } from "node:crypto";
import type { RestAnswer } from "../tencent/rest-answer.ts";
import { checkRestQuery } from "./auth.ts";
import type { Emulator } from "./emulator.ts";
import { type Actor, type Fail, fail, isFail, type Outcome } from "./model.ts";
import {
  CallbackConfigRequest,
  CreateRoomRequest,
  KickOffSeatRequest,
  KickOutRequest,
  LockSeatRequest,
  MemberListRequest,
  PickOnSeatRequest,
  parseRequest,
  RoomRequest,
  UpdateRoomRequest,
} from "./requests.ts";
import { leaveSeat, lockSeat, takeSeat } from "./seats.ts";
import { seatListEntry } from "./views.ts";
import type { TSchema, Static } from "@sinclair/typebox";

type Handler = (em: Emulator, body: unknown, actor: Actor) => Outcome;

/** A handler whose body is first checked against `schema` (100002 naming the bad parameter). */
function route<T extends TSchema>(schema: T, run: (em: Emulator, req: Static<T>, actor: Actor) => Outcome): Handler {
  return (em, body, actor) => {
    const parsed = parseRequest(schema, body);
    return "problem" in parsed
      ? fail(100002, `invalid parameter ${parsed.problem}`)
      : em.apply(run(em, parsed.ok, actor));
  };
}

const done = (response?: Record<string, unknown>): Outcome => ({ events: [], response });

function roomInfo(em: Emulator, roomId: string): Outcome {
  const room = em.store.room(roomId);
  if ("code" in room) return room;
  return done({ RoomInfo: { ...room.info, MemberCount: room.members.size } });
}

function memberList(em: Emulator, req: Static<typeof MemberListRequest>): Outcome {
  const room = em.store.room(req.RoomId);
  if ("code" in room) return room;
  const from = req.Next ? Number(req.Next) : 0;
  if (!Number.isInteger(from) || from < 0) return fail(100002, "invalid parameter Next");
  const all = [...room.members.keys()];
  const page = all.slice(from, from + (req.Count ?? 50));
  const next = from + page.length < all.length ? String(from + page.length) : "";
  const role = (u: string) => (u === room.info.Owner_Account ? "RoomOwner" : "Member");
  const MemberList = page.map((u) => ({ Member_Account: u, NameCard: "", Role: role(u), Marks: [], CustomInfo: "" }));
  return done({ Next: next, MemberList });
}

function seatList(em: Emulator, roomId: string): Outcome {
  const room = em.store.room(roomId);
  if ("code" in room) return room;
  return done({ SeatList: room.seats.map(seatListEntry) });
}

function setCallback(em: Emulator, req: Static<typeof CallbackConfigRequest>, update: boolean): Outcome {
  if (!update && em.callback) return fail(100300, "callback configuration already exists; use update_callback");
  if (update && !em.callback) return fail(100301, "callback configuration does not exist; use set_callback first");
  em.callback = { Url: req.Url, CallbackCommandList: [...req.CallbackCommandList] };
  return done();
}

const HANDLERS: Record<string, Handler> = {
  "room_config/set_callback": route(CallbackConfigRequest, (em, req) => setCallback(em, req, false)),
  "room_config/update_callback": route(CallbackConfigRequest, (em, req) => setCallback(em, req, true)),
  "room_config/get_callback": (em) =>
    em.callback ? done({ ...em.callback }) : fail(100301, "callback configuration does not exist"),
  "room_config/delete_callback": (em) => {
    em.callback = null;
    return done();
  },
  "room_engine_http_srv/create_room": route(CreateRoomRequest, (em, req, a) => em.store.create(req, a)),
  "room_engine_http_srv/destroy_room": route(RoomRequest, (em, req, a) => em.store.destroy(req.RoomId, a)),
  "room_engine_http_srv/update_room_info": route(UpdateRoomRequest, (em, req, a) => em.store.update(req, a)),
  "room_engine_http_srv/get_room_info": route(RoomRequest, (em, req) => roomInfo(em, req.RoomId)),
  "room_engine_http_srv/get_room_member_list": route(MemberListRequest, memberList),
  "room_engine_http_srv/kick_user_out": route(KickOutRequest, (em, req, a) =>
    em.store.leave(req.RoomId, req.MemberList_Account, "Kicked", req.Reason, a),
  ),
  "room_engine_http_mic/get_seat_list": route(RoomRequest, (em, req) => seatList(em, req.RoomId)),
  "room_engine_http_mic/pick_user_on_seat": route(PickOnSeatRequest, (em, req, a) =>
    takeSeat(em.store, req.RoomId, req.Index, req.Member_Account, a),
  ),
  "room_engine_http_mic/kick_user_off_seat": route(KickOffSeatRequest, (em, req, a) =>
    leaveSeat(em.store, req.RoomId, req.Member_Account, a),
  ),
  "room_engine_http_mic/lock_seat": route(LockSeatRequest, (em, req, a) => lockSeat(em.store, req, a)),
};

export const REST_APIS = Object.keys(HANDLERS);

export function answer(em: Emulator, o: Outcome | Fail): RestAnswer {
  const RequestId = `Id-${randomBytes(16).toString("hex")}-O-Seq-${++em.requestSeq}`;
  if (isFail(o)) return { ErrorCode: o.code, ErrorInfo: o.info, ActionStatus: "FAIL", RequestId };
  const a: RestAnswer = { ErrorCode: 0, ErrorInfo: "", ActionStatus: "OK", RequestId };
  if (o.response) a.Response = o.response;
  return a;
}

/** One REST call: `path` is "<service>/<command>", `clientIp` the caller's address. */
export function handleRest(
  em: Emulator,
  path: string,
  query: URLSearchParams,
  bodyText: string,
  clientIp: string,
): RestAnswer {
  const handler = HANDLERS[path];
  if (!handler) return answer(em, fail(60009, `no such API: v4/${path}`));
  const auth = checkRestQuery(query, em.options, Math.floor(Date.now() / 1000));
  if ("code" in auth) return answer(em, auth);
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return answer(em, fail(60003, "the body is not JSON (send {} when an API takes no parameters)"));
  }
  if (body === null || typeof body !== "object" || Array.isArray(body))
    return answer(em, fail(60003, "the body must be a JSON object"));
  return answer(em, handler(em, body, { operator: auth.identifier, optPlatform: "RESTAPI", clientIp }));
}
