import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Test files run on at least two workers. Vitest's default on a 2-core machine is one, and much of the suite waits on
// child processes (CLI runs, npm installs, a Redis server, Chromium) rather than on a core, so two overlap well: on
// the 2-core CI machine the suite took 313 s instead of 413 s (2026-11-30). No test asserts a time, so contention can
// only slow a test, not change its result.
export default defineConfig({
  test: {
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
