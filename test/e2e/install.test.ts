// scripts/deploy/install.sh (issue 4, item 1; socket activation, upgrade and rollback: issue 11),
// run against the built binary into scratch roots (DESTDIR / --root) only. It never touches the real /usr/local/bin, /etc or systemd: systemctl,
// useradd and runuser are shadowed on PATH by stubs that record any call, and every test asserts
// none came. .ci/systemd-check verifies the unit itself with systemd-analyze.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { ConfigSchema } from "../../src/config/schema.ts";
import { BIN, ROOT, childEnv, cleanup, requireBinary, tempDir } from "./helpers.ts";

setDefaultTimeout(30_000);

const SCRIPT = join(ROOT, "scripts", "deploy", "install.sh");
const EXAMPLE = join(ROOT, "examples", "roomhook.toml");
const UNIT = join(ROOT, "scripts", "deploy", "roomhook.service");
const SOCKET = join(ROOT, "scripts", "deploy", "roomhook.socket");

const P = {
  bin: "usr/local/bin/roomhook",
  prev: "usr/local/bin/roomhook.previous",
  confDir: "etc/roomhook",
  conf: "etc/roomhook/roomhook.toml",
  unit: "etc/systemd/system/roomhook.service",
  socket: "etc/systemd/system/roomhook.socket",
  dropins: "etc/systemd/system/roomhook.service.d",
  data: "var/lib/roomhook",
};

// The real system paths: their state before and after must be the same.
const REAL = [
  "/usr/local/bin/roomhook",
  "/usr/local/bin/roomhook.previous",
  "/etc/roomhook",
  "/etc/systemd/system/roomhook.service",
  "/etc/systemd/system/roomhook.socket",
  "/var/lib/roomhook",
];
function realState(): string {
  return REAL.map((p) => {
    try {
      const s = lstatSync(p);
      return `${p} ${s.mode} ${s.mtimeMs} ${s.ino}`;
    } catch {
      return `${p} absent`;
    }
  }).join("\n");
}

let stubs: string;
let callsLog: string;
let realBefore: string;

beforeAll(() => {
  requireBinary();
  realBefore = realState();
  stubs = tempDir("install-stubs");
  callsLog = join(stubs, "calls.log");
  for (const name of ["systemctl", "useradd", "userdel", "runuser", "sudo"]) {
    const p = join(stubs, name);
    writeFileSync(p, `#!/bin/sh\necho "${name} $*" >> "${callsLog}"\nexit 97\n`);
    chmodSync(p, 0o755);
  }
});

afterAll(async () => {
  // The last word: nothing outside the scratch roots was touched.
  expect(realState()).toBe(realBefore);
  await cleanup();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], opts: { destdir?: string; cwd?: string } = {}): Promise<Run> {
  const env = childEnv();
  delete env.DESTDIR;
  env.PATH = `${stubs}:${env.PATH}`;
  if (opts.destdir !== undefined) env.DESTDIR = opts.destdir;
  const proc = Bun.spawn([SCRIPT, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    env,
    cwd: opts.cwd ?? ROOT,
  });
  const timer = setTimeout(() => proc.kill(9), 20_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  // In a scratch root, install.sh must never reach for systemd or the user database.
  expect(existsSync(callsLog) ? readFileSync(callsLog, "utf8") : "").toBe("");
  return { code, stdout, stderr };
}

async function install(root: string, extra: string[] = []): Promise<Run> {
  const r = await run(["--binary", BIN, ...extra], { destdir: root });
  if (r.code !== 0) throw new Error(`install.sh failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

function mode(p: string): number {
  return statSync(p).mode & 0o7777;
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  return (await Bun.spawn(["cmp", "-s", a, b]).exited) === 0;
}

/** Every entry under root: path, type+mode, owner, size, mtime, inode. Equal snapshots = untouched. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const s = lstatSync(p);
      out.push(`${relative(root, p)} ${s.mode.toString(8)} ${s.uid}:${s.gid} ${s.size} ${s.mtimeMs} ${s.ino}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

/** The socket unit install.sh should write for a given ListenStream= value. */
function socketUnit(listenStream: string): string {
  const text = readFileSync(SOCKET, "utf8");
  expect(text.match(/^ListenStream=/gm)?.length).toBe(1);
  return text.replace(/^ListenStream=.*$/m, `ListenStream=${listenStream}`);
}

/** A stand-in binary: answers --version itself, hands every other command to the real binary,
 * except check-config when it is told to refuse. Different bytes from BIN: an upgrade. */
function fakeBinary(version: string, opts: { refuseConfig?: boolean } = {}): string {
  const p = join(tempDir("install-bin"), "roomhook");
  const refuse = opts.refuseConfig
    ? `if [ "$1" = check-config ]; then echo "roomhook: apps[0].sdk_app_id: not accepted by ${version}" >&2; exit 1; fi\n`
    : "";
  writeFileSync(
    p,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo ${version}; exit 0; fi\n${refuse}exec "${BIN}" "$@"\n`,
  );
  chmodSync(p, 0o755);
  return p;
}

function files(root: string): string[] {
  return snapshot(root)
    .filter((l) => !l.split(" ")[1]!.startsWith("4"))
    .map((l) => l.split(" ")[0]!);
}

describe("install.sh --help and usage errors", () => {
  test("the script is executable and --help / -h print the usage, exit 0", async () => {
    expect(statSync(SCRIPT).mode & 0o111).toBe(0o111);
    for (const flag of ["--help", "-h"]) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      for (const word of [
        "Usage",
        "--uninstall",
        "--purge",
        "--root",
        "--binary",
        "DESTDIR",
        "/usr/local/bin/roomhook",
        "/etc/roomhook/roomhook.toml",
        "never overwritten",
        "--rollback",
        "/usr/local/bin/roomhook.previous",
        "/etc/systemd/system/roomhook.socket",
        "ListenStream=",
        "systemctl restart roomhook.service",
        "never roomhook.socket",
        "NEW check-config --config",
      ]) {
        expect(r.stdout).toContain(word);
      }
    }
  });

  test("an unknown option or --purge without --uninstall is a usage error (exit 2)", async () => {
    const a = await run(["--frobnicate"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("unknown option: --frobnicate");
    const b = await run(["--purge"], { destdir: tempDir("install") });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("--purge only goes with --uninstall");
    const c = await run(["--rollback", "--binary", BIN], { destdir: tempDir("install") });
    expect(c.code).toBe(2);
    expect(c.stderr).toContain("--rollback takes no --binary");
  });

  test("a missing binary fails (exit 1) with the build hint and lays down nothing", async () => {
    const root = tempDir("install");
    const r = await run(["--binary", join(root, "nope")], { destdir: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("npm run build");
    expect(files(root)).toEqual([]);
  });
});

describe("install.sh into a scratch root", () => {
  let root: string;
  let first: Run;

  beforeAll(async () => {
    root = tempDir("install");
    first = await install(root);
  });

  test("lays down exactly the binary, the config and the two units, with their modes and contents", async () => {
    expect(files(root).sort()).toEqual([P.conf, P.unit, P.socket, P.bin].sort());
    expect(mode(join(root, P.bin))).toBe(0o755);
    expect(await sameBytes(BIN, join(root, P.bin))).toBe(true);
    expect(mode(join(root, P.confDir))).toBe(0o750);
    expect(mode(join(root, P.conf))).toBe(0o640);
    expect(readFileSync(join(root, P.conf), "utf8")).toBe(readFileSync(EXAMPLE, "utf8"));
    expect(mode(join(root, P.unit))).toBe(0o644);
    expect(readFileSync(join(root, P.unit), "utf8")).toBe(readFileSync(UNIT, "utf8"));
    // The socket unit, its ListenStream= from server.listen of the example config.
    expect(readFileSync(EXAMPLE, "utf8")).toContain('listen = "0.0.0.0:8080"');
    expect(mode(join(root, P.socket))).toBe(0o644);
    expect(readFileSync(join(root, P.socket), "utf8")).toBe(socketUnit("0.0.0.0:8080"));
    // No previous binary on a first install: nothing to roll back to.
    expect(existsSync(join(root, P.prev))).toBe(false);
    // The data directory is systemd's (StateDirectory=), created at the first start.
    expect(existsSync(join(root, P.data))).toBe(false);
  });

  test("says what it did and prints the next steps", () => {
    expect(first.stdout).toContain(`installed ${root}/${P.bin}`);
    expect(first.stdout).toContain(`wrote ${root}/${P.conf}`);
    expect(first.stdout).toContain(`installed ${root}/${P.unit}`);
    expect(first.stdout).toContain(`installed ${root}/${P.socket}`);
    expect(first.stdout).toContain("roomhook.socket listens on 0.0.0.0:8080 (server.listen)");
    // What it would run on the real system: enable and start both units.
    expect(first.stdout).toContain("would run: systemctl enable roomhook.socket roomhook.service\n");
    expect(first.stdout).toContain("would run: systemctl start roomhook.socket roomhook.service\n");
    expect(first.stdout).toContain("not creating the system user roomhook");
    for (const step of [
      "Next steps",
      "Edit /etc/roomhook/roomhook.toml",
      "check-config --config /etc/roomhook/roomhook.toml",
      "systemctl restart roomhook",
      "systemctl reload roomhook",
      "callback URL",
    ]) {
      expect(first.stdout).toContain(step);
    }
  });

  test("the installed binary runs and accepts the installed config", async () => {
    const r = Bun.spawnSync([join(root, P.bin), "check-config", "--config", join(root, P.conf)], { env: childEnv() });
    expect(r.exitCode).toBe(0);
    const effective = JSON.parse(r.stdout.toString());
    expect(effective.data_dir).toBe("/var/lib/roomhook");
    expect(effective.admin.listen).toBe("127.0.0.1:8081");
  });

  test("the unit starts the installed binary on the installed config, on the socket of roomhook.socket", () => {
    const unit = readFileSync(join(root, P.unit), "utf8");
    expect(unit).toContain(`ExecStart=/${P.bin} serve --config /${P.conf}\n`);
    expect(unit).toContain("StateDirectory=roomhook\n");
    for (const line of ["Requires=roomhook.socket", "After=roomhook.socket", "Restart=always"])
      expect(unit).toContain(`\n${line}\n`);
    const socket = readFileSync(join(root, P.socket), "utf8");
    for (const line of ["Service=roomhook.service", "FileDescriptorName=roomhook", "WantedBy=sockets.target"])
      expect(socket).toContain(`\n${line}\n`);
  });

  test("a second run changes nothing (same files, modes, mtimes, inodes)", async () => {
    const before = snapshot(root);
    const r = await install(root);
    expect(snapshot(root)).toEqual(before);
    expect(r.stdout).toContain(`unchanged ${root}/${P.bin}`);
    expect(r.stdout).toContain(`unchanged ${root}/${P.unit}`);
    expect(r.stdout).toContain(`unchanged ${root}/${P.socket}`);
    expect(r.stdout).toContain("never overwritten");
    // Installed and unchanged: nothing to reload, enable, start or restart.
    expect(r.stdout).toContain("roomhook is running; nothing changed, so it was not restarted");
    expect(r.stdout).not.toContain("would run:");
  });

  test("an existing config is never overwritten (its mode is put back to 0640)", async () => {
    const mine = 'data_dir = "/srv/roomhook"\n[[apps]]\nsdk_app_id = 1400000001\n';
    writeFileSync(join(root, P.conf), mine);
    chmodSync(join(root, P.conf), 0o644);
    const r = await install(root);
    expect(readFileSync(join(root, P.conf), "utf8")).toBe(mine);
    expect(mode(join(root, P.conf))).toBe(0o640);
    expect(r.stdout).toContain("kept existing");
    expect(r.stdout).toContain("(The existing file was kept.)");
    writeFileSync(join(root, P.conf), readFileSync(EXAMPLE));
  });

  test("upgrade: keeps the installed binary as roomhook.previous, renames the new one in, restarts only the service", async () => {
    const stub = fakeBinary("9.9.9");
    const conf = snapshot(root).filter((l) => l.startsWith("etc/"));
    const oldIno = statSync(join(root, P.bin)).ino;
    const r = await run(["--binary", stub], { destdir: root });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Installing roomhook 9.9.9");
    expect(await sameBytes(stub, join(root, P.bin))).toBe(true);
    expect(statSync(join(root, P.bin)).ino).not.toBe(oldIno);
    expect(mode(join(root, P.bin))).toBe(0o755);
    // The previous binary is the very file that was installed (a hard link, not a copy).
    expect(statSync(join(root, P.prev)).ino).toBe(oldIno);
    expect(await sameBytes(BIN, join(root, P.prev))).toBe(true);
    expect(r.stdout).toContain(`kept the installed binary as ${root}/${P.prev}`);
    // Config and units untouched; the service is restarted, the socket never.
    expect(snapshot(root).filter((l) => l.startsWith("etc/"))).toEqual(conf);
    expect(r.stdout).toContain("would run: systemctl restart roomhook.service\n");
    expect(r.stdout).not.toContain("daemon-reload");
    expect(r.stdout).not.toMatch(/would run: systemctl \w+ .*roomhook\.socket/);
    expect(readdirSync(join(root, "usr/local/bin")).sort()).toEqual(["roomhook", "roomhook.previous"]); // no temp files

    // The same binary again: idempotent, roomhook.previous is not overwritten with it.
    const before = snapshot(root);
    const again = await run(["--binary", stub], { destdir: root });
    expect(again.code).toBe(0);
    expect(snapshot(root)).toEqual(before);
    expect(again.stdout).not.toContain("would run:");

    // --rollback: the previous binary back in place by rename, the service restarted (not the socket).
    const rb = await run(["--rollback"], { destdir: root });
    expect(rb.code).toBe(0);
    expect(rb.stdout).toContain("Rolling back roomhook 9.9.9 to 0.1.0");
    expect(await sameBytes(BIN, join(root, P.bin))).toBe(true);
    expect(statSync(join(root, P.bin)).ino).toBe(oldIno);
    expect(mode(join(root, P.bin))).toBe(0o755);
    expect(await sameBytes(stub, join(root, P.prev))).toBe(true); // so --rollback again rolls forward
    expect(rb.stdout).toContain("would run: systemctl restart roomhook.service\n");
    expect(rb.stdout).not.toContain("roomhook.socket");
    expect(snapshot(root).filter((l) => l.startsWith("etc/"))).toEqual(conf);
    expect(readdirSync(join(root, "usr/local/bin")).sort()).toEqual(["roomhook", "roomhook.previous"]);

    // Back to the real binary by an upgrade: the stub becomes the previous one again, harmlessly.
    await install(root);
    expect(await sameBytes(BIN, join(root, P.bin))).toBe(true);
  });

  test("a binary that does not run is refused before anything is replaced", async () => {
    const bad = join(tempDir("install-bin"), "roomhook");
    writeFileSync(bad, "#!/bin/sh\necho 'cannot execute' >&2\nexit 126\n");
    chmodSync(bad, 0o755);
    const before = snapshot(root);
    const r = await run(["--binary", bad], { destdir: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--version failed");
    expect(snapshot(root)).toEqual(before);
  });

  test("a binary that rejects the installed config is refused before anything is replaced", async () => {
    const picky = fakeBinary("9.9.10", { refuseConfig: true });
    const before = snapshot(root);
    const r = await run(["--binary", picky], { destdir: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `refusing ${picky}, nothing was changed: it does not accept ${root}/${P.conf} (check-config)`,
    );
    expect(r.stderr).toContain("not accepted by 9.9.10");
    expect(r.stdout).not.toContain("Installing");
    expect(snapshot(root)).toEqual(before);
    expect(await sameBytes(BIN, join(root, P.bin))).toBe(true);
  });

  test("--rollback refuses a previous binary that does not run, changing nothing", async () => {
    const prev = join(root, P.prev);
    const kept = readFileSync(prev);
    writeFileSync(prev, "#!/bin/sh\nexit 126\n");
    try {
      const before = snapshot(root);
      const r = await run(["--rollback"], { destdir: root });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("refusing to roll back, nothing was changed");
      expect(r.stderr).toContain("--version failed");
      expect(snapshot(root)).toEqual(before);
    } finally {
      writeFileSync(prev, kept);
    }
  });
});

describe("install.sh --rollback without a previous binary", () => {
  test("fails clearly (exit 1) and changes nothing, installed or not", async () => {
    const root = tempDir("install");
    const none = await run(["--rollback"], { destdir: root });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("roomhook is not installed");
    await install(root);
    const before = snapshot(root);
    const r = await run(["--rollback"], { destdir: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no previous binary to roll back to: ${root}/${P.prev} does not exist`);
    expect(r.stdout).not.toContain("would run:");
    expect(snapshot(root)).toEqual(before);
  });
});

describe("roomhook.socket follows server.listen of the installed config", () => {
  const setListen = (root: string, listen: string) => {
    const conf = join(root, P.conf);
    const text = readFileSync(EXAMPLE, "utf8").replace(/^listen = "0\.0\.0\.0:8080"/m, `listen = "${listen}"`);
    expect(text).toContain(`listen = "${listen}"`);
    mkdirSync(join(root, P.confDir), { recursive: true });
    writeFileSync(conf, text);
  };

  test("an existing config's address is written at the first install; a change rebinds the socket", async () => {
    const root = tempDir("install");
    setListen(root, "[::]:9443");
    const first = await install(root);
    expect(readFileSync(join(root, P.socket), "utf8")).toBe(socketUnit("[::]:9443"));
    expect(first.stdout).toContain("roomhook.socket listens on [::]:9443");

    setListen(root, "127.0.0.1:8090");
    const r = await install(root);
    expect(readFileSync(join(root, P.socket), "utf8")).toBe(socketUnit("127.0.0.1:8090"));
    // A new address needs a new socket: the one case where the socket is restarted, and said so.
    expect(r.stdout).toContain("server.listen changed ([::]:9443 -> 127.0.0.1:8090)");
    expect(r.stdout).toContain("would run: systemctl daemon-reload\n");
    expect(r.stdout).toContain("would run: systemctl restart roomhook.socket roomhook.service\n");

    // "localhost" becomes 127.0.0.1 (systemd takes no host names); idempotent afterwards.
    setListen(root, "localhost:8091");
    await install(root);
    expect(readFileSync(join(root, P.socket), "utf8")).toBe(socketUnit("127.0.0.1:8091"));
    const before = snapshot(root);
    await install(root);
    expect(snapshot(root)).toEqual(before);
  });

  test("a host name in server.listen is refused before anything is replaced", async () => {
    const root = tempDir("install");
    await install(root);
    setListen(root, "callbacks.example.com:8080");
    const before = snapshot(root);
    const r = await run(["--binary", fakeBinary("9.9.11")], { destdir: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('server.listen = "callbacks.example.com:8080"');
    expect(r.stderr).toContain("needs an IP address");
    expect(snapshot(root)).toEqual(before);
  });
});

describe("install.sh --root", () => {
  test("--root DIR (relative to the working directory) is the same as DESTDIR", async () => {
    const base = tempDir("install");
    const r = await run(["--root", "scratch", "--binary", BIN], { cwd: base });
    expect(r.code).toBe(0);
    const root = join(base, "scratch");
    expect(files(root).sort()).toEqual([P.conf, P.unit, P.socket, P.bin].sort());
    expect(r.stdout).toContain(`into ${root}`);
  });

  test.skipIf(process.getuid?.() !== 0)(
    "the config is root:roomhook when the root's /etc/group has roomhook",
    async () => {
      const root = tempDir("install");
      mkdirSync(join(root, "etc"), { recursive: true });
      writeFileSync(join(root, "etc/group"), "root:x:0:\nroomhook:x:4242:\n");
      await install(root);
      for (const p of [P.confDir, P.conf]) {
        const s = statSync(join(root, p));
        expect(`${s.uid}:${s.gid}`).toBe("0:4242");
      }
      const before = snapshot(root);
      await install(root);
      expect(snapshot(root)).toEqual(before);
    },
  );
});

describe("install.sh --uninstall", () => {
  test("removes the binaries and the units, keeps config and data; --purge also the config; data always kept", async () => {
    const root = tempDir("install");
    await install(root);
    await install(root, ["--binary", fakeBinary("9.9.12")]); // so that there is a roomhook.previous
    await install(root);
    expect(existsSync(join(root, P.prev))).toBe(true);
    mkdirSync(join(root, `${P.socket}.d`));
    writeFileSync(join(root, `${P.socket}.d`, "override.conf"), "[Socket]\nBacklog=8192\n");
    const journal = join(root, P.data, "journal", "00000000000000000001.jsonl");
    mkdirSync(join(root, P.data, "journal"), { recursive: true });
    writeFileSync(journal, '{"seq":1}\n');
    mkdirSync(join(root, P.dropins));
    writeFileSync(join(root, P.dropins, "override.conf"), "[Service]\nLimitNOFILE=1024\n");

    const u = await run(["--uninstall"], { destdir: root });
    expect(u.code).toBe(0);
    expect(existsSync(join(root, P.bin))).toBe(false);
    expect(existsSync(join(root, P.unit))).toBe(false);
    expect(existsSync(join(root, P.socket))).toBe(false);
    expect(existsSync(join(root, P.prev))).toBe(false);
    expect(readFileSync(join(root, P.conf), "utf8")).toBe(readFileSync(EXAMPLE, "utf8"));
    expect(existsSync(join(root, P.dropins, "override.conf"))).toBe(true);
    expect(readFileSync(journal, "utf8")).toBe('{"seq":1}\n');
    expect(u.stdout).toContain(`removed ${root}/${P.bin}`);
    expect(u.stdout).toContain(`Kept ${root}/${P.confDir}`);
    expect(u.stdout).toContain(`Kept ${root}/${P.data}`);

    const again = await run(["--uninstall"], { destdir: root });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing to remove");

    const p = await run(["--uninstall", "--purge"], { destdir: root });
    expect(p.code).toBe(0);
    expect(existsSync(join(root, P.confDir))).toBe(false);
    expect(existsSync(join(root, P.dropins))).toBe(false);
    expect(existsSync(join(root, `${P.socket}.d`))).toBe(false);
    expect(readFileSync(journal, "utf8")).toBe('{"seq":1}\n');
    expect(files(root)).toEqual([relative(root, journal)]);

    // And it installs again on top of what is left, data untouched.
    await install(root);
    expect(files(root).sort()).toEqual([P.conf, P.unit, P.socket, P.bin, relative(root, journal)].sort());
  });
});

describe("examples/roomhook.toml", () => {
  const text = readFileSync(EXAMPLE, "utf8");

  test("is valid as shipped: loopback admin, data in /var/lib/roomhook, no targets", () => {
    const r = Bun.spawnSync([BIN, "check-config", "--config", EXAMPLE], { env: childEnv() });
    expect(r.exitCode).toBe(0);
    const c = JSON.parse(r.stdout.toString());
    expect(c.data_dir).toBe("/var/lib/roomhook");
    expect(c.admin.listen).toBe("127.0.0.1:8081");
    expect(c.targets).toEqual([]);
  });

  test("is still valid with every optional line uncommented (placeholders included)", () => {
    const all = text.replace(/^# (\[\[targets\]\]|[a-z_]+ = )/gm, "$1");
    const p = join(tempDir("install-example"), "all.toml");
    writeFileSync(p, all);
    const r = Bun.spawnSync([BIN, "check-config", "--config", p], { env: childEnv() });
    expect(r.stderr.toString()).toContain("config file:");
    expect(r.exitCode).toBe(0);
    const c = JSON.parse(r.stdout.toString());
    expect(c.targets.length).toBe(1);
    expect(c.apps[0].token).not.toContain("REPLACE"); // masked by check-config
  });

  test("lists every key of the schema, in its section, with the built-in default", () => {
    // Lines "key = value" or "# key = value", attributed to the last table header (commented or not).
    const found = new Map<string, unknown>();
    let section = "";
    for (const raw of text.split("\n")) {
      const line = raw.replace(/^# (?=\[|[a-z_]+ = )/, "");
      const header = /^\[\[?([a-z_]+)\]\]?/.exec(line);
      if (header) {
        section = header[1]!;
        continue;
      }
      const kv = /^([a-z_]+) = /.exec(line);
      if (kv)
        found.set(section ? `${section}.${kv[1]}` : kv[1]!, (Bun.TOML.parse(line) as Record<string, unknown>)[kv[1]!]);
    }
    const noDefault = new Set([
      "server.tls_cert",
      "server.tls_key",
      "apps.sdk_app_id",
      "apps.token",
      "admin.token",
      "targets.name",
      "targets.url",
      "targets.secret",
      "targets.rooms",
      "targets.kind",
    ]);
    const props = (ConfigSchema as unknown as { properties: Record<string, any> }).properties;
    const expected: [string, any][] = [];
    // NATS targets (the second kind of [[targets]]) and [upstream] are documented in the README's
    // "Scaling out", which the example points to; here: the HTTP kind, as before.
    for (const [k, s] of Object.entries(props)) {
      if (k === "upstream") continue;
      const obj = s.type === "array" ? (s.items.anyOf?.[0] ?? s.items) : s;
      if (obj.type === "object")
        for (const [k2, s2] of Object.entries(obj.properties as Record<string, any>)) expected.push([`${k}.${k2}`, s2]);
      else expected.push([k, s]);
    }
    expect(expected.length).toBeGreaterThan(25);
    for (const [key, schema] of expected) {
      expect({ key, listed: found.has(key) }).toEqual({ key, listed: true });
      if (!noDefault.has(key)) expect({ key, value: found.get(key) }).toEqual({ key, value: schema.default });
    }
    expect([...found.keys()].filter((k) => !expected.some(([e]) => e === k))).toEqual([]);
  });

  test("every key line carries a comment saying why", () => {
    for (const raw of text.split("\n")) {
      if (/^(# )?[a-z_]+ = /.test(raw))
        expect({ line: raw, why: /\S\s+# \S/.test(raw.replace(/^# /, "")) }).toEqual({ line: raw, why: true });
    }
  });
});
