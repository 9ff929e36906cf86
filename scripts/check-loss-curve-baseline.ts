/**
 * A stronger sceptic's baseline for a prediction report: the early loss *curve* instead of the single early loss.
 *
 *   node --import tsx scripts/check-loss-curve-baseline.ts [DIR]        (DIR: default runs/default-study)
 *
 * `weightdyn predict` compares the FTLEs with log10 C(w_e), one number. A run whose loss is still falling fast at e
 * may end low although C(w_e) is high, so the FTLEs could win only because the baseline ignores the shape of the
 * loss curve. This check gives the baseline every recorded loss up to e: log10 C(w_t) at each of the study's
 * lossCheckpoints t <= e (DIR/runs.ndjson), and scores, per activation and early window, with predict's own
 * protocol and seeds (the labels of DIR/report.json, stratified 5-fold CV repeated 5 times with the splits of
 * evaluate.ts, L2 logistic regression with lambda from the report, FTLE spectrum sorted descending):
 *   loss      log10 C(w_e) alone (reproduces the report's "early loss alone" column: a consistency check)
 *   curve     log10 C(w_t) for every checkpoint t <= e
 *   curve+FTLE  the curve and the FTLE spectrum over [0, e)
 * Each: mean CV AUC over the repeats; the gain is curve+FTLE - curve, with its range over the repeats (no bootstrap
 * interval here: read it next to the report's intervals). Prints a markdown table.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deriveSeed } from "../src/predict/bootstrap.js";
import { crossValidatedScores, logisticLearner, stratifiedKFold } from "../src/predict/cv.js";
import { readEnsemble } from "../src/predict/input.js";
import { matrixFromRows } from "../src/predict/logistic.js";
import { aucMannWhitney } from "../src/predict/roc.js";
import type { PredictionReport } from "../src/predict/types.js";

const dir = process.argv[2] ?? "runs/default-study";
const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as PredictionReport;
const { runs } = readEnsemble(dir);
const labelOf = new Map(report.runs.map((r) => [r.index, r.label]));
const groupOf = new Map(report.runs.map((r) => [r.index, r.group]));
const opts = report.options;
const log10 = (c: number) => Math.log10(Math.max(c, Number.MIN_VALUE));

/** CV AUC per repeat of a logistic model on `rows`, with the folds predict uses for (scope, window). */
function cvAucs(rows: number[][], y: number[], scope: string, window: number): number[] {
  const X = matrixFromRows(rows);
  return Array.from({ length: opts.repeats }, (_, r) => {
    const folds = stratifiedKFold(y, opts.folds, deriveSeed(opts.seed, scope, window, "cv", r));
    const { scores } = crossValidatedScores(X, y, folds, logisticLearner({ lambda: opts.lambda }));
    return aucMannWhitney(scores, y);
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f3 = (x: number) => x.toFixed(3);
const signed = (x: number) => (x >= 0 ? `+${f3(x)}` : f3(x));

const lines = [
  `Loss-curve baseline for ${dir} (scripts/check-loss-curve-baseline.ts; mean CV AUC over ${opts.repeats} repeats of ${opts.folds}-fold CV; gain range over the repeats)`,
  "",
  "| activation | e | loss checkpoints used | early loss alone | loss curve | loss curve + FTLE spectrum | gain over the curve [repeat range] |",
  "| --- | --- | --- | --- | --- | --- | --- |",
];
for (const group of report.groups.map((g) => g.name)) {
  for (const e of report.windows) {
    const rows: { y: number; last: number; curve: number[]; ftle: number[]; ts: number[] }[] = [];
    for (const run of runs) {
      if (groupOf.get(run.index) !== group) continue;
      const entry = run.early?.find((w) => w.window === e);
      const ftle = entry?.ftle;
      const checkpoints = (run.lossCheckpoints ?? []).filter(([t]) => t <= e);
      if (!entry || typeof entry.loss !== "number" || !ftle || ftle.some((v) => v === null)) continue;
      if (checkpoints.some(([, c]) => c === null)) continue;
      rows.push({
        y: labelOf.get(run.index) ?? 1,
        last: log10(entry.loss),
        curve: checkpoints.map(([, c]) => log10(c as number)),
        ftle: (ftle as number[]).slice().sort((a, b) => b - a),
        ts: checkpoints.map(([t]) => t),
      });
    }
    const y = rows.map((r) => r.y);
    const loss = cvAucs(
      rows.map((r) => [r.last]),
      y,
      group,
      e,
    );
    const curve = cvAucs(
      rows.map((r) => r.curve),
      y,
      group,
      e,
    );
    const both = cvAucs(
      rows.map((r) => [...r.curve, ...r.ftle]),
      y,
      group,
      e,
    );
    const gains = both.map((b, r) => b - curve[r]);
    lines.push(
      `| ${group} | ${e} | ${rows[0]?.ts.join(", ") ?? "–"} | ${f3(mean(loss))} | ${f3(mean(curve))} | ${f3(mean(both))} | ${signed(mean(gains))} [${signed(Math.min(...gains))}, ${signed(Math.max(...gains))}] |`,
    );
  }
}
process.stdout.write(`${lines.join("\n")}\n`);
