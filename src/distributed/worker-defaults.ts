/**
 * The queue worker's timing defaults (queue-worker.ts), apart from it so that the CLI can show them in its help
 * without importing bullmq, an optional package (src/optional-deps.ts).
 */
export const WORKER_DEFAULTS = {
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  maxStalledCount: 3,
  pollMs: 5000,
} as const;
