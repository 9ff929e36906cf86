import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Test files run on at least two workers. Vitest's default on a 2-core machine is one, and much of the suite waits on
// child processes (CLI runs, npm installs, a Redis server, Chromium) rather than on a core, so two overlap well: on
// the 2-core CI machine the suite took 313 s instead of 413 s (2026-11-30). No test asserts a time, so contention can
// only slow a test, not change its result; hence the time limits of tests and hooks that set none are 60 s, not
// vitest's 5 and 10 s (a WASM memory test of 4.5 s alone went over 5 s beside another file in CI).
export default defineConfig({
  test: {
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
