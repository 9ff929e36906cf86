/**
 * Parity of the WASM kernels (assembly/) with the native ones (native/kernels/): the twins run the same algorithms in
 * the same order of operations, except for the f64x2 reductions of the WASM build and the libm of each side (glibc vs
 * AssemblyScript's), so they agree to rounding. Skipped, with the reason, when the native addon does not load.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parameterCount } from "../src/backend/layers.js";
import { createNativeBackend } from "../src/backend/native.js";
import { packageRoot } from "../src/backend/root.js";
import { RESOLVED_ROUTE_IDS } from "../src/backend/tables.js";
import type { Backend, NetworkKernel, NetworkShape } from "../src/backend/types.js";
import { createWasmBackend } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import { chunk, createKernel, gd } from "./support/networks.js";
import { TOL as SHARED } from "./support/tolerances.js";

/** Tolerances of this suite: the parity ones from test/support/tolerances.ts, the kernel-level ones here. */
const TOL = {
  /**
   * Activations, relative to max(|value|, 1): an ulp of tanh or exp in either libm is amplified near the zeros of f'
   * and f'' by cancellation (1 - tanh^2 in the tails, the two terms of gelu'), so a pure relative bound is meaningless
   * there.
   */
  activation: 1e-14,
  /** qrPositive: Q, R and log R_jj, relative to the largest |entry| of each. */
  qr: 1e-12,
  /** lossGrad, hessian, hvp: relative to the largest |entry|. */
  derivative: 1e-12,
  /** trainChunk losses (relative, per step) and weights (relative to the largest |w|), converging trajectories. */
  loss: SHARED.parityLoss,
  /** Sums over the chunk of log R_jj, absolute, per j (the exponents times the chunk length). */
  logRSum: SHARED.parityExponents,
  /** The R factors of a 500-step chunk, relative to the largest |entry|. */
  rChunk: 1e-9,
} as const;

let native: Backend | null = null;
let reason = "";
try {
  const path = join(packageRoot(), "build", "Release", "weightdyn.node");
  if (!existsSync(path)) throw new Error(`${path} is missing (npx cmake-js compile)`);
  native = createNativeBackend();
} catch (err) {
  reason = (err as Error).message.split("\n")[0];
}
const wasm = createWasmBackend(compileWasmModule());
const skip = native === null;
const nat = () => native as Backend;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** max |a - b| / max |a|, 0 when both are zero. */
function relDiff(a: Float64Array, b: Float64Array): number {
  expect(b.length).toBe(a.length);
  let d = 0;
  for (let i = 0; i < a.length; ++i) d = Math.max(d, Math.abs(a[i] - b[i]));
  const s = maxAbs(a);
  return d === 0 ? 0 : d / s;
}

describe("parity wasm vs native", () => {
  if (skip) it.skip(`native backend unavailable: ${reason}`, () => {});

  it.skipIf(skip)("activation: all 10 ids on a grid of [-8, 8] (wasm vs native)", () => {
    const grid = [0, 1e-12, -1e-12, 1e-6, -1e-6, 20, -20, 30, -30];
    for (let i = -512; i <= 512; ++i) grid.push(i / 64);
    const z = Float64Array.from(grid);
    const out = () => new Float64Array(z.length);
    for (let id = 0; id < 10; ++id) {
      const [fn, d1n, d2n, fw, d1w, d2w] = [out(), out(), out(), out(), out(), out()];
      nat().activation(id, 0.1, z, fn, d1n, d2n);
      wasm.activation(id, 0.1, z, fw, d1w, d2w);
      const pairs: [string, Float64Array, Float64Array][] = [
        ["f", fn, fw],
        ["d1", d1n, d1w],
        ["d2", d2n, d2w],
      ];
      for (const [name, a, b] of pairs) {
        for (let p = 0; p < z.length; ++p) {
          const err = Math.abs(a[p] - b[p]) / Math.max(Math.abs(a[p]), 1);
          if (!(err <= TOL.activation)) {
            throw new Error(`activation ${id} ${name}(${z[p]}): native ${a[p]}, wasm ${b[p]}`);
          }
        }
      }
    }
  });

  for (const [D, k] of [
    [7, 5],
    [40, 40],
  ]) {
    it.skipIf(skip)(`qrPositive on a random ${D}x${k} matrix (wasm vs native)`, () => {
      const r = lcg(D * 100 + k);
      const A = Float64Array.from({ length: D * k }, r);
      const [An, Aw] = [A.slice(), A.slice()];
      const [Rn, Rw] = [new Float64Array(k * k), new Float64Array(k * k)];
      const [ln, lw] = [new Float64Array(k), new Float64Array(k)];
      nat().qrPositive(An, D, k, Rn, ln);
      wasm.qrPositive(Aw, D, k, Rw, lw);
      expect(relDiff(An, Aw)).toBeLessThanOrEqual(TOL.qr);
      expect(relDiff(Rn, Rw)).toBeLessThanOrEqual(TOL.qr);
      expect(relDiff(ln, lw)).toBeLessThanOrEqual(TOL.qr);
      for (let j = 0; j < k; ++j) expect(Rw[j * k + j]).toBeGreaterThan(0);
    });
  }
});

interface Net {
  title: string;
  shape: NetworkShape;
  samples: number;
  seed: number;
}
const nets: Net[] = [
  {
    title: "3-5-2 tanh/sigmoid",
    shape: { inputs: 3, hidden: 5, outputs: 2, activation: 1, activationParam: 0, outputActivation: 2 },
    samples: 20,
    seed: 1,
  },
  {
    title: "1-10-1 relu",
    shape: { inputs: 1, hidden: 10, outputs: 1, activation: 3, activationParam: 0, outputActivation: 0 },
    samples: 30,
    seed: 2,
  },
];

const dimensionOf = (s: NetworkShape) => parameterCount(s);

/** The same network and data on both backends, at the same weights. */
function pair(n: Net, maxK: number): [NetworkKernel, NetworkKernel] {
  const r = lcg(n.seed);
  const X = Float64Array.from({ length: n.samples * n.shape.inputs }, r);
  const Y = Float64Array.from({ length: n.samples * n.shape.outputs }, () => 0.5 + 0.4 * r());
  const w = Float64Array.from({ length: dimensionOf(n.shape) }, r);
  const kn = createKernel(nat(), n.shape, X, Y, maxK);
  const kw = createKernel(wasm, n.shape, X, Y, maxK);
  kn.weights.set(w);
  kw.weights.set(w);
  return [kn, kw];
}

describe("parity wasm vs native: derivatives", () => {
  for (const n of nets) {
    it.skipIf(skip)(`lossGrad, hessian and hvp, ${n.title} (wasm vs native)`, () => {
      const [kn, kw] = pair(n, 0);
      const D = kn.dimension;
      const [gn, gw] = [new Float64Array(D), new Float64Array(D)];
      const ln = kn.lossGrad(gn);
      const lw = kw.lossGrad(gw);
      expect(Math.abs(ln - lw) / Math.abs(ln)).toBeLessThanOrEqual(TOL.derivative);
      expect(relDiff(gn, gw)).toBeLessThanOrEqual(TOL.derivative);
      const [Hn, Hw] = [new Float64Array(D * D), new Float64Array(D * D)];
      kn.hessian(Hn);
      kw.hessian(Hw);
      expect(relDiff(Hn, Hw)).toBeLessThanOrEqual(TOL.derivative);
      const k = 4;
      const V = Float64Array.from({ length: D * k }, lcg(77));
      const [HVn, HVw] = [new Float64Array(D * k), new Float64Array(D * k)];
      kn.hvp(V, k, HVn);
      kw.hvp(V, k, HVw);
      expect(relDiff(HVn, HVw)).toBeLessThanOrEqual(TOL.derivative);
      // The two routes of one backend agree too: H V from the explicit H.
      const HV = new Float64Array(D * k);
      for (let c = 0; c < k; ++c)
        for (let p = 0; p < D; ++p) {
          let s = 0;
          for (let q = 0; q < D; ++q) s += Hw[p * D + q] * V[c * D + q];
          HV[c * D + p] = s;
        }
      expect(relDiff(HVw, HV)).toBeLessThanOrEqual(SHARED.routes);
      kn.dispose();
      kw.dispose();
    });
  }
});

describe("parity wasm vs native: trainChunk", () => {
  // The default run: a 1-10-1 tanh network fitted to sin(pi x) on 40 points of [-1, 1], eta = 0.1 (converging).
  const shape: NetworkShape = {
    inputs: 1,
    hidden: 10,
    outputs: 1,
    activation: 1,
    activationParam: 0,
    outputActivation: 0,
  };
  const N = 40;
  const D = dimensionOf(shape);
  const X = Float64Array.from({ length: N }, (_, i) => -1 + (2 * i) / (N - 1));
  const Y = X.map((x) => Math.sin(Math.PI * x));
  const w0 = Float64Array.from({ length: D }, lcg(1));
  const steps = 500;

  function run(b: Backend, qrEvery: number, route: number) {
    const net = createKernel(b, shape, X, Y, D, gd(0.1));
    net.weights.set(w0);
    for (let j = 0; j < D; ++j) net.tangent[j * D + j] = 1;
    const nQr = steps / qrEvery;
    const loss = new Float64Array(steps);
    const logR = new Float64Array(nQr * D);
    const R = new Float64Array(nQr * D * D);
    const res = net.trainChunk(chunk(D, steps, qrEvery, route, loss, logR, R));
    const logRSum = new Float64Array(D);
    for (let q = 0; q < nQr; ++q) for (let j = 0; j < D; ++j) logRSum[j] += logR[q * D + j];
    const out = { res, loss, logRSum, R, w: net.weights.slice(), Q: net.tangent.slice() };
    net.dispose();
    return out;
  }

  for (const route of RESOLVED_ROUTE_IDS) {
    for (const qrEvery of [1, 2]) {
      it.skipIf(skip)(`500 steps, k = D = ${D}, qrEvery ${qrEvery}, route ${route} (wasm vs native)`, () => {
        const a = run(nat(), qrEvery, route);
        const b = run(wasm, qrEvery, route);
        expect(b.res).toEqual(a.res);
        expect(a.res).toEqual({ steps, diverged: false, reason: 0 });
        for (let t = 0; t < steps; ++t) {
          expect(Math.abs(a.loss[t] - b.loss[t]) / a.loss[t]).toBeLessThanOrEqual(TOL.loss);
        }
        expect(a.loss[steps - 1]).toBeLessThan(a.loss[0]);
        expect(relDiff(a.w, b.w)).toBeLessThanOrEqual(TOL.loss);
        for (let j = 0; j < D; ++j) expect(Math.abs(a.logRSum[j] - b.logRSum[j])).toBeLessThanOrEqual(TOL.logRSum);
        expect(relDiff(a.R, b.R)).toBeLessThanOrEqual(TOL.rChunk);
      });
    }
  }

  it.skipIf(skip)("300 steps without tangent vectors (k = 0, qrEvery 7) (wasm vs native)", () => {
    const [a, b] = [nat(), wasm].map((be) => {
      const net = createKernel(be, shape, X, Y, 0, gd(0.1));
      net.weights.set(w0);
      const loss = new Float64Array(300);
      const res = net.trainChunk(chunk(0, 300, 7, 0, loss, new Float64Array(0)));
      const w = net.weights.slice();
      net.dispose();
      return { res, loss, w };
    });
    expect(b.res).toEqual(a.res);
    expect(relDiff(a.loss, b.loss)).toBeLessThanOrEqual(TOL.loss);
    expect(relDiff(a.w, b.w)).toBeLessThanOrEqual(TOL.loss);
  });

  // Diverging runs: [title, hidden activation, target scale, eta, k, qrEvery, route, expected reason].
  const diverging: [string, number, number, number, number, number, number, number][] = [
    ["loss non-finite (linear network, eta 50)", 0, 1, 50, 2, 2, 0, 1],
    ["weights non-finite (eta grad overflows)", 0, 1000, 1e308, 2, 1, 1, 2],
    ["tangent non-finite (sigmoid, eta 1e300)", 2, 1, 1e300, 2, 1, 2, 3],
  ];
  for (const [title, act, scale, eta, k, qrEvery, route, expected] of diverging) {
    it.skipIf(skip)(`diverging run, ${title}: same step, reason and outputs (wasm vs native)`, () => {
      const results = [nat(), wasm].map((b) => {
        const net = createKernel(
          b,
          { ...shape, activation: act },
          X,
          Y.map((y) => scale * y),
          D,
          gd(eta),
        );
        net.weights.set(w0);
        for (let j = 0; j < k; ++j) net.tangent[j * D + j] = 1;
        const loss = new Float64Array(400).fill(-1);
        const logR = new Float64Array(400 * k).fill(-1);
        const res = net.trainChunk(chunk(k, 400, qrEvery, route, loss, logR));
        net.dispose();
        return { res, loss, logR };
      });
      const [a, b] = results;
      expect(a.res.reason).toBe(expected);
      expect(b.res).toEqual(a.res);
      // The same entries are written (the loss at the failing step included), the rest is left alone.
      for (let t = 0; t < 400; ++t) expect(b.loss[t] === -1).toBe(a.loss[t] === -1);
      for (let i = 0; i < a.logR.length; ++i) expect(b.logR[i] === -1).toBe(a.logR[i] === -1);
      expect(relDiff(a.loss.subarray(0, a.res.steps), b.loss.subarray(0, a.res.steps))).toBeLessThanOrEqual(TOL.loss);
    });
  }
});
