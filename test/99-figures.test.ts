/**
 * The figures' data: every plotted value is read back from the vega-lite spec and compared with the record, the
 * report or the file it comes from (loss checkpoints and labels, early spectra, out-of-fold ROC points, quartile
 * bands, clamped log axes, running estimates, error bars, CLV angles in degrees). Then `weightdyn report DIR` on a
 * real run with CLVs, and its error on a directory that is not a run's.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { convergenceDiagnostics, runningFromWindows } from "../src/algorithms/convergence.js";
import { parseRunConfig } from "../src/config/validate.js";
import { readNumericCsv } from "../src/io/csv.js";
import { writeRunOutputs } from "../src/io/outputs.js";
import { LOSS_FLOOR } from "../src/predict/figure-style.js";
import { readEnsemble } from "../src/predict/input.js";
import { histogramSpec, rocSpec } from "../src/predict/plots.js";
import { predictStudy } from "../src/predict/predict.js";
import { rocCurve, thinRoc } from "../src/predict/roc.js";
import { clvAnglesSpec, LOSS_POINTS, runFtleSpec, runLossSpec, runSpectrumSpec } from "../src/predict/run-figures.js";
import {
  CURVES_PER_CLASS,
  EXPONENTS_SHOWN,
  earlyFtleSpec,
  ftleBandsSpec,
  lossCurvesSpec,
  oofRocSpec,
} from "../src/predict/study-figures.js";
import { runTraining } from "../src/run.js";
import { writeRunReport } from "../src/run-report.js";
import { createRng } from "../src/system/rng.js";
import { repoRoot } from "./support/cli.js";
import { writeFixture } from "./support/predict-fixture.js";

const tmp = mkdtempSync(join(tmpdir(), "weightdyn-99-"));
type Values = Record<string, unknown>[];
const valuesOf = (spec: unknown): Values => (spec as { data: { values: Values } }).data.values;

describe("study figures", () => {
  const dir = join(tmp, "study");
  writeFixture(dir, { perGroup: 70, activations: ["relu", "tanh"] });
  const report = predictStudy(dir, { resamples: 50, repeats: 1 });
  const records = readEnsemble(dir).runs;
  const label = new Map(report.runs.map((r) => [r.index, r]));

  it("loss curves: each point is a recorded checkpoint (floored), coloured by the run's label, a sample per class", () => {
    const values = valuesOf(lossCurvesSpec(report, records));
    const perKey = new Map<string, Set<number>>();
    for (const v of values) {
      const run = records.find((r) => r.index === v.run);
      const point = run?.lossCheckpoints?.find(([t]) => t === v.step);
      expect(point).toBeDefined();
      expect(v.loss).toBe(Math.max(point?.[1] as number, LOSS_FLOOR));
      const r = label.get(v.run as number);
      expect(v.activation).toBe(r?.group);
      expect(v.outcome).toBe(r?.label === 1 ? "high final loss" : "low final loss");
      const key = `${v.activation}|${v.outcome}`;
      if (!perKey.has(key)) perKey.set(key, new Set());
      perKey.get(key)?.add(v.run as number);
    }
    for (const runs of perKey.values()) expect(runs.size).toBeLessThanOrEqual(CURVES_PER_CLASS);
    expect(perKey.size).toBe(4);
  });

  it("early FTLE distributions: the sorted early spectrum of each run, the largest exponents", () => {
    const values = valuesOf(earlyFtleSpec(report, records));
    const run = records.find((r) => label.get(r.index) && r.early?.[1]?.ftle?.every((x) => x !== null));
    if (!run?.early) throw new Error("the fixture has no run with a complete early spectrum");
    const sorted = (run.early[1].ftle as number[])
      .slice()
      .sort((a, b) => b - a)
      .slice(0, EXPONENTS_SHOWN);
    const plotted = values.filter((v) => v.w === run.early?.[1]?.window);
    for (const [j, x] of sorted.entries()) expect(plotted.some((v) => v.j === j && v.ftle === x)).toBe(true);
    expect(new Set(values.map((v) => v.j))).toEqual(new Set([0, 1, 2, 3]));
  });

  it("out-of-fold ROC: the plotted points are the report's CV curves, which are points of the full curve", () => {
    const values = valuesOf(oofRocSpec(report));
    let compared = 0;
    for (const scope of report.scopes) {
      for (const w of scope.windows) {
        if (!("models" in w.cv)) continue;
        const curve = w.cv.roc.combined;
        const plotted = values.filter((v) => v.panel === `${scope.name}, e = ${w.window}` && v.kind === "combined");
        expect(plotted.map((v) => [v.fpr, v.tpr])).toEqual(curve?.fpr.map((f, i) => [f, curve.tpr[i]]));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(0);
    // thinning keeps the ends and only points of the curve
    const rng = createRng(6);
    const labels = Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const full = rocCurve(
      labels.map((y) => y + rng.normal()),
      labels,
    );
    const thin = thinRoc(full, 50);
    expect(thin.fpr.length).toBeLessThanOrEqual(60);
    expect([thin.fpr[0], thin.tpr[0], thin.fpr.at(-1), thin.tpr.at(-1)]).toEqual([0, 0, 1, 1]);
    const points = new Set(full.fpr.map((f, i) => `${f},${full.tpr[i]}`));
    for (let i = 0; i < thin.fpr.length; i++) expect(points.has(`${thin.fpr[i]},${thin.tpr[i]}`)).toBe(true);
  });

  it("in-sample ROC: each plotted curve is thinRoc of the report's curve (points of it, ends kept)", () => {
    const values = valuesOf(rocSpec(report));
    let curves = 0;
    for (const scope of report.scopes) {
      for (const w of scope.windows) {
        if (!w.bestFtle || !w.roc.bestFtle || !w.roc.loss) continue;
        for (const [kind, curve] of [
          ["best FTLE indicator", w.roc.bestFtle],
          ["early loss", w.roc.loss],
        ] as const) {
          const plotted = values.filter(
            (v) => String(v.panel).startsWith(`${scope.name}, e = ${w.window}:`) && v.curve === kind,
          );
          const thin = thinRoc(curve);
          expect(plotted.map((v) => [v.fpr, v.tpr])).toEqual(thin.fpr.map((f, i) => [f, thin.tpr[i]]));
          const points = new Set(curve.fpr.map((f, i) => `${f},${curve.tpr[i]}`));
          for (const v of plotted) expect(points.has(`${v.fpr},${v.tpr}`)).toBe(true);
          expect([plotted[0].fpr, plotted[0].tpr, plotted.at(-1)?.fpr, plotted.at(-1)?.tpr]).toEqual([0, 0, 1, 1]);
          curves++;
        }
      }
    }
    expect(curves).toBeGreaterThan(0);
  });

  it("FTLE bands: median and quartiles per class, window and exponent (hand-computed on three runs)", () => {
    const series = [1, 2, 4].map((x, i) => ({ run: i, group: "tanh", label: 1 as const, ftle: [[0, x, -x]] }));
    const values = valuesOf(ftleBandsSpec(series));
    const first = values.find((v) => v.j === 0);
    expect(first).toMatchObject({ q1: 1.5, median: 2, q3: 3, n: 3, outcome: "high final loss", step: 0 });
    const second = values.find((v) => v.j === 1);
    expect(second).toMatchObject({ q1: -3, median: -2, q3: -1.5 });
  });

  it("the final-loss histogram draws losses below the floor at it and says how many", () => {
    const spec = histogramSpec({
      ...report,
      runs: report.runs.map((r, i) => (i < 3 ? { ...r, log10FinalLoss: -30 } : r)),
    }) as unknown as { title: { subtitle: string[] } };
    const values = valuesOf(spec);
    expect(Math.min(...values.map((v) => v.log10cf as number))).toBe(Math.log10(LOSS_FLOOR));
    expect(spec.title.subtitle[1]).toMatch(/^3 run\(s\) with c_f below 1e-12/);
  });
});

describe("run figures and weightdyn report", () => {
  const dir = join(tmp, "run");
  it("a real run with CLVs: every figure's data comes from its files", async () => {
    const config = parseRunConfig({
      network: { hidden: 3, activation: "tanh" },
      data: { samples: 20 },
      training: { learningRate: 0.2, steps: 1200 },
      lyapunov: { ftleWindow: 50, clv: { from: 0, to: 600, every: 20, backwardTransient: 300 } },
    });
    mkdirSync(dir, { recursive: true });
    const out = await runTraining({ config, baseDir: tmp }, { outDir: dir });
    writeRunOutputs(dir, out);
    const { files, diagnostics } = await writeRunReport(dir);
    for (const name of ["loss", "ftle", "spectrum", "clv-angles"])
      expect(files).toContain(join(dir, "figures", `${name}.png`));
    expect(readFileSync(join(dir, "report.md"), "utf8")).toMatch(/## Convergence/);

    const ftle = readNumericCsv(join(dir, "ftle.csv"));
    const k = ftle.cols - 1;
    const windows = {
      window: 50,
      starts: Array.from({ length: ftle.rows }, (_, r) => ftle.values[r * ftle.cols]),
      values: Float64Array.from(
        { length: ftle.rows * k },
        (_, i) => ftle.values[Math.floor(i / k) * ftle.cols + 1 + (i % k)],
      ),
    };
    const panels = (
      runFtleSpec(windows, runningFromWindows(windows)) as unknown as { hconcat: { data: { values: Values } }[] }
    ).hconcat;
    // left: the windows of ftle.csv; right: the running estimates, here recomputed as cumulative sums / count
    expect(panels[0].data.values.find((v) => v.step === 0 && v.column === 2)?.value).toBe(ftle.values[2]);
    let sum = 0;
    for (let r = 0; r < ftle.rows; r++) {
      sum += ftle.values[r * ftle.cols + 1];
      const drawn = panels[1].data.values.find((v) => v.step === (r + 1) * 50 && v.column === 1)?.value as number;
      expect(drawn).toBeCloseTo(sum / (r + 1), 14);
    }

    // error bars: exponent +- 1.96 se of the diagnostics, sorted
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    const d = convergenceDiagnostics(summary.exponents, windows);
    expect(diagnostics?.sortedExponents).toEqual(d.sortedExponents);
    const bars = valuesOf(runSpectrumSpec(summary.exponents, d));
    expect(bars).toHaveLength(summary.exponents.length);
    bars.forEach((b, i) => {
      const col = d.sortedColumns[i];
      expect(b.exponent).toBe(summary.exponents[col]);
      expect(b.hi as number).toBeCloseTo(summary.exponents[col] + 1.96 * (d.standardErrors[col] as number), 15);
    });

    // loss: the rows of loss.csv (columns step, loss, as run-report reads them), floored; strided to LOSS_POINTS
    const loss = readNumericCsv(join(dir, "loss.csv"));
    expect(loss.header).toEqual(["step", "loss"]);
    expect(loss.rows).toBe(1201);
    const stepOf = (r: number) => loss.values[r * loss.cols];
    const lossOf = (r: number) => loss.values[r * loss.cols + 1];
    const rowOfStep = new Map(Array.from({ length: loss.rows }, (_, r) => [stepOf(r), r]));
    const lv = valuesOf(
      runLossSpec(
        Array.from({ length: loss.rows }, (_, r) => stepOf(r)),
        Array.from({ length: loss.rows }, (_, r) => lossOf(r)),
      ),
    );
    expect(lv.length).toBeGreaterThan(1);
    expect(lv.length).toBeLessThanOrEqual(LOSS_POINTS + 1);
    for (const v of lv) {
      const r = rowOfStep.get(v.step as number);
      expect(r).toBeDefined();
      expect(v.loss).toBe(Math.max(lossOf(r as number), LOSS_FLOOR));
    }
    expect([lv[0].step, lv.at(-1)?.step]).toEqual([stepOf(0), stepOf(loss.rows - 1)]);
    // the floor itself, on literals
    expect(valuesOf(runLossSpec([0, 1, 2], [0.5, 1e-30, 0.1])).map((v) => v.loss)).toEqual([0.5, LOSS_FLOOR, 0.1]);

    // CLV angles: the CSV's radians in degrees
    const angles = readNumericCsv(join(dir, "clv-angles.csv"));
    const av = valuesOf(clvAnglesSpec(angles));
    let finiteAngles = 0;
    for (let r = 0; r < angles.rows; r++) {
      for (let c = 1; c < angles.cols; c++) {
        const rad = angles.values[r * angles.cols + c];
        if (!Number.isFinite(rad)) continue;
        const plotted = av[finiteAngles++];
        expect([plotted.time, plotted.angle]).toEqual([angles.values[r * angles.cols], angles.header[c]]);
        expect(plotted.degrees).toBeCloseTo((rad * 180) / Math.PI, 12);
      }
    }
    expect(finiteAngles).toBeGreaterThan(0);
    expect(av).toHaveLength(finiteAngles);
  }, 120_000);

  it("weightdyn report on a directory without summary.json exits with 2 naming the file", () => {
    const res = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "report", tmp], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/summary\.json/);
    expect(existsSync(join(tmp, "report.md"))).toBe(false);
  }, 60_000);
});
