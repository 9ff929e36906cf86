/**
 * The types of weightdyn predict's result (PredictionReport, also written as report.json) and its options.
 */

import type { SplitRule, Threshold } from "./labels.js";
import type { RocCurve } from "./roc.js";

export interface PredictOptions {
  /** How to split when no threshold is given (default "gap"). */
  split?: SplitRule;
  /** A fixed threshold on c_f (overrides split). */
  threshold?: number;
  /** Recompute the threshold within each activation (default: one threshold from all runs pooled). */
  perGroup?: boolean;
  /** The gap rule's smallest accepted gap, decades (default 0.2; labels.ts). */
  minGap?: number;
  /** The gap rule's smallest accepted share of the converged runs on either side (default 0.1; labels.ts). */
  minShare?: number;
  /** Base seed of the bootstrap and of the CV shuffles (default 1). */
  seed?: number;
  /** Bootstrap resamples (default 500). */
  resamples?: number;
  /** Cross-validation folds (default 5). */
  folds?: number;
  /** Independent repeats of the k-fold split (default 5); CV AUCs are means over repeats. */
  repeats?: number;
  /** L2 penalty of the logistic models on standardised features (default 1). */
  lambda?: number;
}

export interface ResolvedPredictOptions {
  split: SplitRule;
  threshold?: number;
  perGroup: boolean;
  minGap: number;
  minShare: number;
  seed: number;
  resamples: number;
  folds: number;
  repeats: number;
  lambda: number;
}

/** An AUC of a single indicator, in the convention "higher indicator => high final loss". */
export interface IndicatorScore {
  name: string;
  kind: "ftle" | "loss";
  auc: number;
  /** Bootstrap 95% percentile interval of auc. */
  ci: [number, number];
  /** max(auc, 1 - auc). */
  discrimination: number;
  /** "+": higher indicator => high loss; "-": lower indicator => high loss. */
  direction: "+" | "-";
}

export type CvModelName = "spectrum" | "loss" | "combined" | "selected";

export interface CvModelScore {
  model: CvModelName;
  /** Mean over repeats of the AUC of the pooled out-of-fold scores. */
  auc: number;
  /** Bootstrap 95% interval (resampling runs, out-of-fold scores fixed). */
  ci: [number, number];
  /** Smallest and largest AUC over the repeats of the split. */
  repeatRange: [number, number];
  /** For "selected": how often each indicator was chosen, over all folds and repeats. */
  picks?: Record<string, number>;
}

export interface Gain {
  /** CV AUC(combined) - CV AUC(loss alone), mean over repeats. */
  delta: number;
  ci: [number, number];
  /** Standard deviation of delta over the bootstrap resamples: its standard error (as narrow as ci; evaluate.ts). */
  se: number;
  repeatRange: [number, number];
  verdict: "gain" | "worse" | "none";
  sentence: string;
}

export interface CvResult {
  folds: number;
  repeats: number;
  /** Groups (activations) whose indicators the loss and combined models also use (pooled scope), else empty. */
  adjustedFor: string[];
  models: Record<CvModelName, CvModelScore>;
  gain: Gain;
  /** Out-of-fold ROC curves of the first repeat, per model (loss, spectrum, combined), thinned to at most
   *  ROC_POINTS points each (roc.ts). */
  roc: Partial<Record<CvModelName, RocCurve>>;
}

export interface WindowResult {
  window: number;
  n: number;
  nHigh: number;
  nLow: number;
  /** High runs that diverged later (after this window). */
  nDivergedIncluded: number;
  /** Runs without a usable early entry for this window (diverged before it, or non-finite values). */
  excluded: { total: number; high: number; diverged: number };
  /** Spectrum length of the logistic features. */
  k: number;
  indicators: IndicatorScore[];
  /** The FTLE indicator with the largest discrimination (chosen in-sample). */
  bestFtle: IndicatorScore | null;
  /** Oriented ROC curves (the score negated for direction "-") of bestFtle and of the early loss. */
  roc: { bestFtle: RocCurve | null; loss: RocCurve | null };
  cv: CvResult | { skipped: string };
}

export interface ScopeResult {
  /** An activation, or "pooled". */
  name: string;
  pooled: boolean;
  n: number;
  windows: WindowResult[];
}

export interface GroupSummary {
  name: string;
  n: number;
  converged: number;
  diverged: number;
  high: number;
  low: number;
  /** The threshold that labelled this group's runs. */
  threshold: Threshold | null;
  log10FinalLoss: { min: number; median: number; max: number } | null;
}

/** One run, as the plots and the reruns of the FTLE-over-time figure need it. */
export interface RunPoint {
  index: number;
  group: string;
  log10FinalLoss: number | null;
  diverged: boolean;
  label: 0 | 1;
  seed: number | null;
  params: Record<string, unknown>;
  /** Early FTLE max per window (null when not usable). */
  earlyMax: Record<string, number | null>;
}

export interface PredictionReport {
  tool: "weightdyn predict";
  dir: string;
  options: ResolvedPredictOptions;
  input: { runs: number; linesRead: number; partialLinesIgnored: number; duplicates: number; studyFound: boolean };
  labelling: {
    description: string;
    /** The pooled threshold (null with --per-group over several activations). */
    pooled: Threshold | null;
    perGroup: Record<string, Threshold | null>;
  };
  groups: GroupSummary[];
  /** What a group is, for the report's words: "activation" (only the activation varies) or "group". */
  groupNoun: "activation" | "group";
  windows: number[];
  scopes: ScopeResult[];
  runs: RunPoint[];
  study: Record<string, unknown> | null;
}
