// End-to-end helpers: the shared harness (test/support/harness.ts), re-exported under the names the
// e2e tests have always imported from here.
export * from "../support/harness.ts";
