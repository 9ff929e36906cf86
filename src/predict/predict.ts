/**
 * predictStudy(dir, options) -> PredictionReport
 *
 * Do the early finite-time Lyapunov exponents of a training run predict whether its final loss c_f ends up high?
 * (Sharafi, Martin & Hallerberg, Phys. Rev. E 111, 054208 (2025), claim that they do.) Reads an ensemble directory
 * (runs.ndjson, study.json; input.ts), labels the runs high/low c_f (labels.ts), and for every scope (each
 * activation, and all runs pooled when there are several) and every early window scores each early indicator by its
 * AUC and cross-validates logistic models on the FTLE spectrum, on the early loss alone and on both (evaluate.ts).
 * Synchronous and pure: writeReport (report.ts) writes the markdown, the figures and report.json.
 *
 * Options (defaults): split "gap" | "median" ("gap"), threshold (none), perGroup (false), minGap (0.2), minShare
 * (0.1), seed (1), resamples (500), folds (5), repeats (5), lambda (1). See types.ts.
 *
 * predictRuns(input, options) does the same for runs already read (EnsembleInput; the atlas passes one setting's).
 */
import { resolve } from "node:path";
import { evaluateWindow } from "./evaluate.js";
import { earlyWindows, type LabelledRun, usableEntry, windowData } from "./indicators.js";
import {
  type EnsembleInput,
  groupNoun,
  PredictInputError,
  readEnsemble,
  runGroups,
  studyBaseConfig,
  valueLabel,
} from "./input.js";
import { computeThreshold, DEFAULT_GAP_RULE, describeRule, finalLossOf, labelOf, type Threshold } from "./labels.js";
import type {
  GroupSummary,
  PredictionReport,
  PredictOptions,
  ResolvedPredictOptions,
  RunPoint,
  ScopeResult,
} from "./types.js";

export const DEFAULT_PREDICT_OPTIONS: ResolvedPredictOptions = {
  split: "gap",
  perGroup: false,
  minGap: DEFAULT_GAP_RULE.minGap,
  minShare: DEFAULT_GAP_RULE.minShare,
  seed: 1,
  resamples: 500,
  folds: 5,
  repeats: 5,
  lambda: 1,
};

function requireInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min)
    throw new RangeError(`predict: ${name}: expected an integer >= ${min} but received ${v}`);
}

/** Options with defaults applied; throws a RangeError naming the option. */
export function resolvePredictOptions(options: PredictOptions = {}): ResolvedPredictOptions {
  const o: ResolvedPredictOptions = { ...DEFAULT_PREDICT_OPTIONS };
  for (const [key, value] of Object.entries(options))
    if (value !== undefined) (o as unknown as Record<string, unknown>)[key] = value;
  if (o.split !== "gap" && o.split !== "median") {
    throw new RangeError(`predict: split: expected "gap" or "median" but received ${JSON.stringify(o.split)}`);
  }
  if (o.threshold !== undefined && !(Number.isFinite(o.threshold) && o.threshold > 0)) {
    throw new RangeError(`predict: threshold: expected a positive finite number but received ${o.threshold}`);
  }
  if (!(o.minGap >= 0 && Number.isFinite(o.minGap))) {
    throw new RangeError(`predict: minGap: expected a finite number >= 0 but received ${o.minGap}`);
  }
  if (!(o.minShare >= 0 && o.minShare <= 0.5)) {
    throw new RangeError(`predict: minShare: expected a number in [0, 0.5] but received ${o.minShare}`);
  }
  requireInt("seed", o.seed, 0);
  requireInt("resamples", o.resamples, 1);
  requireInt("folds", o.folds, 2);
  requireInt("repeats", o.repeats, 1);
  if (!(o.lambda > 0 && Number.isFinite(o.lambda))) {
    throw new RangeError(`predict: lambda: expected a positive finite number but received ${o.lambda}`);
  }
  return o;
}

function summarise(log10s: number[]): GroupSummary["log10FinalLoss"] {
  if (log10s.length === 0) return null;
  const v = log10s.slice().sort((a, b) => a - b);
  const h = (v.length - 1) / 2;
  return { min: v[0], median: (v[Math.floor(h)] + v[Math.ceil(h)]) / 2, max: v[v.length - 1] };
}

function thresholdFor(name: string, log10s: number[], options: ResolvedPredictOptions): Threshold | null {
  if (log10s.length === 0) return null; // every run diverged: all are high whatever the threshold
  try {
    return computeThreshold(log10s, options);
  } catch (err) {
    throw new PredictInputError(`${name}: ${(err as Error).message}`, { cause: err });
  }
}

export function predictStudy(dir: string, options: PredictOptions = {}): PredictionReport {
  return predictRuns(readEnsemble(dir), options);
}

export function predictRuns(input: EnsembleInput, options: PredictOptions = {}): PredictionReport {
  const opts = resolvePredictOptions(options);
  const dir = input.dir;
  const base = studyBaseConfig(input.study);
  const baseActivation = (base?.network as Record<string, unknown> | undefined)?.activation;
  const fallback =
    typeof baseActivation === "string" || Array.isArray(baseActivation) ? valueLabel(baseActivation) : "all";

  const groupOf = runGroups(input.runs, fallback);
  const noun = groupNoun(input.runs);
  const entries = input.runs.map((run, i) => ({ run, group: groupOf[i], ...finalLossOf(run) }));
  const groupNames = [...new Set(entries.map((e) => e.group))].sort();
  const grouped = groupNames.length > 1;
  const finite = (es: typeof entries) => es.flatMap((e) => (e.log10 === null ? [] : [e.log10]));

  const perGroupThreshold: Record<string, Threshold | null> = {};
  let pooled: Threshold | null = null;
  if (opts.perGroup && grouped && opts.threshold === undefined) {
    for (const g of groupNames)
      perGroupThreshold[g] = thresholdFor(g, finite(entries.filter((e) => e.group === g)), opts);
  } else {
    pooled = thresholdFor("all runs", finite(entries), opts);
    for (const g of groupNames) perGroupThreshold[g] = pooled;
  }
  const labelled: LabelledRun[] = entries.map((e) => {
    const t = perGroupThreshold[e.group];
    return {
      run: e.run,
      group: e.group,
      log10FinalLoss: e.log10,
      diverged: e.diverged,
      label: t ? labelOf(e.log10, t) : 1,
    };
  });

  const groups: GroupSummary[] = groupNames.map((name) => {
    const rs = labelled.filter((r) => r.group === name);
    const high = rs.filter((r) => r.label === 1).length;
    const diverged = rs.filter((r) => r.diverged).length;
    return {
      name,
      n: rs.length,
      converged: rs.length - diverged,
      diverged,
      high,
      low: rs.length - high,
      threshold: perGroupThreshold[name],
      log10FinalLoss: summarise(rs.flatMap((r) => (r.log10FinalLoss === null ? [] : [r.log10FinalLoss]))),
    };
  });

  const windows = earlyWindows(input.runs);
  if (windows.length === 0) throw new PredictInputError(`${dir}: no run has early FTLE entries (field "early")`);
  const scopeRuns: [string, boolean, LabelledRun[]][] = groupNames.map((g) => [
    g,
    false,
    labelled.filter((r) => r.group === g),
  ]);
  if (grouped) scopeRuns.push(["pooled", true, labelled]);
  const scopes: ScopeResult[] = scopeRuns.map(([name, isPooled, rs]) => ({
    name,
    pooled: isPooled,
    n: rs.length,
    windows: windows.map((w) => evaluateWindow(windowData(rs, w, isPooled ? groupNames : []), name, opts)),
  }));

  const runs: RunPoint[] = labelled.map((r) => ({
    index: r.run.index,
    group: r.group,
    log10FinalLoss: r.log10FinalLoss,
    diverged: r.diverged,
    label: r.label,
    seed: typeof r.run.seed === "number" ? r.run.seed : null,
    params: r.run.params ?? {},
    earlyMax: Object.fromEntries(
      windows.map((w) => {
        const u = usableEntry(r.run, w);
        const m = u ? (typeof u.entry.max === "number" ? u.entry.max : Math.max(...u.ftle)) : null;
        return [String(w), m];
      }),
    ),
  }));

  return {
    tool: "weightdyn predict",
    dir: resolve(dir),
    options: opts,
    input: {
      runs: input.runs.length,
      linesRead: input.lines.read,
      partialLinesIgnored: input.lines.partialIgnored,
      duplicates: input.lines.duplicates,
      studyFound: input.study !== null,
    },
    labelling: { description: describeRule(opts, grouped, noun), pooled, perGroup: perGroupThreshold },
    groups,
    groupNoun: noun,
    windows,
    scopes,
    runs,
    study: input.study,
  };
}
