// Journal retention as a running task: once at start-up and then every minute, remove the segments
// that retention.ts says may go. The hours and the lowest cursor are read on every pass, so a
// SIGHUP or a target's progress applies at the next one.
import type { Logger } from "pino";
import { applyRetention } from "./retention.ts";

export const RETENTION_EVERY_MS = 60_000;

export interface RetentionSource {
  journalDir: string;
  /** The lowest cursor any target could resume from (Infinity with no targets). */
  minCursor: () => number;
  retentionHours: () => number;
  logger: Logger;
}

export class RetentionTask {
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly src: RetentionSource) {}

  start(everyMs = RETENTION_EVERY_MS): this {
    this.runOnce();
    this.timer = setInterval(() => this.runOnce(), everyMs);
    return this;
  }

  runOnce(): void {
    const { journalDir, logger } = this.src;
    try {
      const gone = applyRetention(journalDir, this.src.minCursor(), this.src.retentionHours());
      if (gone.length)
        logger.info(
          { segments: gone.map((g) => g.path), upToSeq: gone.at(-1)!.lastSeq },
          "journal retention: removed old segments",
        );
    } catch (e) {
      logger.error({ err: (e as Error).message }, "journal retention failed");
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
