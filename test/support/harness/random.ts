// Reproducible randomness: fault runs print their seed so that a failure can be rerun with SEED=.

import { seededRandom } from "../../../src/emulator/random.ts";

/** mulberry32 (the emulator's): picks kill moments reproducibly from a printed seed. */
export const rng = seededRandom;

export function newSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
