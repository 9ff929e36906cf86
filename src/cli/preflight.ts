/**
 * The checks `weightdyn run` makes before any engine work, so that bad input exits with 2 before the engine loads:
 * the data (with the memory and time plan for the backend), the initial weights and the output directory.
 *
 *   preflight(config, baseDir, outDir, backend) -> RunPlan      throws the config's named errors or a UsageError
 */
import { mkdirSync } from "node:fs";
import { describeSystemError } from "../config/errors.js";
import type { RunPlan } from "../config/run-plan.js";
import type { RunConfig } from "../config/schema.js";
import { parameterCount } from "../config/shape.js";
import { buildPlannedDataset } from "../data/dataset.js";
import { initialWeights } from "../system/init.js";
import { UsageError } from "./errors.js";

export function preflight(config: RunConfig, baseDir: string, outDir: string, backend: string): RunPlan {
  const { plan } = buildPlannedDataset(config, baseDir, backend === "wasm" ? "wasm" : undefined);
  initialWeights(config, parameterCount(config.network), baseDir);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (err) {
    throw new UsageError(`--out: cannot create directory ${outDir}: ${describeSystemError(err)}`, { cause: err });
  }
  return plan;
}
