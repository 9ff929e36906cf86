/**
 * The evaluation of one early window within one scope: single-indicator AUCs with bootstrap intervals, the
 * cross-validated models, and the honest comparison "do the FTLEs add anything beyond the early loss?".
 *
 *   evaluateWindow(data, scopeName, options) -> WindowResult
 *
 * Cross-validated AUC: for each of `repeats` independent stratified k-fold splits (one split per repeat shared by all
 * models, so the comparison is paired), the AUC of the pooled out-of-fold scores; the reported value is the mean over
 * repeats and `repeatRange` its spread. Its interval, and the interval of the gain
 *   delta = mean_r [AUC_r(combined) - AUC_r(loss alone)],
 * come from a stratified bootstrap of the runs with the out-of-fold scores held fixed (the same resamples for every
 * model). The bootstrap covers the sampling of the evaluated runs but not the refitting of the models, so it is, if
 * anything, too narrow; the repeat range shows the part of the variation that comes from the split. The gain's
 * standard error `se` is the standard deviation of delta over the same resamples (what the atlas pools; equally
 * narrow). The out-of-fold ROC curves of the first repeat are kept for the figures.
 */
import { bootstrap, deriveSeed } from "./bootstrap.js";
import {
  crossValidatedScores,
  type Learner,
  logisticLearner,
  type SelectionFit,
  selectionLearner,
  stratifiedKFold,
} from "./cv.js";
import { ftleIndicatorMatrix, type WindowData } from "./indicators.js";
import type { Matrix } from "./logistic.js";
import { orient, preparedAuc, type RocCurve, rocCurve, thinRoc } from "./roc.js";
import type {
  CvModelName,
  CvModelScore,
  CvResult,
  Gain,
  IndicatorScore,
  ResolvedPredictOptions,
  WindowResult,
} from "./types.js";

/** When the early loss alone reaches this CV AUC, the sentence says there is no room left for a gain. */
export const CEILING_AUC = 0.99;
/** Below this many runs in the smaller class, the sentence warns that the interval may be too narrow. */
export const FEW_RUNS = 20;

const fmt = (x: number) => x.toFixed(3);
const signed = (x: number) => (x >= 0 ? `+${fmt(x)}` : fmt(x));

/** What a 95% interval of a gain says: above 0 a gain, below 0 worse, else none. */
export function verdictOf(ci: readonly [number, number]): Gain["verdict"] {
  return ci[0] > 0 ? "gain" : ci[1] < 0 ? "worse" : "none";
}

/** The sentence of the comparison, generated from the numbers only. */
export function gainSentence(
  delta: number,
  ci: [number, number],
  lossAuc: number,
  combinedAuc: number,
  baseline = "the early loss",
  minority = Number.POSITIVE_INFINITY,
): Pick<Gain, "verdict" | "sentence"> {
  const verdict = verdictOf(ci);
  let sentence: string;
  const range = `95% CI ${signed(ci[0])} to ${signed(ci[1])}`;
  if (verdict === "gain") {
    sentence = `FTLEs add ${signed(delta)} AUC over ${baseline} (cross-validated AUC ${fmt(lossAuc)} -> ${fmt(combinedAuc)}; ${range}).`;
  } else if (verdict === "worse") {
    sentence = `Adding the FTLEs lowers the cross-validated AUC by ${fmt(-delta)} (${fmt(lossAuc)} -> ${fmt(combinedAuc)}; ${range}): no gain over ${baseline}.`;
  } else {
    sentence = `No detectable gain from the FTLEs over ${baseline} (delta AUC ${signed(delta)}, ${range}, includes 0; cross-validated AUC ${fmt(lossAuc)} -> ${fmt(combinedAuc)}).`;
  }
  if (lossAuc >= CEILING_AUC) {
    sentence += ` ${baseline[0].toUpperCase()}${baseline.slice(1)} already separates the classes (AUC ${fmt(lossAuc)}), which leaves no room for a gain.`;
  }
  if (minority < FEW_RUNS) {
    sentence += ` Only ${minority} runs in the smaller class: the interval leaves out the refitting of the models and may be too narrow.`;
  }
  return { verdict, sentence };
}

function scoreIndicators(data: WindowData, options: ResolvedPredictOptions, scope: string): IndicatorScore[] {
  const prepared = data.indicators.map((ind) => preparedAuc(ind.values, data.labels));
  const ci = bootstrap(
    data.labels,
    { resamples: options.resamples, seed: deriveSeed(options.seed, scope, data.window, "indicators") },
    (counts) => prepared.map((auc) => auc(counts)),
  );
  return data.indicators.map((ind, j) => {
    const auc = prepared[j]();
    return { name: ind.name, kind: ind.kind, auc, ci: ci[j].interval, ...orient(auc) };
  });
}

function orientedRoc(values: Float64Array, labels: Uint8Array, direction: "+" | "-") {
  return rocCurve(direction === "+" ? values : values.map((v) => -v), labels);
}

function crossValidate(data: WindowData, options: ResolvedPredictOptions, scope: string): CvResult {
  const { folds, repeats } = options;
  const selection = ftleIndicatorMatrix(data);
  const models: { name: CvModelName; X: Matrix; learner: Learner<unknown> }[] = [
    {
      name: "spectrum",
      X: data.features.spectrum,
      learner: logisticLearner({ lambda: options.lambda }) as Learner<unknown>,
    },
    { name: "loss", X: data.features.loss, learner: logisticLearner({ lambda: options.lambda }) as Learner<unknown> },
    {
      name: "combined",
      X: data.features.combined,
      learner: logisticLearner({ lambda: options.lambda }) as Learner<unknown>,
    },
    { name: "selected", X: selection.X, learner: selectionLearner() as Learner<unknown> },
  ];
  const picks: Record<string, number> = {};
  const roc: Partial<Record<CvModelName, RocCurve>> = {};
  // prepared[m][r]: the AUC function of model m's out-of-fold scores in repeat r
  const prepared = models.map(() => [] as ((w?: ArrayLike<number>) => number)[]);
  for (let r = 0; r < repeats; r++) {
    const split = stratifiedKFold(data.labels, folds, deriveSeed(options.seed, scope, data.window, "cv", r));
    models.forEach((m, j) => {
      const { scores, models: fits } = crossValidatedScores(m.X, data.labels, split, m.learner);
      prepared[j].push(preparedAuc(scores, data.labels));
      if (r === 0 && m.name !== "selected") roc[m.name] = thinRoc(rocCurve(scores, data.labels));
      if (m.name === "selected") {
        for (const fit of fits as SelectionFit[]) {
          const name = selection.names[fit.column];
          picks[name] = (picks[name] ?? 0) + 1;
        }
      }
    });
  }
  const iLoss = models.findIndex((m) => m.name === "loss");
  const iComb = models.findIndex((m) => m.name === "combined");
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const perRepeat = (w?: Float64Array) => prepared.map((fs) => fs.map((f) => f(w)));
  const statistic = (w?: Float64Array) => {
    const aucs = perRepeat(w);
    return [...aucs.map(mean), mean(aucs[iComb].map((a, r) => a - aucs[iLoss][r]))];
  };
  const point = statistic();
  const boot = bootstrap(
    data.labels,
    { resamples: options.resamples, seed: deriveSeed(options.seed, scope, data.window, "cv-bootstrap") },
    statistic,
  );
  const aucs = perRepeat();
  const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
  const scores = {} as Record<CvModelName, CvModelScore>;
  models.forEach((m, j) => {
    scores[m.name] = {
      model: m.name,
      auc: point[j],
      ci: boot[j].interval,
      repeatRange: range(aucs[j]),
      ...(m.name === "selected" ? { picks } : {}),
    };
  });
  const delta = point[models.length];
  const ci = boot[models.length].interval;
  const gain: Gain = {
    delta,
    ci,
    se: standardDeviation(boot[models.length].samples),
    repeatRange: range(aucs[iComb].map((a, r) => a - aucs[iLoss][r])),
    ...gainSentence(
      delta,
      ci,
      scores.loss.auc,
      scores.combined.auc,
      data.adjustedFor.length > 0 ? "the early loss and the group" : "the early loss",
      Math.min(...[0, 1].map((c) => data.labels.filter((y) => y === c).length)),
    ),
  };
  return { folds, repeats, adjustedFor: data.adjustedFor, models: scores, gain, roc };
}

/** Sample standard deviation (n - 1), NaN for fewer than 2 values. */
function standardDeviation(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
}

export function evaluateWindow(data: WindowData, scope: string, options: ResolvedPredictOptions): WindowResult {
  const n = data.labels.length;
  const nHigh = data.labels.reduce((a, b) => a + b, 0);
  const nLow = n - nHigh;
  const base = {
    window: data.window,
    n,
    nHigh,
    nLow,
    nDivergedIncluded: data.runs.filter((r) => r.diverged).length,
    excluded: data.excluded,
    k: data.k,
  };
  if (nHigh === 0 || nLow === 0) {
    const which = nHigh === 0 ? "no high-loss runs" : "no low-loss runs";
    return {
      ...base,
      indicators: [],
      bestFtle: null,
      roc: { bestFtle: null, loss: null },
      cv: { skipped: `${which} among the ${n} usable runs: no AUC is defined` },
    };
  }
  const indicators = scoreIndicators(data, options, scope);
  let bestFtle: IndicatorScore | null = null;
  for (const s of indicators) {
    if (s.kind === "ftle" && (!bestFtle || s.discrimination > bestFtle.discrimination)) bestFtle = s;
  }
  const valuesOf = (name: string) => data.indicators.find((ind) => ind.name === name)?.values as Float64Array;
  const lossScore = indicators.find((s) => s.kind === "loss") as IndicatorScore;
  const roc = {
    bestFtle: bestFtle ? orientedRoc(valuesOf(bestFtle.name), data.labels, bestFtle.direction) : null,
    loss: orientedRoc(valuesOf("loss"), data.labels, lossScore.direction),
  };
  const minority = Math.min(nHigh, nLow);
  const cv =
    minority < options.folds
      ? { skipped: `only ${minority} runs in the smaller class: too few for ${options.folds}-fold cross-validation` }
      : crossValidate(data, options, scope);
  return { ...base, indicators, bestFtle, roc, cv };
}
