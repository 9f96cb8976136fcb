// Build-time only: a Bun macro (imported `with { type: "macro" }` by assets.ts) that bundles the
// dashboard page (page/index.html with its scripts and styles) for the browser and returns the
// files as strings, which the bundler inlines into dist/roomhook. Bun.build cannot run inside a
// macro (the bundler would wait on itself), so this runs `bun build` as a child process.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function bundlePage(): Record<string, string> {
  const out = mkdtempSync(join(tmpdir(), "roomhook-ui-"));
  try {
    const entry = join(import.meta.dir, "page", "index.html");
    const r = Bun.spawnSync([process.execPath, "build", entry, "--target=browser", "--minify", "--outdir", out], {
      env: { ...process.env, NODE_ENV: "production" },
    });
    if (r.exitCode !== 0) throw new Error(`bundling the dashboard failed:\n${r.stdout}\n${r.stderr}`);
    const files: Record<string, string> = {};
    for (const f of readdirSync(out)) files[f] = readFileSync(join(out, f), "utf8");
    if (!files["index.html"]) throw new Error("bundling the dashboard wrote no index.html");
    return files;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
