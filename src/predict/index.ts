/**
 * weightdyn predict: do early FTLEs predict the final loss? The public API.
 *
 *   predictStudy(dir, options) -> PredictionReport       predict.ts (synchronous; reads DIR/runs.ndjson, study.json)
 *   writeReport(report, outDir, { rerun, figures }) -> { files, notes, figuresMissing }
 *                                                   report.ts (report.md, report.json, figures/ when the optional
 *                                                   plotting packages are installed)
 *   headlineTable(report), headlineVerdict(report) -> markdown    headline.ts (the compact headline of `start`)
 *
 * The building blocks are exported for reuse and tests: AUC/ROC (roc.ts), the stratified bootstrap (bootstrap.ts),
 * logistic regression (logistic.ts), cross-validation (cv.ts), labelling rules (labels.ts).
 */

export { MissingDependencyError } from "../optional-deps.js";
export { bootstrap, deriveSeed, percentileInterval } from "./bootstrap.js";
export {
  crossValidatedScores,
  type Fold,
  type Learner,
  logisticLearner,
  selectionLearner,
  stratifiedKFold,
} from "./cv.js";
export { gainSentence } from "./evaluate.js";
export { headlineTable, headlineVerdict } from "./headline.js";
export { PredictInputError, parseRunsNdjson, type RunRecord, readEnsemble } from "./input.js";
export { gapThreshold, labelOf, medianThreshold, type SplitRule, type Threshold } from "./labels.js";
export { fitLogistic, fitStandardiser, type LogisticModel, type Matrix, standardise } from "./logistic.js";
export { DEFAULT_PREDICT_OPTIONS, predictStudy, resolvePredictOptions } from "./predict.js";
export { type WriteReportOptions, writeReport } from "./report.js";
export { aucMannWhitney, averageRanks, type RocCurve, rocCurve } from "./roc.js";
export type * from "./types.js";
