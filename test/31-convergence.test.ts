/**
 * Convergence diagnostics (src/algorithms/convergence.ts) on cases whose answer is known by construction: the batch-
 * means standard error against a hand computation and against sigma / sqrt(W) for independent windows; a diagonal
 * linear map with two equal rates (that pair unresolved, nothing else flagged); a map whose dominant direction
 * switches half way (QR-order exponents not decreasing, running estimates crossing late); a well-separated map (no
 * flags). The maps run through lyapunovSpectrum on every backend.
 */
import { describe, expect, it } from "vitest";
import { convergenceDiagnostics, runningFromWindows } from "../src/algorithms/convergence.js";
import type { FtleWindows } from "../src/algorithms/ftle.js";
import { lyapunovSpectrum } from "../src/algorithms/spectrum.js";
import { MapSystem } from "../src/system/map.js";
import { createRng } from "../src/system/rng.js";
import { describeEachBackend } from "./support/backends.js";
import { linearMap } from "./support/maps.js";

/** Windows of length 1 with the given rows of values. */
const windows = (rows: number[][]): FtleWindows => ({
  window: 1,
  starts: rows.map((_, i) => i),
  values: Float64Array.from(rows.flat()),
});

describe("batch-means standard errors", () => {
  it("a hand-computed case: windows 1, 1, 3, 3 (2 batches of 2, means 1 and 3) give se = 1", () => {
    const d = convergenceDiagnostics([2], windows([[1], [1], [3], [3]]));
    expect(d.batches).toBe(2);
    expect(d.windowsPerBatch).toBe(2);
    expect(d.standardErrors[0]).toBeCloseTo(1, 14);
  });

  it("independent windows: se close to sigma / sqrt(W) (W = 10000, 100 batches; the estimate's own spread ~7%)", () => {
    const rng = createRng(5);
    const sigma = 0.3;
    const rows = Array.from({ length: 10000 }, () => [0.1 + sigma * rng.normal()]);
    const d = convergenceDiagnostics([0.1], windows(rows));
    expect(d.batches).toBe(100);
    expect(d.standardErrors[0] as number).toBeGreaterThan(0.8 * (sigma / 100));
    expect(d.standardErrors[0] as number).toBeLessThan(1.2 * (sigma / 100));
  });

  it("one window: no standard errors, and the flag says why", () => {
    const d = convergenceDiagnostics([0.5, 0.1], windows([[0.5, 0.1]]));
    expect(d.standardErrors).toEqual([null, null]);
    expect(d.flags[0]).toMatch(/only 1 FTLE window/);
  });

  it("running estimates from windows are the running means", () => {
    const r = runningFromWindows(windows([[1], [3], [5]]));
    expect(Array.from(r.values)).toEqual([1, 2, 3]);
    expect(r.steps).toEqual([1, 2, 3]);
  });
});

describeEachBackend("convergence diagnostics of known maps", (backend) => {
  const spectrum = (
    map: Parameters<typeof linearMap>[0] | ReturnType<typeof linearMap>,
    basis: "identity" | "random",
  ) => {
    const def = "dimension" in map ? map : linearMap(map, 3);
    const system = new MapSystem(def, backend, { initialState: new Array(def.dimension).fill(1) });
    return lyapunovSpectrum(system, { steps: 2000, ftleWindow: 20, basis, basisSeed: 3, backend });
  };

  it("the running estimates of lyapunovSpectrum equal those rebuilt from its windows", () => {
    const s = spectrum(Float64Array.from([1.5, 0.3, 0, 0.2, 0.9, 0.1, 0, 0.4, 0.5]), "random");
    const r = runningFromWindows(s.ftle);
    expect(r.steps).toEqual(s.running.steps);
    expect(r.values.length).toBeGreaterThan(0);
    expect(r.values).toHaveLength(s.running.values.length);
    for (let i = 0; i < r.values.length; i++) expect(r.values[i]).toBeCloseTo(s.running.values[i], 13);
  });

  it("a diagonal map diag(1.2, 1.2, 0.5) in a random basis: the pair of equal rates is unresolved, nothing else", () => {
    // A rotation R D R^T keeps the two equal rates (ln 1.2) without lining them up with the axes.
    const c = Math.cos(0.7);
    const sn = Math.sin(0.7);
    const R = [c, -sn, 0, sn * 0.6, c * 0.6, 0.8, sn * 0.8, c * 0.8, -0.6]; // orthogonal (rows orthonormal)
    const D = [1.2, 1.2, 0.5];
    const M = new Float64Array(9);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) for (let l = 0; l < 3; l++) M[i * 3 + j] += R[i * 3 + l] * D[l] * R[j * 3 + l];
    const s = spectrum(M, "random");
    const d = convergenceDiagnostics(s.exponents, s.ftle, s.running);
    expect(d.sortedExponents[0]).toBeCloseTo(Math.log(1.2), 2); // 2000 steps: the projection of the random start costs O(1/T)
    expect(d.sortedExponents[1]).toBeCloseTo(Math.log(1.2), 2);
    expect(d.unresolvedPairs.map((p) => p.ranks)).toEqual([[1, 2]]);
    expect(d.orderSettled).toBe(true);
    expect(d.flags).toHaveLength(1);
    expect(d.flags[0]).toMatch(/1 of 2 neighbouring pairs .* not resolved .*: 1-2/);
  });

  it("a map whose dominant direction switches half way: QR order not decreasing, running estimates cross late", () => {
    // x -> diag(1.2, 1) x for t < 1000, diag(1, 1.3) x after; the identity basis never realigns (the e2 part of
    // column 1 is exactly 0): the QR columns end at (ln 1.2 / 2, ln 1.3 / 2), increasing, and their running means
    // cross at t = 1000 (1 + ln 1.2 / ln 1.3) ~ 1695, in the last half of the run.
    const rates = (t: number) => (t < 1000 ? [1.2, 1] : [1, 1.3]);
    const switching = {
      dimension: 2,
      step(x: Float64Array, next: Float64Array, t: number) {
        const [a, b] = rates(t);
        next[0] = a * x[0];
        next[1] = b * x[1];
      },
      jacobian(_x: Float64Array, J: Float64Array, t: number) {
        const [a, b] = rates(t);
        J.set([a, 0, 0, b]);
      },
    };
    const s = spectrum(switching, "identity");
    expect(s.exponents[0]).toBeCloseTo(Math.log(1.2) / 2, 12);
    expect(s.exponents[1]).toBeCloseTo(Math.log(1.3) / 2, 12);
    const d = convergenceDiagnostics(s.exponents, s.ftle, s.running);
    expect(d.notDecreasing).toEqual([[0, 1]]);
    expect(d.lateCrossings).toHaveLength(1);
    const crossing = 1000 * (1 + Math.log(1.2) / Math.log(1.3));
    expect(d.lateCrossings[0].step).toBe(Math.ceil(crossing / 20) * 20); // the first window end after the crossing
    expect(d.orderSettled).toBe(false);
    expect(d.sortedColumns).toEqual([1, 0]);
    expect(d.sortedExponents).toEqual([s.exponents[1], s.exponents[0]]);
    expect(d.flags.join(" ")).toMatch(/not decreasing .* still cross late/);
  });

  it("a well-separated map (eigenvalues 2, 1, 0.5, not normal) in a random basis: no flags", () => {
    const s = spectrum(Float64Array.from([2, 1, 0, 0, 1, 1, 0, 0, 0.5]), "random");
    const d = convergenceDiagnostics(s.exponents, s.ftle, s.running);
    expect(d.sortedExponents[0]).toBeCloseTo(Math.log(2), 2);
    expect(d.unresolvedPairs).toEqual([]);
    expect(d.orderSettled).toBe(true);
    expect(d.flags).toEqual([]);
    expect(d.standardErrors).toHaveLength(3);
    for (const se of d.standardErrors) expect(se as number).toBeLessThan(1e-3);
  });
});
