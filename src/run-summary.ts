/**
 * A finished training run and its summary, with no Node built-in: the TrainingRun that trainNetwork (train-network.ts)
 * returns, summary.json (runSummary) and the arrays of loss.csv and ftle.csv (runOutputsOf). `weightdyn run` and the
 * playground both describe a run with these, so a run seen in the page and the same config on the command line give
 * the same files (io/run-files.ts formats them).
 */
import { convergenceDiagnostics } from "./algorithms/convergence.js";
import type { SpectrumResult } from "./algorithms/spectrum.js";
import type { Backend } from "./backend/types.js";
import type { RunConfig } from "./config/schema.js";
import type { RunOutputs } from "./io/run-files.js";
import type { RunClvResult } from "./run-clv.js";
import type { ResolvedRouteName } from "./system/network.js";

export interface TrainingRun {
  config: RunConfig;
  backend: Backend["name"];
  /** D, the number of parameters. */
  dimension: number;
  /** S, the dimension of the training state (D, 2D or 3D by the optimizer): the exponents are those of this state. */
  stateDimension: number;
  /** How the steps use the samples: "full batch", or the minibatch schedule (system/batches.ts). */
  batches: string;
  /** Loss C(w_t) for t = 0 .. steps (the last entry is the loss after the last update; a diverged run ends at the
   *  first non-finite value). */
  losses: Float64Array;
  /** The loss at the weights after the last update (non-finite for a diverged run). */
  finalLoss: number;
  finalWeights: Float64Array;
  /** The final state (w, then the optimizer's other blocks). */
  finalState: Float64Array;
  spectrum: SpectrumResult;
  /** The route of the tangent map's Hessian products (auto resolved), or "none" without exponents. */
  tangentRoute: ResolvedRouteName | "none";
  /** Threads the run's dense kernels used: min(the threads asked for, backend.maxThreads). */
  threads: number;
  wallTimeSeconds: number;
  /** With lyapunov.clv: the summary section, and the arrays (collected) or the file paths (streamed). */
  clv?: RunClvResult;
}

/** JSON has no NaN or Infinity: such numbers are written as null (and a diverged run says so in `diverged`). */
export function jsonNumber(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * The convergence diagnostics of a spectrum (src/algorithms/convergence.ts), or why there are none: a diverged run
 * or one without exponents.
 */
export function spectrumDiagnostics(s: SpectrumResult): Record<string, unknown> {
  if (s.k === 0) return { skipped: "no Lyapunov exponents" };
  if (!Array.from(s.exponents).every(Number.isFinite)) return { skipped: "the exponents are not finite (diverged)" };
  return { ...convergenceDiagnostics(s.exponents, s.ftle, s.running) };
}

/** summary.json of a run. */
export function runSummary(run: TrainingRun): Record<string, unknown> {
  const s = run.spectrum;
  const diagnostics = spectrumDiagnostics(s);
  return {
    finalLoss: jsonNumber(run.finalLoss),
    diverged: s.diverged,
    ...(s.diverged ? { divergedAt: s.divergedAt, divergedReason: s.divergedReason } : {}),
    exponents: Array.from(s.exponents, jsonNumber),
    sortedExponents: Array.from(s.exponents, jsonNumber).sort((a, b) => (b ?? -Infinity) - (a ?? -Infinity)),
    dimension: run.dimension,
    stateDimension: run.stateDimension,
    optimizer: run.config.training.optimizer,
    batches: run.batches,
    exponentCount: s.k,
    steps: s.steps,
    measuredSteps: s.measuredSteps,
    ftleWindows: s.ftle.starts.length,
    diagnostics,
    backend: run.backend,
    tangentRoute: run.tangentRoute,
    threads: run.threads,
    wallTimeSeconds: run.wallTimeSeconds,
    ...(run.clv ? { clv: run.clv.summary } : {}),
    config: run.config,
  };
}

/** What `weightdyn run` writes for a run: summary.json, and the arrays of loss.csv and ftle.csv (io/run-files.ts). */
export function runOutputsOf(run: TrainingRun): RunOutputs {
  return {
    summary: runSummary(run),
    loss: { steps: Float64Array.from(run.losses, (_, t) => t), values: run.losses },
    ftle: { starts: run.spectrum.ftle.starts, values: run.spectrum.ftle.values, k: run.spectrum.k },
  };
}
