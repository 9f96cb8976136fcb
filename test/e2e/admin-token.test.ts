// Rotating the admin token by SIGHUP, as an operator would: three rotations in a row on the binary.
// After each one the new token is accepted and every earlier token gets 401. (A regression test:
// the admin API once kept answering to the token of the first reload.)
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { APP, cleanup, startRoomhook, toToml, type Roomhook } from "./helpers.ts";

afterAll(cleanup);

const TOKENS: string[] = [
  "admin-token-0-aaaaaaaaaaaa",
  "admin-token-1-bbbbbbbbbbbb",
  "admin-token-2-cccccccccccc",
  "admin-token-3-dddddddddddd",
];

/** The file as at start but for the token: nothing else changes, so nothing else can explain a 401. */
function configWith(rh: { dataDir: string }, token: string): string {
  return toToml({
    data_dir: rh.dataDir,
    server: { listen: "127.0.0.1:0" },
    apps: [{ sdk_app_id: APP }],
    admin: { listen: "127.0.0.1:0", token },
    log: { level: "info" },
  });
}

async function status(admin: string, token: string): Promise<number> {
  const res = await fetch(`http://${admin}/v1/targets`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

async function reload(rh: Roomhook, text: string): Promise<void> {
  writeFileSync(rh.configPath!, text);
  const from = rh.logs.length;
  rh.proc.kill("SIGHUP");
  await rh.waitForLog(
    (l) => l.msg === "configuration reloaded" || l.msg === "reload failed; keeping the running configuration",
    5000,
    from,
  );
  const said = rh.logs.slice(from).map((l) => l.msg);
  expect(said).toContain("configuration reloaded");
  expect(said).not.toContain("these settings take effect only after a restart");
}

describe("admin token rotation by SIGHUP", () => {
  test("three rotations in a row: each new token is accepted, every previous one gets 401", async () => {
    const rh = await startRoomhook({ config: { admin: { listen: "127.0.0.1:0", token: TOKENS[0]! } } });
    try {
      const admin = String(rh.logs.find((l) => l.msg === "roomhook listening")!.admin);
      expect(await status(admin, TOKENS[0]!)).toBe(200);
      for (let i = 1; i < TOKENS.length; i++) {
        await reload(rh, configWith(rh, TOKENS[i]!));
        expect(await status(admin, TOKENS[i]!)).toBe(200);
        for (let old = 0; old < i; old++) expect(await status(admin, TOKENS[old]!)).toBe(401);
      }
      expect(rh.rawStdout.join("\n")).not.toContain("admin-token-");
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  });
});
