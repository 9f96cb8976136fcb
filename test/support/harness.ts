// The one harness for everything that drives the compiled binary: the e2e tests (through
// test/e2e/helpers.ts) and the tools under scripts/ (faults, soak, bench) import it from here.
// Dependencies point one way: scripts/ may import test/support/, and test/ never imports scripts/
// (tests run the scripts as processes), so the two trees have no import cycle (test/README.md).
export * from "./harness/config.ts";
export * from "./harness/process.ts";
export * from "./harness/tools.ts";
export * from "./harness/callbacks.ts";
export * from "./harness/raw-http.ts";
export * from "./harness/journal.ts";
export * from "./harness/sink.ts";
export * from "./harness/random.ts";
export * from "./harness/lines.ts";
export * from "./harness/socket-activation.ts";
export * from "./harness/tls.ts";
export * from "./harness/emulator.ts";
export * from "./harness/nats.ts";
