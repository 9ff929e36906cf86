/**
 * Runs an ensemble on a pool of worker threads.
 *
 *   runEnsemble(study, { outDir, workers, resume, backend, onProgress, signal }) -> Promise<EnsembleResult>
 *
 * Every run of the study (grid points x draws, run index = gridPoint * runs + draw) not yet in DIR/runs.ndjson is
 * sent to a piscina pool of `workers` threads (default os.availableParallelism()); each thread creates one backend
 * and reuses it for all of its runs (worker.ts). Runs are handed out in index order, in tasks of up to `taskRuns`
 * runs of one grid point (trained in lockstep, lockstep.ts), at most one task per thread at a time, and each task's
 * records are appended to runs.ndjson as soon as it finishes (store.ts), so lines are in completion order. A run's result depends only on the study and its index (seeds.ts), never on the number of threads or the
 * order of completion, so an ensemble interrupted at any point and resumed gives the same set of lines as one run
 * straight through (wallTimeSeconds aside).
 *
 * Options (defaults):
 *   outDir     output directory (created); required
 *   workers    threads (os.availableParallelism(); never more than the runs left)
 *   resume     continue the study in outDir: run only the missing indices (false: outDir must hold no runs)
 *   backend    "auto" | "native" | "wasm" (WEIGHTDYN_BACKEND, then the base config's backend, then "auto"); resolved
 *              once, in this thread: "wasm" compiles the module here and the workers instantiate it
 *   onProgress (done, total, record?) after every finished run; done counts resumed runs too
 *   signal     an AbortSignal: when it fires no further run is started; running runs finish and are written, and
 *              the promise resolves with interrupted: true
 *   shard      { index, count }: only the runs whose index is index mod count (a batch scheduler's array task);
 *              study.json records it, resume refuses a directory of another shard, and `total` is the shard's
 *              number of runs
 *
 * The output directory is locked while the ensemble writes into it (io/dir-lock.ts): a second process on the same
 * directory gets a DirLockedError naming the first; a lock left by a killed process is taken over.
 *
 * Before any thread starts, every grid point's data and initial weights are built once and its memory plan checked
 * (config/run-plan.ts), so a missing or malformed data.csv or init.weights, or a point that does not fit
 * limits.memoryBudget, is a StudyError naming its study field. A run that throws (an engine bug, never a
 * divergence) stops the ensemble: no new runs start, running ones are written, and the error is rethrown.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { type BackendChoice, backendFromEnv, loadBackend } from "../backend/loader.js";
import type { BackendName } from "../backend/types.js";
import { compileWasmModule } from "../backend/wasm-file.js";
import { ConfigError, type ConfigIssue } from "../config/errors.js";
import { parameterCount } from "../config/shape.js";
import { buildPlannedDataset } from "../data/dataset.js";
import { lockDirectory } from "../io/dir-lock.js";
import { initialWeights } from "../system/init.js";
import { StudyError } from "./errors.js";
import { expandGrid, type GridPoint, studyIssue } from "./grid.js";
import type { RunRecord, RunTask } from "./record.js";
import { runSeed, seededConfig } from "./seeds.js";
import { RunStore, type StudyHeader, studyHeader } from "./store.js";
import { lossCheckpointsOf, type Study, totalRuns } from "./study.js";
import type { WorkerInit } from "./worker.js";

export interface EnsembleOptions {
  outDir: string;
  workers?: number;
  resume?: boolean;
  backend?: BackendChoice;
  onProgress?: (done: number, total: number, record?: RunRecord) => void;
  signal?: AbortSignal;
  /** Only the runs of shard `index` of `count`: those whose run index is `index` mod `count`. study.json records the
   *  shard, and `total` counts the shard's runs (src/distributed/shard.ts, `weightdyn merge`). */
  shard?: { index: number; count: number };
  /** Runs per worker task (default DEFAULT_TASK_RUNS), trained in lockstep where they can be (lockstep.ts). Records
   *  do not depend on it. */
  taskRuns?: number;
}

export interface EnsembleResult {
  studyId: string;
  outDir: string;
  /** Runs in the study (in the shard, with options.shard). */
  total: number;
  /** Runs found in runs.ndjson at the start (resume). */
  resumed: number;
  /** Runs finished and written by this call. */
  completed: number;
  /** Of those, runs that diverged. */
  diverged: number;
  /** True when the signal stopped the ensemble before every run was done. */
  interrupted: boolean;
  backend: BackendName;
  workers: number;
  wallTimeSeconds: number;
}

/**
 * The worker entry next to this file: worker.js in a compiled build (dist/); from the TypeScript sources (vitest,
 * tsx), worker-tsx.mjs, which registers tsx's loader in the worker and then loads worker.ts. Workers from the sources
 * get no execArgv of the parent (vitest's or `--import tsx`, which would resolve tsx from the current directory).
 */
export function workerEntry(): { filename: string; execArgv: string[] | undefined } {
  const own = fileURLToPath(import.meta.url);
  const compiled = fileURLToPath(new URL("./worker.js", import.meta.url));
  const sources = fileURLToPath(new URL("./worker-tsx.mjs", import.meta.url));
  const order = own.endsWith(".ts") ? [sources, compiled] : [compiled, sources];
  for (const filename of order) {
    if (existsSync(filename)) return { filename, execArgv: filename === sources ? [] : undefined };
  }
  throw new Error(`weightdyn: cannot find the ensemble worker next to ${own}`);
}

/** A pool of `threads` worker threads running batches of RunTasks, each thread with its own backend from `init`. */
export type RunPool = Piscina<RunTask[], RunRecord[]>;

export function createRunPool(threads: number, init: WorkerInit): RunPool {
  const entry = workerEntry();
  return new Piscina<RunTask[], RunRecord[]>({
    filename: entry.filename,
    execArgv: entry.execArgv,
    minThreads: threads,
    maxThreads: threads,
    workerData: init,
  });
}

/** The backend every worker creates, resolved once here (see the module comment). */
export function workerInit(choice: BackendChoice): WorkerInit {
  const name = loadBackend(choice).name;
  return name === "wasm" ? { backend: "wasm", wasmModule: compileWasmModule() } : { backend: "native" };
}

/** Builds every grid point's data and initial weights once, so that file problems name their study field. */
export function checkStudyFiles(study: Study, points: GridPoint[]): void {
  const issues = new Map<string, ConfigIssue>();
  for (const point of points) {
    const config = seededConfig(point.config, runSeed(study.seed, point.index * study.runs));
    try {
      buildPlannedDataset(config, study.baseDir);
      initialWeights(config, parameterCount(config.network), study.baseDir);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const issue of err.issues) {
        const named = studyIssue(issue, point.sources);
        issues.set(`${named.field}\n${named.detail}`, named);
      }
    }
  }
  if (issues.size > 0) throw new StudyError([...issues.values()]);
}

/** Runs per worker task by default: two lockstep kernels' worth (lockstep.ts). */
export const DEFAULT_TASK_RUNS = 8;

/**
 * The run indices (in their order) cut into worker tasks of up to `size` runs of one grid point each, so that a worker
 * can train each task's runs in lockstep. The cut never changes a run's record (lockstep.ts), only how they share
 * kernels.
 */
export function taskBatches(study: Study, indices: readonly number[], size: number): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  for (const index of indices) {
    const point = Math.floor(index / study.runs);
    if (current.length > 0 && (current.length >= size || Math.floor(current[0] / study.runs) !== point)) {
      out.push(current);
      current = [];
    }
    current.push(index);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The task of run `index`. */
export function runTask(study: Study, points: GridPoint[], index: number): RunTask {
  const point = points[Math.floor(index / study.runs)];
  const seed = runSeed(study.seed, index);
  return {
    studyId: study.id,
    index,
    gridPoint: point.index,
    draw: index % study.runs,
    params: point.params,
    seed,
    config: seededConfig(point.config, seed),
    baseDir: study.baseDir,
    early: study.early,
    lossCheckpoints: lossCheckpointsOf(study, point.config),
  };
}

export async function runEnsemble(study: Study, options: EnsembleOptions): Promise<EnsembleResult> {
  const t0 = performance.now();
  const requested = options.workers ?? availableParallelism();
  if (!Number.isInteger(requested) || requested < 1) {
    throw new RangeError(`runEnsemble: workers: expected a positive integer but received ${String(requested)}`);
  }
  const points = expandGrid(study);
  checkStudyFiles(study, points);
  const total = totalRuns(study);
  const choice = options.backend ?? backendFromEnv() ?? points[0].config.backend;
  const init = workerInit(choice);
  const { shard } = options;
  const header = studyHeader(study, points);
  if (shard) header.shard = { index: shard.index, count: shard.count };
  const lock = lockDirectory(options.outDir, {
    what: `${shard ? `shard ${shard.index}/${shard.count} of ` : "ensemble of "}study ${study.id}`,
  });
  try {
    return await runLocked(study, options, { points, total, init, header, t0 });
  } finally {
    lock.release();
  }
}

/** runEnsemble once the output directory is locked. */
async function runLocked(
  study: Study,
  options: EnsembleOptions,
  ctx: { points: GridPoint[]; total: number; init: WorkerInit; header: StudyHeader; t0: number },
): Promise<EnsembleResult> {
  const { points, total, init, header, t0 } = ctx;
  const requested = options.workers ?? availableParallelism();
  const { shard } = options;
  const store = RunStore.open(options.outDir, header, { resume: options.resume });
  const pending: number[] = [];
  let selected = 0;
  for (let i = 0; i < total; i++) {
    if (shard && i % shard.count !== shard.index) continue;
    selected++;
    if (!store.done.has(i)) pending.push(i);
  }
  const taskRuns = options.taskRuns ?? DEFAULT_TASK_RUNS;
  if (!Number.isInteger(taskRuns) || taskRuns < 1) {
    throw new RangeError(`runEnsemble: taskRuns: expected a positive integer but received ${String(taskRuns)}`);
  }
  const batches = taskBatches(study, pending, taskRuns);
  const workers = Math.min(requested, batches.length);
  const result: EnsembleResult = {
    studyId: study.id,
    outDir: options.outDir,
    total: selected,
    resumed: store.done.size,
    completed: 0,
    diverged: 0,
    interrupted: false,
    backend: init.backend,
    workers,
    wallTimeSeconds: 0,
  };
  options.onProgress?.(result.resumed, selected);
  let failure: unknown = null;
  if (pending.length > 0 && !options.signal?.aborted) {
    const pool = createRunPool(workers, init);
    try {
      await new Promise<void>((resolve) => {
        let next = 0;
        let running = 0;
        let stopping = false;
        const stop = () => {
          stopping = true;
        };
        options.signal?.addEventListener("abort", stop, { once: true });
        const pump = () => {
          while (!stopping && running < workers && next < batches.length) {
            const batch = batches[next++];
            running++;
            pool
              .run(batch.map((index) => runTask(study, points, index)))
              .then((records) => {
                for (const record of records) {
                  store.append(record);
                  result.completed++;
                  if (record.diverged) result.diverged++;
                  options.onProgress?.(result.resumed + result.completed, selected, record);
                }
              })
              .catch((err: unknown) => {
                failure ??= err;
                stopping = true;
              })
              .finally(() => {
                running--;
                pump();
              });
          }
          if (running === 0) {
            options.signal?.removeEventListener("abort", stop);
            result.interrupted = next < batches.length && failure === null;
            resolve();
          }
        };
        pump();
      });
    } finally {
      await pool.destroy();
      store.close();
    }
  } else {
    store.close();
    result.interrupted = pending.length > 0;
  }
  if (failure !== null) throw failure;
  result.wallTimeSeconds = (performance.now() - t0) / 1000;
  return result;
}
