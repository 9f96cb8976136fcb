// What the emulator keeps per room, and what an operation gives back: the callbacks it caused, in
// order, or Tencent's FAIL (code and words). Field names inside RoomInfo are Tencent's.
import type { KnownCommand } from "../callback/schemas.ts";

export interface RoomInfo {
  RoomId: string;
  RoomName: string;
  RoomType: string;
  Owner_Account: string;
  MaxMemberCount: number;
  MaxSeatCount: number;
  IsVideoDisabled: boolean;
  IsAudioDisabled: boolean;
  IsMessageDisabled: boolean;
  IsScreenSharingDisabled: boolean;
  IsCloudRecordingDisabled: boolean;
  CustomInfo: string;
  ScheduleStartTime: number;
  ScheduleEndTime: number;
  RoomStatus: string;
  IsSeatEnabled: boolean;
  TakeSeatMode: string;
  CreateTime: number;
}

export interface Seat {
  index: number;
  userId: string | null;
  isTakenDisabled: boolean;
  isVideoDisabled: boolean;
  isAudioDisabled: boolean;
}

export interface Room {
  info: RoomInfo;
  /** userId → EventTime of the enter. Map order is entry order (get_room_member_list pages by it). */
  members: Map<string, number>;
  seats: Seat[];
  createdAt: number;
}

/** Who did it, from where: the callback's Operator_Account, OptPlatform and ClientIP. */
export interface Actor {
  operator: string;
  optPlatform: string;
  clientIp: string;
}

/** One callback to fire. */
export interface Emitted {
  command: KnownCommand;
  roomId: string;
  body: Record<string, unknown>;
  optPlatform: string;
  clientIp: string;
}

export interface Fail {
  code: number;
  info: string;
}

export type Outcome = { events: Emitted[]; response?: Record<string, unknown> } | Fail;

export function isFail(o: Outcome): o is Fail {
  return "code" in o;
}

export const fail = (code: number, info: string): Fail => ({ code, info });
export const noRoom = (roomId: string): Fail => fail(100004, `room ${roomId} does not exist`);
