/**
 * The minibatches of a run from its config (Node: a schedule is a file), on top of the schedules of batches.ts.
 *
 *   batchScheduleOf(config, N, baseDir) -> BatchSchedule | null       (null: full batch, every step on all samples)
 */
import { resolve } from "node:path";
import { ConfigError } from "../config/errors.js";
import { readJsonFile } from "../config/json-file.js";
import { type BatchSchedule, epochBatchesOf, ListedBatches, parseSchedule } from "./batches.js";

/**
 * The minibatches of a run with N samples, or null for full batch. Relative schedule paths are resolved against
 * baseDir (the config file's directory).
 */
export function batchScheduleOf(
  config: { training: { batchSize: number | null; batchSeed: number; schedule: string | null } },
  N: number,
  baseDir: string,
): BatchSchedule | null {
  const { schedule } = config.training;
  if (schedule !== null) {
    const path = resolve(baseDir, schedule);
    const raw = readJsonFile(
      path,
      "schedule file",
      (detail, cause) => new ConfigError("training.schedule", detail, { cause }),
    );
    return new ListedBatches(parseSchedule(raw, N, path));
  }
  return epochBatchesOf(config.training, N);
}
