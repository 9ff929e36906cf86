/**
 * The fast routes against the slower exact ones (issue 6): the blocked (compact WY) QR against the unblocked
 * algorithm it replaces above QR_BLOCK columns, the factored tangent route against the explicit Hessian and the
 * R-operator, the unpacked small-size Gauss-Newton assembly and H Q (D <= SYMM_TIMES_MAX_N) against the gemm-based
 * factored route, and natively the Eigen gemm against the built-in one (the twin of the WASM kernels). Every suite
 * runs once per available backend.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parameterCount } from "../src/backend/layers.js";
import { loadNativeAddon } from "../src/backend/native.js";
import { packageRoot } from "../src/backend/root.js";
import { RESOLVED_ROUTE_IDS } from "../src/backend/tables.js";
import type { Backend, NetworkShape } from "../src/backend/types.js";
import { availableBackendList, describeEachBackend } from "./support/backends.js";
import { maxAbs, relErr } from "./support/fd.js";
import { fixtureRng } from "./support/linalg.js";
import { chunk, createKernel, gd } from "./support/networks.js";
import { TOL } from "./support/tolerances.js";

/** Columns per QR block in native/kernels/qr.h and assembly/qr.ts. */
const QR_BLOCK = 32;
/** Largest D of the unpacked small-size loops (syrk_upper_small, symm_times) in native/kernels/dense.h and
 * assembly/dense.ts. */
const SYMM_TIMES_MAX_N = 64;

function qr(backend: Backend, A: Float64Array, D: number, k: number) {
  const Q = A.slice();
  const R = new Float64Array(k * k);
  const logR = new Float64Array(k);
  backend.qrPositive(Q, D, k, R, logR);
  return { Q, R, logR };
}

describeEachBackend("21 blocked kernels against the unblocked and reference routes", (backend) => {
  for (const [D, k] of [
    [120, 70],
    [97, 97],
    [301, 301],
    [80, 61],
  ]) {
    it(`blocked QR ${D}x${k}: Q R = A, Q^T Q = I, diag R > 0, and the first ${QR_BLOCK} columns equal the unblocked QR`, () => {
      const rand = fixtureRng(D + k);
      const A = Float64Array.from({ length: D * k }, () => 2 * rand() - 1);
      const { Q, R, logR } = qr(backend, A, D, k);
      // Q R = A and orthonormal columns (the reference: plain loops here).
      let err = 0;
      let orth = 0;
      for (let c = 0; c < k; ++c) {
        for (let r = 0; r < D; ++r) {
          let s = 0;
          for (let l = 0; l <= c; ++l) s += Q[l * D + r] * R[c * k + l];
          err = Math.max(err, Math.abs(s - A[c * D + r]));
        }
        for (let c2 = 0; c2 <= c; ++c2) {
          let s = 0;
          for (let r = 0; r < D; ++r) s += Q[c * D + r] * Q[c2 * D + r];
          orth = Math.max(orth, Math.abs(s - (c === c2 ? 1 : 0)));
        }
        expect(R[c * k + c]).toBeGreaterThan(0);
        expect(logR[c]).toBeCloseTo(Math.log(R[c * k + c]), 12);
      }
      expect(err / maxAbs(A)).toBeLessThan(1e-13);
      expect(orth).toBeLessThan(1e-13);
      // Householder QR of the leading columns does not depend on the later ones: k = QR_BLOCK runs the unblocked
      // algorithm, and must give the same leading columns of Q and block of R to rounding (for k <= 2 QR_BLOCK, both
      // are unblocked).
      const lead = qr(backend, A.slice(0, D * QR_BLOCK), D, QR_BLOCK);
      expect(relErr(lead.Q, Q.slice(0, D * QR_BLOCK))).toBeLessThan(1e-13);
      const Rlead = new Float64Array(QR_BLOCK * QR_BLOCK);
      for (let c = 0; c < QR_BLOCK; ++c) for (let r = 0; r < QR_BLOCK; ++r) Rlead[c * QR_BLOCK + r] = R[c * k + r];
      expect(relErr(lead.R, Rlead)).toBeLessThan(1e-13);
    });
  }

  const nets: [string, NetworkShape, number, number][] = [
    [
      "1-100-1 tanh, N = 50, k = 40",
      { inputs: 1, hidden: 100, outputs: 1, activation: 1, activationParam: 0, outputActivation: 0 },
      50,
      40,
    ],
    [
      "3-20-2 gelu -> sigmoid, N = 30, k = 125",
      { inputs: 3, hidden: 20, outputs: 2, activation: 8, activationParam: 0, outputActivation: 2 },
      30,
      122,
    ],
    [
      "2-6-3 sin -> tanh, N = 9, k = 5",
      { inputs: 2, hidden: 6, outputs: 3, activation: 9, activationParam: 0, outputActivation: 1 },
      9,
      5,
    ],
  ];
  for (const [title, shape, N, k] of nets) {
    it(`tangent routes agree: factored = explicit Hessian = R-operator, ${title}`, () => {
      const rand = fixtureRng(N + k);
      const D = parameterCount(shape);
      const kk = Math.min(k, D);
      const X = Float64Array.from({ length: N * shape.inputs }, () => 2 * rand() - 1);
      const Y = Float64Array.from({ length: N * shape.outputs }, () => rand() - 0.5);
      const w = Float64Array.from({ length: D }, () => 1.2 * rand() - 0.6);
      const Q0 = Float64Array.from({ length: D * kk }, () => 2 * rand() - 1);
      const out: Float64Array[] = [];
      const net = createKernel(backend, shape, X, Y, kk, gd(0.7));
      for (const route of RESOLVED_ROUTE_IDS) {
        net.weights.set(w);
        net.tangent.set(Q0);
        net.tangentApply(kk, route, 0);
        // (Q - J Q) / eta = H Q, compared where it is not cancelled by the identity part.
        out.push(net.tangent.map((v, i) => (Q0[i] - v) / 0.7));
      }
      net.dispose();
      expect(relErr(out[0], out[2]), "factored vs explicit").toBeLessThan(TOL.routes * 10);
      expect(relErr(out[1], out[2]), "factored vs R-operator").toBeLessThan(TOL.routes * 10);
    });
  }

  // The explicit route below SYMM_TIMES_MAX_N assembles G^T C G by unpacked rank-4 updates and multiplies H Q without
  // packing; the factored route reaches the same H Q through gemm (G Q, then G^T (C G Q)) and the R-operator without
  // H at all. With Q = I, H Q is H itself, which net.hessian must also give.
  for (const [title, shape, N] of [
    [
      "1-10-1 tanh, N = 40, k = D = 31",
      { inputs: 1, hidden: 10, outputs: 1, activation: 1, activationParam: 0, outputActivation: 0 },
      40,
    ],
    [
      "1-20-1 tanh, N = 100, k = D = 61",
      { inputs: 1, hidden: 20, outputs: 1, activation: 1, activationParam: 0, outputActivation: 0 },
      100,
    ],
    [
      "2-9-3 sigmoid -> tanh, N = 7 (N o = 21, not a multiple of 4), k = D = 57",
      { inputs: 2, hidden: 9, outputs: 3, activation: 2, activationParam: 0, outputActivation: 1 },
      7,
    ],
    [
      "1-21-1 tanh, N = 50, k = D = 64 (at the threshold)",
      { inputs: 1, hidden: 21, outputs: 1, activation: 1, activationParam: 0, outputActivation: 0 },
      50,
    ],
  ] as [string, NetworkShape, number][]) {
    it(`small-size explicit route (unpacked loops) = gemm-based factored route = R-operator, H Q and H, ${title}`, () => {
      const D = parameterCount(shape);
      expect(D).toBeLessThanOrEqual(SYMM_TIMES_MAX_N);
      const rand = fixtureRng(D + N);
      const X = Float64Array.from({ length: N * shape.inputs }, () => 2 * rand() - 1);
      const Y = Float64Array.from({ length: N * shape.outputs }, () => rand() - 0.5);
      const w = Float64Array.from({ length: D }, () => 1.2 * rand() - 0.6);
      const net = createKernel(backend, shape, X, Y, D, gd(0.7));
      const unit = createKernel(backend, shape, X, Y, D, gd(1));
      for (const Q0 of [
        Float64Array.from({ length: D * D }, () => 2 * rand() - 1),
        Float64Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 1 : 0)),
      ]) {
        const out: Float64Array[] = [];
        for (const route of RESOLVED_ROUTE_IDS) {
          net.weights.set(w);
          net.tangent.set(Q0);
          net.tangentApply(D, route, 0);
          out.push(net.tangent.map((v, i) => (Q0[i] - v) / 0.7));
        }
        expect(relErr(out[2], out[0]), "explicit (small) vs factored (gemm)").toBeLessThan(TOL.routes * 10);
        expect(relErr(out[1], out[0]), "explicit (small) vs R-operator").toBeLessThan(TOL.routes * 10);
      }
      // H itself: the explicit assembly against the factored route's H I (its columns).
      const H = new Float64Array(D * D);
      net.weights.set(w);
      net.hessian(H);
      unit.weights.set(w);
      unit.tangent.set(Float64Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 1 : 0)));
      unit.tangentApply(D, 3, 0);
      const HI = unit.tangent.map((v, i) => (i % (D + 1) === 0 ? 1 : 0) - v);
      unit.dispose();
      expect(relErr(HI, H)).toBeLessThan(TOL.routes * 10);
      for (let p = 0; p < D; ++p) for (let q = 0; q < p; ++q) expect(H[q * D + p]).toBe(H[p * D + q]);
      net.dispose();
    });
  }

  it("auto route: explicit Hessian for k = D, factored products for k = 1 (1-100-1, N = 200)", () => {
    const shape: NetworkShape = {
      inputs: 1,
      hidden: 100,
      outputs: 1,
      activation: 1,
      activationParam: 0,
      outputActivation: 0,
    };
    const net = createKernel(backend, shape, new Float64Array(200), new Float64Array(200), 301);
    expect(net.chooseRoute(301)).toBe(1);
    expect(net.chooseRoute(10)).toBe(3);
    expect(net.chooseRoute(1)).toBe(3);
    net.dispose();
  });
});

// Natively: gemm by Eigen against the built-in kernels (the twins of the WASM ones), switched at run time.
const addonPath = join(packageRoot(), "build", "Release", "weightdyn.node");
const native = availableBackendList.find((b) => b.name === "native");
const addon = native && existsSync(addonPath) ? loadNativeAddon() : null;
const eigen = addon?._denseEigen?.() ?? false;
describe("21 native dense kernels: Eigen against the built-in gemm", () => {
  // Without Eigen there is nothing to compare: a skipped entry carries the reason (it never passes silently).
  if (!eigen) it.skip(`not available: ${addon ? "this addon was built without Eigen" : "no native addon"}`, () => {});
  // 1-10-1 (D = 31): the built-in unpacked small-size loops (syrk_upper_small, symm_times) against Eigen's gemm.
  for (const [hidden, N] of [
    [40, 60],
    [10, 40],
  ])
    it.skipIf(!eigen)(
      `200 steps of a 1-${hidden}-1 tanh network, k = D = ${3 * hidden + 1}, both routes: same losses, log R sums within 1e-9 [native]`,
      () => {
        const b = native as Backend;
        const shape: NetworkShape = {
          inputs: 1,
          hidden,
          outputs: 1,
          activation: 1,
          activationParam: 0,
          outputActivation: 0,
        };
        const D = 3 * hidden + 1;
        const X = Float64Array.from({ length: N }, (_, i) => -1 + (2 * i) / (N - 1));
        const Y = X.map((x) => Math.sin(Math.PI * x));
        const rand = fixtureRng(4);
        const w0 = Float64Array.from({ length: D }, () => rand() - 0.5);
        const run = (useEigen: boolean, route: number) => {
          addon?._denseEigen(useEigen);
          const net = createKernel(b, shape, X, Y, D);
          net.weights.set(w0);
          for (let j = 0; j < D; ++j) net.tangent[j * D + j] = 1;
          const loss = new Float64Array(200);
          const logR = new Float64Array(200 * D);
          net.trainChunk(chunk(D, 200, 1, route, loss, logR));
          const sums = new Float64Array(D);
          for (let t = 0; t < 200; ++t) for (let j = 0; j < D; ++j) sums[j] += logR[t * D + j];
          const Q = net.tangent.slice();
          net.dispose();
          return { loss, sums, Q };
        };
        const before = addon?._denseEigen();
        try {
          for (const route of [1, 3]) {
            const e = run(true, route);
            const s = run(false, route);
            expect(s.loss).toEqual(e.loss); // the dense kernels do not touch the training itself
            for (let j = 0; j < D; ++j) expect(Math.abs(e.sums[j] - s.sums[j])).toBeLessThan(TOL.parityExponents);
            expect(relErr(e.Q, s.Q)).toBeLessThan(1e-9);
          }
        } finally {
          addon?._denseEigen(before ?? false);
        }
      },
    );
});
