/**
 * Smoke test of the benchmark suite (bench/run.ts) on one tiny case, so that it cannot rot: the report has a row per
 * available backend with finite figures, the NumPy peer's row and ratios when python3 and NumPy are here, and the
 * Markdown table. It asserts no speed.
 */
import { describe, expect, it } from "vitest";
import { TINY_CASE, TINY_DEEP_CASE } from "../bench/cases.js";
import { flopsPerStep } from "../bench/flops.js";
import { LOCKSTEP_CASES, runLockstepBench } from "../bench/lockstep.js";
import { renderMarkdown } from "../bench/report.js";
import { runBench } from "../bench/run.js";
import { availableBackendList } from "./support/backends.js";

describe("80 bench: the quick suite on a tiny case", () => {
  it("reports steps/s, margin of error, effective GFLOP/s and the ratios, and renders the table", () => {
    const lines: string[] = [];
    const report = runBench({ quick: true, cases: [TINY_CASE], lockstep: false, log: (l) => lines.push(l) });
    expect(report.rows.length).toBeGreaterThan(0);
    expect(report.rows.map((r) => r.backend).sort()).toEqual(availableBackendList.map((b) => b.name).sort());
    for (const row of report.rows) {
      expect(row.case).toBe(TINY_CASE.name);
      expect(row.D).toBe(10);
      expect(row.k).toBe(10);
      expect(row.stepsPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(row.rme)).toBe(true);
      expect(row.flopsPerStep).toBe(flopsPerStep(TINY_CASE, row.route).total);
      expect(row.gflops).toBeCloseTo((row.flopsPerStep * row.stepsPerSecond) / 1e9, 9);
    }
    if (report.numpy.available) {
      expect(report.matmul?.gflops1).toBeGreaterThan(0);
      expect(report.peer).toHaveLength(1);
      for (const row of report.rows) {
        expect(row.vsNumpy).toBeGreaterThan(0);
        expect(row.vsMatmul1).toBeGreaterThan(0);
        // The peer computes the same step: its first log R_jj agree with every backend's.
        expect(report.peer[0].firstLogRMaxDiff[row.backend]).toBeLessThan(1e-10);
      }
    } else {
      expect(report.numpy.reason).toBeTruthy();
    }
    expect(report.targets.length).toBeGreaterThan(0);
    const md = renderMarkdown(report);
    expect(md).toContain("| case | D | k | QR every | backend | route | steps/s |");
    expect(md).toContain("of matmul, 1 thread");
    for (const row of report.rows) expect(md).toContain(`| ${row.backend} |`);
  }, 60_000);

  it("a deep case (2-3-3-1): the general kernels' flop counts, and the NumPy peer's deep step does the same work", () => {
    // By hand from run-plan.ts's formulas (gd, k = D = 25, N = 8, QR every step): widths 2-3-3-1 give
    // S_all = 6 + 9 + 3 = 18, S_2 = 12, H = 6, o = 1; forward + gradient 2*8*(36 + 12 + 6 + 2) + 2*25 = 946; the
    // tangent update 2*25*25 = 1250; the QR 4*25*25^2 - 4*25^3/3 = 62500 - 62500/3.
    const qr = 62500 - 62500 / 3;
    expect(flopsPerStep(TINY_DEEP_CASE, "factored").total).toBeCloseTo(946 + 8 * 25 * (4 * 18 + 8 * 12) + 1250 + qr, 6);
    expect(flopsPerStep(TINY_DEEP_CASE, "hvp").total).toBeCloseTo(946 + 8 * 25 * (4 * 18 + 11 * 12) + 1250 + qr, 6);
    const report = runBench({ quick: true, cases: [TINY_DEEP_CASE], lockstep: false, log: () => {} });
    expect(report.rows.length).toBeGreaterThan(0);
    for (const row of report.rows) {
      // D = 3*3 + 3*4 + 1*4 = 25.
      expect([row.D, row.k]).toEqual([25, 25]);
      expect(row.flopsPerStep).toBe(flopsPerStep(TINY_DEEP_CASE, row.route).total);
      expect(row.stepsPerSecond).toBeGreaterThan(0);
    }
    if (report.numpy.available) {
      for (const row of report.rows) expect(report.peer[0].firstLogRMaxDiff[row.backend]).toBeLessThan(1e-10);
    } else {
      expect(report.numpy.reason).toBeTruthy();
    }
  }, 60_000);

  it("the lockstep ensembles: run-steps/s of every backend with ensemble kernels, and the batched NumPy peer doing the same work", () => {
    const report = runLockstepBench({ quick: true, cases: [LOCKSTEP_CASES[0]], log: () => {} });
    const engines = report.rows.filter((r) => r.backend !== "NumPy").map((r) => r.backend);
    expect(engines.length).toBeGreaterThan(0);
    expect(engines.sort()).toEqual(
      availableBackendList
        .filter((b) => b.ensembleLanes > 0)
        .map((b) => b.name)
        .sort(),
    );
    for (const row of report.rows) {
      expect(row.D).toBe(7);
      expect(row.runStepsPerSecond).toBeGreaterThan(0);
    }
    const peer = report.rows.find((r) => r.backend === "NumPy");
    if (report.numpy.available) {
      // The same initial weights: the first step's log R_jj of every run agree with the engine's.
      for (const name of engines) expect(peer?.firstLogRMaxDiff?.[name]).toBeLessThan(1e-10);
    } else {
      expect(peer).toBeUndefined();
      expect(report.numpy.reason).toBeTruthy();
    }
  }, 60_000);
});
