import { describe, expect, test } from "bun:test";
import { CONTENT_TYPE, Registry, escapeLabelValue, formatValue } from "../../src/metrics/registry.ts";
import { RoomhookMetrics, commandLabel, failureClass } from "../../src/metrics/roomhook.ts";
import type { IngestReport, IngestOutcome } from "../../src/callback/ingest.ts";
import type { TargetStatus } from "../../src/delivery/worker.ts";
import { parseExposition } from "../support/prom.ts";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("registry and text format", () => {
  test("counters, gauges and histograms render and parse back", () => {
    const r = new Registry();
    const c = r.counter("t_requests_total", "Requests.", ["code"]);
    c.labels("200").inc();
    c.labels("200").inc(2);
    c.labels("500").inc();
    const g = r.gauge("t_temperature", "A gauge.");
    g.set(-3.5);
    const h = r.histogram("t_latency_seconds", "Latency.", [0.1, 0.5, 1], ["path"]);
    const a = h.labels("/a");
    for (const v of [0.05, 0.1, 0.2, 0.5, 0.7, 3]) a.observe(v);
    const text = r.render();
    const e = parseExposition(text);
    expect(e.types.get("t_requests_total")).toBe("counter");
    expect(e.types.get("t_temperature")).toBe("gauge");
    expect(e.types.get("t_latency_seconds")).toBe("histogram");
    expect(e.help.get("t_requests_total")).toBe("Requests.");
    expect(e.get("t_requests_total", { code: "200" })).toBe(3);
    expect(e.get("t_requests_total", { code: "500" })).toBe(1);
    expect(e.get("t_temperature")).toBe(-3.5);
    // le is "less than or equal": 0.1 falls in the 0.1 bucket, 0.5 in the 0.5 bucket.
    expect(e.get("t_latency_seconds_bucket", { path: "/a", le: "0.1" })).toBe(2);
    expect(e.get("t_latency_seconds_bucket", { path: "/a", le: "0.5" })).toBe(4);
    expect(e.get("t_latency_seconds_bucket", { path: "/a", le: "1" })).toBe(5);
    expect(e.get("t_latency_seconds_bucket", { path: "/a", le: "+Inf" })).toBe(6);
    expect(e.get("t_latency_seconds_count", { path: "/a" })).toBe(6);
    expect(e.get("t_latency_seconds_sum", { path: "/a" })).toBeCloseTo(4.55, 10);
    // HELP and TYPE come before the samples of their family, once each.
    const lines = text.split("\n");
    expect(lines.indexOf("# HELP t_requests_total Requests.")).toBe(0);
    expect(lines.indexOf("# TYPE t_requests_total counter")).toBe(1);
    expect(text.endsWith("\n")).toBe(true);
    expect(CONTENT_TYPE).toStartWith("text/plain; version=0.0.4");
  });

  test("label values and HELP text are escaped", () => {
    const r = new Registry();
    const nasty = 'a\\b"c\nd}{,=';
    r.counter("t_total", 'Help with a \\ backslash\nand a newline; "quotes" stay.', ["v"]).labels(nasty).inc();
    const text = r.render();
    expect(text).toContain(`t_total{v="a\\\\b\\"c\\nd}{,="} 1`);
    expect(text).toContain('# HELP t_total Help with a \\\\ backslash\\nand a newline; "quotes" stay.');
    const e = parseExposition(text);
    expect(e.get("t_total", { v: nasty })).toBe(1);
    expect(e.help.get("t_total")).toBe('Help with a \\ backslash\nand a newline; "quotes" stay.');
    expect(escapeLabelValue("plain")).toBe("plain");
  });

  test("unlabelled series exist at 0; labelled ones appear on first use; clear drops them", () => {
    const r = new Registry();
    r.counter("t_a_total", "A.");
    const g = r.gauge("t_g", "G.", ["k"]);
    r.histogram("t_h", "H.", [1]);
    let e = parseExposition(r.render());
    expect(e.get("t_a_total")).toBe(0);
    expect(e.all("t_g")).toEqual([]);
    expect(e.get("t_h_count")).toBe(0);
    expect(e.get("t_h_bucket", { le: "+Inf" })).toBe(0);
    g.labels("x").set(1);
    expect(parseExposition(r.render()).get("t_g", { k: "x" })).toBe(1);
    g.clear();
    e = parseExposition(r.render());
    expect(e.all("t_g")).toEqual([]);
    expect(e.types.get("t_g")).toBe("gauge");
  });

  test("values: integers, fractions, infinities, NaN", () => {
    expect(formatValue(3)).toBe("3");
    expect(formatValue(0.25)).toBe("0.25");
    expect(formatValue(Infinity)).toBe("+Inf");
    expect(formatValue(-Infinity)).toBe("-Inf");
    expect(formatValue(NaN)).toBe("NaN");
    expect(formatValue(1e-7)).toBe("1e-7");
    const r = new Registry();
    r.gauge("t_inf", "I.").set(Infinity);
    r.gauge("t_small", "S.").set(1e-7);
    const e = parseExposition(r.render());
    expect(e.get("t_inf")).toBe(Infinity);
    expect(e.get("t_small")).toBe(1e-7);
  });

  test("a counter never goes down", () => {
    const r = new Registry();
    const c = r.counter("t_total", "T.");
    c.inc(5);
    c.inc(-2);
    c.inc(0);
    expect(parseExposition(r.render()).get("t_total")).toBe(5);
  });

  test("collectors run before every render", () => {
    const r = new Registry();
    const g = r.gauge("t_scrapes", "S.");
    let n = 0;
    r.onCollect(() => g.set(++n));
    expect(parseExposition(r.render()).get("t_scrapes")).toBe(1);
    expect(parseExposition(r.render()).get("t_scrapes")).toBe(2);
  });

  test("invalid definitions are refused", () => {
    const r = new Registry();
    expect(() => r.counter("1bad", "x")).toThrow(/invalid metric name/);
    expect(() => r.counter("bad-name", "x")).toThrow(/invalid metric name/);
    expect(() => r.counter("ok_total", "x", ["bad-label"])).toThrow(/invalid label name/);
    expect(() => r.counter("ok2_total", "x", ["__reserved"])).toThrow(/invalid label name/);
    expect(() => r.counter("ok3_total", "x", ["a", "a"])).toThrow(/duplicate label/);
    expect(() => r.histogram("h1", "x", [1], ["le"])).toThrow(/reserved/);
    expect(() => r.histogram("h2", "x", [2, 1])).toThrow(/rise strictly/);
    expect(() => r.histogram("h3", "x", [1, Infinity])).toThrow(/finite/);
    expect(() => r.histogram("h4", "x", [])).toThrow(/at least one/);
    r.counter("dup_total", "x");
    expect(() => r.gauge("dup_total", "x")).toThrow(/already registered/);
    const c = r.counter("lab_total", "x", ["a", "b"]);
    expect(() => c.labels("only-one")).toThrow(/expected 2 label value/);
  });

  test("a child is the same object every time (callers keep it for the hot path)", () => {
    const r = new Registry();
    const c = r.counter("t_total", "T.", ["a"]);
    expect(c.labels("x")).toBe(c.labels("x"));
    expect(c.labels("x")).not.toBe(c.labels("y"));
  });

  test("the parser rejects what Prometheus would", () => {
    expect(() => parseExposition("# TYPE a counter\na 1")).toThrow(/newline/);
    expect(() => parseExposition("a 1\n")).toThrow(/before its TYPE/);
    expect(() => parseExposition('# TYPE a counter\na{x="1} 1\n')).toThrow();
    expect(() => parseExposition('# TYPE a counter\na{x="\\q"} 1\n')).toThrow(/escape/);
    expect(() => parseExposition("# TYPE a counter\na one\n")).toThrow(/bad value/);
    expect(() =>
      parseExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'),
    ).toThrow(/cumulative/);
    expect(() =>
      parseExposition('# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'),
    ).toThrow(/_count/);
  });
});

describe("roomhook metrics", () => {
  const report = (outcome: IngestOutcome, command?: string): IngestReport => ({
    answer: { status: 200, code: 0, info: "" } as IngestReport["answer"],
    outcome,
    command,
  });

  test("command labels are bounded", () => {
    expect(commandLabel("Room.CallbackAfterMemberEnter")).toBe("Room.CallbackAfterMemberEnter");
    expect(commandLabel("Mic.CallbackAfterSeatInfoChanged")).toBe("Mic.CallbackAfterSeatInfoChanged");
    expect(commandLabel("Room.SomethingNew")).toBe("other");
    expect(commandLabel("constructor")).toBe("other");
    expect(commandLabel(undefined)).toBe("none");
    expect(commandLabel("")).toBe("none");
  });

  test("failure classes", () => {
    expect(failureClass(null, "timeout after 5000 ms")).toBe("timeout");
    expect(failureClass(null, "network error: ECONNREFUSED")).toBe("network");
    expect(failureClass(500, "HTTP 500")).toBe("http_5xx");
    expect(failureClass(503, "HTTP 503")).toBe("http_5xx");
    expect(failureClass(429, "HTTP 429")).toBe("http_429");
    expect(failureClass(408, "HTTP 408")).toBe("http_408");
    expect(failureClass(410, "410 Gone")).toBe("http_410");
    expect(failureClass(422, "HTTP 422")).toBe("http_4xx");
    expect(failureClass(302, "HTTP 302")).toBe("http_3xx");
    expect(failureClass(700, "HTTP 700")).toBe("other");
  });

  test("callbacks, commits, deliveries and scrape-time readings", () => {
    const dir = mkdtempSync(join(tmpdir(), "roomhook-metrics-"));
    try {
      const jdir = join(dir, "journal");
      const qdir = join(dir, "quarantine");
      mkdirSync(jdir);
      mkdirSync(qdir);
      writeFileSync(join(jdir, "00000000000000000001.jsonl"), "x".repeat(100));
      writeFileSync(join(jdir, "00000000000000000007.jsonl"), "y".repeat(50));
      writeFileSync(join(jdir, "not-a-segment.txt"), "z".repeat(1000));
      writeFileSync(join(qdir, "00000000000000000001.jsonl"), "q".repeat(30));
      let clock = 1_000_000;
      const m = new RoomhookMetrics(new Registry(), { version: "9.9.9" }, () => clock);
      const enter = "Room.CallbackAfterMemberEnter";
      m.onReport(report("accepted", enter), 2);
      m.onReport(report("accepted", enter), 4);
      m.onReport(report("duplicate", enter), 0.05);
      m.onReport(report("quarantined", "Room.CallbackAfterDestroyRoom"), 3);
      m.onReport(report("quarantined", ""), 3);
      m.onReport(report("unknown_command", "Room.Future"), 1);
      m.onReport(report("rejected"), 0.02);
      m.onReport(report("unavailable", enter), 20);
      m.journalCommitted({ records: 3, bytes: 900, syncMs: 1.5 });
      m.journalCommitted({ records: 1, bytes: 300, syncMs: 0.2 });
      m.delivery.delivered("sync");
      m.delivery.delivered("sync");
      m.delivery.failed("sync", 503, "HTTP 503");
      m.delivery.failed("sync", null, "timeout after 100 ms");
      m.delivery.failed("sync", 503, "HTTP 503");
      m.delivery.deadLettered("sync");
      const status = (name: string, state: TargetStatus["state"], lag: number): TargetStatus =>
        ({ name, state, lag, inFlight: 2, cursor: 5, deadLetters: 1 }) as TargetStatus;
      m.watch({
        journalDir: jdir,
        quarantineDir: qdir,
        headSeq: () => 7,
        quarantineHeadSeq: () => 2,
        journalWritable: () => true,
        targets: () => [status("sync", "open-circuit", 3), status("idle", "running", 0)],
      });
      clock += 12_500;
      const e = parseExposition(m.registry.render());

      const req = "roomhook_callback_requests_total";
      expect(e.get(req, { command: enter, outcome: "accepted" })).toBe(2);
      expect(e.get(req, { command: enter, outcome: "duplicate" })).toBe(1);
      expect(e.get(req, { command: "Room.CallbackAfterDestroyRoom", outcome: "quarantined" })).toBe(1);
      expect(e.get(req, { command: "none", outcome: "quarantined" })).toBe(1);
      expect(e.get(req, { command: "other", outcome: "unknown_command" })).toBe(1);
      expect(e.get(req, { command: "none", outcome: "rejected" })).toBe(1);
      expect(e.get(req, { command: enter, outcome: "unavailable" })).toBe(1);
      expect(e.sum(req)).toBe(8);
      expect(e.get("roomhook_callback_duplicates_total")).toBe(1);
      expect(e.get("roomhook_callback_quarantined_total")).toBe(2);
      expect(e.get("roomhook_callback_ack_seconds_count", { outcome: "accepted" })).toBe(2);
      expect(e.get("roomhook_callback_ack_seconds_sum", { outcome: "accepted" })).toBeCloseTo(0.006, 10);
      expect(e.get("roomhook_callback_ack_seconds_bucket", { outcome: "accepted", le: "0.0025" })).toBe(1);
      expect(e.sum("roomhook_callback_ack_seconds_count")).toBe(8);

      expect(e.get("roomhook_journal_fsync_seconds_count")).toBe(2);
      expect(e.get("roomhook_journal_fsync_seconds_sum")).toBeCloseTo(0.0017, 10);
      expect(e.get("roomhook_journal_batch_records_sum")).toBe(4);
      expect(e.get("roomhook_journal_batch_records_bucket", { le: "1" })).toBe(1);
      expect(e.get("roomhook_journal_batch_records_bucket", { le: "4" })).toBe(2);
      expect(e.get("roomhook_journal_written_bytes_total")).toBe(1200);
      expect(e.get("roomhook_journal_segments")).toBe(2);
      expect(e.get("roomhook_journal_disk_bytes")).toBe(150);
      expect(e.get("roomhook_journal_head_seq")).toBe(7);
      expect(e.get("roomhook_journal_writable")).toBe(1);
      expect(e.get("roomhook_quarantine_disk_bytes")).toBe(30);
      expect(e.get("roomhook_quarantine_head_seq")).toBe(2);

      expect(e.get("roomhook_target_deliveries_total", { target: "sync" })).toBe(2);
      expect(e.get("roomhook_target_deliveries_total", { target: "idle" })).toBe(0);
      expect(e.get("roomhook_target_failures_total", { target: "sync", class: "http_5xx" })).toBe(2);
      expect(e.get("roomhook_target_failures_total", { target: "sync", class: "timeout" })).toBe(1);
      expect(e.get("roomhook_target_dead_lettered_total", { target: "sync" })).toBe(1);
      expect(e.get("roomhook_target_dead_letters", { target: "sync" })).toBe(1);
      expect(e.get("roomhook_target_lag_events", { target: "sync" })).toBe(3);
      expect(e.get("roomhook_target_in_flight", { target: "sync" })).toBe(2);
      expect(e.get("roomhook_target_cursor_seq", { target: "sync" })).toBe(5);
      expect(e.get("roomhook_target_state", { target: "sync", state: "open-circuit" })).toBe(1);
      expect(e.get("roomhook_target_state", { target: "sync", state: "running" })).toBe(0);
      expect(e.sum("roomhook_target_state", { target: "sync" })).toBe(1);
      expect(e.all("roomhook_target_state", { target: "idle" }).length).toBe(5);

      expect(e.get("roomhook_uptime_seconds")).toBe(12.5);
      expect(e.get("roomhook_process_start_time_seconds")).toBe(1000);
      expect(e.get("roomhook_process_resident_memory_bytes")).toBeGreaterThan(0);
      expect(e.get("roomhook_process_heap_used_bytes")).toBeGreaterThan(0);
      expect(e.get("roomhook_build_info", { version: "9.9.9", bun: Bun.version })).toBe(1);
      // Every family carries the prefix and a HELP line.
      for (const name of e.types.keys()) {
        expect(name).toStartWith("roomhook_");
        expect(e.help.get(name)?.length).toBeGreaterThan(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a target gone after a reload leaves the gauges; its counters stay", () => {
    const m = new RoomhookMetrics(new Registry(), { version: "1" });
    let targets: TargetStatus[] = [
      { name: "old", state: "running", lag: 0, inFlight: 0, cursor: 0, deadLetters: 0 } as unknown as TargetStatus,
    ];
    m.watch({
      journalDir: "/nonexistent",
      quarantineDir: "/nonexistent",
      headSeq: () => 0,
      quarantineHeadSeq: () => 0,
      journalWritable: () => false,
      targets: () => targets,
    });
    m.delivery.delivered("old");
    let e = parseExposition(m.registry.render());
    expect(e.get("roomhook_target_lag_events", { target: "old" })).toBe(0);
    expect(e.get("roomhook_journal_segments")).toBe(0);
    expect(e.get("roomhook_journal_writable")).toBe(0);
    targets = [];
    e = parseExposition(m.registry.render());
    expect(e.all("roomhook_target_lag_events")).toEqual([]);
    expect(e.all("roomhook_target_state")).toEqual([]);
    expect(e.get("roomhook_target_deliveries_total", { target: "old" })).toBe(1);
  });

  test("an observation is a few number updates (timed, with generous bounds for slow CI)", () => {
    const m = new RoomhookMetrics(new Registry(), { version: "1" });
    const r = report("accepted", "Room.CallbackAfterMemberEnter");
    const c = { records: 4, bytes: 1000, syncMs: 0.5 };
    for (let i = 0; i < 10_000; i++) m.onReport(r, 1); // series created, JIT warm
    const N = 1_000_000;
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      m.onReport(r, 1);
      m.journalCommitted(c);
    }
    const nsPerPair = ((performance.now() - t0) * 1e6) / N;
    expect(nsPerPair).toBeLessThan(1000); // ~100 ns measured on a laptop
    expect(
      parseExposition(m.registry.render()).get("roomhook_callback_requests_total", {
        command: "Room.CallbackAfterMemberEnter",
        outcome: "accepted",
      }),
    ).toBe(N + 10_000);
  });
});
