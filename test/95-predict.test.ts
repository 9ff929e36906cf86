/**
 * weightdyn predict: AUC/ROC against hand-computed cases and a naive pair count, labelling rules, cross-validation
 * hygiene (no training on the test fold, standardisation from training rows), logistic regression against known
 * coefficients, the generated comparison sentence, and the report written from a fixture ensemble.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { exitCodeFor } from "../src/cli/errors.js";
import { registerPredictCommand } from "../src/cli/predict-command.js";
import { bootstrap, percentileInterval } from "../src/predict/bootstrap.js";
import {
  crossValidatedScores,
  type Fold,
  type Learner,
  type LogisticFit,
  logisticLearner,
  stratifiedKFold,
  type TrainingSet,
} from "../src/predict/cv.js";
import { gainSentence } from "../src/predict/evaluate.js";
import { parseRunsNdjson } from "../src/predict/input.js";
import { finalLossOf, fixedThreshold, gapThreshold, labelOf, medianThreshold } from "../src/predict/labels.js";
import { fitLogistic, linearPredictor, type Matrix, matrixFromRows } from "../src/predict/logistic.js";
import { predictStudy } from "../src/predict/predict.js";
import { writeReport } from "../src/predict/report.js";
import { aucMannWhitney, averageRanks, preparedAuc, rocArea, rocCurve } from "../src/predict/roc.js";
import { createRng } from "../src/system/rng.js";
import { repoRoot } from "./support/cli.js";
import { writeFixture } from "./support/predict-fixture.js";

const tmp = mkdtempSync(join(tmpdir(), "weightdyn-95-"));
/** Fast settings for the tests that need a full analysis but not its precision. */
const FAST = { resamples: 200, repeats: 2 };

/** The reference: count pairs (positive, negative), a tie counting 1/2. O(n^2). */
function naiveAuc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((s1, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((s0, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += s1 > s0 ? 1 : s1 === s0 ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe("AUC and ROC", () => {
  it("mid-ranks of tied values", () => {
    expect(Array.from(averageRanks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4]);
    expect(Array.from(averageRanks([5, 5, 5]))).toEqual([2, 2, 2]);
  });

  it("a hand-computed case without ties: AUC 3/4 and its ROC points", () => {
    const scores = [0.1, 0.4, 0.35, 0.8];
    const labels = [0, 0, 1, 1];
    expect(aucMannWhitney(scores, labels)).toBe(0.75);
    const roc = rocCurve(scores, labels);
    expect(roc.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(roc.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(rocArea(roc)).toBe(0.75);
  });

  it("a hand-computed case with a tie across classes: AUC 3.5/4, the tie is one diagonal step", () => {
    const scores = [1, 2, 2, 3];
    const labels = [0, 0, 1, 1];
    expect(aucMannWhitney(scores, labels)).toBe(0.875);
    const roc = rocCurve(scores, labels);
    expect(roc.fpr).toEqual([0, 0, 0.5, 1]);
    expect(roc.tpr).toEqual([0, 0.5, 1, 1]);
    expect(roc.thresholds).toEqual([Number.POSITIVE_INFINITY, 3, 2, 1]);
    expect(rocArea(roc)).toBe(0.875);
  });

  it("perfect separation gives 1 (0 when reversed); a constant indicator gives 0.5; one class gives NaN", () => {
    const labels = [0, 0, 0, 1, 1];
    expect(aucMannWhitney([1, 2, 3, 4, 5], labels)).toBe(1);
    expect(aucMannWhitney([5, 4, 3, 2, 1], labels)).toBe(0);
    expect(aucMannWhitney([7, 7, 7, 7, 7], labels)).toBe(0.5);
    expect(rocArea(rocCurve([7, 7, 7, 7, 7], labels))).toBe(0.5);
    expect(aucMannWhitney([1, 2], [1, 1])).toBeNaN();
  });

  it.each([1, 2, 3, 4, 5])("matches the naive pair count on random data with ties (seed %i)", (seed) => {
    const rng = createRng(seed);
    const n = 40 + seed * 13;
    const labels = Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0));
    // few distinct values: many ties within and across classes
    const scores = labels.map((y) => Math.round(4 * rng.uniform() + 2 * y * rng.uniform()));
    const expected = naiveAuc(scores, labels);
    expect(aucMannWhitney(scores, labels)).toBeCloseTo(expected, 12);
    expect(rocArea(rocCurve(scores, labels))).toBeCloseTo(expected, 12);
    expect(preparedAuc(scores, labels)()).toBeCloseTo(expected, 12);
  });

  it("the weighted AUC of a bootstrap resample equals the AUC of the resample written out", () => {
    const rng = createRng(9);
    const labels = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const scores = labels.map((y) => Math.round(3 * rng.uniform() + y));
    const auc = preparedAuc(scores, labels);
    const counts = labels.map(() => Math.floor(rng.uniform() * 3));
    const s: number[] = [];
    const y: number[] = [];
    counts.forEach((c, i) => {
      for (let r = 0; r < c; r++) {
        s.push(scores[i]);
        y.push(labels[i]);
      }
    });
    expect(auc(counts)).toBeCloseTo(naiveAuc(s, y), 12);
  });

  it("the stratified bootstrap is seeded and its interval brackets the AUC", () => {
    const rng = createRng(4);
    const labels = Array.from({ length: 80 }, (_, i) => (i < 30 ? 1 : 0));
    const scores = labels.map((y) => y + rng.normal());
    const auc = preparedAuc(scores, labels);
    const run = () => bootstrap(labels, { resamples: 300, seed: 11 }, (w) => [auc(w)])[0];
    const a = run();
    expect(a.samples).toEqual(run().samples);
    expect(a.interval[0]).toBeLessThan(auc());
    expect(a.interval[1]).toBeGreaterThan(auc());
    expect(percentileInterval([1, 2, 3, 4, 5], 0.5)).toEqual([2, 4]);
  });
});

describe("labels", () => {
  it("the gap rule splits at the midpoint of the largest gap", () => {
    const t = gapThreshold([-5, -4.9, -4.8, -4.7, -2, -1.9, -1.8]);
    expect(t.log10).toBeCloseTo(-3.35, 12);
    expect(t.gap?.ranks).toEqual([3, 4]);
    expect(labelOf(-4.7, t)).toBe(0);
    expect(labelOf(-2, t)).toBe(1);
  });

  it("the gap rule ignores a gap that would split off the extreme 5%", () => {
    // 24 values: an outlier 15 decades below two clusters 2 decades apart
    const values = [
      -20,
      ...Array.from({ length: 13 }, (_, i) => -6 + 0.05 * i),
      ...Array.from({ length: 10 }, (_, i) => -3 + 0.05 * i),
    ];
    const t = gapThreshold(values);
    expect(t.gap?.centralRanks).toEqual([1, 22]);
    expect(t.log10).toBeCloseTo((-6 + 0.6 - 3) / 2, 12);
    // with the whole range the outlier's gap would win
    expect(gapThreshold(values, 1).log10).toBeCloseTo((-20 - 6) / 2, 12);
  });

  it("the median rule: high means strictly above the median", () => {
    const odd = medianThreshold([5, 1, 3, 2, 4]);
    expect(odd.log10).toBe(3);
    expect([1, 2, 3, 4, 5].map((v) => labelOf(v, odd))).toEqual([0, 0, 0, 1, 1]);
    expect(medianThreshold([1, 2, 3, 4]).log10).toBe(2.5);
  });

  it("diverged runs (flag, null or non-finite c_f) are high; a c_f of 0 is floored, not dropped", () => {
    const t = fixedThreshold(1e-3, 0);
    expect(finalLossOf({ index: 0, finalLoss: null })).toEqual({ log10: null, diverged: true });
    expect(finalLossOf({ index: 0, finalLoss: 1e-5, diverged: true }).diverged).toBe(true);
    expect(labelOf(finalLossOf({ index: 0, finalLoss: null }).log10, t)).toBe(1);
    expect(finalLossOf({ index: 0, finalLoss: 0 }).log10).toBeCloseTo(-323.3, 1);
    expect(labelOf(finalLossOf({ index: 0, finalLoss: 1e-2 }).log10, t)).toBe(1);
    expect(labelOf(finalLossOf({ index: 0, finalLoss: 1e-4 }).log10, t)).toBe(0);
  });

  it("runs.ndjson: a trailing partial line is ignored, a broken complete line names its line", () => {
    const good = '{"index": 1, "finalLoss": 0.1, "early": []}\n{"index": 0, "finalLoss": null}\n';
    const parsed = parseRunsNdjson(`${good}{"index": 2, "finalLo`);
    expect(parsed.runs.map((r) => r.index)).toEqual([0, 1]);
    expect(parsed.lines.partialIgnored).toBe(1);
    expect(() => parseRunsNdjson(`${good}{"index": 2,\n`, "x.ndjson")).toThrow(/x\.ndjson:3: malformed JSON/);
  });

  it("pooled threshold by default, one per activation with perGroup; diverged runs counted", () => {
    const dir = join(tmp, "labels");
    writeFixture(dir, { perGroup: 50 });
    const pooled = predictStudy(dir, { ...FAST, repeats: 1 });
    const perGroup = predictStudy(dir, { ...FAST, repeats: 1, perGroup: true });
    expect(pooled.labelling.pooled).not.toBeNull();
    expect(pooled.labelling.perGroup.relu).toEqual(pooled.labelling.pooled);
    expect(perGroup.labelling.pooled).toBeNull();
    expect(perGroup.labelling.perGroup.relu?.log10).not.toBe(perGroup.labelling.perGroup.tanh?.log10);
    for (const g of pooled.groups) {
      expect(g.diverged).toBeGreaterThan(0);
      expect(g.high + g.low).toBe(g.n);
      expect(g.high).toBeGreaterThanOrEqual(g.diverged);
    }
    expect(pooled.input.partialLinesIgnored).toBe(1);
    expect(pooled.scopes.map((s) => s.name)).toEqual(["relu", "tanh", "pooled"]);
  });
});

describe("cross-validation", () => {
  const rng = createRng(21);
  const n = 103;
  const y = Uint8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
  const X: Matrix = matrixFromRows(Array.from({ length: n }, (_, i) => [y[i] + rng.normal(), 10 * rng.normal() + 3]));

  it("stratified folds partition the rows and split each class evenly", () => {
    const folds = stratifiedKFold(y, 5, 3);
    const tests = folds.flatMap((f) => f.test).sort((a, b) => a - b);
    expect(tests).toEqual(Array.from({ length: n }, (_, i) => i));
    const positives = folds.map((f) => f.test.filter((r) => y[r] === 1).length);
    expect(Math.max(...positives) - Math.min(...positives)).toBeLessThanOrEqual(1);
    for (const f of folds) expect([...f.train, ...f.test].sort((a, b) => a - b)).toEqual(tests);
    expect(stratifiedKFold(y, 5, 3)).toEqual(folds);
    expect(stratifiedKFold(y, 5, 4)).not.toEqual(folds);
  });

  it("never trains on its test fold; standardisation statistics come from the training rows only", () => {
    const folds = stratifiedKFold(y, 5, 8);
    const seen: { rows: number[]; fit: LogisticFit; train: TrainingSet }[] = [];
    const inner = logisticLearner();
    const spy: Learner<LogisticFit> = {
      name: "spy",
      fit(train) {
        const fit = inner.fit(train);
        seen.push({ rows: [...train.rows], fit, train });
        return fit;
      },
      score: inner.score,
    };
    crossValidatedScores(X, y, folds, spy);
    expect(seen).toHaveLength(folds.length);
    seen.forEach(({ rows, fit, train }, f) => {
      const test = new Set(folds[f].test);
      expect(rows.filter((r) => test.has(r))).toEqual([]);
      expect(rows).toEqual(folds[f].train);
      expect(train.X.rows).toBe(rows.length);
      expect(Array.from(train.y)).toEqual(rows.map((r) => y[r]));
      for (let j = 0; j < X.cols; j++) {
        const trainMean = rows.reduce((a, r) => a + X.data[r * X.cols + j], 0) / rows.length;
        const allMean = Array.from({ length: n }, (_, r) => X.data[r * X.cols + j]).reduce((a, b) => a + b, 0) / n;
        expect(fit.standardiser.mean[j]).toBeCloseTo(trainMean, 12);
        expect(Math.abs(fit.standardiser.mean[j] - allMean)).toBeGreaterThan(1e-9);
      }
    });
  });

  it("changing the labels of a test fold leaves that fold's out-of-fold scores unchanged", () => {
    const folds: Fold[] = stratifiedKFold(y, 5, 2);
    const before = crossValidatedScores(X, y, folds, logisticLearner()).scores;
    const flipped = Uint8Array.from(y);
    for (const r of folds[0].test) flipped[r] = 1 - flipped[r];
    const after = crossValidatedScores(X, flipped, folds, logisticLearner()).scores;
    for (const r of folds[0].test) expect(after[r]).toBe(before[r]);
    expect(folds[1].test.some((r) => after[r] !== before[r])).toBe(true);
  });

  it("refuses folds whose training rows overlap the test rows", () => {
    const bad: Fold[] = [
      { train: [0, 1, 2], test: [2, 3] },
      { train: [2, 3], test: [0, 1] },
    ];
    const small = matrixFromRows([[0], [1], [2], [3]]);
    expect(() => crossValidatedScores(small, [0, 1, 0, 1], bad, logisticLearner())).toThrow(/trains on its test row 2/);
  });
});

describe("logistic regression", () => {
  it("recovers known coefficients (n = 20000, lambda ~ 0)", () => {
    const rng = createRng(5);
    const beta = [0.5, 2, -1];
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const x = [rng.normal(), rng.normal()];
      const eta = beta[0] + beta[1] * x[0] + beta[2] * x[1];
      rows.push(x);
      y.push(rng.uniform() < 1 / (1 + Math.exp(-eta)) ? 1 : 0);
    }
    const m = fitLogistic(matrixFromRows(rows), y, { lambda: 1e-8 });
    expect(m.converged).toBe(true);
    expect(m.intercept).toBeCloseTo(beta[0], 1);
    expect(m.coef[0]).toBeCloseTo(beta[1], 1);
    expect(m.coef[1]).toBeCloseTo(beta[2], 1);
  });

  it("stays finite on separable data and the penalised gradient vanishes at the fit", () => {
    const X = matrixFromRows([[-2], [-1], [-0.5], [0.5], [1], [2]]);
    const y = [0, 0, 0, 1, 1, 1];
    const lambda = 1;
    const m = fitLogistic(X, y, { lambda });
    expect(m.converged).toBe(true);
    const eta = linearPredictor(m, X);
    const p = Array.from(eta, (e) => 1 / (1 + Math.exp(-e)));
    const g0 = p.reduce((a, pi, i) => a + pi - y[i], 0);
    const g1 = p.reduce((a, pi, i) => a + (pi - y[i]) * X.data[i], 0) + lambda * m.coef[0];
    expect(Math.abs(g0)).toBeLessThan(1e-9);
    expect(Math.abs(g1)).toBeLessThan(1e-9);
    expect(m.coef[0]).toBeGreaterThan(0);
  });
});

describe("the comparison with the early loss", () => {
  it("the sentence follows the interval: gain, none, worse", () => {
    expect(gainSentence(0.1, [0.05, 0.15], 0.7, 0.8).verdict).toBe("gain");
    expect(gainSentence(0.1, [0.05, 0.15], 0.7, 0.8).sentence).toMatch(/^FTLEs add \+0\.100 AUC over the early loss/);
    expect(gainSentence(0.01, [-0.02, 0.04], 0.7, 0.71).sentence).toMatch(/^No detectable gain/);
    expect(gainSentence(-0.05, [-0.08, -0.01], 0.8, 0.75).verdict).toBe("worse");
    expect(gainSentence(0, [-0.01, 0.01], 0.995, 0.995).sentence).toMatch(/already separates the classes/);
  });

  it("finds a gain when the FTLEs carry extra information and none when they carry none", () => {
    const informative = join(tmp, "informative");
    const useless = join(tmp, "useless");
    writeFixture(informative, { perGroup: 120, ftleSignal: 3, lossSignal: 0.5, activations: ["tanh"] });
    writeFixture(useless, { perGroup: 120, ftleSignal: 0, lossSignal: 2, activations: ["tanh"] });
    const gainOf = (dir: string) => {
      const w = predictStudy(dir, FAST).scopes[0].windows[0];
      if (!("models" in w.cv)) throw new Error(w.cv.skipped);
      return w.cv.gain;
    };
    expect(gainOf(informative).verdict).toBe("gain");
    expect(gainOf(useless).verdict).not.toBe("gain");
  });
});

describe("the report", () => {
  it("writes report.md, report.json and the figures (valid SVG, PNG) from a fixture ensemble", async () => {
    const dir = join(tmp, "report");
    writeFixture(dir, { perGroup: 40 });
    const report = predictStudy(dir, FAST);
    const out = join(tmp, "report-out");
    const { files, notes } = await writeReport(report, out);
    for (const f of files) expect(existsSync(f)).toBe(true);
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toMatch(/## Headline: AUC per activation and early window/);
    expect(md).toMatch(/## Do the FTLEs add information beyond the early loss\?/);
    for (const link of md.matchAll(/\]\((figures\/[^)]+)\)/g)) expect(existsSync(join(out, link[1]))).toBe(true);
    for (const name of ["final-loss-histogram", "ftle-max-vs-final-loss", "roc"]) {
      const svg = readFileSync(join(out, "figures", `${name}.svg`), "utf8");
      expect(svg.startsWith("<svg")).toBe(true);
      expect(new Resvg(svg).width).toBeGreaterThan(0); // resvg parses the SVG (throws if it cannot)
      const png = readFileSync(join(out, "figures", `${name}.png`));
      expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    }
    // The FTLE bands rerun runs with the in-tree engine (which always loads here) and need the plotting stack: with
    // vega, vega-lite and resvg importable the figure is drawn, else the report says the figures were not drawn.
    const plottingImports = await Promise.all([import("vega"), import("vega-lite"), import("@resvg/resvg-js")]).then(
      () => true,
      () => false,
    );
    const bandsDrawn = existsSync(join(out, "figures", "ftle-bands.png"));
    if (plottingImports) {
      expect(bandsDrawn).toBe(true);
      expect(notes.filter((t) => /could not/.test(t))).toEqual([]);
    } else {
      expect(bandsDrawn).toBe(false);
      expect(notes.some((t) => t.startsWith("Figures were not drawn:"))).toBe(true);
    }
    const json = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(json.tool).toBe("weightdyn predict");
  }, 60_000);
});

describe("weightdyn predict (CLI)", () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "predict", ...args], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 60_000,
    });

  it("writes the report into --out and prints where it is", () => {
    const dir = join(tmp, "cli");
    writeFixture(dir, { perGroup: 30 });
    const out = join(tmp, "cli-out");
    const r = cli([dir, "--out", out, "--no-rerun", "--split", "median", "--quiet"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`report: ${join(out, "report.md")}`);
    expect(readFileSync(join(out, "report.md"), "utf8")).toMatch(/above the median/);
  }, 60_000);

  it("exits with 2 naming the file when DIR has no runs.ndjson", () => {
    const missing = cli([join(tmp, "empty")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^weightdyn: .*runs\.ndjson: no such file/);
  }, 60_000);

  it("rejects conflicting flags and a bad threshold, naming the flag", async () => {
    const parse = async (args: string[]) => {
      let stderr = "";
      const program = new Command("weightdyn")
        .exitOverride()
        .configureOutput({ writeErr: (t) => (stderr += t), writeOut: () => {} });
      registerPredictCommand(program);
      const error = await program.parseAsync(["node", "weightdyn", "predict", ...args]).then(
        () => null,
        (err: unknown) => err,
      );
      return { error, stderr };
    };
    const conflict = await parse([tmp, "--split", "median", "--threshold", "0.1"]);
    expect(conflict.error).toBeInstanceOf(CommanderError);
    expect(exitCodeFor(conflict.error)).toBe(2);
    expect(conflict.stderr).toMatch(
      /--threshold.*cannot be used with.*--split|--split.*cannot be used with.*--threshold/,
    );
    const bad = await parse([tmp, "--threshold", "-1"]);
    expect(exitCodeFor(bad.error)).toBe(2);
    expect(bad.stderr).toMatch(/--threshold.*positive number/);
    const split = await parse([tmp, "--split", "mean"]);
    expect(exitCodeFor(split.error)).toBe(2);
    expect(split.stderr).toMatch(/--split/);
  });
});
