/**
 * One setting of an atlas (one point of its study: a fixed config, many initial conditions) analysed as
 * `weightdyn predict` analyses an ensemble, condensed to what the atlas pools.
 *
 *   analyseSetting(input, point, options) -> SettingResult
 *   settingLabel(params) -> "tanh sin h3 s0.5 lr0.1"
 *
 * The runs of the setting are labelled high/low final loss by predict's rule (the gap rule with its fallback to
 * the median; labels.ts) and, at every early window, scored by cross-validated logistic models on the early loss
 * alone, on the early FTLE spectrum, and on both (evaluate.ts); the gain is AUC(both) - AUC(loss alone) with its
 * bootstrap interval and standard error. `bimodality` is Sarle's coefficient of log10 c_f over the converged runs
 * (src/stats/bimodality.ts): how clearly c_f splits into groups in this setting.
 */
import type { EnsembleInput } from "../predict/input.js";
import { finalLossOf, type Threshold } from "../predict/labels.js";
import { predictRuns } from "../predict/predict.js";
import type { CvModelName, GroupSummary, ResolvedPredictOptions, WindowResult } from "../predict/types.js";
import { bimodalityCoefficient } from "../stats/bimodality.js";

export interface ModelAuc {
  auc: number;
  ci: [number, number];
}

export interface SettingWindow {
  window: number;
  /** Usable runs at this window, and how many of them are high / low. */
  n: number;
  nHigh: number;
  nLow: number;
  /** Runs without usable early values (diverged before the window). */
  excluded: number;
  /** Cross-validated AUCs; null when the window could not be evaluated (see skipped). */
  auc: Record<Exclude<CvModelName, "selected">, ModelAuc> | null;
  gain: {
    delta: number;
    ci: [number, number];
    se: number;
    verdict: "gain" | "none" | "worse";
    repeatRange: [number, number];
  } | null;
  skipped?: string;
}

export interface SettingResult {
  gridPoint: number;
  params: Record<string, unknown>;
  label: string;
  runs: number;
  converged: number;
  diverged: number;
  high: number;
  low: number;
  threshold: Threshold | null;
  bimodality: number | null;
  log10FinalLoss: GroupSummary["log10FinalLoss"];
  windows: SettingWindow[];
}

/** Short names of the usual paths for labels; other paths appear as `key=value`. */
const SHORT: Record<string, string> = {
  "network.activation": "",
  "data.function": "",
  "network.hidden": "h",
  "init.scale": "s",
  "training.learningRate": "lr",
  "training.steps": "T",
  "data.samples": "N",
};

/** A compact label of a setting's params, in their order: "tanh sin h3 s0.5 lr0.1". */
export function settingLabel(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([key, value]) => {
      const text = typeof value === "object" ? JSON.stringify(value) : String(value);
      const short = SHORT[key];
      return short === undefined ? `${key}=${text}` : `${short}${text}`;
    })
    .join(" ");
}

function windowSummary(w: WindowResult): SettingWindow {
  const base = { window: w.window, n: w.n, nHigh: w.nHigh, nLow: w.nLow, excluded: w.excluded.total };
  if (!("models" in w.cv)) return { ...base, auc: null, gain: null, skipped: w.cv.skipped };
  const m = w.cv.models;
  const pick = (name: keyof typeof m): ModelAuc => ({ auc: m[name].auc, ci: m[name].ci });
  const g = w.cv.gain;
  return {
    ...base,
    auc: { loss: pick("loss"), spectrum: pick("spectrum"), combined: pick("combined") },
    gain: { delta: g.delta, ci: g.ci, se: g.se, verdict: g.verdict, repeatRange: g.repeatRange },
  };
}

/**
 * analyseSetting(input, point, options) -> SettingResult
 *
 * `input` holds the runs of this setting only (every run of one grid point); the options are predict's, resolved.
 */
export function analyseSetting(
  input: EnsembleInput,
  point: { gridPoint: number; params: Record<string, unknown> },
  options: ResolvedPredictOptions,
): SettingResult {
  const report = predictRuns(input, { ...options, perGroup: false });
  const scope = report.scopes.find((s) => !s.pooled);
  if (!scope || report.groups.length !== 1) {
    throw new Error(`atlas: grid point ${point.gridPoint} holds ${report.groups.length} activations; expected one`);
  }
  const group = report.groups[0];
  const log10s = input.runs.flatMap((r) => {
    const { log10 } = finalLossOf(r);
    return log10 === null ? [] : [log10];
  });
  return {
    gridPoint: point.gridPoint,
    params: point.params,
    label: settingLabel(point.params),
    runs: group.n,
    converged: group.converged,
    diverged: group.diverged,
    high: group.high,
    low: group.low,
    threshold: group.threshold,
    bimodality: bimodalityCoefficient(log10s),
    log10FinalLoss: group.log10FinalLoss,
    windows: scope.windows.map(windowSummary),
  };
}
