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
import { jsonNumber, trainRun } from "../run.js";

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

/** Sums log R_jj over the QRs of every chunk and takes a snapshot at the end of each early window. */
class EarlyAccumulator {
  private readonly sums: Float64Array;
  private next = 0;
  readonly ftle: (Float64Array | null)[];

  constructor(
    private readonly k: number,
    private readonly qrEvery: number,
    private readonly windows: readonly number[],
  ) {
    this.sums = new Float64Array(k);
    this.ftle = windows.map(() => null);
  }

  /** onChunk: logRDiag holds nQr x k values of the QRs ending at start + qrEvery, start + 2 qrEvery, ... */
  add(start: number, logRDiag: Float64Array): void {
    const k = this.k;
    if (k === 0) return;
    const nQr = logRDiag.length / k;
    for (let q = 0; q < nQr && this.next < this.windows.length; q++) {
      for (let j = 0; j < k; j++) this.sums[j] += logRDiag[q * k + j];
      const end = start + (q + 1) * this.qrEvery;
      // Windows are multiples of qrEvery (parseStudy), so a QR ends exactly at each of them.
      while (this.next < this.windows.length && this.windows[this.next] <= end) {
        const e = this.windows[this.next];
        if (e === end) this.ftle[this.next] = this.sums.map((s) => s / e);
        this.next++;
      }
    }
  }
}

function earlyWindow(window: number, ftle: Float64Array | null, loss: number): EarlyWindow {
  const values = ftle === null ? null : Array.from(ftle, jsonNumber);
  // The summaries need every exponent: one non-finite value (a run diverging at the window's end) makes them null.
  if (values === null || values.includes(null)) {
    return { window, ftle: values, max: null, sum: null, positive: null, loss: jsonNumber(loss) };
  }
  const finite = values as number[];
  return {
    window,
    ftle: finite,
    max: finite.length > 0 ? Math.max(...finite) : null,
    sum: finite.reduce((a, b) => a + b, 0),
    positive: finite.filter((v) => v > 0).length,
    loss: jsonNumber(loss),
  };
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
  const lossAt = (t: number) => (t < run.losses.length ? run.losses[t] : Number.NaN);
  const s = run.spectrum;
  return {
    index: task.index,
    studyId: task.studyId,
    gridPoint: task.gridPoint,
    draw: task.draw,
    params: task.params,
    seed: task.seed,
    backend: run.backend,
    steps: task.config.training.steps,
    diverged: s.diverged,
    divergedAt: s.diverged ? (s.divergedAt ?? null) : null,
    finalLoss: jsonNumber(run.finalLoss),
    lossCheckpoints: task.lossCheckpoints.map((t) => [t, jsonNumber(lossAt(t))]),
    early: task.early.map((e, i) => earlyWindow(e, early.ftle[i], lossAt(e))),
    clv: null,
    wallTimeSeconds: (performance.now() - t0) / 1000,
  };
}
