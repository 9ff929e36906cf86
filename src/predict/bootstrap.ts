/**
 * The seeded, stratified bootstrap of weightdyn predict.
 *
 *   deriveSeed(seed, ...parts)                     -> a seed for one named analysis (independent of the order of work)
 *   stratifiedCounts(labels, rng, out)             -> one resample, as how often each run was drawn
 *   bootstrap(labels, { resamples, seed }, stat)   -> the statistic on every resample and its percentile interval
 *   percentileInterval(samples, level)             -> [lo, hi]
 *
 * Resampling is stratified by label: each resample draws n1 runs with replacement from the n1 positives and n0 from
 * the n0 negatives, so every resample has both classes and the AUC is always defined (the default of pROC's
 * `ci.auc`, Robin et al. 2011, BMC Bioinformatics 12:77; Efron & Tibshirani 1993, ch. 8, for the two-sample
 * bootstrap). The interval is the percentile interval (Efron & Tibshirani 1993, ch. 13) with quantiles by linear
 * interpolation between order statistics (Hyndman & Fan 1996, definition 7). A resample is a vector of counts so the
 * statistic can be computed in O(n) on data sorted once (roc.ts: preparedAuc).
 */
import { createRng, type Rng } from "../system/rng.js";

export interface BootstrapOptions {
  /** Number of resamples (default 500). */
  resamples?: number;
  /** Seed of the resampling (an integer in [0, 2^53]). */
  seed: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
}

export interface BootstrapResult {
  /** The statistic on every resample (NaN results are dropped). */
  samples: number[];
  /** Percentile interval [lo, hi] (NaN when no resample gave a number). */
  interval: [number, number];
}

/** FNV-1a (32-bit) of a string: a cheap, stable hash for seed derivation (not for security). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * deriveSeed(seed, ...parts) -> an integer in [0, 2^53) fixed by the base seed and the names of the analysis
 * (scope, window, model, repeat), so each number in the report is reproducible on its own, whatever else ran.
 */
export function deriveSeed(seed: number, ...parts: (string | number)[]): number {
  const hi = fnv1a(`${seed}|${parts.join("|")}`) & 0x1fffff; // 21 bits
  const lo = fnv1a(`${parts.join("|")}|${seed}|lo`);
  return hi * 2 ** 32 + lo;
}

/** Members of each class: [negatives, positives]. */
export function classMembers(labels: ArrayLike<number>): [number[], number[]] {
  const neg: number[] = [];
  const pos: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? pos : neg).push(i);
  return [neg, pos];
}

/** One stratified resample as counts: out[i] = how many times run i was drawn. */
export function stratifiedCounts(members: readonly (readonly number[])[], rng: Rng, out: Float64Array): Float64Array {
  out.fill(0);
  for (const group of members) {
    const m = group.length;
    for (let d = 0; d < m; d++) out[group[Math.floor(rng.uniform() * m)]] += 1;
  }
  return out;
}

/** Quantile by linear interpolation between order statistics (Hyndman & Fan type 7) of sorted values. */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Percentile interval of the samples at the given coverage. */
export function percentileInterval(samples: readonly number[], level = 0.95): [number, number] {
  const sorted = samples.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return [quantileSorted(sorted, tail), quantileSorted(sorted, 1 - tail)];
}

/**
 * bootstrap(labels, options, statistic) -> samples and percentile interval
 *
 * `statistic(counts)` receives the counts of one stratified resample (see the module comment) and may return
 * several values at once (an array): then one result per value is returned, all from the same resamples (paired,
 * as needed for a difference of two AUCs on the same runs).
 */
export function bootstrap(
  labels: ArrayLike<number>,
  options: BootstrapOptions,
  statistic: (counts: Float64Array) => number[],
): BootstrapResult[] {
  const resamples = options.resamples ?? 500;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`bootstrap: resamples: expected a positive integer but received ${resamples}`);
  }
  const rng = createRng(options.seed);
  const members = classMembers(labels);
  const counts = new Float64Array(labels.length);
  let samples: number[][] | null = null;
  for (let b = 0; b < resamples; b++) {
    const values = statistic(stratifiedCounts(members, rng, counts));
    samples ??= values.map(() => []);
    values.forEach((v, j) => {
      if (!Number.isNaN(v)) (samples as number[][])[j].push(v);
    });
  }
  return (samples ?? []).map((s) => ({ samples: s, interval: percentileInterval(s, options.level ?? 0.95) }));
}
