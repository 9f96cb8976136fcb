// Callbacks the way Tencent sends them (query string, optional Sign = sha256hex(token +
// RequestTime)), and valid bodies to send.
import { createHash } from "node:crypto";
import { EXAMPLES } from "../../../src/callback/examples.ts";
import { bodyCommand } from "../../../src/cli/send.ts";
import { APP, TOKEN } from "./config.ts";
import type { Roomhook } from "./process.ts";

export const OK_TEXT = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';

export function sign(token: string, requestTime: number | string): string {
  return createHash("sha256").update(`${token}${requestTime}`).digest("hex");
}

export interface SendOptions {
  /** Default APP; null leaves the parameter out. */
  sdkAppId?: number | string | null;
  /** Spelling of the SdkAppid parameter (Room pages: SdkAppid; Live: SdkAppId). */
  sdkAppIdParam?: string;
  /** The query's CallbackCommand; default the body's; null leaves it out. */
  command?: string | null;
  /** The body: a string is sent byte for byte; an object is JSON.stringify'd. */
  body: string | object;
  /** Adds RequestTime and Sign = sha256hex(token + RequestTime). */
  token?: string;
  requestTime?: number;
  /** Overrides the computed Sign. */
  sign?: string;
  clientIp?: string;
  optPlatform?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
}

export interface SendResult {
  status: number;
  text: string;
  json: { ActionStatus?: string; ErrorCode?: number; ErrorInfo?: string } & Record<string, unknown>;
}

export function callbackQuery(o: Omit<SendOptions, "body"> & { bodyCommand?: string }): string {
  const p = new URLSearchParams();
  if (o.sdkAppId !== null) p.set(o.sdkAppIdParam ?? "SdkAppid", String(o.sdkAppId ?? APP));
  const cmd = o.command === undefined ? o.bodyCommand : o.command;
  if (cmd !== null && cmd !== undefined) p.set("CallbackCommand", cmd);
  p.set("contenttype", "json");
  p.set("ClientIP", o.clientIp ?? "127.0.0.1");
  p.set("OptPlatform", o.optPlatform ?? "RESTAPI");
  if (o.token !== undefined || o.sign !== undefined) {
    const rt = o.requestTime ?? Math.floor(Date.now() / 1000);
    p.set("Sign", o.sign ?? sign(o.token ?? "", rt));
    p.set("RequestTime", String(rt));
  } else if (o.requestTime !== undefined) {
    p.set("RequestTime", String(o.requestTime));
  }
  return p.toString();
}

/** POSTs one callback the way Tencent does (query string, optional Sign). */
export async function sendCallback(target: Roomhook | string, o: SendOptions): Promise<SendResult> {
  const base = typeof target === "string" ? target : target.base;
  const text = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
  const url = `${base}${o.path ?? "/callback"}?${callbackQuery({ ...o, bodyCommand: bodyCommand(text) })}`;
  const res = await fetch(url, {
    method: o.method ?? "POST",
    body: text,
    headers: { "content-type": "application/json", ...o.headers },
  });
  const answer = await res.text();
  let json: SendResult["json"] = {};
  try {
    json = JSON.parse(answer);
  } catch {}
  return { status: res.status, text: answer, json };
}

export interface Answer {
  status: number;
  text: string;
  ms: number;
}

/** POSTs a signed Tencent callback (Sign = sha256(token + RequestTime)); throws on a dead connection. */
export async function sendSigned(
  base: string,
  body: string,
  command = "Room.CallbackAfterMemberEnter",
): Promise<Answer> {
  const t0 = performance.now();
  const res = await fetch(`${base}/callback?${callbackQuery({ bodyCommand: command, token: TOKEN })}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - t0 };
}

export function enterBody(room: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    CallbackCommand: "Room.CallbackAfterMemberEnter",
    Operator_Account: "user1",
    RoomId: room,
    MemberCount: 2,
    Type: "Enter",
    MemberList_Account: ["user1"],
    EventTime: Date.now(),
    ...extra,
  });
}

// Bodies: the six official examples (src/callback/examples.ts), the update one pretty-printed as on
// Tencent's page, so one of them spans several lines as a real sender may send it.

export const OFFICIAL_EXAMPLES: Record<string, string> = {
  ...EXAMPLES,
  "Room.CallbackAfterUpdateRoomInfo": JSON.stringify(JSON.parse(EXAMPLES["Room.CallbackAfterUpdateRoomInfo"]), null, 2),
};

let uniq = 0;
let lastEventTime = 0;
/** Tencent's EventTime (ms), strictly rising within this process so that no two bodies are equal. */
function uniqueEventTime(): number {
  lastEventTime = Math.max(Date.now(), lastEventTime + 1);
  return lastEventTime;
}

/** A valid, unique Room.CallbackAfterMemberEnter body (unique RoomId and EventTime). */
export function memberEnter(roomId = `room-${process.pid}-${++uniq}`, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    CallbackCommand: "Room.CallbackAfterMemberEnter",
    Operator_Account: "user1",
    RoomId: roomId,
    MemberCount: 2,
    Type: "Enter",
    MemberList_Account: ["user1"],
    EventTime: uniqueEventTime(),
    ...extra,
  });
}

/** Asserts the Tencent FAIL shape and returns it (for chaining in expect()). */
export function isFailAnswer(r: SendResult): boolean {
  return (
    r.json.ActionStatus === "FAIL" &&
    typeof r.json.ErrorCode === "number" &&
    r.json.ErrorCode !== 0 &&
    typeof r.json.ErrorInfo === "string" &&
    r.json.ErrorInfo.length > 0
  );
}

export const OK_ANSWER = { ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 };
