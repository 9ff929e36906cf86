/**
 * One training run as a library call (Node): build the data and the initial weights from a validated config (files
 * included), train on a backend while measuring the Lyapunov spectrum (train-network.ts), and return everything a
 * user (or the CLI) needs.
 *
 *   trainRun(config, { baseDir, backend, onProgress, outDir }) -> TrainingRun     (synchronous, typed)
 *   runTraining({ config, baseDir }, { backend, onProgress, outDir }) -> RunOutputs   (what `weightdyn run` writes)
 *
 * With lyapunov.clv, the covariant Lyapunov vectors come from the same forward pass (src/run-clv.ts). The summary
 * and the files' arrays are run-summary.ts's, shared with the playground.
 */
import { type BackendChoice, backendFromEnv, loadBackend } from "./backend/loader.js";
import type { Backend } from "./backend/types.js";
import type { RunConfig } from "./config/schema.js";
import { parameterCount } from "./config/shape.js";
import { buildPlannedDataset } from "./data/dataset.js";
import { clvFileOutput } from "./io/clv-outputs.js";
import type { RunOutputs } from "./io/outputs.js";
import { runOutputsOf, type TrainingRun } from "./run-summary.js";
import { initialWeights } from "./system/init.js";
import { batchScheduleOf } from "./system/schedule-file.js";
import { type SpectrumHooks, trainNetwork } from "./train-network.js";

export { jsonNumber, runSummary, spectrumDiagnostics, type TrainingRun } from "./run-summary.js";

export interface TrainOptions {
  /** Directory that relative paths in the config are resolved against (default: the current directory). */
  baseDir?: string;
  /** A backend, or a choice; default: WEIGHTDYN_BACKEND, then config.backend, then "auto". */
  backend?: Backend | BackendChoice;
  /** Called after every chunk of steps with (steps done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Threads of the run's tangent products and QR (default 1; the backend uses at most its maxThreads). The results
   *  are the same for any count. */
  threads?: number;
  /** Extra hooks into the spectrum loop (run alongside the CLV recorder's). */
  spectrumHooks?: SpectrumHooks;
  /** With lyapunov.clv: the directory the CLV files are streamed to (see src/io/clv-outputs.ts); without it the
   *  CLVs are collected into TrainingRun.clv.arrays (counted against lyapunov.clv.memoryBudget). */
  outDir?: string;
  /** With lyapunov.clv: progress of the backward pass in output times (done, total). */
  onClvProgress?: (done: number, total: number) => void;
}

/** The backend for a run: an instance, or a choice resolved with WEIGHTDYN_BACKEND and config.backend. */
export function resolveBackend(choice: Backend | BackendChoice | undefined, config?: RunConfig): Backend {
  if (choice && typeof choice === "object") return choice;
  return loadBackend(choice ?? backendFromEnv() ?? config?.backend ?? "auto");
}

export function trainRun(config: RunConfig, options: TrainOptions = {}): TrainingRun {
  const t0 = performance.now();
  const backend = resolveBackend(options.backend, config);
  const baseDir = options.baseDir ?? process.cwd();
  // The plan first: a run that does not fit is refused before its arrays exist (config/run-plan.ts).
  const { X, Y, samples } = buildPlannedDataset(config, baseDir, backend.name).dataset;
  const w0 = initialWeights(config, parameterCount(config.network), baseDir);
  const batches = batchScheduleOf(config, samples, baseDir);
  const run = trainNetwork(config, { X, Y, samples, w0, batches }, backend, {
    onProgress: options.onProgress,
    threads: options.threads,
    spectrumHooks: options.spectrumHooks,
    clvFiles: options.outDir === undefined ? undefined : clvFileOutput(options.outDir),
    onClvProgress: options.onClvProgress,
  });
  // The run's time includes loading the backend and the data, as it always has.
  return { ...run, wallTimeSeconds: (performance.now() - t0) / 1000 };
}

/**
 * What `weightdyn run` writes: summary.json, loss.csv, ftle.csv (returned, written by the caller), and with
 * lyapunov.clv the CLV files, which are streamed to options.outDir during the run (required then).
 */
export async function runTraining(
  problem: { config: RunConfig; baseDir: string },
  options: {
    backend?: BackendChoice;
    /** Threads of the run's tangent products and QR (TrainOptions.threads). */
    threads?: number;
    onProgress?: (done: number, total: number) => void;
    /** Progress of the CLV backward pass, in output times. */
    onClvProgress?: (done: number, total: number) => void;
    outDir?: string;
  } = {},
): Promise<RunOutputs> {
  if (problem.config.lyapunov.clv !== undefined && options.outDir === undefined) {
    throw new Error(
      "weightdyn: lyapunov.clv is set: runTraining needs options.outDir, the directory the CLV files are streamed to",
    );
  }
  const run = trainRun(problem.config, {
    baseDir: problem.baseDir,
    backend: options.backend,
    threads: options.threads,
    onProgress: options.onProgress,
    onClvProgress: options.onClvProgress,
    outDir: options.outDir,
  });
  return runOutputsOf(run);
}
