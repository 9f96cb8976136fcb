// Lowering one thread's CPU priority (Linux): setpriority(2) and sched_setscheduler(2) given a thread
// id act on that thread only, which is how the fan-out and rooms threads yield to the ingest thread.
import { dlopen, FFIType, ptr } from "bun:ffi";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

/** Linux's SCHED_IDLE policy (sched(7)): runs only when nothing else wants the core. */
const SCHED_IDLE = 5;

/** The calling thread's id. */
export function currentThreadId(): number {
  return Number(readlinkSync("/proc/thread-self").split("/").pop());
}

/** The ids of this process's threads with this name (/proc/self/task/<tid>/comm). */
export function threadIdsNamed(name: string): number[] {
  const out: number[] = [];
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, "latin1").trim() === name) out.push(Number(tid));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** The calling thread's nice level (a new thread starts at its creator's). */
export function currentNice(): number {
  return getPriority(0);
}

/** Sets a thread's nice level (clamped to 19). Throws when the system refuses. */
export function setThreadNice(tid: number, nice: number): void {
  setPriority(tid, Math.min(19, nice));
}

/** Puts a thread in SCHED_IDLE through glibc; false where that cannot be done (no glibc, refused). */
export function setThreadIdle(tid: number): boolean {
  try {
    const libc = dlopen("libc.so.6", {
      sched_setscheduler: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    });
    const param = new Int32Array(1); // struct sched_param { int sched_priority = 0 }
    const ok = libc.symbols.sched_setscheduler(tid, SCHED_IDLE, ptr(param)) === 0;
    libc.close();
    return ok;
  } catch {
    return false; // no glibc (musl, static)
  }
}
