// The append-only segment writer with group commit. Appends that arrive while a write+fdatasync is in
// flight queue up and go out together as the next batch: no timer, so an idle journal adds no
// latency and a busy one makes bigger batches. The fdatasync runs on the thread pool, so the event
// loop keeps serving requests while the disk works.
import { closeSync, fdatasync, fdatasyncSync, ftruncateSync, openSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ensureDir, fsyncDir, segmentName, type SegmentInfo } from "./segments.ts";
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

export class SegmentWriter {
  private fd = -1;
  private segment!: SegmentInfo;
  private size = 0;
  private nextSeq = 1;
  private pending: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private closed = false;
  /** Set after a failed batch: the file may hold bytes past `size` that must be cut first. */
  private dirty = false;
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
    this.nextSeq = tail.nextSeq;
    if (tail.segment) {
      this.segment = tail.segment;
      this.size = tail.size;
      this.fd = openSync(this.segment.path, "a", 0o600);
    } else {
      this.openSegment(this.nextSeq);
    }
    return this;
  }

  get healthy(): boolean {
    return this.lastError === null;
  }
  get error(): JournalWriteError | null {
    return this.lastError;
  }
  /** The seq the next appended record will get. */
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
      if (!this.flushing && !this.scheduled) {
        this.scheduled = true;
        // setImmediate, not setTimeout: Bun's shortest timer costs ~1.2 ms per hop.
        setImmediate(() => this.flush());
      }
    });
  }

  private openSegment(firstSeq: number): void {
    const path = join(this.opts.dir, segmentName(firstSeq));
    const fd = openSync(path, "a", 0o600);
    try {
      fsyncDir(this.opts.dir);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = fd;
    this.segment = { firstSeq, path };
    this.size = 0;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.flushing || this.pending.length === 0) {
      this.notifyDrained();
      return;
    }
    this.flushing = true;
    const batch = this.pending;
    this.pending = [];
    const firstSeq = this.nextSeq;
    let text = "";
    for (let i = 0; i < batch.length; i++) text += renderLine(firstSeq + i, batch[i]!.head, batch[i]!.body);
    const buf = Buffer.from(text, "utf8");
    const started = performance.now();
    let startSize = this.size;
    try {
      if (this.dirty) {
        ftruncateSync(this.fd, this.size);
        this.dirty = false;
      }
      if (this.size > 0 && this.size + buf.length > this.opts.segmentBytes) {
        // The old segment is complete and, in fsync mode, already synced; in write mode sync it now
        // so a roll never leaves an older segment behind in the page cache only.
        if (this.opts.durability === "write") fdatasyncSync(this.fd);
        this.openSegment(firstSeq);
        startSize = 0;
      }
      this.dirty = true;
      let off = 0;
      while (off < buf.length) off += this.io.writeSync(this.fd, buf, off, buf.length - off);
    } catch (e) {
      this.fail(batch, startSize, e);
      return;
    }
    if (this.opts.durability === "write") {
      this.commit(batch, firstSeq, startSize + buf.length, buf.length, started);
      return;
    }
    this.io.fdatasync(this.fd, (err) => {
      if (err) this.fail(batch, startSize, err);
      else this.commit(batch, firstSeq, startSize + buf.length, buf.length, started);
    });
  }

  private commit(batch: Pending[], firstSeq: number, newSize: number, bytes: number, started: number): void {
    this.dirty = false;
    this.size = newSize;
    this.nextSeq = firstSeq + batch.length;
    if (this.lastError) this.recovered();
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(firstSeq + i);
    this.opts.onCommit?.({ records: batch.length, bytes, syncMs: performance.now() - started });
    this.afterBatch();
  }

  /** A failed batch gives back its seqs and its bytes: nothing unacknowledged stays in the journal. */
  private fail(batch: Pending[], goodSize: number, e: unknown): void {
    const code = (e as NodeJS.ErrnoException).code;
    const err = new JournalWriteError(`journal write failed: ${(e as Error).message}`, code);
    this.size = goodSize;
    try {
      ftruncateSync(this.fd, goodSize);
      this.dirty = false;
    } catch {
      this.dirty = true; // cut again before the next write
    }
    const first = this.lastError === null;
    this.lastError = err;
    if (first) this.opts.onError?.(err);
    for (const p of batch) p.reject(err);
    this.startProbe();
    this.afterBatch();
  }

  private afterBatch(): void {
    this.flushing = false;
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
      if (this.flushing || !this.lastError) return;
      const probe = join(this.opts.dir, ".probe");
      try {
        if (this.dirty) {
          ftruncateSync(this.fd, this.size);
          this.dirty = false;
        }
        fdatasyncSync(this.fd);
        const fd = openSync(probe, "w", 0o600);
        try {
          this.io.writeSync(fd, Buffer.alloc(64 * 1024), 0, 64 * 1024);
          fdatasyncSync(fd);
        } finally {
          closeSync(fd);
          unlinkSync(probe);
        }
        this.recovered();
      } catch {
        try {
          unlinkSync(probe);
        } catch {}
      }
    }, 1000);
    this.probeTimer.unref?.();
  }

  private notifyDrained(): void {
    if (this.flushing || this.pending.length > 0 || this.scheduled) return;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
  }

  /** Waits for every queued append to be written (or failed). */
  drain(): Promise<void> {
    if (!this.flushing && !this.scheduled && this.pending.length === 0) return Promise.resolve();
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
