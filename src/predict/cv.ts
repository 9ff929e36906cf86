/**
 * Stratified k-fold cross-validation with an explicit, testable split, and the two learners of weightdyn predict.
 *
 *   stratifiedKFold(labels, k, seed)             -> [{ train, test }]  (the test folds partition the rows)
 *   crossValidatedScores(X, y, folds, learner)   -> out-of-fold scores: row i scored by the model of the fold that
 *                                                   held i out
 *   logisticLearner({ lambda })                  -> standardise on the training rows, fit L2 logistic regression
 *   selectionLearner()                           -> pick the single column with the best training AUC (either
 *                                                   direction), score test rows by its oriented training ECDF
 *
 * Cross-validation never trains on its test fold by construction: the learner's `fit` receives a copy of the
 * training rows only (X, y and the original row indices, the latter for instrumentation), and `score` receives a
 * copy of the test rows without labels. Standardisation statistics are computed inside `fit`, i.e. from the training
 * rows (Hastie, Tibshirani & Friedman 2009, sec. 7.10.2, "the wrong and right way to do cross-validation").
 *
 * Stratification: the members of each class are shuffled (seeded Fisher-Yates) and dealt round-robin to the folds,
 * the dealing continuing across classes, so each fold gets floor or ceil of n_c / k members of every class c and the
 * fold sizes differ by at most one.
 */
import { createRng } from "../system/rng.js";
import {
  fitLogistic,
  fitStandardiser,
  type LogisticModel,
  linearPredictor,
  type Matrix,
  type Standardiser,
  selectRows,
  standardise,
} from "./logistic.js";
import { aucMannWhitney, orient } from "./roc.js";

export interface Fold {
  /** Training rows, ascending. */
  train: number[];
  /** Test rows, ascending. */
  test: number[];
}

export function stratifiedKFold(labels: ArrayLike<number>, k: number, seed: number): Fold[] {
  if (!Number.isInteger(k) || k < 2)
    throw new RangeError(`stratifiedKFold: k: expected an integer >= 2 but received ${k}`);
  if (k > labels.length) throw new RangeError(`stratifiedKFold: k = ${k} folds for ${labels.length} rows`);
  const rng = createRng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    (byClass.get(c) as number[]).push(i);
  }
  const foldOf = new Int32Array(labels.length);
  let dealt = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(c) as number[];
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    for (const row of members) foldOf[row] = dealt++ % k;
  }
  return Array.from({ length: k }, (_, f) => {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < labels.length; i++) (foldOf[i] === f ? test : train).push(i);
    return { train, test };
  });
}

/** What a learner's fit sees: the training rows only. */
export interface TrainingSet {
  X: Matrix;
  y: Uint8Array;
  /** Original row indices of the training rows (for instrumentation and diagnostics only). */
  rows: readonly number[];
}

export interface Learner<M> {
  name: string;
  fit(train: TrainingSet): M;
  /** Scores of new rows; higher => more likely positive. */
  score(model: M, X: Matrix): Float64Array;
}

/** Checks that the test folds partition 0..n-1 and that no fold's training rows overlap its test rows. */
export function checkFolds(folds: readonly Fold[], n: number): void {
  const seen = new Uint8Array(n);
  folds.forEach((fold, f) => {
    const inTest = new Set(fold.test);
    for (const r of fold.train) {
      if (inTest.has(r)) throw new Error(`cross-validation: fold ${f} trains on its test row ${r}`);
    }
    for (const r of fold.test) {
      if (seen[r]) throw new Error(`cross-validation: row ${r} is in more than one test fold`);
      seen[r] = 1;
    }
  });
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new Error(`cross-validation: row ${missing} is in no test fold`);
}

/**
 * crossValidatedScores(X, y, folds, learner) -> { scores, models }
 *
 * For each fold: fit on a copy of the training rows, score a copy of the test rows. scores[i] is the out-of-fold
 * score of row i; models[f] the model of fold f.
 */
export function crossValidatedScores<M>(
  X: Matrix,
  y: ArrayLike<number>,
  folds: readonly Fold[],
  learner: Learner<M>,
): { scores: Float64Array; models: M[] } {
  checkFolds(folds, X.rows);
  const scores = new Float64Array(X.rows);
  const models = folds.map((fold) => {
    const model = learner.fit({
      X: selectRows(X, fold.train),
      y: Uint8Array.from(fold.train, (r) => y[r]),
      rows: fold.train.slice(),
    });
    const s = learner.score(model, selectRows(X, fold.test));
    fold.test.forEach((r, i) => {
      scores[r] = s[i];
    });
    return model;
  });
  return { scores, models };
}

export interface LogisticFit {
  standardiser: Standardiser;
  model: LogisticModel;
}

/**
 * Standardise with the training rows' means and standard deviations, fit L2 logistic regression; the score is the
 * linear predictor (monotone in the probability, without its saturation ties).
 */
export function logisticLearner(options: { lambda?: number } = {}): Learner<LogisticFit> {
  return {
    name: "logistic",
    fit(train) {
      const standardiser = fitStandardiser(train.X);
      const model = fitLogistic(standardise(train.X, standardiser), train.y, { lambda: options.lambda ?? 1 });
      return { standardiser, model };
    },
    score(fit, X) {
      return linearPredictor(fit.model, standardise(X, fit.standardiser));
    },
  };
}

export interface SelectionFit {
  /** Column chosen on the training rows. */
  column: number;
  direction: "+" | "-";
  /** Training AUC of the column (in its own orientation, "higher => positive"). */
  trainAuc: number;
  /** The chosen column's training values, ascending. */
  sorted: Float64Array;
}

/** Mid-ECDF: (#{v < x} + #{v = x} / 2) / n of ascending values v. */
function midEcdf(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  let upper = lo;
  while (upper < sorted.length && sorted[upper] === x) upper++;
  return (lo + (upper - lo) / 2) / sorted.length;
}

/**
 * The single indicator chosen inside cross-validation: on the training rows, the column with the largest
 * max(AUC, 1 - AUC) (first column on ties) and its direction; a test row's score is the chosen column's mid-ECDF
 * among the training values, flipped (1 - ECDF) for direction "-". The ECDF puts the scores of folds that chose
 * different columns on one [0, 1] scale, so the out-of-fold scores can be pooled into one AUC. This is the honest
 * counterpart of "the best single indicator", whose in-sample AUC is biased upwards by the choice.
 */
export function selectionLearner(): Learner<SelectionFit> {
  return {
    name: "selected single indicator",
    fit(train) {
      let best: SelectionFit | null = null;
      let bestDisc = -1;
      for (let c = 0; c < train.X.cols; c++) {
        const col = Float64Array.from({ length: train.X.rows }, (_, i) => train.X.data[i * train.X.cols + c]);
        const auc = aucMannWhitney(col, train.y);
        const { discrimination, direction } = orient(Number.isNaN(auc) ? 0.5 : auc);
        if (discrimination > bestDisc) {
          bestDisc = discrimination;
          best = { column: c, direction, trainAuc: auc, sorted: col.sort() };
        }
      }
      if (!best) throw new Error("selectionLearner: no columns");
      return best;
    },
    score(fit, X) {
      return Float64Array.from({ length: X.rows }, (_, i) => {
        const e = midEcdf(fit.sorted, X.data[i * X.cols + fit.column]);
        return fit.direction === "+" ? e : 1 - e;
      });
    },
  };
}
