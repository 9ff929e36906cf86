/**
 * Convergence diagnostics of a Lyapunov spectrum from its FTLE windows and running estimates: how precise is each
 * exponent, which neighbouring exponents a finite run cannot tell apart, and whether the QR columns have settled
 * into their order. Written against FtleWindows / RunningEstimates (ftle.ts) only, so any TangentSystem's spectrum,
 * or a run's ftle.csv, can be diagnosed.
 *
 *   convergenceDiagnostics(exponents, ftle, running?, options) -> ConvergenceDiagnostics
 *   runningFromWindows(ftle) -> RunningEstimates     (the running estimates at the window ends, from the windows)
 *
 * Standard errors by non-overlapping batch means (Flegal & Jones 2010, Ann. Stat. 38:1034; Geyer 1992): the W
 * complete windows are cut into a = floor(W / b) batches of b = floor(sqrt(W)) consecutive windows (the last a b
 * windows; the W - a b earliest, nearest the start where the basis is still aligning, are left out of the batches);
 * with Y_k the mean FTLE of batch k and Ybar the mean of the Y_k,
 *   se_j = sqrt( sum_k (Y_kj - Ybar_j)^2 / (a (a - 1)) ),
 * the standard error of the time average if batches of b windows are nearly independent. Fewer than 2 batches (W < 2)
 * give no standard errors (null).
 *
 * Unresolved pairs: the exponents sorted descending, s_1 >= s_2 >= ...; a neighbouring pair (s_r, s_r+1) is
 * unresolved when its difference s_r - s_r+1 is at most the rounding floor TIE = 1e-10 (1 + |s_r|), or when the
 * mean difference d of the two columns' window FTLEs over the batched windows is at most z se_d (z = 1.96 by
 * default: not different at the two-sided 5% level), se_d being the batch-means standard error of that difference
 * (paired, so a common fluctuation cancels). A transient confined to one batch of a gives d = se_d exactly, so it is
 * never mistaken for a resolved pair. Without standard errors only ties (below TIE) are unresolved.
 *
 * Ordering: the QR method orders its columns by growth rate only once the basis has aligned (Benettin et al. 1980).
 * The ordering has not settled when (a) the QR-order exponents are not decreasing: lambda_j < lambda_j+1 - TIE for
 * some j; or (b) the running estimates of two neighbouring QR columns still cross: their difference (ignoring
 * differences below TIE) changes sign at a window end in the last `settleFraction` (default 1/2) of the windows.
 * If the final exponents decrease, every late crossing of any two columns shows up as a crossing of a neighbouring
 * pair, so (b) needs only the k - 1 neighbouring pairs.
 *
 * sortedExponents / sortedColumns: the exponents in descending order and the QR column each comes from.
 */
import type { FtleWindows, RunningEstimates } from "./ftle.js";

/** Differences below TIE (1 + |lambda|) count as zero: rounding of sums over up to ~1e8 steps, not a rate. */
export const TIE = 1e-10;

export interface ConvergenceOptions {
  /** Critical value of the pair test (default 1.96). */
  z?: number;
  /** A crossing of running estimates in this last share of the windows means "not settled" (default 0.5). */
  settleFraction?: number;
}

export interface UnresolvedPair {
  /** 1-based ranks in the sorted spectrum. */
  ranks: [number, number];
  /** 0-based QR columns of the two exponents. */
  columns: [number, number];
  difference: number;
  /** Batch-means standard error of the difference, or null without batches. */
  standardError: number | null;
}

export interface ConvergenceDiagnostics {
  windows: number;
  batches: number;
  windowsPerBatch: number;
  /** Per exponent, in QR order; null without batches. */
  standardErrors: (number | null)[];
  sortedExponents: number[];
  sortedColumns: number[];
  unresolvedPairs: UnresolvedPair[];
  /** QR-order neighbours [j, j + 1] (0-based) with lambda_j < lambda_j+1. */
  notDecreasing: [number, number][];
  /** QR-order neighbours whose running estimates cross in the last settleFraction of the windows, with the step
   *  (after the transient) of the last crossing. */
  lateCrossings: { columns: [number, number]; step: number }[];
  orderSettled: boolean;
  /** Sentences for the summary, empty when nothing is flagged. */
  flags: string[];
}

/** The running estimates at the end of each window: the mean of the windows so far (equal lengths). */
export function runningFromWindows(ftle: FtleWindows): RunningEstimates {
  const W = ftle.starts.length;
  const k = W === 0 ? 0 : ftle.values.length / W;
  const values = new Float64Array(W * k);
  const sums = new Float64Array(k);
  for (let w = 0; w < W; w++) {
    for (let j = 0; j < k; j++) {
      sums[j] += ftle.values[w * k + j];
      values[w * k + j] = sums[j] / (w + 1);
    }
  }
  return { steps: Array.from({ length: W }, (_, w) => (w + 1) * ftle.window), values };
}

/** Batch-means standard error of value(w) over a batches of b windows from window `first`; null for a < 2. */
function batchSe(first: number, b: number, a: number, value: (w: number) => number): number | null {
  if (a < 2) return null;
  const means = new Float64Array(a);
  for (let k = 0; k < a; k++) {
    let s = 0;
    for (let i = 0; i < b; i++) s += value(first + k * b + i);
    means[k] = s / b;
  }
  const mean = means.reduce((x, y) => x + y, 0) / a;
  const ss = means.reduce((x, y) => x + (y - mean) ** 2, 0);
  return Math.sqrt(ss / (a * (a - 1)));
}

const tie = (x: number) => TIE * (1 + Math.abs(x));

export function convergenceDiagnostics(
  exponents: ArrayLike<number>,
  ftle: FtleWindows,
  running: RunningEstimates = runningFromWindows(ftle),
  options: ConvergenceOptions = {},
): ConvergenceDiagnostics {
  const z = options.z ?? 1.96;
  const settle = options.settleFraction ?? 0.5;
  const k = exponents.length;
  const W = ftle.starts.length;
  const b = Math.max(1, Math.floor(Math.sqrt(W)));
  const a = Math.floor(W / b);
  const first = W - a * b;
  const x = (w: number, j: number) => ftle.values[w * k + j];
  const standardErrors = Array.from({ length: k }, (_, j) => batchSe(first, b, a, (w) => x(w, j)));

  const sortedColumns = Array.from({ length: k }, (_, j) => j).sort((i, j) => exponents[j] - exponents[i] || i - j);
  const sortedExponents = sortedColumns.map((j) => exponents[j]);
  const unresolvedPairs: UnresolvedPair[] = [];
  for (let r = 0; r + 1 < k; r++) {
    const [c1, c2] = [sortedColumns[r], sortedColumns[r + 1]];
    const difference = sortedExponents[r] - sortedExponents[r + 1];
    const diff = (w: number) => x(w, c1) - x(w, c2);
    const se = batchSe(first, b, a, diff);
    // The test compares the difference over the batched windows with its standard error from the same windows.
    let batched = 0;
    for (let w = first; w < W; w++) batched += diff(w) / (W - first);
    const tied = difference <= tie(sortedExponents[r]);
    if (tied || (se !== null && batched <= z * se)) {
      unresolvedPairs.push({ ranks: [r + 1, r + 2], columns: [c1, c2], difference, standardError: se });
    }
  }

  const notDecreasing: [number, number][] = [];
  for (let j = 0; j + 1 < k; j++) {
    if (exponents[j] < exponents[j + 1] - tie(exponents[j + 1])) notDecreasing.push([j, j + 1]);
  }
  const lateCrossings: ConvergenceDiagnostics["lateCrossings"] = [];
  const E = running.steps.length;
  const lateFrom = Math.ceil((1 - settle) * E);
  for (let j = 0; j + 1 < k; j++) {
    let sign = 0;
    let last = -1;
    for (let e = 0; e < E; e++) {
      const hi = running.values[e * k + j];
      const d = hi - running.values[e * k + j + 1];
      if (Math.abs(d) <= tie(hi)) continue;
      const s = Math.sign(d);
      if (sign !== 0 && s !== sign) last = e;
      sign = s;
    }
    if (last >= lateFrom) lateCrossings.push({ columns: [j, j + 1], step: running.steps[last] });
  }
  const orderSettled = notDecreasing.length === 0 && lateCrossings.length === 0;

  const flags: string[] = [];
  if (a < 2) flags.push(`only ${W} FTLE window(s): no standard errors (batch means need at least 2 windows)`);
  if (unresolvedPairs.length > 0) {
    const list = unresolvedPairs.map((p) => `${p.ranks[0]}-${p.ranks[1]}`).join(", ");
    flags.push(
      `${unresolvedPairs.length} of ${k - 1} neighbouring pairs of the sorted exponents not resolved (difference ` +
        `<= ${z} se): ${list}`,
    );
  }
  if (notDecreasing.length > 0) {
    const list = notDecreasing.map(([i, j]) => `${i + 1} < ${j + 1}`).join(", ");
    flags.push(`the QR-order exponents are not decreasing (${list}): the tangent basis has not aligned`);
  }
  if (lateCrossings.length > 0) {
    const list = lateCrossings.map((c) => `${c.columns[0] + 1} and ${c.columns[1] + 1} at step ${c.step}`).join(", ");
    flags.push(`running estimates of neighbouring QR columns still cross late in the run (${list})`);
  }
  return {
    windows: W,
    batches: a,
    windowsPerBatch: b,
    standardErrors,
    sortedExponents,
    sortedColumns,
    unresolvedPairs,
    notDecreasing,
    lateCrossings,
    orderSettled,
    flags,
  };
}
