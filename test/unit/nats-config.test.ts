// NATS target and upstream configuration: defaults, errors per kind that name the key, HTTP targets
// exactly as before, secrets masked; and the subject template with its escaping.
import { describe, expect, test } from "bun:test";
import { buildConfig, ConfigError } from "../../src/config/load.ts";
import { MASK, maskConfig } from "../../src/config/mask.ts";
import type { HttpTargetConfig, NatsTargetConfig } from "../../src/config/schema.ts";
import { escapeToken, SubjectTemplate, subjectMatches, templateProblem } from "../../src/nats/subject.ts";

const ONE_APP = { apps: [{ sdk_app_id: 1400000000 }] };
const HTTP = { name: "sync", url: "http://127.0.0.1:9000/x", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" };
const NATS = { kind: "nats", name: "bus", url: "nats://127.0.0.1:4222", stream: "ROOMHOOK" };

function problems(file: Record<string, unknown>): string[] {
  try {
    buildConfig({ file: { ...ONE_APP, ...file } });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("NATS config", () => {
  test("a NATS target gets its defaults beside an HTTP target that keeps its own", () => {
    const c = buildConfig({ file: { ...ONE_APP, targets: [HTTP, NATS] } });
    const [h, n] = c.targets as [HttpTargetConfig, NatsTargetConfig];
    expect(h.kind).toBeUndefined();
    expect(h.max_in_flight).toBe(16);
    expect(n).toMatchObject({
      subject: "roomhook.{sdkAppId}.{type}",
      create_stream: false,
      duplicate_window_s: 120,
      replicas: 1,
      max_in_flight: 1024,
      types: ["*"],
    });
  });

  test("errors name the key of the target's own kind", () => {
    expect(problems({ targets: [{ ...NATS, secret: "x" }] })).toEqual([
      expect.stringContaining("targets[0].secret: unknown key"),
    ]);
    expect(problems({ targets: [{ ...HTTP, url: "ftp://x" }] })[0]).toStartWith("targets[0].url:");
    expect(problems({ targets: [{ ...NATS, url: "http://x" }] })[0]).toStartWith("targets[0].url:");
    expect(problems({ targets: [{ ...NATS, subject: "a.{room}" }] })[0]).toContain("unknown placeholder {room}");
    expect(problems({ targets: [{ ...NATS, subject: "a..b" }] })[0]).toContain("empty token");
    expect(problems({ targets: [{ ...NATS, user: "u" }] })[0]).toContain("set both");
    expect(problems({ targets: [{ ...NATS, token: "t", creds_file: "/x" }] })[0]).toContain("use one of");
    expect(problems({ targets: [{ ...NATS, subject: "{type}", create_stream: true }] })[0]).toContain(
      "stream_subjects",
    );
    const secret = problems({ targets: [{ ...NATS, password: "", user: "u" }] }).join("\n");
    expect(secret).toContain("value not shown");
  });

  test("an upstream is checked like a target's connection", () => {
    const c = buildConfig({ file: { ...ONE_APP, upstream: { kind: "nats", url: "nats://h:4222", stream: "S" } } });
    expect(c.upstream).toMatchObject({ consumer: "roomhook-hub", batch: 256 });
    expect(problems({ upstream: { kind: "nats", url: "nats://h:4222" } })).toEqual(["upstream.stream: is required"]);
  });

  test("check-config masks NATS tokens and passwords", () => {
    const c = buildConfig({
      file: {
        ...ONE_APP,
        targets: [
          { ...NATS, token: "tok-123456" },
          { ...NATS, name: "b", user: "u", password: "pw-123456" },
        ],
        upstream: { kind: "nats", url: "nats://h:4222", stream: "S", token: "up-123456" },
      },
    });
    const json = JSON.stringify(maskConfig(c));
    for (const s of ["tok-123456", "pw-123456", "up-123456"]) expect(json).not.toContain(s);
    expect((maskConfig(c).targets[1] as NatsTargetConfig).password).toBe(MASK);
    expect((maskConfig(c).targets[1] as NatsTargetConfig).user).toBe("u");
  });
});

describe("subject template", () => {
  test("escapes a room id into one token, reversibly", () => {
    for (const room of ["a.b", "x y", "*", ">", "ä€", "%41", "~", "a\tb"]) {
      const t = escapeToken(room);
      expect(t).toMatch(/^[A-Za-z0-9_%-]+$/);
      expect(decodeURIComponent(t)).toBe(room);
    }
    expect(escapeToken(null)).toBe("~");
    expect(escapeToken("r-1_A")).toBe("r-1_A");
  });

  test("renders, covers and matches", () => {
    const t = new SubjectTemplate("roomhook.{sdkAppId}.{type}.{roomId}");
    const s = t.render({ sdkAppId: 14, type: "Room.CallbackAfterMemberEnter", roomId: "r.1" });
    expect(s).toBe("roomhook.14.Room.CallbackAfterMemberEnter.r%2E1");
    expect(t.coveringSubjects()).toEqual(["roomhook.>"]);
    expect(subjectMatches("roomhook.>", s)).toBe(true);
    expect(subjectMatches("roomhook.*.Room.>", s)).toBe(true);
    expect(subjectMatches("roomhook.*", s)).toBe(false);
    expect(subjectMatches("other.>", s)).toBe(false);
    expect(new SubjectTemplate("fixed.subject").coveringSubjects()).toEqual(["fixed.subject"]);
    expect(templateProblem("a.b*")).toContain("'*'");
    expect(templateProblem("a.{roomId}")).toBeNull();
  });
});
