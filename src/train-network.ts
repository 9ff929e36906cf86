/**
 * One training run on a backend from its values, with no Node built-in: the network trained under its update rule
 * while the Lyapunov spectrum (and with lyapunov.clv the covariant vectors) is measured, in one forward pass.
 * `weightdyn run` (run.ts trainRun: the data, weights and schedule read from files) and the playground (problemOf:
 * the function form of data or pasted CSV text) both train with trainNetwork, so both give the same numbers.
 *
 *   trainNetwork(config, problem, backend, options) -> TrainingRun      (synchronous)
 *   problemOf(config, table?) -> {X, Y, samples, w0, batches}           (no files: refuses init.weights, schedule)
 */
import { lyapunovSpectrum } from "./algorithms/spectrum.js";
import type { Backend } from "./backend/types.js";
import { ConfigError } from "./config/errors.js";
import { trainingRule } from "./config/optimizer.js";
import type { RunConfig } from "./config/schema.js";
import { exponentCount, networkShape, parameterCount } from "./config/shape.js";
import { functionDataset, tableDataset } from "./data/samples.js";
import type { ClvFileOutput } from "./io/clv-frames.js";
import type { NumericTable } from "./io/csv-text.js";
import { prepareRunClv } from "./run-clv.js";
import type { TrainingRun } from "./run-summary.js";
import { type BatchSchedule, epochBatchesOf } from "./system/batches.js";
import { NetworkSystem } from "./system/network.js";
import { randomWeights } from "./system/random-weights.js";

/** What a run trains on: the data, the initial weights and the minibatches (null: full batch). */
export interface TrainProblem {
  /** N x inputs, row-major. */
  X: Float64Array;
  /** N x outputs, row-major. */
  Y: Float64Array;
  samples: number;
  /** Initial weights, length D. */
  w0: Float64Array;
  batches: BatchSchedule | null;
}

export type SpectrumHooks = Pick<Parameters<typeof lyapunovSpectrum>[1], "onChunk" | "nextStop">;

export interface TrainNetworkOptions {
  /** Called after every chunk of steps with (steps done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Threads of the run's tangent products and QR (default 1; the backend uses at most its maxThreads). The results
   *  are the same for any count. */
  threads?: number;
  /** Extra hooks into the spectrum loop (run alongside the CLV recorder's). */
  spectrumHooks?: SpectrumHooks;
  /** Called once with the system before the first step, to read its state from the hooks (it is disposed when
   *  trainNetwork returns). */
  onSystem?: (system: NetworkSystem) => void;
  /** With lyapunov.clv: the files the CLVs are streamed to (io/clv-outputs.ts clvFileOutput); without, they are
   *  collected into TrainingRun.clv.arrays (counted against lyapunov.clv.memoryBudget). */
  clvFiles?: ClvFileOutput;
  /** With lyapunov.clv: progress of the backward pass in output times (done, total). */
  onClvProgress?: (done: number, total: number) => void;
}

/**
 * trainNetwork(config, problem, backend, options) -> TrainingRun
 *
 * Trains config.network on problem by config.training's rule for config.training.steps steps on `backend`, measuring
 * config.lyapunov's exponents (and CLVs). A diverged run is a result (spectrum.diverged), never an exception.
 */
export function trainNetwork(
  config: RunConfig,
  problem: TrainProblem,
  backend: Backend,
  options: TrainNetworkOptions = {},
): TrainingRun {
  const t0 = performance.now();
  const D = parameterCount(config.network);
  const k = exponentCount(config);
  const system = new NetworkSystem(backend, {
    shape: networkShape(config.network),
    X: problem.X,
    Y: problem.Y,
    w0: problem.w0,
    rule: trainingRule(config.training.optimizer, config.training.learningRate),
    batches: problem.batches,
    maxK: k,
    tangentRoute: config.lyapunov.tangentRoute,
    threads: options.threads,
  });
  try {
    const ly = config.lyapunov;
    // Validated and checked against the memory budget before the training starts.
    const clv = prepareRunClv(config, system, { files: options.clvFiles, onProgress: options.onClvProgress });
    options.onSystem?.(system);
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
      batches: problem.batches ? problem.batches.description : "full batch",
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

/** Both sets of hooks: every onChunk is called; a chunk ends at the earliest requested stop. */
function mergeHooks(a: SpectrumHooks | undefined, b: SpectrumHooks | undefined): SpectrumHooks {
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

/**
 * problemOf(config, csv?) -> TrainProblem
 *
 * The problem of a config without files: the function form of data (or, for data.csv, the parsed table given as
 * `csv` with the name its messages use), seeded initial weights and the minibatches of training.batchSize. The forms
 * that name a file other than data.csv (init.weights, training.schedule) are ConfigErrors naming the field.
 */
export function problemOf(config: RunConfig, csv?: { table: NumericTable; where: string }): TrainProblem {
  let data: Pick<TrainProblem, "X" | "Y" | "samples">;
  if ("csv" in config.data) {
    if (!csv) throw new ConfigError("data.csv", "expected the CSV table itself here (no file is read)");
    data = tableDataset(config, csv.table, csv.where);
  } else data = functionDataset(config, config.data);
  if ("weights" in config.init) {
    throw new ConfigError("init.weights", "expected init.distribution, scale and seed here (no file is read)");
  }
  if (config.training.schedule !== null) {
    throw new ConfigError("training.schedule", "expected null here (no file is read); use training.batchSize");
  }
  const w0 = randomWeights(config.init, parameterCount(config.network));
  return { ...data, w0, batches: epochBatchesOf(config.training, data.samples) };
}
