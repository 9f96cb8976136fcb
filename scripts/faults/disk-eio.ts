// Phase B of scripts/faults/disk-full: EIO injected with strace into the running binary (steps B1,
// B2, B3 are described in disk-full.ts). strace is attached to the pid and detached after each step.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import {
  configText,
  enterBody,
  sendSigned,
  Sink,
  startRoomhook,
  tempDir,
  type Roomhook,
} from "../../test/support/harness.ts";
import {
  endPhase,
  Ledger,
  load,
  readyAgain,
  readyz,
  strictRefuses,
  targetsFor,
  type DiskFaultSettings,
} from "./disk-check.ts";

async function attachStrace(pid: number, syscall: string, when: string | null): Promise<ChildProcess> {
  const inject = `inject=${syscall}:error=EIO${when ? `:when=${when}` : ""}`;
  const st = spawn("strace", ["-f", "-p", String(pid), "-e", `trace=${syscall}`, "-e", inject, "-o", "/dev/null"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`strace did not attach: ${err}`)), 5000);
    st.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      if (/attached/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    st.on("exit", (c) => {
      clearTimeout(timer);
      reject(new Error(`strace exited ${c}: ${err}`));
    });
  });
  return st;
}

async function detachStrace(st: ChildProcess): Promise<void> {
  if (st.exitCode !== null) return;
  const exited = new Promise((r) => st.once("exit", r));
  st.kill("SIGTERM");
  await Promise.race([exited, Bun.sleep(5000)]);
  if (st.exitCode === null && st.signalCode === null) st.kill("SIGKILL");
}

export async function phaseEio(
  o: DiskFaultSettings,
  rand: () => number,
  log: (l: string) => void,
  violations: string[],
) {
  const sink = new Sink();
  const strict = o.strict ? new Sink((ev) => (strictRefuses(ev.roomId) ? 422 : 200)) : null;
  const ledger = new Ledger();
  const dataDir = join(tempDir("eio"), "data");
  const toml = configText(
    { data_dir: dataDir, journal: { durability: "fsync", segment_bytes: 16384 } },
    targetsFor(sink, strict),
  );
  let rh: Roomhook | null = await startRoomhook({ dataDir, tomlText: toml });
  const steps: {
    name: string;
    syscall: string;
    when: string | null;
    ms: number;
    expectUnready: boolean;
    senders: number;
    shaped: number;
  }[] = [
    {
      name: "B1 every 3rd fdatasync fails (EIO)",
      syscall: "fdatasync",
      when: "2+3",
      ms: 1500,
      expectUnready: false,
      senders: Math.min(o.senders, 8),
      shaped: 0,
    },
    {
      name: "B2 every fdatasync fails (EIO)",
      syscall: "fdatasync",
      when: null,
      ms: 1000,
      expectUnready: true,
      senders: Math.min(o.senders, 8),
      shaped: 0,
    },
    // One sequential sender: concurrent batches group small events with big ones and always roll.
    {
      name: "B3 every fsync fails (EIO): segment rolls, cursor saves",
      syscall: "fsync",
      when: null,
      ms: 1500,
      expectUnready: true,
      senders: 0,
      shaped: 1,
    },
  ];
  try {
    for (const s of steps.filter((x) => o.eioSteps.includes(x.name.slice(0, 2)))) {
      const v: string[] = [];
      const before = { ...ledger.answers };
      const st = await attachStrace(rh.pid, s.syscall, s.when);
      await Bun.sleep(200); // every thread attached
      const l = load(rh, ledger, s.name.slice(0, 2).toLowerCase(), s.senders, rand, false, s.shaped);
      const t0 = performance.now();
      let unready = 0;
      while (performance.now() - t0 < s.ms) {
        if ((await readyz(rh)) === 503) unready++;
        await Bun.sleep(50);
      }
      l.stop();
      await l.done;
      await detachStrace(st);
      const unav = ledger.answers.unavailable - before.unavailable;
      const okDuring = ledger.answers.ok - before.ok;
      if (unav === 0) v.push("no callback was answered 503: the injection did not bite");
      if (s.expectUnready && unready === 0) v.push("/readyz never answered 503 during the fault");
      const back = await readyAgain(rh, 6000);
      if (back < 0) v.push("/readyz did not turn 200 within 6 s of the fault ending");
      for (let k = 0; k < 5; k++) {
        const room = `${s.name.slice(0, 2).toLowerCase()}-after-${k}`;
        const body = enterBody(room);
        const a = await sendSigned(rh.base, body);
        ledger.record(room, body, a.status, a.text, a.ms);
        if (a.status !== 200) v.push(`callback after the fault answered ${a.status}`);
      }
      const errors = rh.logs.filter((x) => x.errno === "EIO").length;
      log(
        `disk-full ${s.name} for ${s.ms} ms: ${okDuring} acknowledged, ${unav} answered 503 FAIL 50301; /readyz 503 seen ${unready} time(s); ` +
          `ready again ${back} ms after, then 5 of 5 acknowledged${v.some((x) => x.startsWith("callback after")) ? " (NOT)" : ""}; EIO log lines so far ${errors}; ${v.length ? `VIOLATIONS: ${v.join(" / ")}` : "ok"}`,
      );
      violations.push(...v.map((x) => `phase ${s.name.slice(0, 2)}: ${x}`));
    }
    const { res, v } = await endPhase("B", rh, dataDir, ledger, sink, strict, violations);
    rh = null;
    log(
      `disk-full B total: ${ledger.acked.size} acknowledged, ${ledger.failed.size} answered 503; journal ${res.events} events; "sink" received ${sink.received.size}; ` +
        `${strict ? `${res.deadLetters} readable dead letters; ` : ""}${v.length ? `VIOLATIONS ${v.length}` : "ok"}`,
    );
  } finally {
    if (rh?.alive) await rh.kill9();
    sink.stop();
    strict?.stop();
  }
}
