import { expect, it } from "vitest";
import { lyapunovSpectrum } from "../src/algorithms/spectrum.js";
import type { Backend } from "../src/backend/types.js";
import { MapSystem } from "../src/system/map.js";
import { NetworkSystem } from "../src/system/network.js";
import { describeEachBackend } from "./support/backends.js";
import { fixtureRng, inverse, logAbsDet, matmul, randomOrthogonal } from "./support/linalg.js";
import { henon, linearMap } from "./support/maps.js";
import { createKernel, gd, sineNetwork141 } from "./support/networks.js";
import { TOL } from "./support/tolerances.js";

describeEachBackend("30 spectrum on systems with known exponents", (backend: Backend) => {
  it("GD on the quadratic 0.5 w^T A w: exponents ln|1 - eta a_i| to 1e-10, and every FTLE window equals them", () => {
    const eta = 0.1;
    const a = [0.5, 18, 4, 14, 7.5, 9]; // 1 - eta a = 0.95, -0.8, 0.6, -0.4, 0.25, 0.1
    const D = a.length;
    const U = randomOrthogonal(D, fixtureRng(3));
    const A = new Float64Array(D * D);
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++) for (let l = 0; l < D; l++) A[i * D + j] += U[i * D + l] * a[l] * U[j * D + l];
    const J = A.map((v, idx) => (idx % (D + 1) === 0 ? 1 : 0) - eta * v);
    const sys = new MapSystem(linearMap(J, D), backend, { initialState: new Array(D).fill(1) });
    // A transient of 400 steps aligns the basis with the eigenvectors to exp(-0.17 * 400).
    const res = lyapunovSpectrum(sys, { steps: 1400, transient: 400, ftleWindow: 50 });
    const expected = a.map((ai) => Math.log(Math.abs(1 - eta * ai))).sort((x, y) => y - x);
    for (let j = 0; j < D; j++) expect(Math.abs(res.exponents[j] - expected[j])).toBeLessThan(TOL.quadratic);
    expect(res.ftle.starts.length).toBe(20);
    for (let w = 0; w < res.ftle.starts.length; w++)
      for (let j = 0; j < D; j++)
        expect(Math.abs(res.ftle.values[w * D + j] - expected[j])).toBeLessThan(TOL.quadratic);
  });

  it("Henon map (a = 1.4, b = 0.3): exponents 0.41922 and -1.62319 within 0.003 after 1e5 steps", () => {
    const sys = new MapSystem(henon(1.4, 0.3), backend, { initialState: [0.1, 0.1] });
    const res = lyapunovSpectrum(sys, { steps: 101000, transient: 1000, ftleWindow: 1000 });
    expect(Math.abs(res.exponents[0] - 0.41922)).toBeLessThan(TOL.chaoticMaps);
    expect(Math.abs(res.exponents[1] + 1.62319)).toBeLessThan(TOL.chaoticMaps);
    // Conservation identity: the Jacobian determinant is -b at every step, so the sum is ln b to rounding.
    expect(Math.abs(res.exponents[0] + res.exponents[1] - Math.log(0.3))).toBeLessThan(1e-12);
  });

  it("logistic map at r = 4: ln 2 within 0.003", () => {
    const logistic = {
      dimension: 1,
      step: (x: Float64Array, n: Float64Array) => {
        n[0] = 4 * x[0] * (1 - x[0]);
      },
      jacobian: (x: Float64Array, J: Float64Array) => {
        J[0] = 4 * (1 - 2 * x[0]);
      },
    };
    const sys = new MapSystem(logistic, backend, { initialState: [0.3141] });
    const res = lyapunovSpectrum(sys, { steps: 100100, transient: 100, ftleWindow: 100 });
    expect(Math.abs(res.exponents[0] - Math.LN2)).toBeLessThan(TOL.chaoticMaps);
  });

  it("constant non-normal matrix: ln|eigenvalues| to 1e-9, in decreasing order", () => {
    const D = 4;
    const T = Float64Array.from([1.6, 5, -3, 2, 0, -0.9, 4, 1, 0, 0, 0.5, -6, 0, 0, 0, -0.2]); // Schur form
    const rand = fixtureRng(9);
    const S = Float64Array.from({ length: D * D }, () => rand() - 0.5);
    const M = matmul(matmul(S, T, D, D, D), inverse(S, D), D, D, D);
    const sys = new MapSystem(linearMap(M, D), backend, { initialState: [1, 0, 0, 0] });
    const res = lyapunovSpectrum(sys, { steps: 1200, transient: 200, ftleWindow: 100 });
    const expected = [1.6, -0.9, 0.5, -0.2].map((v) => Math.log(Math.abs(v)));
    for (let j = 0; j < D; j++) expect(Math.abs(res.exponents[j] - expected[j])).toBeLessThan(TOL.linearMap);
  });

  it("random orthonormal initial basis gives the same spectrum (Henon, 2e4 steps, 1e-3)", () => {
    const a = lyapunovSpectrum(new MapSystem(henon(1.4, 0.3), backend, { initialState: [0.1, 0.1] }), { steps: 20000 });
    const b = lyapunovSpectrum(new MapSystem(henon(1.4, 0.3), backend, { initialState: [0.1, 0.1] }), {
      steps: 20000,
      basis: "random",
      basisSeed: 42,
      backend,
    });
    expect(Math.abs(a.exponents[0] - b.exponents[0])).toBeLessThan(1e-3);
  });

  it("network, k = D: the sum of the local exponents equals ln|det J_t| at every step (1e-9)", () => {
    const { shape, X, Y, w0, D } = sineNetwork141();
    const eta = 0.5;
    const sys = new NetworkSystem(backend, { shape, X, Y, w0, rule: gd(eta) });
    const probe = createKernel(backend, shape, X, Y, 0);
    const H = new Float64Array(D * D);
    const steps = 60;
    const logDet: number[] = [];
    const logR = new Float64Array(D);
    sys.tangent().fill(0);
    for (let j = 0; j < D; j++) sys.tangent()[j * D + j] = 1;
    const local: number[] = [];
    for (let t = 0; t < steps; t++) {
      probe.weights.set(sys.state());
      probe.hessian(H);
      logDet.push(
        logAbsDet(
          H.map((h, i) => (i % (D + 1) === 0 ? 1 : 0) - eta * h),
          D,
        ),
      );
      const r = sys.evolve(1, D, 1, logR, null);
      expect(r.diverged).toBe(false);
      local.push(logR.reduce((s, v) => s + v, 0));
    }
    for (let t = 0; t < steps; t++) expect(Math.abs(local[t] - logDet[t])).toBeLessThan(TOL.detIdentity);
    // The spectrum algorithm with window 1 reports the same local exponents.
    const sys2 = new NetworkSystem(backend, { shape, X, Y, w0, rule: gd(eta) });
    const res = lyapunovSpectrum(sys2, { steps, ftleWindow: 1 });
    for (let t = 0; t < steps; t++) {
      const s = res.ftle.values.subarray(t * D, t * D + D).reduce((x, v) => x + v, 0);
      expect(Math.abs(s - logDet[t])).toBeLessThan(TOL.detIdentity);
    }
    probe.dispose();
    sys.dispose();
    sys2.dispose();
  });
});
