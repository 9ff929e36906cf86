/**
 * One training run as a library call: build the data and the initial weights from a validated config, train by
 * full-batch gradient descent on a backend while measuring the Lyapunov spectrum, and return everything a user
 * (or the CLI) needs.
 *
 *   trainRun(config, { baseDir, backend, onProgress, outDir }) -> TrainingRun     (synchronous, typed)
 *   runTraining({ config, baseDir }, { backend, onProgress, outDir }) -> RunOutputs   (what `weightdyn run` writes)
 *
 * With lyapunov.clv, the covariant Lyapunov vectors come from the same forward pass (src/run-clv.ts).
 */
import { performance } from "node:perf_hooks";
import { convergenceDiagnostics } from "./algorithms/convergence.js";
import { lyapunovSpectrum, type SpectrumResult } from "./algorithms/spectrum.js";
import { type BackendChoice, backendFromEnv, loadBackend } from "./backend/loader.js";
import type { Backend } from "./backend/types.js";
import { trainingRule } from "./config/optimizer.js";
import type { RunConfig } from "./config/schema.js";
import { exponentCount, networkShape, parameterCount } from "./config/shape.js";
import { buildPlannedDataset } from "./data/dataset.js";
import type { RunOutputs } from "./io/outputs.js";
import { prepareRunClv, type RunClvResult } from "./run-clv.js";
import { initialWeights } from "./system/init.js";
import { NetworkSystem, type ResolvedRouteName } from "./system/network.js";
import { batchScheduleOf } from "./system/schedule-file.js";

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
  spectrumHooks?: Pick<Parameters<typeof lyapunovSpectrum>[1], "onChunk" | "nextStop">;
  /** With lyapunov.clv: the directory the CLV files are streamed to (see src/io/clv-outputs.ts); without it the
   *  CLVs are collected into TrainingRun.clv.arrays (counted against lyapunov.clv.memoryBudget). */
  outDir?: string;
  /** With lyapunov.clv: progress of the backward pass in output times (done, total). */
  onClvProgress?: (done: number, total: number) => void;
}

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
  /** Threads the run's dense kernels used: min(TrainOptions.threads, backend.maxThreads). */
  threads: number;
  wallTimeSeconds: number;
  /** With lyapunov.clv: the summary section, and the arrays (no outDir) or the file paths (outDir). */
  clv?: RunClvResult;
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
  const D = parameterCount(config.network);
  const k = exponentCount(config);
  // The plan first: a run that does not fit is refused before its arrays exist (config/run-plan.ts).
  const { X, Y, samples } = buildPlannedDataset(config, baseDir, backend.name).dataset;
  const w0 = initialWeights(config, D, baseDir);
  const batches = batchScheduleOf(config, samples, baseDir);
  const system = new NetworkSystem(backend, {
    shape: networkShape(config.network),
    X,
    Y,
    w0,
    rule: trainingRule(config.training.optimizer, config.training.learningRate),
    batches,
    maxK: k,
    tangentRoute: config.lyapunov.tangentRoute,
    threads: options.threads,
  });
  try {
    const ly = config.lyapunov;
    // Validated and checked against the memory budget before the training starts.
    const clv = prepareRunClv(config, system, { outDir: options.outDir, onProgress: options.onClvProgress });
    const spectrum = lyapunovSpectrum(system, {
      steps: config.training.steps,
      k,
      qrEvery: ly.qrEvery,
      transient: ly.transient,
      ftleWindow: ly.ftleWindow,
      basis: ly.basis,
      basisSeed: ly.basisSeed,
      backend,
      onProgress: options.onProgress,
      ...mergeHooks(clv?.hooks, options.spectrumHooks),
    });
    let losses = system.lossHistory();
    let finalLoss: number;
    if (spectrum.diverged) {
      finalLoss = spectrum.divergedReason === "loss" ? losses[losses.length - 1] : Number.NaN;
    } else {
      finalLoss = system.loss();
      const all = new Float64Array(losses.length + 1);
      all.set(losses);
      all[losses.length] = finalLoss;
      losses = all;
    }
    const route = k === 0 ? "none" : system.resolvedRoute;
    const finalWeights = system.weights();
    const finalState = system.state();
    // After the final loss and weights are read: checkpoint mode moves the system back to its checkpoints.
    const clvResult = clv?.finish(spectrum);
    return {
      config,
      backend: backend.name,
      dimension: D,
      stateDimension: system.dimension,
      batches: batches ? batches.description : "full batch",
      losses,
      finalLoss,
      finalWeights,
      finalState,
      spectrum,
      tangentRoute: route,
      threads: Math.min(options.threads ?? 1, backend.maxThreads),
      wallTimeSeconds: (performance.now() - t0) / 1000,
      ...(clvResult ? { clv: clvResult } : {}),
    };
  } finally {
    system.dispose();
  }
}

type Hooks = Pick<Parameters<typeof lyapunovSpectrum>[1], "onChunk" | "nextStop">;

/** Both sets of hooks: every onChunk is called; a chunk ends at the earliest requested stop. */
function mergeHooks(a: Hooks | undefined, b: Hooks | undefined): Hooks {
  if (!a) return { ...b };
  if (!b) return { ...a };
  const onChunks = [a.onChunk, b.onChunk].filter((f) => f !== undefined);
  const stops = [a.nextStop, b.nextStop].filter((f) => f !== undefined);
  return {
    ...(onChunks.length > 0
      ? {
          onChunk: (info) => {
            for (const f of onChunks) f(info);
          },
        }
      : {}),
    ...(stops.length > 0
      ? {
          nextStop: (done: number) => {
            const ahead = stops.map((f) => f(done)).filter((s) => s > done);
            return ahead.length > 0 ? Math.min(...ahead) : done;
          },
        }
      : {}),
  };
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
  return {
    summary: runSummary(run),
    loss: { steps: Float64Array.from(run.losses, (_, t) => t), values: run.losses },
    ftle: { starts: run.spectrum.ftle.starts, values: run.spectrum.ftle.values, k: run.spectrum.k },
  };
}
