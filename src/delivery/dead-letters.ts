// A target's dead letters, {data_dir}/dead-letters/<name>.jsonl: one line per event that will not be
// retried by itself, with its attempts and last error, and the journal line spliced in verbatim as
// "event" (last), so a redelivery sends the same bytes. Appends are group-committed and fsync'ed;
// the worker only moves past a dead-lettered event once its line is durable here.
import { existsSync, mkdirSync } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { readSegment } from "../journal/reader.ts";
import { cutTornTail } from "../journal/recover.ts";
import { fsyncDir, writeFully } from "../io/files.ts";
import type { EventRef } from "../journal/line.ts";

export interface DeadLetterMeta extends EventRef {
  deadAt: string;
  target: string;
  attempts: number;
  status: number | null;
  lastError: string;
}

export interface DeadLetter {
  /** Unique within the file: the same event may be dead-lettered again after a replay. */
  key: string;
  meta: DeadLetterMeta;
  /** The journal line, byte for byte. */
  event: string;
  /** The dead-letter line itself. */
  line: string;
}

export function deadLettersDir(dataDir: string): string {
  return join(dataDir, "dead-letters");
}

const EVENT_KEY = ',"event":';

export function renderDeadLetter(meta: DeadLetterMeta, event: string): string {
  // JSON.stringify escapes every quote inside values, so ',"event":' first appears as the real key.
  return `${JSON.stringify(meta).slice(0, -1)}${EVENT_KEY}${event}}`;
}

export function parseDeadLetter(line: string): DeadLetter | null {
  const at = line.indexOf(EVENT_KEY);
  if (at < 0 || !line.endsWith("}")) return null;
  try {
    const meta = JSON.parse(`${line.slice(0, at)}}`) as DeadLetterMeta;
    return { key: `${meta.seq}@${meta.deadAt}`, meta, event: line.slice(at + EVENT_KEY.length, -1), line };
  } catch {
    return null;
  }
}

export class DeadLetterLog {
  readonly path: string;
  private fh: FileHandle | null = null;
  private queue: { line: string; done: () => void; fail: (e: Error) => void }[] = [];
  private chain: Promise<void> = Promise.resolve();
  private flushing = false;
  private counted = 0;
  /** Bytes of a torn last line cut at open (kept aside as <file>.torn-<ms>). */
  readonly cutBytes: number = 0;

  constructor(
    private readonly dataDir: string,
    readonly target: string,
  ) {
    this.path = join(deadLettersDir(dataDir), `${target}.jsonl`);
    if (existsSync(this.path)) {
      // A crash inside an append leaves a partial last line; appending after it would glue the next
      // dead letter onto it. Cut it (it was never fsync'ed whole, so the worker never moved past it).
      this.cutBytes = cutTornTail(this.path);
      // Counted once here, before any append can race with the count, then kept up to date.
      for (const l of readSegment({ firstSeq: 0, path: this.path })) if (l.complete) this.counted++;
    }
  }

  /** How many dead letters the file holds. */
  get count(): number {
    return this.counted;
  }

  /** Resolves once the line is written and fsync'ed. */
  append(meta: DeadLetterMeta, event: string): Promise<void> {
    const line = `${renderDeadLetter(meta, event)}\n`;
    return new Promise((done, fail) => {
      this.queue.push({ line, done, fail });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.exclusive(() => this.flush()));
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (!this.fh) {
          mkdirSync(deadLettersDir(this.dataDir), { recursive: true, mode: 0o700 });
          const created = !existsSync(this.path);
          this.fh = await open(this.path, "a", 0o600);
          if (created) fsyncDir(deadLettersDir(this.dataDir));
        }
        const start = (await this.fh.stat()).size;
        try {
          await writeFully(this.fh, Buffer.from(batch.map((b) => b.line).join("")));
          await this.fh.datasync();
        } catch (e) {
          // Cut what part of the batch did land, so the next append starts on a clean line.
          await this.fh.truncate(start).catch(() => {});
          throw e;
        }
        this.counted += batch.length;
        for (const b of batch) b.done();
      } catch (e) {
        for (const b of batch) b.fail(e as Error);
      }
    }
    this.flushing = false;
  }

  /** Appends and rewrites never overlap. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.chain.then(f, f);
    this.chain = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  *entries(): Generator<DeadLetter> {
    if (!existsSync(this.path)) return;
    for (const l of readSegment({ firstSeq: 0, path: this.path })) {
      if (!l.complete) continue;
      const d = parseDeadLetter(l.text);
      if (d) yield d;
    }
  }

  /** A page in file order: entries [from, from+limit). */
  page(from: number, limit: number): { total: number; entries: DeadLetter[] } {
    const entries: DeadLetter[] = [];
    let i = 0;
    for (const d of this.entries()) {
      if (i >= from && entries.length < limit) entries.push(d);
      i++;
    }
    return { total: i, entries };
  }

  /** Drops the given entries (redelivered ones) by rewriting the file atomically. */
  remove(keys: ReadonlySet<string>): Promise<number> {
    return this.exclusive(async () => {
      if (keys.size === 0 || !existsSync(this.path)) return 0;
      const tmp = `${this.path}.tmp`;
      const out = await open(tmp, "w", 0o600);
      let kept = 0;
      let removed = 0;
      try {
        let buf = "";
        for (const d of this.entries()) {
          if (keys.has(d.key)) {
            removed++;
            continue;
          }
          kept++;
          buf += `${d.line}\n`;
          if (buf.length > 1 << 20) {
            await writeFully(out, Buffer.from(buf));
            buf = "";
          }
        }
        if (buf) await writeFully(out, Buffer.from(buf));
        await out.sync();
      } catch (e) {
        // The old file stays as it was: a failed rewrite drops nothing.
        await out.close().catch(() => {});
        await unlink(tmp).catch(() => {});
        throw e;
      }
      await out.close();
      if (this.fh) {
        await this.fh.close();
        this.fh = null;
      }
      await rename(tmp, this.path);
      fsyncDir(deadLettersDir(this.dataDir));
      this.counted = kept;
      return removed;
    });
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      if (this.fh) await this.fh.close();
      this.fh = null;
    });
  }
}
