/**
 * writeReport(report, outDir, { rerun, figures }) -> { files, notes, figuresMissing }
 *
 * Writes OUT/report.md (the summary, the headline table, the comparison with the early loss, the per-indicator
 * tables, the figures as relative links, the caveats), OUT/report.json (the PredictionReport) and OUT/figures/*.svg
 * with PNG copies (plots.ts, study-figures.ts; the loss curves and early spectra are read from the ensemble's
 * runs.ndjson). With rerun (default true) a few runs of each class and activation are retrained (rerun.ts) for the
 * FTLE-over-time figure. The figures need the optional plotting packages; without them the report is written
 * without figures and figuresMissing says what to install (WriteReportOptions.figures).
 * Every sentence about the result is generated from the numbers.
 */
import { mkdirSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { writeFileAtomic } from "../io/atomic.js";
import { f3, reportJson, signed, table } from "./format.js";
import { type RunRecord, readEnsemble } from "./input.js";
import type { Threshold } from "./labels.js";
import { FigureWriter, histogramSpec, plottingFor, rocSpec, scatterSpec } from "./plots.js";
import { rerunSeries } from "./rerun.js";
import { earlyFtleSpec, ftleBandsSpec, lossCurvesSpec, oofRocSpec } from "./study-figures.js";
import type { CvResult, IndicatorScore, PredictionReport, ScopeResult, WindowResult } from "./types.js";

/** A path as the report shows it: relative to the current directory when inside it, so reports carry no machine paths. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

const ci = (c: [number, number]) => `[${f3(c[0])}, ${f3(c[1])}]`;
const sci = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : "–");

function isCv(cv: WindowResult["cv"]): cv is CvResult {
  return "models" in cv;
}

/** The rule that labelled a group, in a word or two: "gap", "median", "median (gap failed)", "given". */
export function ruleUsed(t: Threshold | null): string {
  if (!t) return "–";
  if (t.fallback) return "median (gap failed)";
  return t.rule === "threshold" ? "given" : t.rule;
}

export function describeThreshold(t: Threshold | null): string {
  if (!t) return "none (every run diverged)";
  const base = `c_f > ${sci(t.finalLoss)} (log10 ${t.log10.toFixed(2)}; ${t.rule})`;
  if (!t.gap) return base;
  const g = t.gap;
  const gap = `largest gap ${g.width.toFixed(2)} decades, between log10 c_f ${g.below.toFixed(2)} and ${g.above.toFixed(2)} (ranks ${g.ranks[0]} and ${g.ranks[1]} of ${t.n} converged runs; searched in ranks ${g.centralRanks[0]}..${g.centralRanks[1]})`;
  return t.fallback ? `${base}, because the ${t.fallback}: ${gap}` : `${base}: ${gap}`;
}

function studySection(r: PredictionReport): string {
  const rows = r.groups.map((g) => [
    g.name,
    String(g.n),
    String(g.converged),
    String(g.diverged),
    `${g.high} (${g.diverged} diverged)`,
    String(g.low),
    ruleUsed(g.threshold),
    g.threshold ? sci(g.threshold.finalLoss) : "–",
    g.log10FinalLoss
      ? `${g.log10FinalLoss.min.toFixed(2)} / ${g.log10FinalLoss.median.toFixed(2)} / ${g.log10FinalLoss.max.toFixed(2)}`
      : "–",
  ]);
  const thresholds = r.labelling.pooled
    ? `- Threshold (all runs pooled): ${describeThreshold(r.labelling.pooled)}.`
    : Object.entries(r.labelling.perGroup)
        .map(([g, t]) => `- Threshold for ${g}: ${describeThreshold(t)}.`)
        .join("\n");
  const i = r.input;
  return [
    "## Study and labels",
    "",
    `${i.runs} runs from \`${displayPath(join(r.dir, "runs.ndjson"))}\` (${i.linesRead} complete lines; ${i.partialLinesIgnored} trailing partial line(s) ignored; ${i.duplicates} duplicate run index(es) ignored); study.json ${i.studyFound ? "found" : "not found"}. Early windows e: ${r.windows.join(", ")} steps.`,
    "",
    table(
      [
        r.groupNoun,
        "runs",
        "converged",
        "diverged",
        "high",
        "low",
        "rule used",
        "threshold c_f",
        "log10 c_f min / median / max (converged)",
      ],
      rows,
    ),
    "",
    `Labelling: ${r.labelling.description}`,
    "",
    thresholds,
  ].join("\n");
}

function headlineSection(r: PredictionReport): string {
  const rows: string[][] = [];
  for (const s of r.scopes) {
    for (const w of s.windows) {
      const best = w.bestFtle
        ? `${w.bestFtle.name} (${w.bestFtle.direction}) ${f3(w.bestFtle.discrimination)} ${ci(oriented(w.bestFtle))}`
        : "–";
      const cells = [s.name, String(w.window), `${w.n} (${w.nHigh}/${w.nLow})`, String(w.excluded.total), best];
      if (isCv(w.cv)) {
        const m = w.cv.models;
        const cv = (name: keyof typeof m) => `${f3(m[name].auc)} ${ci(m[name].ci)}`;
        const plus = w.cv.adjustedFor.length > 0 ? " ¹" : "";
        cells.push(
          cv("selected"),
          cv("spectrum"),
          `${cv("loss")}${plus}`,
          `${cv("combined")}${plus}`,
          `${signed(w.cv.gain.delta)} ${ci(w.cv.gain.ci)}`,
        );
      } else {
        cells.push("–", "–", "–", "–", `not evaluated: ${w.cv.skipped}`);
      }
      rows.push(cells);
    }
  }
  return [
    `## Headline: AUC per ${r.groupNoun} and early window`,
    "",
    table(
      [
        r.groupNoun,
        "e",
        "n (high/low)",
        "excluded",
        "best single FTLE indicator (in-sample)",
        "single FTLE indicator chosen in CV",
        "logistic(FTLE spectrum), CV",
        "early loss alone, CV",
        "logistic(FTLE + loss), CV",
        "gain: (FTLE + loss) − loss",
      ],
      rows,
    ),
    "",
    "Each cell: AUC [bootstrap 95% interval]. AUC is the probability that a random high-loss run scores above a random " +
      "low-loss run (ties count 1/2; Mann–Whitney U / (n_high n_low)). Single indicators are oriented by the sign of " +
      "their effect: `(+)` means a higher indicator goes with a high final loss, `(-)` a lower one, and the value shown " +
      "is max(AUC, 1 − AUC) (the raw AUCs are in the tables below). The best single indicator is chosen among " +
      'the FTLE indicators on the same runs it is scored on, so its AUC is biased upwards; the column "chosen in CV" ' +
      "repeats the choice inside each training fold and scores the held-out runs, and the logistic columns are " +
      "cross-validated; these are the honest out-of-sample numbers. `excluded`: runs without usable early values at e " +
      "(diverged before e), counted in no number of that row.",
    ...(r.scopes.some((s) => s.pooled)
      ? [
          "",
          `¹ Pooled rows: the early-loss and FTLE + loss models also get the ${r.groupNoun} (one 0/1 column per ${r.groupNoun} ` +
            `but the first). The ${r.groupNoun} is known before training, so the baseline may use it; without it, FTLEs that ` +
            `only tell the ${r.groupNoun}s apart would count as information beyond the early loss.`,
        ]
      : []),
  ].join("\n");
}

function oriented(s: IndicatorScore): [number, number] {
  return s.direction === "+" ? s.ci : [1 - s.ci[1], 1 - s.ci[0]];
}

function comparisonSection(r: PredictionReport): string {
  const lines: string[] = [];
  const counts = { gain: 0, none: 0, worse: 0, skipped: 0 };
  for (const s of r.scopes) {
    for (const w of s.windows) {
      if (isCv(w.cv)) {
        counts[w.cv.gain.verdict]++;
        const spread = `repeat range of the gain ${signed(w.cv.gain.repeatRange[0])} to ${signed(w.cv.gain.repeatRange[1])}`;
        lines.push(
          `- **${s.name}, e = ${w.window}:** ${w.cv.gain.sentence} (${w.cv.folds}-fold CV x ${w.cv.repeats} repeats; ${spread}.)`,
        );
      } else {
        counts.skipped++;
        lines.push(`- **${s.name}, e = ${w.window}:** not evaluated: ${w.cv.skipped}.`);
      }
    }
  }
  const total = counts.gain + counts.none + counts.worse;
  const summary =
    total === 0
      ? "No case could be evaluated."
      : `In ${counts.gain} of ${total} evaluated cases (${r.groupNoun} x early window) the FTLEs add a detectable gain over the early loss (95% interval of the gain above 0); in ${counts.none} the gain is not detectable; in ${counts.worse} adding them makes the prediction worse.`;
  return ["## Do the FTLEs add information beyond the early loss?", "", summary, "", ...lines].join("\n");
}

function indicatorTables(s: ScopeResult): string {
  const rows: string[][] = [];
  for (const w of s.windows) {
    for (const ind of w.indicators) {
      const best = w.bestFtle?.name === ind.name ? " (best)" : "";
      rows.push([
        String(w.window),
        `${ind.name}${best}`,
        `${f3(ind.auc)} ${ci(ind.ci)}`,
        f3(ind.discrimination),
        ind.direction,
        `${w.n} (${w.nHigh}/${w.nLow})`,
      ]);
    }
    if (w.indicators.length === 0 && !isCv(w.cv)) rows.push([String(w.window), "–", w.cv.skipped, "", "", String(w.n)]);
  }
  return [
    `### ${s.name}`,
    "",
    table(
      ["e", "indicator", "AUC (higher => high loss) [95% CI]", "max(AUC, 1 − AUC)", "direction", "n (high/low)"],
      rows,
    ),
  ].join("\n");
}

function caveats(r: PredictionReport, notes: string[]): string {
  const items = [
    "The best single FTLE indicator is picked in-sample among several candidates; compare it with the cross-validated columns, not with the early loss alone.",
    "The intervals come from a stratified bootstrap of the runs (the cross-validated scores held fixed, no refitting), so they leave out the variation of the fitted models; the repeat range shows the variation due to the split.",
    ...(r.scopes.some((s) => s.pooled)
      ? [
          `The pooled analysis mixes ${r.groupNoun}s: a single indicator that merely tells the ${r.groupNoun}s apart can score there without predicting anything within one ${r.groupNoun} (the single-indicator and FTLE-spectrum AUCs of the pooled rows are not adjusted; the gain is, see ¹). Read the per-${r.groupNoun} rows first.`,
        ]
      : []),
    "All numbers describe this ensemble (its architectures, data, learning rates and initial conditions); they say nothing about other settings.",
    ...notes,
  ];
  const o = r.options;
  const method =
    `Method: stratified ${o.folds}-fold cross-validation repeated ${o.repeats} times (seeded shuffles; one split per repeat shared by all models), ` +
    `features standardised with training-fold statistics, L2-regularised logistic regression (lambda = ${o.lambda}, Newton/IRLS), ` +
    `FTLE spectrum features sorted descending; CV AUC = mean over repeats of the AUC of the pooled out-of-fold scores; ` +
    `${o.resamples} stratified bootstrap resamples, percentile intervals; seed ${o.seed}.`;
  return ["## Caveats and method", "", ...items.map((t) => `- ${t}`), "", method].join("\n");
}

export interface WriteReportOptions {
  /** Rerun a few runs of each class and activation for the FTLE-over-time figure (default true). */
  rerun?: boolean;
  /**
   * Figures: true draws them and fails with a MissingDependencyError naming the plotting packages when they are not
   * installed; false draws none; by default they are drawn when the plotting packages are installed, and otherwise
   * the report says which to install (and returns that in `notes`).
   */
  figures?: boolean;
  /** The runs the report was computed from (readEnsemble(report.dir).runs); read again from report.dir when absent. */
  records?: readonly RunRecord[];
}

export async function writeReport(
  report: PredictionReport,
  outDir: string,
  options: WriteReportOptions = {},
): Promise<{ files: string[]; notes: string[]; figuresMissing: string | null }> {
  const notes: string[] = [];
  const { stack, missing } = await plottingFor(options.figures);
  if (missing) notes.push(missing);
  mkdirSync(outDir, { recursive: true });
  const figures = stack ? new FigureWriter(outDir, stack) : null;
  if (figures) {
    const emit = (name: string, caption: string, spec: TopLevelSpec) => figures.emit(name, caption, spec);
    const records = options.records ?? readEnsemble(report.dir).runs;
    await emit("final-loss-histogram", "Final loss per group", histogramSpec(report));
    await emit("loss-curves", "Loss curves by outcome", lossCurvesSpec(report, records));
    await emit("early-ftle", "Early FTLE spectrum by outcome", earlyFtleSpec(report, records));
    await emit("ftle-max-vs-final-loss", "Early FTLE max against the final loss", scatterSpec(report));
    await emit("roc-cv", "Out-of-fold ROC curves of the cross-validated models", oofRocSpec(report));
    await emit("roc", "ROC curves: best FTLE indicator and early loss (in-sample)", rocSpec(report));
    if (options.rerun ?? true) {
      const { series, notes: rerunNotes } = await rerunSeries(report);
      notes.push(...rerunNotes);
      if (series.length > 0)
        await emit("ftle-bands", "FTLE spectrum over the training, by outcome", ftleBandsSpec(series));
    } else {
      notes.push("The FTLE-over-time figure was not drawn (reruns switched off).");
    }
  }
  const md = [
    "# Do early FTLEs predict the final loss?",
    "",
    "Written by `weightdyn predict`. The claim under test (Sharafi, Martin & Hallerberg, Phys. Rev. E 111, 054208 (2025)): early finite-time Lyapunov exponents of the weight dynamics predict the final training loss c_f. Early window e: the FTLEs over steps [0, e) and the loss C(w_e) at its end, as recorded by `weightdyn ensemble`. The sceptic's baseline is the early loss itself.",
    "",
    studySection(report),
    "",
    headlineSection(report),
    "",
    comparisonSection(report),
    "",
    "## Single indicators",
    "",
    ...report.scopes.map((s) => `${indicatorTables(s)}\n`),
    "## Figures",
    "",
    figures ? figures.markdown() : (missing ?? "Figures were not drawn (switched off)."),
    "",
    caveats(report, notes),
    "",
  ].join("\n");
  writeFileAtomic(join(outDir, "report.md"), md);
  writeFileAtomic(join(outDir, "report.json"), reportJson(report));
  const files = [join(outDir, "report.md"), join(outDir, "report.json"), ...(figures?.files ?? [])];
  return { files, notes, figuresMissing: missing };
}
