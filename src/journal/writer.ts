// The append-only segment writer with group commit. Appends that arrive while a write+fdatasync is in
// flight queue up and go out together as the next batch: no timer, so an idle journal adds no
// latency and a busy one makes bigger batches. The fdatasync runs on the thread pool, so the event
// loop keeps serving requests while the disk works.
import { closeSync, fdatasync, fdatasyncSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { fsyncDir, writeFullySync } from "../io/files.ts";
import { diskTakesWrites } from "./disk-probe.ts";
import { join } from "node:path";
import { ensureDir, segmentName, type SegmentInfo } from "./segments.ts";
import { recoverTail } from "./recover.ts";
import { renderLine } from "./line.ts";

export type Durability = "fsync" | "write";

export class JournalWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** The two calls whose failure the writer must survive; tests swap in failing ones. */
export interface WriterIo {
  writeSync(fd: number, buf: Buffer, off: number, len: number): number;
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
}

const nodeIo: WriterIo = {
  writeSync: (fd, buf, off, len) => writeSync(fd, buf, off, len),
  fdatasync: (fd, cb) => fdatasync(fd, cb),
};

export interface WriterOptions {
  io?: WriterIo;
  dir: string;
  durability: Durability;
  segmentBytes: number;
  /** Told about every committed batch, for metrics. */
  onCommit?: (info: { records: number; bytes: number; syncMs: number }) => void;
  onError?: (err: JournalWriteError) => void;
  onCut?: (info: { path: string; from: number; bytes: number }) => void;
  onRecovered?: () => void;
}

interface Pending {
  head: string;
  body: string;
  resolve: (seq: number) => void;
  reject: (e: Error) => void;
}

/** A batch written to the file whose fdatasync has not been settled yet. */
interface InFlight {
  batch: Pending[];
  firstSeq: number;
  startSize: number;
  endSize: number;
  started: number;
  done: boolean;
  err: Error | null;
  /** Set when an earlier batch failed and this one was rejected with it. */
  dead: boolean;
}

/**
 * How many fdatasyncs may overlap. With one, a batch that formed during a sync waits for it to end
 * before it is even written; with two it is written and its sync issued at once, which the kernel
 * overlaps with the running one. Measured against one on this VM, the difference stays within its
 * noise either way (BENCHMARKS.md). Acknowledgements still go out strictly in seq order.
 */
const MAX_SYNCS_IN_FLIGHT = 2;

export class SegmentWriter {
  private fd = -1;
  private segment!: SegmentInfo;
  /** The next seq to acknowledge. */
  private nextSeq = 1;
  /** End of the current segment and next seq to write, counting batches written but not yet synced. */
  private writeSize = 0;
  private writeSeq = 1;
  private pending: Pending[] = [];
  private inFlight: InFlight[] = [];
  private scheduled = false;
  private closed = false;
  /** Set after a failed cut: the file may hold bytes past `writeSize` that must go first. */
  private dirty = false;
  /** A roll was started and did not complete: the next batch must roll (to the same file name). */
  private rollPending = false;
  private lastError: JournalWriteError | null = null;
  private probeTimer: ReturnType<typeof setInterval> | null = null;
  private drainWaiters: (() => void)[] = [];

  private readonly io: WriterIo;

  constructor(private readonly opts: WriterOptions) {
    this.io = opts.io ?? nodeIo;
  }

  /** Recovers the tail and opens the newest segment. Synchronous: it runs once, before serving. */
  open(): this {
    ensureDir(this.opts.dir);
    const tail = recoverTail(this.opts.dir, this.opts.onCut);
    this.nextSeq = this.writeSeq = tail.nextSeq;
    if (tail.segment) {
      this.segment = tail.segment;
      this.writeSize = tail.size;
      this.fd = openSync(this.segment.path, "a", 0o600);
    } else {
      this.openSegment(this.nextSeq);
    }
    // Started on a full or failing disk: be unready from the first moment, not from the first 503.
    if (!this.diskTakesWrites()) {
      this.lastError = new JournalWriteError(
        "journal write failed: the disk does not take writes (start-up probe)",
        "EPROBE",
      );
      this.opts.onError?.(this.lastError);
      this.startProbe();
    }
    return this;
  }

  get healthy(): boolean {
    return this.lastError === null;
  }
  get error(): JournalWriteError | null {
    return this.lastError;
  }
  /** The seq of the last acknowledged record (0 when there is none). */
  get headSeq(): number {
    return this.nextSeq - 1;
  }
  get currentSegment(): SegmentInfo {
    return this.segment;
  }
  get queued(): number {
    return this.pending.length;
  }

  /** Resolves with the record's seq once it is written with the configured durability. */
  append(head: string, body: string): Promise<number> {
    if (this.closed) return Promise.reject(new JournalWriteError("journal is closed", "ECLOSED"));
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ head, body, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate, not setTimeout: Bun's shortest timer costs ~1.2 ms per hop.
        setImmediate(() => this.flush());
      }
    });
  }

  private openSegment(firstSeq: number): void {
    const path = join(this.opts.dir, segmentName(firstSeq));
    // From the moment the new file may exist, readers (tail -f, the fan-out) take the older segment
    // as final: never append to it again, even if this roll fails and the next batch would fit.
    this.rollPending = true;
    const fd = openSync(path, "a", 0o600);
    try {
      fsyncDir(this.opts.dir);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.rollPending = false;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = fd;
    this.segment = { firstSeq, path };
    this.writeSize = 0;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || this.inFlight.length >= MAX_SYNCS_IN_FLIGHT) {
      this.notifyDrained();
      return;
    }
    const firstSeq = this.writeSeq;
    let text = "";
    for (let i = 0; i < this.pending.length; i++)
      text += renderLine(firstSeq + i, this.pending[i]!.head, this.pending[i]!.body);
    const buf = Buffer.from(text, "utf8");
    const rollNeeded = this.rollPending || (this.writeSize > 0 && this.writeSize + buf.length > this.opts.segmentBytes);
    // A roll closes the old fd: wait until no sync is running on it (settle() calls flush again).
    if (rollNeeded && this.inFlight.length > 0) return;
    const batch = this.pending;
    this.pending = [];
    const started = performance.now();
    let startSize = this.writeSize;
    try {
      this.cutDirty();
      if (rollNeeded) {
        // The old segment is complete and, in fsync mode, already synced; in write mode sync it now
        // so a roll never leaves an older segment behind in the page cache only.
        if (this.opts.durability === "write") fdatasyncSync(this.fd);
        this.openSegment(firstSeq);
        startSize = 0;
      }
      this.dirty = true;
      writeFullySync(this.fd, buf, (fd, b, o, l) => this.io.writeSync(fd, b, o, l));
      this.dirty = false;
    } catch (e) {
      this.cut(startSize);
      this.failBatch(batch, e);
      this.afterSettle();
      return;
    }
    const entry: InFlight = {
      batch,
      firstSeq,
      startSize,
      endSize: startSize + buf.length,
      started,
      done: false,
      err: null,
      dead: false,
    };
    this.writeSize = entry.endSize;
    this.writeSeq = firstSeq + batch.length;
    this.inFlight.push(entry);
    if (this.opts.durability === "write") {
      entry.done = true;
      this.settle();
      return;
    }
    this.io.fdatasync(this.fd, (err) => {
      if (entry.dead) return;
      entry.done = true;
      entry.err = err;
      this.settle();
    });
    // Room for another overlapping sync: let what arrives meanwhile go out without waiting.
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Acknowledges finished batches in seq order; a failed one takes every later one down with it. */
  private settle(): void {
    while (this.inFlight.length > 0 && this.inFlight[0]!.done) {
      const e = this.inFlight.shift()!;
      if (e.err) {
        // Later batches were written after this one: cut them all and reject them; their data may
        // be durable, but nothing after an unacknowledged gap may stay in the journal.
        const later = this.inFlight.splice(0);
        for (const l of later) l.dead = true;
        this.writeSeq = e.firstSeq;
        this.cut(e.startSize);
        this.failBatch(e.batch, e.err);
        for (const l of later) this.failBatch(l.batch, e.err);
        break;
      }
      this.nextSeq = e.firstSeq + e.batch.length;
      if (this.lastError) this.recovered();
      for (let i = 0; i < e.batch.length; i++) e.batch[i]!.resolve(e.firstSeq + i);
      this.opts.onCommit?.({
        records: e.batch.length,
        bytes: e.endSize - e.startSize,
        syncMs: performance.now() - e.started,
      });
    }
    this.afterSettle();
  }

  /** Cuts the file back to `goodSize`: nothing unacknowledged stays in the journal. */
  private cut(goodSize: number): void {
    this.writeSize = goodSize;
    try {
      ftruncateSync(this.fd, goodSize);
      this.dirty = false;
    } catch {
      this.dirty = true; // cut again before the next write
    }
  }

  /** Removes bytes a failed cut left past `writeSize` (throws if the disk still refuses). */
  private cutDirty(): void {
    if (!this.dirty) return;
    ftruncateSync(this.fd, this.writeSize);
    this.dirty = false;
  }

  private failBatch(batch: Pending[], e: unknown): void {
    const code = (e as NodeJS.ErrnoException).code;
    const err = new JournalWriteError(`journal write failed: ${(e as Error).message}`, code);
    const first = this.lastError === null;
    this.lastError = err;
    if (first) this.opts.onError?.(err);
    for (const p of batch) p.reject(err);
    this.startProbe();
  }

  private afterSettle(): void {
    if (this.pending.length > 0) this.flush();
    else this.notifyDrained();
  }

  private recovered(): void {
    this.lastError = null;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    this.opts.onRecovered?.();
  }

  /**
   * While failed, check once a second whether the disk takes writes again, so readiness comes back
   * by itself even when no callback arrives to try.
   */
  private startProbe(): void {
    if (this.probeTimer) return;
    this.probeTimer = setInterval(() => {
      if (this.inFlight.length > 0 || !this.lastError) return;
      if (this.diskTakesWrites()) this.recovered();
    }, 1000);
    this.probeTimer.unref?.();
  }

  /** Whether the journal syncs again and the disk under it takes new writes. */
  private diskTakesWrites(): boolean {
    try {
      this.cutDirty();
      fdatasyncSync(this.fd);
    } catch {
      return false;
    }
    return diskTakesWrites(this.opts.dir, (fd, b, o, l) => this.io.writeSync(fd, b, o, l));
  }

  private get idle(): boolean {
    return this.inFlight.length === 0 && this.pending.length === 0 && !this.scheduled;
  }

  private notifyDrained(): void {
    if (!this.idle) return;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
  }

  /** Waits for every queued append to be written (or failed). */
  drain(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  /** Writes what is queued, syncs, closes. Later appends are refused. */
  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    if (this.fd >= 0) {
      try {
        fdatasyncSync(this.fd);
      } catch {}
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
