// The callback pipeline (README "The callback endpoint"): the checks run in the table's order and
// the first that fails decides the answer. Unauthenticated requests never touch the disk;
// authenticated but invalid ones go to quarantine; everything else is journaled before the 200.
import type { Logger } from "pino";
import type { Config, AppConfig } from "../config/schema.ts";
import { ANY, makeAllowlist } from "../net/address.ts";
import { envelopeHead, EventIdHasher, singleLine, type EnvelopeFields } from "../journal/line.ts";
import { JournalWriteError } from "../journal/writer.ts";
import type { Journal } from "../journal/journal.ts";
import type { SegmentWriter } from "../journal/writer.ts";
import { ErrorCodes as E, OK, fail, type Answer } from "./ack.ts";
import { parseQuery, type CallbackQuery } from "./query.ts";
import { checkSign, type SignProblem } from "./sign.ts";
import { canonicalCommand, isKnownCommand } from "./schemas.ts";
import { BodyValidators } from "./validate.ts";
import { DISCARD_MAX_BYTES, discardRequestBody, readLimited } from "./body.ts";

/** Finds a request's socket peer: Bun's server, or nothing (in-process tests). */
export type PeerLookup = { requestIP(r: Request): { address: string } | null } | null | undefined;

/** Every way a callback can end (metrics labels, the dashboard's series), in one order. */
export const INGEST_OUTCOMES = [
  "accepted",
  "duplicate",
  "unknown_command",
  "quarantined",
  "rejected",
  "unavailable",
] as const;
export type IngestOutcome = (typeof INGEST_OUTCOMES)[number];

interface CommandCheck {
  type: string;
  known: boolean;
  problem: Answer | null;
}

export interface IngestReport {
  answer: Answer;
  /** True when the answer was decided without reading the request body. */
  bodyUnread?: boolean;
  outcome: IngestOutcome;
  command?: string;
  seq?: number;
}

export interface IngestDeps {
  journal: Journal;
  quarantine: SegmentWriter;
  logger: Logger;
  now: () => number; // ms since epoch
}

/** What the pipeline derives from the config; rebuilt on reload. */
interface Settings {
  apps: Map<number, AppConfig>;
  allowed: (ip: string | undefined) => boolean;
  trustProxy: boolean;
  maxBody: number;
}

function settingsFrom(c: Config): Settings {
  return {
    apps: new Map(c.apps.map((a) => [a.sdk_app_id, a])),
    allowed: makeAllowlist(c.server.allow_from),
    trustProxy: c.server.trust_proxy,
    maxBody: c.server.max_body_bytes,
  };
}

const SIGN_ANSWERS: Record<SignProblem, Answer> = {
  missing: fail(401, E.SIGN_MISSING, "Sign and RequestTime are required for this SdkAppid"),
  malformed: fail(401, E.REQUEST_TIME_MALFORMED, "RequestTime must be Unix seconds"),
  stale: fail(401, E.REQUEST_TIME_STALE, "RequestTime is outside the accepted window; check the clocks"),
  mismatch: fail(401, E.SIGN_MISMATCH, "Sign does not match the configured token"),
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The client address: the socket peer, or with trust_proxy the address the proxy appended last. */
function sourceIp(s: Settings, request: Request, peer: PeerLookup): string | undefined {
  if (s.trustProxy) {
    const xff = request.headers.get("x-forwarded-for");
    if (xff) {
      const last = xff.split(",").pop()!.trim();
      if (last) return last;
    }
  }
  return peer?.requestIP(request)?.address;
}

function roomIdOf(body: Record<string, unknown>): string | null {
  const info = body.RoomInfo as Record<string, unknown> | undefined;
  const r = body.RoomId ?? (info && typeof info === "object" ? info.RoomId : undefined);
  return typeof r === "string" ? r : typeof r === "number" ? String(r) : null;
}

export class CallbackIngest {
  private s: Settings;
  private readonly validators = new BodyValidators();
  private readonly ids = new EventIdHasher();
  /** receivedAt for the current millisecond: under load many requests share one. */
  private stampMs = -1;
  private stamp = "";

  constructor(
    config: Config,
    private readonly deps: IngestDeps,
  ) {
    this.s = settingsFrom(config);
  }

  /** Applies a reloaded configuration (apps, tokens, allowlist) to the requests that follow. */
  update(config: Config): void {
    this.s = settingsFrom(config);
  }

  async handle(req: Request, peer?: PeerLookup): Promise<IngestReport> {
    const s = this.s;
    // The peer address is looked up only when the allowlist or a log line needs it.
    let ipCache: string | undefined | null = null;
    const ip = () => {
      if (ipCache === null) ipCache = sourceIp(s, req, peer);
      return ipCache;
    };
    const declared = req.headers.get("content-length");
    if (s.allowed !== ANY && !s.allowed(ip()))
      return this.refuseUnread(req, declared, ip, fail(403, E.SOURCE_NOT_ALLOWED, "source address is not allowed"));
    if (declared !== null && Number(declared) > s.maxBody)
      return this.refuseUnread(req, declared, ip, tooLarge(s.maxBody));

    // Authenticate from the query before reading the body, so an unauthenticated client can never
    // make us hold its body in memory. The answers keep the table's order: a chunked body that turns
    // out larger than the limit still gets 413, checked by counting it as it is thrown away.
    const q = parseQuery(req.url);
    const auth = this.authenticate(s, q);
    if (!("app" in auth)) {
      // With a Content-Length the body is never read at all: answer and close.
      if (declared !== null) return this.reject(ip, auth.answer, auth.sdkAppId, true);
      if ((await discardRequestBody(req, s.maxBody)) < 0) return this.reject(ip, tooLarge(s.maxBody), undefined, true);
      return this.reject(ip, auth.answer, auth.sdkAppId);
    }
    const app = auth.app;

    const bytes = await readLimited(req, s.maxBody, declared !== null);
    if (!(bytes instanceof Uint8Array)) return this.reject(ip, tooLarge(s.maxBody), undefined, !bytes.drained);
    // A Content-Length that lied (Bun's server enforces it; a Request built in process does not).
    if (bytes.length > s.maxBody) return this.reject(ip, tooLarge(s.maxBody));

    let text: string;
    let body: unknown;
    try {
      text = utf8.decode(bytes);
      body = JSON.parse(text);
    } catch {
      return this.reject(ip, fail(400, E.BODY_NOT_JSON, "body is not valid UTF-8 JSON"), app.sdk_app_id);
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return this.reject(ip, fail(400, E.BODY_NOT_OBJECT, "body must be a JSON object"), app.sdk_app_id);
    }
    const obj = body as Record<string, unknown>;

    const fields: EnvelopeFields = {
      id: "",
      type: "",
      sdkAppId: app.sdk_app_id,
      roomId: roomIdOf(obj),
      eventTime: Number.isSafeInteger(obj.EventTime) ? (obj.EventTime as number) : null,
      receivedAt: this.receivedAt(),
      clientIp: q.clientIp ?? null,
      optPlatform: q.optPlatform ?? null,
    };
    const stored = singleLine(text);
    const { type: command, known, problem } = this.checkCommand(q.command, obj);
    fields.type = command;
    if (problem) return this.quarantine(ip, fields, bytes, stored, problem);

    const id = this.ids.id(app.sdk_app_id, command, bytes);
    fields.id = id.hex;
    try {
      const r = await this.deps.journal.ingest(id, envelopeHead(fields), stored);
      return {
        answer: OK,
        outcome: r.duplicate ? "duplicate" : known ? "accepted" : "unknown_command",
        command,
        seq: r.seq,
      };
    } catch (e) {
      return this.unavailable(ip, e, command);
    }
  }

  /**
   * Which command the callback is (the body's CallbackCommand, else the query's) and whether it may
   * be journaled: `problem` is the answer when it goes to quarantine instead. Synchronous, so the
   * hot path gains no promise.
   */
  private checkCommand(queryCmd: string | undefined, obj: Record<string, unknown>): CommandCheck {
    const bodyCmd = obj.CallbackCommand;
    if (bodyCmd !== undefined && typeof bodyCmd !== "string") {
      const problem = fail(422, E.SCHEMA_VIOLATION, "/CallbackCommand: must be a string");
      return { type: canonicalCommand(queryCmd ?? ""), known: false, problem };
    }
    if (bodyCmd !== undefined && queryCmd !== undefined && canonicalCommand(bodyCmd) !== canonicalCommand(queryCmd)) {
      const problem = fail(400, E.COMMAND_MISMATCH, "CallbackCommand in the body differs from the query");
      return { type: canonicalCommand(bodyCmd), known: false, problem };
    }
    const command = canonicalCommand(bodyCmd ?? queryCmd ?? "");
    if (command === "") {
      const problem = fail(422, E.COMMAND_MISSING, "CallbackCommand is missing from the body and the query");
      return { type: command, known: false, problem };
    }
    const known = isKnownCommand(command);
    const mismatch = known ? this.validators.check(command, obj) : null;
    if (!mismatch) return { type: command, known, problem: null };
    return {
      type: command,
      known,
      problem: fail(422, E.SCHEMA_VIOLATION, `body does not match ${command}: ${mismatch}`),
    };
  }

  private receivedAt(): string {
    const now = this.deps.now();
    if (now !== this.stampMs) {
      this.stampMs = now;
      this.stamp = new Date(now).toISOString();
    }
    return this.stamp;
  }

  private async quarantine(
    ip: () => string | undefined,
    fields: EnvelopeFields,
    bytes: Uint8Array,
    stored: string,
    answer: Answer,
  ): Promise<IngestReport> {
    fields.id = this.ids.id(fields.sdkAppId, fields.type, bytes).hex;
    fields.reason = answer.info;
    try {
      const seq = await this.deps.quarantine.append(envelopeHead(fields), stored);
      this.deps.logger.warn(
        {
          status: answer.status,
          code: answer.code,
          reason: answer.info,
          sdkAppId: fields.sdkAppId,
          command: fields.type,
          remote: ip(),
          quarantineSeq: seq,
        },
        "callback quarantined",
      );
      return { answer, outcome: "quarantined", command: fields.type, seq };
    } catch (e) {
      return this.unavailable(ip, e, fields.type);
    }
  }

  private unavailable(ip: () => string | undefined, e: unknown, command: string): IngestReport {
    if (!(e instanceof JournalWriteError)) throw e;
    const answer = fail(503, E.JOURNAL_UNAVAILABLE, "the journal cannot write; retry later");
    this.deps.logger.error(
      { status: 503, code: answer.code, reason: e.message, errno: e.code, command, remote: ip() },
      "callback not stored",
    );
    return { answer, outcome: "unavailable", command };
  }

  /** The SdkAppid and Sign checks, which need only the query. */
  private authenticate(s: Settings, q: CallbackQuery): { app: AppConfig } | { answer: Answer; sdkAppId?: number } {
    const appParam = q.sdkAppId;
    if (!appParam) return { answer: fail(403, E.SDKAPPID_MISSING, "SdkAppid query parameter is missing") };
    const app = /^\d{1,10}$/.test(appParam) ? s.apps.get(Number(appParam)) : undefined;
    if (!app) return { answer: fail(403, E.SDKAPPID_UNKNOWN, "SdkAppid is not configured on this receiver") };
    if (app.token !== undefined) {
      const problem = checkSign(
        app.token,
        q.sign,
        q.requestTime,
        Math.floor(this.deps.now() / 1000),
        app.sign_window_s,
      );
      if (problem) return { answer: SIGN_ANSWERS[problem], sdkAppId: app.sdk_app_id };
    }
    return { app };
  }

  /**
   * A refusal decided before the body was read: the body is read and dropped as it comes (never
   * held), unless it is huge, then the connection is closed instead.
   */
  private async refuseUnread(
    req: Request,
    declared: string | null,
    ip: () => string | undefined,
    answer: Answer,
  ): Promise<IngestReport> {
    const report = this.reject(ip, answer); // logged at once, not after a slow client's body
    report.bodyUnread = !(
      Number(declared ?? 0) <= DISCARD_MAX_BYTES && (await discardRequestBody(req, DISCARD_MAX_BYTES)) >= 0
    );
    return report;
  }

  private reject(ip: () => string | undefined, answer: Answer, sdkAppId?: number, bodyUnread?: boolean): IngestReport {
    this.deps.logger.warn(
      { status: answer.status, code: answer.code, reason: answer.info, sdkAppId, remote: ip() },
      "callback rejected",
    );
    return { answer, outcome: "rejected", bodyUnread };
  }
}

function tooLarge(max: number): Answer {
  return fail(413, E.BODY_TOO_LARGE, `body is larger than ${max} bytes`);
}
