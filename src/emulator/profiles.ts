// The two scenarios' shapes. meeting: people drift in and out of largish rooms, a few speak from
// seats (in some rooms), kicks are rare, heartbeats expire now and then. classroom: a teacher owns
// the room and enters first, students come in bursts, the teacher picks students onto the few seats
// and takes them off again, locks a seat now and then; the class ends with a destroy.
export const SCENARIOS = ["meeting", "classroom"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export type Action =
  | "enter"
  | "leave"
  | "expire"
  | "kick"
  | "takeSeat"
  | "leaveSeat"
  | "pickSeat"
  | "kickOffSeat"
  | "lockSeat"
  | "update";

export interface Profile {
  /** How many events a room lives for, before it is destroyed. */
  life: [number, number];
  maxMembers: [number, number];
  /** The share of rooms with seats, and how many. */
  seatedRooms: number;
  seats: [number, number];
  /** How many users enter at once. */
  burst: [number, number];
  weights: Record<Action, number>;
}

export const PROFILES: Record<ScenarioName, Profile> = {
  meeting: {
    life: [40, 240],
    maxMembers: [6, 40],
    seatedRooms: 0.4,
    seats: [4, 9],
    burst: [1, 2],
    weights: {
      enter: 34,
      leave: 20,
      expire: 4,
      kick: 2,
      takeSeat: 12,
      leaveSeat: 10,
      pickSeat: 2,
      kickOffSeat: 2,
      lockSeat: 1,
      update: 3,
    },
  },
  classroom: {
    life: [60, 320],
    maxMembers: [15, 45],
    seatedRooms: 1,
    seats: [4, 6],
    burst: [1, 5],
    weights: {
      enter: 30,
      leave: 12,
      expire: 3,
      kick: 1,
      takeSeat: 3,
      leaveSeat: 8,
      pickSeat: 14,
      kickOffSeat: 6,
      lockSeat: 2,
      update: 2,
    },
  },
};
