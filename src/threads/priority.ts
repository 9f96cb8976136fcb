// Lowering one thread's CPU priority (Linux): setpriority(2) and sched_setscheduler(2) given a thread
// id act on that thread only, which is how the rooms thread yields to everything else. (The fan-out
// thread does not: 5 nice levels cost it ~30% of its deliveries at 4,000 callbacks/s on the build VM
// for no better ingest p99; its ingest priority is the adaptive cap in delivery/ingest-priority.ts.)
import { dlopen, FFIType, ptr } from "bun:ffi";
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/** Linux's SCHED_IDLE policy (sched(7)): runs only when nothing else wants the core. */
const SCHED_IDLE = 5;

/** The calling thread's id. */
export function currentThreadId(): number {
  return Number(readlinkSync("/proc/thread-self").split("/").pop());
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
