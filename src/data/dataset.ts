/**
 * The training set of a run from its config (Node): the function form from samples.ts, the csv form read from
 * `data.csv` (relative to the config file's directory) and turned into X and Y by samples.ts's tableDataset. The
 * forms, their points and their columns are described in samples.ts.
 *
 * Every problem is a ConfigError naming `data.csv` (or the data field at fault).
 */
import { resolve } from "node:path";
import { ConfigError } from "../config/errors.js";
import { checkRunPlan, plannedSamples, planRun, type RunPlan } from "../config/run-plan.js";
import type { CsvDataConfig, RunConfig } from "../config/schema.js";
import { CsvError, readNumericCsv } from "../io/csv.js";
import { type Dataset, functionDataset, tableDataset } from "./samples.js";

export { type Dataset, gridSide, samplePoints } from "./samples.js";

/**
 * buildDataset(config, baseDir) -> {X, Y, samples}
 *
 * The training set described by `config.data` (see the module comment); `baseDir` is the directory relative paths
 * are resolved against (the config file's directory).
 */
export function buildDataset(config: RunConfig, baseDir: string): Dataset {
  const data = config.data;
  return "csv" in data ? csvDataset(config, data, baseDir) : functionDataset(config, data);
}

/**
 * buildPlannedDataset(config, baseDir, backend) -> { dataset, plan }
 *
 * The training set, with the run's memory and time plan checked (config/run-plan.ts) before anything sized by it is
 * allocated: for data.samples before the data are made, for a CSV once it is read (the file is bounded by the input
 * file limit, io/input-file.ts). Throws the plan's RunPlanError (a ConfigError naming the field to change).
 */
export function buildPlannedDataset(
  config: RunConfig,
  baseDir: string,
  backend?: "native" | "wasm",
): { dataset: Dataset; plan: RunPlan } {
  const planned = plannedSamples(config);
  // data.samples is the data set's size (samples.ts functionDataset): its plan, made first, is the run's.
  const early = planned === null ? null : checkRunPlan(planRun(config, planned, backend), config);
  const dataset = buildDataset(config, baseDir);
  return { dataset, plan: early ?? checkRunPlan(planRun(config, dataset.samples, backend), config) };
}

function csvDataset(config: RunConfig, data: CsvDataConfig, baseDir: string): Dataset {
  const path = resolve(baseDir, data.csv);
  let table: ReturnType<typeof readNumericCsv>;
  try {
    table = readNumericCsv(path);
  } catch (err) {
    if (err instanceof CsvError) throw new ConfigError("data.csv", err.message, { cause: err });
    throw err;
  }
  return tableDataset(config, table, path);
}
