// The emulator's state in roomhook's own room vocabulary (SPEC §8: sdkAppId, roomId, status,
// members, seats…), so a test compares roomhook's /v1/rooms with GET /emulator/rooms directly.
import type { Room, Seat } from "./model.ts";

export interface RoomView {
  sdkAppId: number;
  roomId: string;
  status: "active" | "destroyed";
  roomName: string;
  ownerId: string;
  roomType: string;
  memberCount: number;
  seatedCount: number;
  createdAt: number;
  destroyedAt: number | null;
  members: { userId: string; enteredAt: number }[];
  seats: {
    index: number;
    userId: string | null;
    isTakenDisabled: boolean;
    isVideoDisabled: boolean;
    isAudioDisabled: boolean;
  }[];
}

export function roomView(sdkAppId: number, room: Room, destroyedAt: number | null): RoomView {
  return {
    sdkAppId,
    roomId: room.info.RoomId,
    status: destroyedAt === null ? "active" : "destroyed",
    roomName: room.info.RoomName,
    ownerId: room.info.Owner_Account,
    roomType: room.info.RoomType,
    memberCount: room.members.size,
    seatedCount: room.seats.filter((s) => s.userId !== null).length,
    createdAt: room.createdAt,
    destroyedAt,
    members: [...room.members].map(([userId, enteredAt]) => ({ userId, enteredAt })),
    seats: room.seats.map((s) => ({ ...s })),
  };
}

/** A seat as Tencent's callbacks carry it: an empty seat has Member_Account "". */
export function seatEntry(s: Seat): Record<string, unknown> {
  return {
    Index: s.index,
    Member_Account: s.userId ?? "",
    IsTakenDisabled: s.isTakenDisabled,
    IsVideoDisabled: s.isVideoDisabled,
    IsAudioDisabled: s.isAudioDisabled,
  };
}

/** A seat as get_seat_list answers: Member_Account absent when the seat is empty (its example). */
export function seatListEntry(s: Seat): Record<string, unknown> {
  const e = seatEntry(s);
  if (s.userId === null) delete e.Member_Account;
  return e;
}
