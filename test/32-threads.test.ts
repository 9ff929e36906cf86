/**
 * One large run on several threads (issue 15; native/kernels/dense.h: dense_for_columns): the columns of every large
 * product are split between the threads and each column is the same sum in the same order as on one thread, so a
 * run's numbers are bit for bit those of one thread, whatever the count, the tangent route, the depth and the rule,
 * with Eigen's gemm and with the built-in one. The WASM backend is single-threaded (maxThreads 1) and a request for
 * more threads runs on one.
 */
import { describe, expect, it } from "vitest";
import { idleCores } from "../src/backend/cpu.js";
import { loadNativeAddon } from "../src/backend/native.js";
import { RESOLVED_ROUTE_IDS, TANGENT_ROUTES } from "../src/backend/tables.js";
import { type Backend, RuleId, type TrainingRule } from "../src/backend/types.js";
import { networkShape } from "../src/config/shape.js";
import { parseRunConfig } from "../src/config/validate.js";
import { trainRun } from "../src/run.js";
import { availableBackendList, describeEachBackend } from "./support/backends.js";

const native = availableBackendList.find((b) => b.name === "native");
// The addon itself, for its hidden switch between Eigen's gemm and the built-in one (as test/21 does).
const addon = native ? loadNativeAddon() : undefined;

/** `steps` steps of a network from fixed weights with the full tangent block; its final w, Q and every log R_jj. */
function train(backend: Backend, hidden: number | number[], rule: TrainingRule, route: number, threads: number) {
  const N = 60;
  const X = Float64Array.from({ length: N }, (_, s) => -1 + (2 * s) / (N - 1));
  const Y = X.map((x) => Math.sin(Math.PI * x));
  const shape = networkShape({
    inputs: 1,
    hidden,
    outputs: 1,
    activation: "tanh",
    activationParam: 0,
    outputActivation: "identity",
  });
  const probe = backend.createNetwork({ shape, X, Y, maxK: 0, rule });
  const S = probe.stateDimension;
  const D = probe.dimension;
  probe.dispose();
  // Enough vectors for the blocked QR (k > 64) and products above the parallel threshold, at a bearable cost.
  const k = Math.min(S, 80);
  const net = backend.createNetwork({ shape, X, Y, maxK: k, rule, threads });
  net.weights.set(Float64Array.from({ length: D }, (_, i) => 0.7 * Math.sin(1 + 1.7 * i)));
  for (let j = 0; j < k; j++) net.tangent[j * S + j] = 1;
  const steps = 2;
  const lossOut = new Float64Array(steps);
  const logRDiag = new Float64Array(steps * k);
  const r = net.trainChunk({ k, nSteps: steps, qrEvery: 1, route, t0: 0, lossOut, logRDiag });
  const out = { steps: r.steps, state: Float64Array.from(net.state), Q: Float64Array.from(net.tangent), logRDiag };
  net.dispose();
  return out;
}

/** The number of elements of b that are not the very same float64 as in a. */
function differing(a: Float64Array, b: Float64Array): number {
  let n = a.length === b.length ? 0 : Math.max(a.length, b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

const gd: TrainingRule = { rule: RuleId.gd, learningRate: 0.05, params: [] };
const adam: TrainingRule = { rule: RuleId.adam, learningRate: 0.01, params: [0.9, 0.999, 1e-8] };
const CASES: { name: string; hidden: number | number[]; rule: TrainingRule }[] = [
  { name: "1-60-1 gd (D = 181)", hidden: 60, rule: gd },
  { name: "1-12-12-1 gd (D = 193)", hidden: [12, 12], rule: gd },
  { name: "1-20-1 adam (S = 183)", hidden: 20, rule: adam },
];
const routeName = (id: number) => TANGENT_ROUTES.find((r) => r.id === id)?.name ?? String(id);

describe.skipIf(!native || native.maxThreads < 2)(
  `one run on several threads equals one thread bit for bit [native${native ? `, maxThreads ${native.maxThreads}` : ": not available"}]`,
  () => {
    const gemms = addon?._denseEigen?.() ? [true, false] : [false];
    for (const eigen of gemms) {
      for (const c of CASES) {
        it(`${c.name}, ${eigen ? "Eigen" : "built-in"} gemm, every route, 2 and 3 threads`, () => {
          const before = addon?._denseEigen?.();
          addon?._denseEigen?.(eigen);
          try {
            for (const route of RESOLVED_ROUTE_IDS) {
              const one = train(native as Backend, c.hidden, c.rule, route, 1);
              expect(one.steps, routeName(route)).toBe(2);
              for (const threads of [2, 3]) {
                const many = train(native as Backend, c.hidden, c.rule, route, threads);
                const label = `${routeName(route)}, ${threads} threads`;
                expect(differing(one.state, many.state), `${label}: state`).toBe(0);
                expect(differing(one.Q, many.Q), `${label}: Q`).toBe(0);
                expect(differing(one.logRDiag, many.logRDiag), `${label}: log R_jj`).toBe(0);
              }
            }
          } finally {
            addon?._denseEigen?.(before ?? false);
          }
        });
      }
    }
  },
);

describeEachBackend("threads of a run", (backend) => {
  it("maxThreads: at least 1, and 1 for WASM", () => {
    expect(backend.maxThreads).toBeGreaterThanOrEqual(1);
    if (backend.name === "wasm") expect(backend.maxThreads).toBe(1);
  });

  const threadsConfig = parseRunConfig({
    network: { hidden: 30 },
    training: { learningRate: 0.05, steps: 40 },
    lyapunov: { ftleWindow: 20 },
  });

  it("trainRun with threads reports min(threads, maxThreads)", () => {
    expect(trainRun(threadsConfig, { backend, threads: 1 }).threads).toBe(1);
    expect(trainRun(threadsConfig, { backend, threads: 4 }).threads).toBe(Math.min(4, backend.maxThreads));
  });

  // On one thread (maxThreads < 2) both runs below are the same computation: comparing them could not fail.
  const single = backend.maxThreads < 2;
  it.skipIf(single)(
    `trainRun on 4 threads: the losses and exponents of one thread, bit for bit${single ? ` (skipped: maxThreads ${backend.maxThreads} < 2, both runs would be one thread)` : ""}`,
    () => {
      const one = trainRun(threadsConfig, { backend, threads: 1 });
      const four = trainRun(threadsConfig, { backend, threads: 4 });
      expect(four.threads).toBeGreaterThan(1);
      expect(one.spectrum.exponents.length).toBeGreaterThan(0);
      expect(differing(one.spectrum.exponents, four.spectrum.exponents)).toBe(0);
      expect(differing(one.losses, four.losses)).toBe(0);
    },
  );

  it("refuses a thread count that is not a positive integer, naming it", () => {
    const shape = networkShape({
      inputs: 1,
      hidden: 2,
      outputs: 1,
      activation: "tanh",
      activationParam: 0,
      outputActivation: "identity",
    });
    const X = new Float64Array([0, 1]);
    for (const threads of [0, 1.5, Number.NaN, -2]) {
      expect(() => backend.createNetwork({ shape, X, Y: X, maxK: 1, rule: gd, threads }), String(threads)).toThrow(
        /threads/,
      );
    }
  });
});

describe("the default thread count of a run: the idle cores", () => {
  it("cores minus the load average, rounded, between 1 and the cores", () => {
    expect(idleCores(2, 3.8)).toBe(1);
    expect(idleCores(2, 0.2)).toBe(2);
    expect(idleCores(8, 2.4)).toBe(6);
    expect(idleCores(8, 2.6)).toBe(5);
    expect(idleCores(4, 0)).toBe(4);
    expect(idleCores(1, 0)).toBe(1);
  });
});
