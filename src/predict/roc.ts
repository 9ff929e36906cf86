/**
 * ROC curves and the area under them (AUC) for a score that is meant to flag the positive class (here: runs whose
 * final loss is "high").
 *
 *   averageRanks(values)           -> ranks 1..n, tied values get the mean of their ranks
 *   aucMannWhitney(scores, labels) -> AUC = U / (n1 n0)
 *   rocCurve(scores, labels)       -> ROC points, one step per distinct score
 *   preparedAuc(scores, labels)    -> (weights) => AUC of a weighted (e.g. bootstrap-resampled) sample in O(n)
 *   thinRoc(curve, points)         -> the curve with at most about `points` of its points, ends kept
 *
 * Convention (used everywhere in weightdyn predict): labels are 1 for the positive class ("high final loss") and 0
 * for the negative class; the AUC is that of "higher score => positive",
 *   AUC = P(S1 > S0) + 1/2 P(S1 = S0),   S1 the score of a random positive, S0 of a random negative,
 * which equals the Mann-Whitney U of the positives divided by n1 n0 (Mann & Whitney 1947; Hanley & McNeil 1982,
 * Radiology 143:29, eq. 1), with U = R1 - n1 (n1 + 1) / 2 and R1 the sum of the positives' mid-ranks in the pooled
 * sample. An AUC below 1/2 means the score points the other way; the callers report max(AUC, 1 - AUC) with that
 * direction as well. AUC is NaN when either class is empty.
 */

/** Mid-ranks (1-based) of the values: tied values share the mean of the ranks they occupy. O(n log n). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = sortedOrder(values);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && values[order[end]] === values[order[start]]) end++;
    // positions start..end-1 hold ranks start+1..end: their mean is (start + 1 + end) / 2
    const mid = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) ranks[order[i]] = mid;
    start = end;
  }
  return ranks;
}

/** Indices of the values in ascending order (stable). NaN is not allowed (callers filter it out). */
export function sortedOrder(values: ArrayLike<number>): Uint32Array {
  const order = Uint32Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => values[a] - values[b] || a - b);
  return order;
}

function classCounts(labels: ArrayLike<number>): [number, number] {
  let n1 = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) n1++;
  return [n1, labels.length - n1];
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`auc: scores has length ${scores.length} but labels has length ${labels.length}`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`auc: scores[${i}] is NaN`);
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`auc: labels[${i}] must be 0 or 1, got ${labels[i]}`);
  }
}

/**
 * aucMannWhitney(scores, labels) -> AUC of "higher score => label 1", ties counted 1/2.
 *
 * U = R1 - n1 (n1 + 1) / 2 with R1 the sum of the mid-ranks of the positives; AUC = U / (n1 n0). O(n log n).
 */
export function aucMannWhitney(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkInputs(scores, labels);
  const [n1, n0] = classCounts(labels);
  if (n1 === 0 || n0 === 0) return Number.NaN;
  const ranks = averageRanks(scores);
  let r1 = 0;
  for (let i = 0; i < ranks.length; i++) if (labels[i] === 1) r1 += ranks[i];
  return (r1 - (n1 * (n1 + 1)) / 2) / (n1 * n0);
}

export interface RocCurve {
  /** False-positive rates, from 0 to 1, non-decreasing. */
  fpr: number[];
  /** True-positive rates, from 0 to 1, non-decreasing. */
  tpr: number[];
  /** thresholds[i]: the point (fpr[i], tpr[i]) flags every run with score >= thresholds[i] (Infinity for (0, 0)). */
  thresholds: number[];
}

/**
 * rocCurve(scores, labels) -> ROC points for "score >= t => positive" as t runs down the distinct scores.
 *
 * Runs that share a score enter together, so a tie between positives and negatives is one diagonal step (the
 * trapezoidal area under these points is exactly aucMannWhitney). The first point is (0, 0), the last (1, 1).
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  checkInputs(scores, labels);
  const [n1, n0] = classCounts(labels);
  const order = sortedOrder(scores).reverse();
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Number.POSITIVE_INFINITY];
  let tp = 0;
  let fp = 0;
  for (let start = 0; start < order.length; ) {
    const t = scores[order[start]];
    let end = start;
    while (end < order.length && scores[order[end]] === t) {
      if (labels[order[end]] === 1) tp++;
      else fp++;
      end++;
    }
    fpr.push(n0 === 0 ? Number.NaN : fp / n0);
    tpr.push(n1 === 0 ? Number.NaN : tp / n1);
    thresholds.push(t);
    start = end;
  }
  return { fpr, tpr, thresholds };
}

/** Points a thinned ROC curve keeps (report.json stays small; a figure cannot show more). */
export const ROC_POINTS = 200;

/**
 * thinRoc(curve, points) -> a sub-list of the curve's points: the first, every point at least 2 / points away
 * (in fpr + tpr) from the last one kept, and the last. Every kept point is a point of the curve.
 */
export function thinRoc(curve: RocCurve, points = ROC_POINTS): RocCurve {
  const step = 2 / points;
  const out: RocCurve = { fpr: [], tpr: [], thresholds: [] };
  const keep = (i: number) => {
    out.fpr.push(curve.fpr[i]);
    out.tpr.push(curve.tpr[i]);
    out.thresholds.push(curve.thresholds[i]);
  };
  const last = curve.fpr.length - 1;
  for (let i = 0; i <= last; i++) {
    const k = out.fpr.length - 1;
    if (i === 0 || i === last || curve.fpr[i] - out.fpr[k] + (curve.tpr[i] - out.tpr[k]) >= step) keep(i);
  }
  return out;
}

/** Trapezoidal area under ROC points. */
export function rocArea(curve: RocCurve): number {
  let area = 0;
  for (let i = 1; i < curve.fpr.length; i++) {
    area += ((curve.fpr[i] - curve.fpr[i - 1]) * (curve.tpr[i] + curve.tpr[i - 1])) / 2;
  }
  return area;
}

/**
 * preparedAuc(scores, labels) -> auc(weights?)
 *
 * Sorts once; each call then computes the AUC of the sample in which run i appears weights[i] times (a bootstrap
 * resample, as counts) in O(n):
 *   AUC = sum_i w_i [y_i = 1] (W0(< s_i) + W0(= s_i) / 2) / (W1 W0),
 * W0(< s) the total weight of negatives scoring below s. With unit weights it equals aucMannWhitney.
 */
export function preparedAuc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): (weights?: ArrayLike<number>) => number {
  checkInputs(scores, labels);
  const order = sortedOrder(scores);
  // group boundaries of equal scores, in ascending order
  const groupEnds: number[] = [];
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && scores[order[end]] === scores[order[start]]) end++;
    groupEnds.push(end);
    start = end;
  }
  const y = Uint8Array.from(order, (i) => labels[i]);
  return (weights) => {
    let negBelow = 0;
    let acc = 0;
    let w1Total = 0;
    let start = 0;
    for (const end of groupEnds) {
      let w1 = 0;
      let w0 = 0;
      for (let p = start; p < end; p++) {
        const w = weights ? weights[order[p]] : 1;
        if (y[p] === 1) w1 += w;
        else w0 += w;
      }
      acc += w1 * (negBelow + w0 / 2);
      negBelow += w0;
      w1Total += w1;
      start = end;
    }
    return w1Total === 0 || negBelow === 0 ? Number.NaN : acc / (w1Total * negBelow);
  };
}

/** The orientation convention: max(AUC, 1 - AUC) with the direction ("+": higher => high loss, "-": lower). */
export function orient(auc: number): { discrimination: number; direction: "+" | "-" } {
  return auc >= 0.5 ? { discrimination: auc, direction: "+" } : { discrimination: 1 - auc, direction: "-" };
}
