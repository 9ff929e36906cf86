/**
 * writeAtlasReport(result, runs, outDir, provenance) -> files
 *
 * OUT/report.md (the verdict per window across the settings, the pooled random-effects gain with its heterogeneity,
 * the counts, which properties of a setting go with a gain, one table per window with every setting's AUCs and gain,
 * the labelling rule of every setting, the figures, the caveats), OUT/atlas.json (every number: the AtlasResult and
 * the provenance) and OUT/figures/*.svg with PNG copies. Every sentence about the result is generated from the
 * numbers. Each call's provenance (command, date, machine, runs computed, wall times) is appended to
 * OUT/atlas/calls.ndjson and the report lists them all, so an atlas computed over several calls (resumed after an
 * interruption, or merged from shards) says how long each part took.
 */
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { writeFileAtomic } from "../io/atomic.js";
import { verdictOf } from "../predict/evaluate.js";
import { f3, reportJson, signed, table } from "../predict/format.js";
import type { RunRecord } from "../predict/input.js";
import { finalLossOf, labelOf } from "../predict/labels.js";
import { FigureWriter, plottingFor } from "../predict/plots.js";
import { ruleUsed } from "../predict/report.js";
import { BIMODALITY_THRESHOLD } from "../stats/bimodality.js";
import { ATLAS_DIR, type AtlasResult } from "./atlas.js";
import {
  aucSpec,
  bimodalitySpec,
  forestSpec,
  type LossCurve,
  lossCurvesSpec,
  moderatorSpec,
  windowName,
} from "./figures.js";
import type { SettingResult } from "./setting.js";

export interface AtlasProvenance {
  command: string;
  date: string;
  machine: string;
  backend: string | null;
  /** Wall time of the ensemble part of this call, and of the whole call, seconds (null when not known). */
  ensembleSeconds: number | null;
  totalSeconds: number | null;
  runsNow: number | null;
  runsResumed: number | null;
  load: number | null;
}

/** Runs of each class per setting drawn in the loss-curve figure. */
export const CURVES_PER_CLASS = 12;

const ci = (c: readonly [number, number]) => `[${signed(c[0])}, ${signed(c[1])}]`;
const pval = (p: number) => (!Number.isFinite(p) ? "–" : p < 0.001 ? "< 0.001" : p.toFixed(3));

/** The loss curves drawn for each setting: the first CURVES_PER_CLASS runs of each class, by run index. */
export function lossCurves(result: AtlasResult, runs: Map<number, RunRecord[]>): LossCurve[] {
  return result.settings.flatMap((s, order) => {
    const perClass = [0, 0];
    return (runs.get(s.gridPoint) ?? []).flatMap((run) => {
      if (!s.threshold) return [];
      const label = labelOf(finalLossOf(run).log10, s.threshold);
      if (perClass[label] >= CURVES_PER_CLASS || !run.lossCheckpoints) return [];
      perClass[label]++;
      return [{ setting: s.label, order, run: run.index, label, points: run.lossCheckpoints }];
    });
  });
}

function headline(r: AtlasResult): string {
  const rows = r.summaries.map((s) => {
    const p = s.pooled;
    const c = s.counts;
    return [
      windowName(s.window, r.steps ?? undefined),
      String(c.gain + c.none + c.worse),
      `${c.gain} / ${c.none} / ${c.worse}`,
      p ? `${signed(p.estimate)} ${ci(p.ci)}` : "–",
      p ? `${p.tau2.toExponential(2)} (tau ${f3(Math.sqrt(p.tau2))})` : "–",
      p ? `${p.I2.toFixed(0)}%` : "–",
      p ? `${p.Q.toFixed(1)} (${p.df}), p ${pval(p.pQ)}` : "–",
      p?.predictionInterval ? ci(p.predictionInterval) : "–",
    ];
  });
  return table(
    [
      "early window",
      "settings evaluated",
      "gain / none / loss",
      "pooled gain [95% CI]",
      "tau^2",
      "I^2",
      "Q (df), p",
      "95% prediction interval, new setting",
    ],
    rows,
  );
}

function verdictSentences(r: AtlasResult): string[] {
  return r.summaries.map((s) => {
    const c = s.counts;
    const n = c.gain + c.none + c.worse;
    const chance = (0.025 * n).toFixed(1);
    const p = s.pooled;
    const where = { gain: "above 0", worse: "below 0", none: "not distinguishable from 0" };
    const pooled = !p
      ? "nothing to pool"
      : `the pooled gain is ${signed(p.estimate)} AUC (95% CI ${ci(p.ci)}), ${where[verdictOf(p.ci)]}`;
    const spread = !p
      ? ""
      : p.I2 >= 50
        ? `; the settings differ far more than their intervals allow (I^2 = ${p.I2.toFixed(0)}%), so the pooled number is an average over a heterogeneous set, not a typical gain${p.predictionInterval ? `: a new setting's gain would lie in ${ci(p.predictionInterval)}` : ""}`
        : `; heterogeneity is modest (I^2 = ${p.I2.toFixed(0)}%)`;
    const which = [
      s.gains.length > 0 ? `gain in: ${s.gains.join("; ")}` : "",
      s.losses.length > 0 ? `loss in: ${s.losses.join("; ")}` : "",
    ].filter((x) => x !== "");
    return (
      `- **${windowName(s.window, r.steps ?? undefined)}:** the FTLEs add a detectable gain over the early loss in ` +
      `${c.gain} of ${n} settings, none in ${c.none}, and make the prediction worse in ${c.worse} (by chance alone ` +
      `about ${chance} each way); ${pooled}${spread}.${which.length > 0 ? ` Settings with a ${which.join("; settings with a ")}.` : ""}` +
      `${c.notEvaluated > 0 ? ` ${c.notEvaluated} setting(s) could not be evaluated (too few runs in a class).` : ""}`
    );
  });
}

function moderatorSection(r: AtlasResult): string {
  const parts: string[] = [];
  for (const s of r.summaries) {
    const rows = s.moderators.flatMap((m) =>
      m.analysis.groups.map((g, i) => [
        i === 0 ? m.factor : "",
        g.name,
        String(g.summary.k),
        `${signed(g.summary.estimate)} ${ci(g.summary.ci)}`,
        `${g.summary.I2.toFixed(0)}%`,
        i === 0 ? `${m.analysis.Qbetween.toFixed(2)} (${m.analysis.df}), p ${pval(m.analysis.p)}` : "",
      ]),
    );
    const b = s.bimodality;
    const slope = b?.regression.coefficients[1];
    const bimodal = b
      ? `Bimodality of c_f: ${b.bimodal} of ${b.settings} settings have Sarle's coefficient above ${BIMODALITY_THRESHOLD.toFixed(3)}; ` +
        `meta-regression of the gain on the coefficient: slope ${signed(slope?.estimate ?? Number.NaN)} per unit ` +
        `${ci(slope?.ci ?? [Number.NaN, Number.NaN])}, p ${pval(slope?.p ?? Number.NaN)}; residual tau^2 ${b.regression.tau2.toExponential(2)}.`
      : "Bimodality of c_f: too few settings with a coefficient.";
    parts.push(
      `### ${windowName(s.window, r.steps ?? undefined)}`,
      "",
      table(["factor", "level", "settings", "pooled gain [95% CI]", "I^2", "Q_between (df), p"], rows),
      "",
      bimodal,
      "",
    );
  }
  return parts.join("\n");
}

function settingTable(r: AtlasResult, window: number): string {
  const rows = r.settings.map((s: SettingResult) => {
    const w = s.windows.find((x) => x.window === window);
    const auc = (m: "loss" | "spectrum" | "combined") => (w?.auc ? `${f3(w.auc[m].auc)} ${ci(w.auc[m].ci)}` : "–");
    return [
      String(s.gridPoint),
      s.label,
      w ? `${w.n} (${w.nHigh}/${w.nLow})` : "–",
      auc("loss"),
      auc("spectrum"),
      auc("combined"),
      w?.gain ? `${signed(w.gain.delta)} ${ci(w.gain.ci)}` : `not evaluated: ${w?.skipped ?? "no such window"}`,
      w?.gain?.verdict ?? "–",
    ];
  });
  return table(
    ["#", "setting", "n (high/low)", "early loss alone", "FTLE spectrum", "FTLE + loss", "gain [95% CI]", "verdict"],
    rows,
  );
}

function labelTable(r: AtlasResult): string {
  const rows = r.settings.map((s) => [
    String(s.gridPoint),
    s.label,
    `${s.runs} (${s.diverged} diverged)`,
    `${s.high} / ${s.low}`,
    ruleUsed(s.threshold),
    s.threshold ? `${s.threshold.finalLoss.toExponential(2)}` : "–",
    s.threshold?.gap ? s.threshold.gap.width.toFixed(2) : "–",
    s.log10FinalLoss
      ? `${s.log10FinalLoss.min.toFixed(1)} / ${s.log10FinalLoss.median.toFixed(1)} / ${s.log10FinalLoss.max.toFixed(1)}`
      : "–",
    s.bimodality === null ? "–" : s.bimodality.toFixed(2),
  ]);
  return table(
    [
      "#",
      "setting",
      "runs",
      "high / low",
      "rule used",
      "threshold c_f",
      "largest gap (decades)",
      "log10 c_f min / median / max",
      "bimodality",
    ],
    rows,
  );
}

function caveats(r: AtlasResult): string {
  const o = r.options;
  return [
    "## Caveats and method",
    "",
    "- Each setting's interval comes from a bootstrap of its runs with the cross-validated scores held fixed (no refitting), so it is on the narrow side: a few settings called significant may not be, and I^2 overstates the heterogeneity somewhat. The repeat range of every gain is in atlas.json.",
    "- The windows of one setting share their runs; the windows are summarised separately, never pooled with each other, and the moderator tests (one per factor and window, plus the bimodality slope) are many: read a single p near 0.05 as a hint, not a finding.",
    "- The settings are the declared design (see the study's description), not a random sample of all networks and tasks: the pooled gain is an average over this design. Its factors are balanced against each other (each level of one factor meets each level of another equally often), so a factor's level summaries are not tilted by the other factors' main effects; interactions are not separated.",
    `- Labels: per setting, predict's gap rule (largest gap in log10 c_f between the 5th and 95th percentile ranks), used only when the gap is at least ${o.minGap} decades wide and leaves at least ${Math.round(100 * o.minShare)}% of the converged runs on either side; otherwise the median split (the rule used is in the labels table). Diverged runs count as high.`,
    "",
    `Method per setting: stratified ${o.folds}-fold cross-validation repeated ${o.repeats} times, L2-regularised logistic regression (lambda = ${o.lambda}) on the sorted early FTLE spectrum, on log10 of the early loss, and on both; gain = mean over repeats of AUC(both) - AUC(loss); ${o.resamples} stratified bootstrap resamples for its interval and standard error; seed ${o.seed}. Across settings: DerSimonian-Laird random effects on the gains with their bootstrap variances, Wald intervals, the Higgins-Thompson-Spiegelhalter prediction interval (t with k - 2 df); moderators by subgroup summaries with separate tau^2 and the Q_between test (Borenstein et al. 2009, ch. 19), and a mixed-effects meta-regression on Sarle's bimodality coefficient of log10 c_f.`,
  ].join("\n");
}

/** One call of `weightdyn atlas` as calls.ndjson keeps it. */
type Call = AtlasProvenance & { analysis: AtlasResult["analysis"] };

function callLine(c: Call): string {
  const runs = c.runsNow === null ? "" : `; ${c.runsNow} runs computed, ${c.runsResumed ?? 0} found already done`;
  const wall = [
    c.ensembleSeconds === null ? null : `ensemble ${c.ensembleSeconds.toFixed(0)} s`,
    `analysis ${c.analysis.wallTimeSeconds.toFixed(0)} s (${c.analysis.analysed} settings analysed, ${c.analysis.reused} reused)`,
    c.totalSeconds === null ? null : `whole call ${c.totalSeconds.toFixed(0)} s`,
  ].filter((x) => x !== null);
  const load = c.load === null ? "" : `, 1-minute load average at the start ${c.load.toFixed(2)}`;
  return `- \`${c.command}\` on ${c.date} (${c.machine}; backend ${c.backend ?? "–"}${load})${runs}. Wall time: ${wall.join(", ")}.`;
}

/** Appends this call to OUT/atlas/calls.ndjson and returns every call recorded there, oldest first. */
function recordCall(outDir: string, call: Call): Call[] {
  const dir = join(outDir, ATLAS_DIR);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "calls.ndjson");
  appendFileSync(path, `${JSON.stringify(call)}\n`);
  return readFileSync(path, "utf8")
    .split("\n")
    .flatMap((line) => {
      try {
        return line.trim() === "" ? [] : [JSON.parse(line) as Call];
      } catch {
        return []; // a line cut short by a kill
      }
    });
}

export async function writeAtlasReport(
  result: AtlasResult,
  runs: Map<number, RunRecord[]>,
  outDir: string,
  provenance: AtlasProvenance,
): Promise<string[]> {
  // Figures as in weightdyn predict: drawn when the optional plotting packages are installed, else said why.
  const { stack, missing } = await plottingFor(undefined);
  const figures = stack ? new FigureWriter(outDir, stack) : null;
  const steps = result.steps ?? undefined;
  const emit = async (name: string, caption: string, spec: TopLevelSpec) => figures?.emit(name, caption, spec);
  await emit(
    "forest",
    "Gain per setting and pooled, per early window",
    forestSpec(result.settings, result.summaries, steps),
  );
  await emit("auc", "Early loss alone against FTLE + loss", aucSpec(result.settings, steps));
  await emit("moderators", "Pooled gain per level of each factor", moderatorSpec(result.summaries, steps));
  await emit(
    "bimodality",
    "Gain against the bimodality of c_f",
    bimodalitySpec(result.settings, result.summaries, steps),
  );
  await emit("loss-curves", "Loss curves per setting, by label", lossCurvesSpec(lossCurves(result, runs)));
  const total = result.settings.length + result.incomplete.length;
  const calls = recordCall(outDir, { ...provenance, analysis: result.analysis });
  const md = [
    "# Atlas: do early FTLEs add information about the final loss beyond the early loss, across settings?",
    "",
    `Study ${result.studyId}: ${total} settings x ${result.runsPerSetting} initial conditions; early windows ${result.windows.join(", ")} steps${steps ? ` of ${steps}` : ""}. Each setting is an ensemble with its own labels and its own cross-validated prediction (as \`weightdyn predict\` does it); the gains are then pooled across settings, one early window at a time.`,
    "",
    `Computed by ${calls.length === 1 ? "one call" : `${calls.length} calls`} of \`weightdyn atlas\` (the last one wrote this report):`,
    "",
    ...calls.map(callLine),
    ...(result.incomplete.length > 0
      ? [
          `- Incomplete settings, left out: ${result.incomplete.map((s) => `#${s.gridPoint} ${s.label} (${s.runs} of ${s.expected} runs)`).join("; ")}.`,
        ]
      : []),
    "",
    `How the settings were chosen: ${result.description ?? "(the study has no description)"}`,
    "",
    "## Verdict per early window",
    "",
    headline(result),
    "",
    "gain / none / loss: settings whose 95% interval of the gain lies above 0 / includes 0 / lies below 0. Pooled: DerSimonian-Laird random effects over the evaluated settings. Prediction interval: where the gain of a new setting of the same design would lie.",
    "",
    ...verdictSentences(result),
    "",
    "## Which properties of a setting go with a gain?",
    "",
    `Factors of the design: ${result.factors.join(", ")}; and, observed rather than designed, the label rule each setting got (the gap rule, or the median when its gap was too narrow or too lopsided). Per level, the random-effects summary of the settings at that level; Q_between tests whether the levels differ.`,
    "",
    moderatorSection(result),
    "## Every setting",
    "",
    "Cross-validated AUC [bootstrap 95% interval] of predicting a high final loss from the early loss alone, from the early FTLE spectrum alone, and from both; gain = (FTLE + loss) - loss.",
    "",
    ...result.windows.flatMap((w) => [`### ${windowName(w, steps)}`, "", settingTable(result, w), ""]),
    "## Labels per setting",
    "",
    labelTable(result),
    "",
    "## Figures",
    "",
    figures ? figures.markdown() : (missing ?? ""),
    "",
    caveats(result),
    "",
  ].join("\n");
  writeFileAtomic(join(outDir, "report.md"), md);
  writeFileAtomic(join(outDir, "atlas.json"), reportJson({ ...result, provenance }));
  return [join(outDir, "report.md"), join(outDir, "atlas.json"), ...(figures?.files ?? [])];
}
