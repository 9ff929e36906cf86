/**
 * Labelling runs as high (1) or low (0) final loss c_f.
 *
 *   finalLossOf(run)                 -> { log10: number | null, diverged }   (null: diverged, counted as high)
 *   gapThreshold(log10s, central)    -> the midpoint of the largest gap in the central ranks
 *   splitThreshold(log10s, rule)     -> the gap rule when its gap is wide and balanced enough, else the median
 *   medianThreshold(log10s)          -> the median
 *   fixedThreshold(cf)               -> a given c_f
 *   labelOf(log10, threshold)        -> 1 if log10 c_f > log10 threshold (strictly), else 0; diverged -> 1
 *
 * The thresholds are computed from the converged runs only (a diverged run has no c_f); diverged runs are labelled
 * high and counted separately. A c_f of exactly 0 is floored at the smallest positive double (log10 = -323.3).
 *
 * The gap rule: sort the n values v_0 <= ... <= v_{n-1} of log10 c_f; consider the gaps v_{i+1} - v_i between
 * consecutive values whose ranks both lie in the central part [lo, hi], lo = floor(q (n - 1)),
 * hi = ceil((1 - q) (n - 1)), q = (1 - central) / 2 (default central = 0.9: the 5th to 95th percentile ranks);
 * the threshold is the midpoint (v_i + v_{i+1}) / 2 of the widest of these gaps (the lowest one on ties). The
 * restriction keeps a few extreme runs from being split off as a class of their own: each side of a gap chosen
 * this way holds at least lo + 1 runs (about 5%). With n < 21 the central part is the whole set.
 *
 * On a continuous, unimodal c_f distribution the largest gap is noise: it can be narrow, and it can sit near the
 * edge of the central part and leave one class tiny (one setting split 462 high against 38 low). So the gap rule is
 * used only when its gap is at least `minGap` decades wide (default 0.2, a factor 1.6 in c_f) and each side holds at
 * least `minShare` of the converged runs (default 0.1); otherwise the threshold falls back to the median, and the
 * Threshold says so (`fallback`: why; `gap`: the gap that was rejected). The defaults keep the gaps of the default
 * study (0.23 to 21 decades, 15 to 73% on the smaller side; docs/default-study/report.md) and reject a noise gap.
 */
import type { RunRecord } from "./input.js";

export type SplitRule = "gap" | "median";

/** When the gap rule's gap is accepted (module comment). */
export interface GapRule {
  /** Share of the ranks searched (default 0.9: the 5th to 95th percentile ranks). */
  central: number;
  /** Smallest accepted gap width, decades of c_f. */
  minGap: number;
  /** Smallest accepted share of the converged runs on either side of the gap. */
  minShare: number;
}

export const DEFAULT_GAP_RULE: GapRule = { central: 0.9, minGap: 0.2, minShare: 0.1 };

export interface Threshold {
  /** The rule that set the threshold ("median" also when the gap rule fell back to it: see fallback). */
  rule: "threshold" | "gap" | "median";
  /** Set when the gap rule was asked for but its gap failed a criterion: why, in words. */
  fallback?: string;
  /** Runs with c_f strictly above this are high. */
  finalLoss: number;
  log10: number;
  /** Converged runs the threshold was computed from. */
  n: number;
  /** The gap rule's gap: log10 c_f of the runs on either side, its width in decades, and their ranks (0-based). */
  gap?: { below: number; above: number; width: number; ranks: [number, number]; centralRanks: [number, number] };
}

/** log10 of the smallest positive double: the floor for a final loss of exactly 0. */
const LOG10_MIN = Math.log10(Number.MIN_VALUE);

/** log10 c_f of a run, or null for a run that diverged (flag set, or c_f missing, non-finite or negative). */
export function finalLossOf(run: RunRecord): { log10: number | null; diverged: boolean } {
  const cf = run.finalLoss;
  if (run.diverged === true || cf === null || !Number.isFinite(cf) || cf < 0) return { log10: null, diverged: true };
  return { log10: cf === 0 ? LOG10_MIN : Math.log10(cf), diverged: false };
}

function sortedFinite(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

function fromLog10(rule: Threshold["rule"], log10: number, n: number, gap?: Threshold["gap"]): Threshold {
  return { rule, finalLoss: 10 ** log10, log10, n, ...(gap ? { gap } : {}) };
}

/** The gap rule (module comment). Needs at least 2 values. */
export function gapThreshold(log10s: readonly number[], central = 0.9): Threshold {
  const v = sortedFinite(log10s);
  const n = v.length;
  if (n < 2) throw new RangeError(`gap threshold: needs at least 2 converged runs, got ${n}`);
  if (!(central > 0 && central <= 1))
    throw new RangeError(`gap threshold: central: expected (0, 1] but got ${central}`);
  const q = (1 - central) / 2;
  const lo = Math.floor(q * (n - 1) + 1e-12);
  const hi = Math.max(Math.ceil((1 - q) * (n - 1) - 1e-12), lo + 1);
  let best = lo;
  for (let i = lo + 1; i < hi; i++) if (v[i + 1] - v[i] > v[best + 1] - v[best]) best = i;
  const gap = {
    below: v[best],
    above: v[best + 1],
    width: v[best + 1] - v[best],
    ranks: [best, best + 1] as [number, number],
    centralRanks: [lo, hi] as [number, number],
  };
  return fromLog10("gap", (v[best] + v[best + 1]) / 2, n, gap);
}

/**
 * splitThreshold(log10s, rule) -> the gap rule's threshold when its gap is at least rule.minGap decades wide and
 * leaves at least rule.minShare of the values on each side, else the median with `fallback` saying why and `gap`
 * holding the rejected gap. Needs at least 2 values.
 */
export function splitThreshold(log10s: readonly number[], rule: Partial<GapRule> = {}): Threshold {
  const r = { ...DEFAULT_GAP_RULE, ...rule };
  const gap = gapThreshold(log10s, r.central);
  const g = gap.gap as NonNullable<Threshold["gap"]>;
  const n = gap.n;
  const smaller = Math.min(g.ranks[0] + 1, n - g.ranks[1]);
  const reasons: string[] = [];
  if (!(g.width >= r.minGap)) reasons.push(`its gap is ${g.width.toFixed(2)} decades wide (< ${r.minGap})`);
  if (!(smaller >= r.minShare * n)) {
    reasons.push(`it leaves ${smaller} of ${n} converged runs on one side (< ${Math.round(100 * r.minShare)}%)`);
  }
  if (reasons.length === 0) return gap;
  return { ...medianThreshold(log10s), fallback: `gap rule not used: ${reasons.join(" and ")}`, gap: g };
}

/** The median of log10 c_f (mean of the two middle values for even n). Needs at least 1 value. */
export function medianThreshold(log10s: readonly number[]): Threshold {
  const v = sortedFinite(log10s);
  const n = v.length;
  if (n < 1) throw new RangeError("median threshold: needs at least 1 converged run, got 0");
  const m = n % 2 === 1 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return fromLog10("median", m, n);
}

/** A given threshold on c_f (> 0). */
export function fixedThreshold(finalLoss: number, n: number): Threshold {
  if (!(finalLoss > 0 && Number.isFinite(finalLoss))) {
    throw new RangeError(`threshold: expected a positive finite final loss but received ${finalLoss}`);
  }
  return { rule: "threshold", finalLoss, log10: Math.log10(finalLoss), n };
}

/** The threshold of a set of converged runs' log10 c_f under a rule (a fixed value overrides the split rule). */
export function computeThreshold(
  log10s: readonly number[],
  rule: { split: SplitRule; threshold?: number; minGap?: number; minShare?: number },
): Threshold {
  if (rule.threshold !== undefined) return fixedThreshold(rule.threshold, sortedFinite(log10s).length);
  if (rule.split === "median") return medianThreshold(log10s);
  // One converged run has no gap: the median (the run itself) is the only split there is.
  if (sortedFinite(log10s).length < 2) return { ...medianThreshold(log10s), fallback: "gap rule not used: one run" };
  // Only the given parts of the gap rule: an absent one keeps its default (a key set to undefined would override it).
  const given: Partial<GapRule> = {};
  if (rule.minGap !== undefined) given.minGap = rule.minGap;
  if (rule.minShare !== undefined) given.minShare = rule.minShare;
  return splitThreshold(log10s, given);
}

/** 1 (high) if diverged (log10 null) or log10 c_f > threshold, else 0. */
export function labelOf(log10: number | null, threshold: Threshold): 0 | 1 {
  return log10 === null || log10 > threshold.log10 ? 1 : 0;
}

/** The labelling rule in words, for the report. */
export function describeRule(
  rule: { split: SplitRule; threshold?: number; perGroup: boolean; minGap?: number; minShare?: number },
  grouped: boolean,
  noun: "activation" | "group" = "activation",
): string {
  const minGap = rule.minGap ?? DEFAULT_GAP_RULE.minGap;
  const minShare = rule.minShare ?? DEFAULT_GAP_RULE.minShare;
  const base =
    rule.threshold !== undefined
      ? `high final loss means c_f > ${rule.threshold} (given threshold)`
      : rule.split === "median"
        ? "high final loss means log10 c_f above the median of the converged runs"
        : "high final loss means log10 c_f above the midpoint of the largest gap between consecutive sorted log10 c_f " +
          "values of the converged runs, searched between the 5th and 95th percentile ranks, when that gap is at " +
          `least ${minGap} decades wide and each side holds at least ${Math.round(100 * minShare)}% of the converged ` +
          "runs; otherwise above their median (the rule used for each group is listed below)";
  const where =
    rule.threshold !== undefined && rule.perGroup && grouped
      ? `; the given threshold applies to every ${noun} (--per-group has no effect with a given threshold)`
      : rule.threshold !== undefined || !grouped
        ? ""
        : rule.perGroup
          ? `; the threshold is computed separately for each ${noun} (--per-group), and the pooled analysis uses ` +
            `each run's label from its own ${noun}`
          : `; one threshold is computed on all ${noun}s pooled and applies to every ${noun}`;
  return `${base}${where}. Diverged runs count as high and are counted separately.`;
}
