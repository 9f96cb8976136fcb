// Fan-out end to end: the compiled binary delivering to real local HTTP targets (Bun.serve on
// 127.0.0.1:0). Signatures are checked with the reference `standardwebhooks` package.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import type { Server } from "bun";
import {
  APP,
  cleanup,
  memberEnter,
  readJournal,
  runCli,
  sendCallback,
  startRoomhook,
  tempDir,
  toToml,
  type Roomhook,
  targetsToml,
  type TargetToml,
} from "./helpers.ts";
import { until } from "../support/until.ts";

afterAll(cleanup);

const SECRET_A = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET_B = `whsec_${Buffer.from("another secret of at least 24 bytes!").toString("base64")}`;
const ADMIN_TOKEN = "admin-token-0123456789";

interface Received {
  body: string;
  headers: Record<string, string>;
  at: number;
}

/** A webhook receiver whose answer the test changes while it runs. */
class Sink {
  readonly got: Received[] = [];
  answer: (r: Received) => number | Promise<number> = () => 200;
  extraHeaders: Record<string, string> = {};
  inFlight = 0;
  maxInFlight = 0;
  readonly server: Server<undefined>;
  constructor() {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req) => {
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          const r: Received = { body: await req.text(), headers: Object.fromEntries(req.headers), at: Date.now() };
          const status = await this.answer(r);
          if (status >= 200 && status < 300) this.got.push(r);
          return new Response(status === 200 ? "ok" : "no", { status, headers: this.extraHeaders });
        } finally {
          this.inFlight--;
        }
      },
    });
  }
  get url(): string {
    return `http://127.0.0.1:${this.server.port}/hook`;
  }
  ids(): string[] {
    return this.got.map((r) => r.headers["webhook-id"]!);
  }
  seqs(): number[] {
    return this.got.map((r) => (JSON.parse(r.body) as { seq: number }).seq);
  }
  stop() {
    this.server.stop(true);
  }
}

const sinks: Sink[] = [];
afterAll(() => {
  for (const s of sinks) s.stop();
});
function sink(): Sink {
  const s = new Sink();
  sinks.push(s);
  return s;
}

function config(dataDir: string, targets: TargetToml[], adminToken?: string): string {
  const base = toToml({
    data_dir: dataDir,
    server: { listen: "127.0.0.1:0" },
    apps: [{ sdk_app_id: APP }],
    admin: adminToken ? { listen: "127.0.0.1:0", token: adminToken } : { listen: "127.0.0.1:0" },
    log: { level: "info" },
  });
  return `${base}\n${targetsToml(targets, { secret: SECRET_A, max_in_flight: 8, retry_delays_ms: [50, 100, 200] })}`;
}

async function start(
  dataDir: string,
  targets: TargetToml[],
  adminToken?: string,
): Promise<Roomhook & { admin: string }> {
  const rh = await startRoomhook({ dataDir, tomlText: config(dataDir, targets, adminToken) });
  const line = rh.logs.find((l) => l.msg === "roomhook listening")!;
  return Object.assign(rh, { admin: `http://${String(line.admin)}` });
}

async function admin(rh: { admin: string }, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${rh.admin}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

async function send(rh: Roomhook, rooms: string[], perRoom: number): Promise<void> {
  // Rooms in parallel, each room's events one after another (so journal order = send order).
  await Promise.all(
    rooms.map(async (room) => {
      for (let i = 0; i < perRoom; i++)
        expect((await sendCallback(rh, { body: memberEnter(room, { Seq: i }) })).status).toBe(200);
    }),
  );
}

function journalIds(dataDir: string): string[] {
  return readJournal(dataDir).map((l) => l.entry.id);
}

describe("fan-out", () => {
  test("signs with every secret (standardwebhooks verifies each), sends the journal line byte for byte", async () => {
    const s = sink();
    const dataDir = join(tempDir("fo"), "data");
    const rh = await start(dataDir, [{ name: "sync", url: s.url, secret: [SECRET_A, SECRET_B] }]);
    try {
      await send(rh, ["sig-1", "sig-2"], 3);
      await until("6 deliveries", () => s.got.length === 6);
      const lines = new Map(readJournal(dataDir).map((l) => [l.entry.id, l.raw]));
      for (const r of s.got) {
        expect(r.headers["content-type"]).toBe("application/json");
        expect(r.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
        expect(Math.abs(Number(r.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(10);
        // Either secret alone verifies: receivers can rotate.
        expect(new Webhook(SECRET_A).verify(r.body, r.headers)).toBeTruthy();
        expect(new Webhook(SECRET_B).verify(r.body, r.headers)).toBeTruthy();
        expect(() =>
          new Webhook(`whsec_${Buffer.from("not the right secret at all!!").toString("base64")}`).verify(
            r.body,
            r.headers,
          ),
        ).toThrow();
        expect(r.body).toBe(lines.get(r.headers["webhook-id"]!)!);
      }
      expect(new Set(s.ids())).toEqual(new Set(lines.keys()));
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  }, 30_000);

  test("a target that fails for a while (503, then Retry-After, then a refused port) receives everything after it recovers", async () => {
    const s = sink();
    let failing = true;
    s.answer = () => (failing ? 503 : 200);
    s.extraHeaders = { "retry-after": "0" };
    const dataDir = join(tempDir("fo"), "data");
    const rh = await start(dataDir, [
      {
        name: "flaky",
        url: s.url,
        retry_delays_ms: [50, 100, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
      },
    ]);
    try {
      await send(rh, ["fl-1", "fl-2", "fl-3", "fl-4"], 5);
      await Bun.sleep(600);
      const st = (await admin(rh, "GET", "/v1/targets")).json.targets[0];
      expect(st.lastError.message).toContain("503");
      expect(st.lag).toBe(20);
      failing = false;
      await until("all 20 delivered", () => new Set(s.ids()).size === 20);
      expect(new Set(s.ids())).toEqual(new Set(journalIds(dataDir)));
      await until("lag 0", async () => (await admin(rh, "GET", "/v1/targets")).json.targets[0].lag === 0);
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  }, 30_000);

  test("a restart in the middle of a backlog loses nothing", async () => {
    const s = sink();
    s.answer = async () => {
      await Bun.sleep(15);
      return 200;
    };
    const dataDir = join(tempDir("fo"), "data");
    const targets = [{ name: "slow", url: s.url, max_in_flight: 2 }];
    let rh = await start(dataDir, targets);
    await send(rh, ["bk-1", "bk-2", "bk-3", "bk-4", "bk-5", "bk-6"], 10);
    await until("some delivered", () => s.got.length >= 5);
    expect(await rh.stop()).toBe(0);
    const before = s.got.length;
    expect(before).toBeLessThan(60); // the stop really came mid-backlog
    const cursor = JSON.parse(readFileSync(join(dataDir, "cursors", "slow.json"), "utf8")).seq as number;
    expect(cursor).toBeGreaterThan(0);
    rh = await start(dataDir, targets);
    try {
      await until("all 60 delivered", () => new Set(s.ids()).size === 60, 15_000);
      expect(new Set(s.ids())).toEqual(new Set(journalIds(dataDir)));
      // At-least-once, not "all again": the saved cursor kept most of the first run's work.
      expect(s.got.length).toBeLessThan(60 + before);
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  }, 30_000);

  test("4xx goes to the dead letters at once; redelivery through the admin API sends it again", async () => {
    const s = sink();
    let reject = true;
    let attempts = 0;
    s.answer = () => {
      attempts++;
      return reject ? 422 : 200;
    };
    const dataDir = join(tempDir("fo"), "data");
    const rh = await start(dataDir, [{ name: "strict", url: s.url }]);
    try {
      await send(rh, ["dl-1"], 3);
      await until(
        "3 dead letters",
        async () => (await admin(rh, "GET", "/v1/targets")).json.targets[0].deadLetters === 3,
      );
      expect(attempts).toBe(3); // no retries for a 4xx
      const page = await admin(rh, "GET", "/v1/dead-letters/strict?from=0&limit=2");
      expect(page.json.total).toBe(3);
      expect(page.json.entries).toHaveLength(2);
      expect(page.json.next).toBe(2);
      expect(page.json.entries[0].status).toBe(422);
      expect(page.json.entries[0].attempts).toBe(1);
      expect(page.json.entries[0].lastError).toContain("422");
      expect(page.json.entries[0].event.id).toBe(page.json.entries[0].id);
      const lines = readFileSync(join(dataDir, "dead-letters", "strict.jsonl"), "utf8")
        .trim()
        .split("\n");
      expect(lines).toHaveLength(3);
      reject = false;
      const one = page.json.entries[1].id as string;
      const r1 = await admin(rh, "POST", "/v1/dead-letters/strict/redeliver", { ids: [one] });
      expect(r1.status).toBe(202);
      expect(r1.json.queued).toBe(1);
      await until("the one redelivered", () => s.ids().includes(one));
      await until(
        "2 dead letters left",
        async () => (await admin(rh, "GET", "/v1/targets")).json.targets[0].deadLetters === 2,
      );
      const r2 = await admin(rh, "POST", "/v1/dead-letters/strict/redeliver", {});
      expect(r2.json.queued).toBe(2);
      await until("all redelivered", () => new Set(s.ids()).size === 3);
      await until(
        "no dead letters left",
        async () => (await admin(rh, "GET", "/v1/dead-letters/strict")).json.total === 0,
      );
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  }, 30_000);

  test("410 pauses the target (persisted) until it is resumed", async () => {
    const s = sink();
    let gone = true;
    s.answer = () => (gone ? 410 : 200);
    const dataDir = join(tempDir("fo"), "data");
    const targets = [{ name: "gone", url: s.url }];
    let rh = await start(dataDir, targets);
    await send(rh, ["gn-1"], 1);
    await until("paused", async () => (await admin(rh, "GET", "/v1/targets")).json.targets[0].state === "paused");
    await send(rh, ["gn-1"], 2);
    await Bun.sleep(300);
    expect(s.got).toHaveLength(0);
    expect(await rh.stop()).toBe(0);
    expect(JSON.parse(readFileSync(join(dataDir, "cursors", "gone.json"), "utf8")).paused.reason).toContain("410");
    rh = await start(dataDir, targets);
    try {
      gone = false;
      await Bun.sleep(300);
      expect(s.got).toHaveLength(0); // still paused after a restart
      const r = await admin(rh, "POST", "/v1/targets/gone/resume");
      expect(r.status).toBe(200);
      await until("3 delivered after resume", () => s.got.length === 3);
      expect(s.seqs()).toEqual([1, 2, 3]);
      expect((await admin(rh, "GET", "/v1/targets")).json.targets[0].state).toBe("running");
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  }, 30_000);

  test("per-room order holds under parallel delivery (30 rooms, max_in_flight 8, random latency)", async () => {
    const s = sink();
    s.answer = async () => {
      await Bun.sleep(Math.random() * 8);
      return 200;
    };
    const dataDir = join(tempDir("fo"), "data");
    const rh = await start(dataDir, [{ name: "order", url: s.url, max_in_flight: 8 }]);
    try {
      const rooms = Array.from({ length: 30 }, (_, i) => `ord-${i}`);
      await send(rh, rooms, 8);
      await until("240 delivered", () => s.got.length === 240, 20_000);
      const byRoom = new Map<string, number[]>();
      for (const r of s.got) {
        const e = JSON.parse(r.body) as { seq: number; roomId: string };
        byRoom.set(e.roomId, [...(byRoom.get(e.roomId) ?? []), e.seq]);
      }
      expect(byRoom.size).toBe(30);
      for (const seqs of byRoom.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(s.maxInFlight).toBeLessThanOrEqual(8);
      expect(s.maxInFlight).toBeGreaterThan(1); // really parallel
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  }, 30_000);

  test("replay sends again from the chosen point: admin API by seq and time, and the offline command", async () => {
    const s = sink();
    const dataDir = join(tempDir("fo"), "data");
    const targets = [{ name: "rp", url: s.url, max_in_flight: 1 }];
    let rh = await start(dataDir, targets);
    await send(rh, ["rp-1"], 5);
    await until("5 delivered", () => s.got.length === 5);
    const r = await admin(rh, "POST", "/v1/targets/rp/replay", { from_seq: 3 });
    expect(r.status).toBe(200);
    expect(r.json.cursor).toBe(2);
    await until("3..5 again", () => s.got.length === 8);
    expect(s.seqs()).toEqual([1, 2, 3, 4, 5, 3, 4, 5]);
    const t4 = readJournal(dataDir)[3]!.entry.receivedAt as string;
    expect((await admin(rh, "POST", "/v1/targets/rp/replay", { from_time: t4 })).json.cursor).toBeLessThanOrEqual(3);
    await until("from time again", () => s.got.length >= 10);
    expect(s.seqs().slice(-1)).toEqual([5]);
    expect((await admin(rh, "POST", "/v1/targets/rp/replay", { from_seq: 0 })).status).toBe(400);
    expect((await admin(rh, "POST", "/v1/targets/nope/replay", { from_seq: 1 })).status).toBe(404);

    // Offline: refused while the service runs, then works once it is stopped.
    const busy = await runCli(["replay", "--target", "rp", "--from-seq", "2", "--data-dir", dataDir]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("stop it first");
    expect(await rh.stop()).toBe(0);
    const n = s.got.length;
    expect((await runCli(["replay", "--target", "rp", "--data-dir", dataDir])).code).toBe(2);
    expect((await runCli(["replay", "--help"])).code).toBe(0);
    expect((await runCli(["replay", "--target", "nope", "--from-seq", "1", "--data-dir", dataDir])).code).toBe(1);
    const ok = await runCli(["replay", "--target", "rp", "--from-seq", "2", "--data-dir", dataDir]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dataDir, "cursors", "rp.json"), "utf8")).seq).toBe(1);
    rh = await start(dataDir, targets);
    try {
      await until("2..5 after restart", () => s.got.length === n + 4);
      expect(s.seqs().slice(n)).toEqual([2, 3, 4, 5]);
    } finally {
      expect(await rh.stop()).toBe(0);
    }
    expect(existsSync(join(dataDir, "roomhook.pid"))).toBe(false);
  }, 30_000);

  test("the admin API requires the bearer token when one is set", async () => {
    const s = sink();
    const dataDir = join(tempDir("fo"), "data");
    const rh = await start(dataDir, [{ name: "t", url: "http://user:pw@127.0.0.1:9/x" }], ADMIN_TOKEN);
    try {
      expect((await admin(rh, "GET", "/v1/targets")).status).toBe(401);
      expect((await admin(rh, "GET", "/v1/targets", undefined, "wrong-token-0123456789")).status).toBe(401);
      expect((await admin(rh, "POST", "/v1/targets/t/pause", undefined, "x")).status).toBe(401);
      const ok = await admin(rh, "GET", "/v1/targets", undefined, ADMIN_TOKEN);
      expect(ok.status).toBe(200);
      expect(ok.json.targets[0].url).toBe("http://127.0.0.1:9/x"); // no credentials shown
      expect((await admin(rh, "POST", "/v1/targets/t/pause", undefined, ADMIN_TOKEN)).json.state).toBe("paused");
    } finally {
      s.stop();
      expect(await rh.stop()).toBe(0);
    }
  }, 30_000);
  test("SIGHUP adds, changes and removes targets; an invalid file changes nothing", async () => {
    const a = sink();
    const b = sink();
    const dataDir = join(tempDir("fo"), "data");
    const rh = await start(dataDir, [{ name: "a", url: a.url }]);
    const reload = async (targets: TargetToml[], expectOk = true) => {
      writeFileSync(rh.configPath!, config(dataDir, targets));
      const from = rh.logs.length;
      rh.proc.kill("SIGHUP");
      await rh.waitForLog(
        (l) => l.msg === (expectOk ? "configuration reloaded" : "reload failed; keeping the running configuration"),
        5000,
        from,
      );
    };
    try {
      await send(rh, ["hup-1"], 2);
      await until("a has 2", () => a.got.length === 2);

      await reload([
        { name: "a", url: a.url },
        { name: "b", url: b.url },
      ]);
      await send(rh, ["hup-2"], 2);
      await until("a has 4, b has the 2 new ones", () => a.got.length === 4 && b.got.length === 2);
      expect(b.seqs()).toEqual([3, 4]); // a new target starts at the journal's end

      // "a" now points at b's sink: a changed target restarts from its saved cursor
      await reload([
        { name: "a", url: b.url },
        { name: "b", url: b.url },
      ]);
      await send(rh, ["hup-3"], 1);
      await until("both deliveries of seq 5 reach b", () => b.seqs().filter((x) => x === 5).length === 2);
      expect(a.got.length).toBe(4);

      await reload([{ name: "b", url: b.url }]);
      const statuses = await admin(rh, "GET", "/v1/targets");
      expect(statuses.json.targets.map((t: { name: string }) => t.name)).toEqual(["b"]);

      writeFileSync(rh.configPath!, "this is [not toml");
      const from = rh.logs.length;
      rh.proc.kill("SIGHUP");
      await rh.waitForLog((l) => l.msg === "reload failed; keeping the running configuration", 5000, from);
      await send(rh, ["hup-4"], 1);
      await until("b still delivers after a failed reload", () => b.seqs().includes(6));
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  }, 30_000);
});
