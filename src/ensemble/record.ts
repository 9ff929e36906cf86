/**
 * One run of an ensemble, from its task to its NDJSON record: what a worker computes.
 *
 *   computeRunRecord(task, backend) -> RunRecord
 *
 * The record (one line of runs.ndjson; the contract with `weightdyn predict`, field names fixed):
 *
 *   index, studyId, gridPoint, draw   run index = gridPoint * runs + draw (grid.ts)
 *   params                            the grid values of the run's point, keyed by config path
 *   seed                              runSeed(study seed, index), the run's init.seed (seeds.ts)
 *   backend                           "native" or "wasm"
 *   steps                             training.steps of the run (a diverged run stopped earlier, at divergedAt)
 *   diverged, divergedAt              divergedAt: steps completed when the loss, weights or tangent vectors became
 *                                     non-finite; null for a run that did not diverge
 *   finalLoss                         C(w) after the last update (null when not finite)
 *   lossCheckpoints                   [[t, C(w_t)], ...] at the study's checkpoints (null past a divergence)
 *   early                             per early window e: {window: e, ftle, max, sum, positive, loss}
 *   clv                               null (reserved for covariant-vector indicators)
 *   wallTimeSeconds                   time of this run in its worker
 *
 * Early FTLEs are exact, not pieced together from ftleWindow windows: with the QRs Q_{n+1} R_{n+1} = J^{(m)} Q_n
 * every m = qrEvery steps from step 0 (the transient included: the window always starts at w_0),
 *   ftle_j(e) = (1/e) sum_{QRs ending at a step <= e} log R_jj      (Benettin et al. 1980)
 * read from the spectrum loop's onChunk hook, which sees every QR with the step it ends at. `max` is the largest
 * ftle_j, `sum` their sum (the finite-time volume growth rate of the k-dimensional tangent block), `positive` how
 * many are > 0, and `loss` is C(w_e), the loss at the same time (the baseline any FTLE-based predictor must beat).
 * A window the run did not reach (it diverged first) has every entry null. Non-finite numbers are written as null.
 */
import { performance } from "node:perf_hooks";
import type { Backend, BackendName } from "../backend/types.js";
import type { RunConfig } from "../config/schema.js";
import { exponentCount } from "../config/shape.js";
import { trainRun } from "../run.js";
import { jsonNumber } from "../run-summary.js";
import { EarlyAccumulator, earlyWindow } from "./early.js";
import { lockstepRecords } from "./lockstep.js";

/** Everything a worker needs for one run (structured-cloneable). */
export interface RunTask {
  studyId: string;
  index: number;
  gridPoint: number;
  draw: number;
  params: Record<string, unknown>;
  seed: number;
  /** The validated config with the run's seed applied (seededConfig). */
  config: RunConfig;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  /** Early windows, ascending. */
  early: number[];
  /** Loss checkpoints, ascending. */
  lossCheckpoints: number[];
}

/** FTLE spectrum over the early window [0, window). */
export interface EarlyWindow {
  window: number;
  /** ftle_j for j = 1..k in the order of the QR columns; null when the run diverged before the window's end. */
  ftle: (number | null)[] | null;
  max: number | null;
  sum: number | null;
  positive: number | null;
  /** C(w_window). */
  loss: number | null;
}

/** One line of runs.ndjson (module comment). */
export interface RunRecord {
  index: number;
  studyId: string;
  gridPoint: number;
  draw: number;
  params: Record<string, unknown>;
  seed: number;
  backend: BackendName;
  steps: number;
  diverged: boolean;
  divergedAt: number | null;
  finalLoss: number | null;
  lossCheckpoints: [number, number | null][];
  early: EarlyWindow[];
  clv: null;
  wallTimeSeconds: number;
}

/**
 * computeRunRecord(task, backend) -> RunRecord
 *
 * Trains one run with trainRun on `backend` and condenses it into its NDJSON record (module comment). A diverged
 * run is a record with diverged: true, never an exception; only a bad task (an engine bug) throws.
 */
export function computeRunRecord(task: RunTask, backend: Backend): RunRecord {
  const t0 = performance.now();
  const k = exponentCount(task.config);
  const early = new EarlyAccumulator(k, task.config.lyapunov.qrEvery, task.early);
  const run = trainRun(task.config, {
    baseDir: task.baseDir,
    backend,
    spectrumHooks: task.early.length > 0 ? { onChunk: (c) => early.add(c.start, c.logRDiag) } : undefined,
  });
  const s = run.spectrum;
  return recordOf(task, {
    backend: run.backend,
    diverged: s.diverged,
    divergedAt: s.diverged ? (s.divergedAt ?? null) : null,
    finalLoss: run.finalLoss,
    losses: run.losses,
    earlyFtle: early.ftle,
    wallTimeSeconds: (performance.now() - t0) / 1000,
  });
}

/** What a run's record is made of besides its task (recordOf). */
export interface RunOutcome {
  backend: BackendName;
  diverged: boolean;
  /** Steps completed when the run diverged; null when it did not. */
  divergedAt: number | null;
  finalLoss: number;
  /** C(w_t) of every recorded step t (a diverged run's stop early); past the end a loss is NaN. */
  losses: Float64Array;
  /** The FTLE spectrum of each early window of the task, null where not reached (EarlyAccumulator.ftle). */
  earlyFtle: readonly (Float64Array | null)[];
  wallTimeSeconds: number;
}

/** The record of `task` from what its run gave (module comment): the one place a RunRecord is made. */
export function recordOf(task: RunTask, run: RunOutcome): RunRecord {
  const lossAt = (t: number) => (t < run.losses.length ? run.losses[t] : Number.NaN);
  return {
    index: task.index,
    studyId: task.studyId,
    gridPoint: task.gridPoint,
    draw: task.draw,
    params: task.params,
    seed: task.seed,
    backend: run.backend,
    steps: task.config.training.steps,
    diverged: run.diverged,
    divergedAt: run.divergedAt,
    finalLoss: jsonNumber(run.finalLoss),
    lossCheckpoints: task.lossCheckpoints.map((t) => [t, jsonNumber(lossAt(t))]),
    early: task.early.map((e, i) => earlyWindow(e, run.earlyFtle[i], lossAt(e))),
    clv: null,
    wallTimeSeconds: run.wallTimeSeconds,
  };
}

/**
 * computeRunRecords(tasks, backend) -> RunRecord[] (in the order of tasks)
 *
 * The records of several runs: the runs of one grid point in lockstep, backend.ensembleLanes at a time, where they
 * can share an ensemble kernel (lockstep.ts), the others one by one (computeRunRecord). Either way a run's record is
 * the same whatever other runs are in `tasks`.
 */
export function computeRunRecords(tasks: readonly RunTask[], backend: Backend): RunRecord[] {
  const out: RunRecord[] = [];
  let i = 0;
  while (i < tasks.length) {
    let j = i + 1;
    while (j < tasks.length && j - i < backend.ensembleLanes && tasks[j].gridPoint === tasks[i].gridPoint) j++;
    const group = tasks.slice(i, j);
    const records = lockstepRecords(group, backend);
    if (records) {
      out.push(...records);
      i = j;
    } else {
      out.push(computeRunRecord(tasks[i], backend));
      i++;
    }
  }
  return out;
}
