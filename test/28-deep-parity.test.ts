/**
 * Native against WASM on deep networks (issue 16), in the style of test/17 and test/18: the kernels (loss, gradient,
 * explicit Hessian, R-operator, every route's tangent map, the route auto picks) to rounding, and whole runs of L = 2
 * and 3 with mixed activations (exponents, every FTLE window, the losses) within the parity tolerances, once with
 * Adam on minibatches. The twins run the same loops in the same order (only the libm of the activations and the
 * three-layer kernels' SIMD reductions differ), so they agree to rounding. Skipped, with the reason, unless both
 * backends load.
 */
import { describe, expect, it } from "vitest";
import { parameterCount } from "../src/backend/layers.js";
import { availableBackends } from "../src/backend/loader.js";
import { RESOLVED_ROUTE_IDS } from "../src/backend/tables.js";
import { ActivationId, type Backend, type NetworkShape } from "../src/backend/types.js";
import { parseRunConfig } from "../src/config/validate.js";
import { trainRun } from "../src/run.js";
import { relErr } from "./support/fd.js";
import { fixtureRng } from "./support/linalg.js";
import { gd } from "./support/networks.js";
import { TOL } from "./support/tolerances.js";

const { backends, missing } = availableBackends();
const native = backends.find((b) => b.name === "native");
const wasm = backends.find((b) => b.name === "wasm");
const why = missing.join("; ");

/** Kernel outputs relative to the largest entry (the same bound as test/17's derivatives). */
const KERNEL = 1e-12;

describe.skipIf(!native || !wasm)(
  `28 deep networks, native vs wasm${native && wasm ? "" : ` [skipped: ${why}]`}`,
  () => {
    const shapes: [string, NetworkShape][] = [
      [
        "2-6-5-2 tanh/sigmoid -> tanh",
        { inputs: 2, hidden: [6, 5], outputs: 2, activation: [1, 2], activationParam: [0, 0], outputActivation: 1 },
      ],
      [
        "3-4-5-3-1 elu/gelu/sin",
        {
          inputs: 3,
          hidden: [4, 5, 3],
          outputs: 1,
          activation: [5, 8, 9],
          activationParam: [0.8, 0, 0],
          outputActivation: 0,
        },
      ],
      [
        "1-16-16-1 relu/leaky-relu -> sigmoid",
        { inputs: 1, hidden: [16, 16], outputs: 1, activation: [3, 4], activationParam: [0, 0.1], outputActivation: 2 },
      ],
    ];
    for (const [title, shape] of shapes) {
      it(`kernels: loss, gradient, Hessian, HVP, every route, auto's choice, ${title} (wasm vs native)`, () => {
        const rand = fixtureRng(title.length);
        const D = parameterCount(shape);
        const N = 17;
        const X = Float64Array.from({ length: N * shape.inputs }, () => 2 * rand() - 1);
        const Y = Float64Array.from({ length: N * shape.outputs }, () => rand() - 0.5);
        const w = Float64Array.from({ length: D }, () => 1.2 * rand() - 0.6);
        const k = 7;
        const V = Float64Array.from({ length: D * k }, () => 2 * rand() - 1);
        const run = (b: Backend) => {
          const net = b.createNetwork({ shape, X, Y, maxK: D, rule: gd(0.1) });
          net.weights.set(w);
          const grad = new Float64Array(D);
          const loss = net.lossGrad(grad);
          const H = new Float64Array(D * D);
          net.hessian(H);
          const HV = new Float64Array(D * k);
          net.hvp(V, k, HV);
          const tangents = RESOLVED_ROUTE_IDS.map((route) => {
            net.weights.set(w);
            net.tangent.set(V);
            net.tangentApply(k, route, 0);
            return net.tangent.slice(0, D * k);
          });
          const routes = [1, 2, 5, 20, D].map((kk) => [net.chooseRoute(kk), net.chooseRoute(kk, 3)]);
          net.dispose();
          return { loss, grad, H, HV, tangents, routes };
        };
        const a = run(native as Backend);
        const b = run(wasm as Backend);
        expect(Math.abs(a.loss - b.loss)).toBeLessThanOrEqual(KERNEL * a.loss);
        expect(relErr(b.grad, a.grad)).toBeLessThan(KERNEL);
        expect(relErr(b.H, a.H)).toBeLessThan(KERNEL);
        expect(relErr(b.HV, a.HV)).toBeLessThan(KERNEL);
        for (const [r, t] of a.tangents.entries()) {
          expect(relErr(b.tangents[r], t), `route ${RESOLVED_ROUTE_IDS[r]}`).toBeLessThan(KERNEL);
        }
        expect(b.routes).toEqual(a.routes);
      });
    }

    const sum = (x: ArrayLike<number>) => Array.from(x).reduce((s, v) => s + v, 0);
    const runs: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ["1-8-8-1 tanh/tanh, gd", { hidden: [8, 8], activation: "tanh" }, {}],
      [
        "2-5-4-3-2 softplus/sigmoid/silu -> tanh, gd",
        {
          inputs: 2,
          hidden: [5, 4, 3],
          outputs: 2,
          activation: ["softplus", "sigmoid", "silu"],
          outputActivation: "tanh",
        },
        {},
      ],
      [
        "1-4-4-1 elu/tanh, adam on minibatches",
        { hidden: [4, 4], activation: ["elu", "tanh"] },
        { optimizer: "adam", learningRate: 0.005, batchSize: 9 },
      ],
    ];
    for (const [title, network, training] of runs) {
      it(`${title}: losses, final state, exponents and FTLE windows (their sums for Adam) (wasm vs native)`, () => {
        const inputs = (network.inputs as number | undefined) ?? 1;
        const config = parseRunConfig({
          network,
          data: { function: inputs === 2 ? "sin2d" : "sin", samples: 24, range: [-1, 1] },
          init: { distribution: "uniform", scale: 0.8, seed: 7 },
          training: { learningRate: 0.05, steps: 400, ...training },
          lyapunov: { ftleWindow: 100 },
        });
        const a = trainRun(config, { backend: native as Backend });
        const b = trainRun(config, { backend: wasm as Backend });
        expect(a.spectrum.diverged).toBe(false);
        expect(b.spectrum.diverged).toBe(false);
        expect(b.tangentRoute).toBe(a.tangentRoute);
        expect(a.losses.length).toBeGreaterThan(0);
        expect(b.losses).toHaveLength(a.losses.length);
        expect(b.spectrum.k).toBe(a.spectrum.k);
        expect(a.spectrum.exponents).toHaveLength(a.spectrum.k);
        expect(b.spectrum.exponents).toHaveLength(a.spectrum.k);
        expect(a.spectrum.ftle.values.length).toBeGreaterThan(0);
        expect(b.spectrum.ftle.values).toHaveLength(a.spectrum.ftle.values.length);
        expect(Array.from(b.spectrum.ftle.starts)).toEqual(Array.from(a.spectrum.ftle.starts));
        for (let t = 0; t < a.losses.length; t++) {
          expect(Math.abs(a.losses[t] - b.losses[t])).toBeLessThanOrEqual(TOL.parityLoss * Math.abs(a.losses[t]));
        }
        expect(relErr(b.finalState, a.finalState)).toBeLessThanOrEqual(TOL.parityLoss);
        const k = a.spectrum.k;
        const windows = a.spectrum.ftle.starts.length;
        if (training.optimizer === undefined) {
          for (let j = 0; j < k; j++) {
            expect(Math.abs(a.spectrum.exponents[j] - b.spectrum.exponents[j])).toBeLessThan(TOL.parityExponents);
          }
          for (let i = 0; i < a.spectrum.ftle.values.length; i++) {
            expect(Math.abs(a.spectrum.ftle.values[i] - b.spectrum.ftle.values[i])).toBeLessThan(TOL.parityExponents);
          }
        } else {
          // Adam's state has near-degenerate pairs of exponents (test/18): the sums are what rounding cannot move.
          expect(windows).toBeGreaterThan(0);
          expect(Math.abs(sum(a.spectrum.exponents) - sum(b.spectrum.exponents))).toBeLessThan(TOL.parityExponents);
          for (let w = 0; w < windows; w++) {
            const fa = sum(a.spectrum.ftle.values.subarray(w * k, (w + 1) * k));
            const fb = sum(b.spectrum.ftle.values.subarray(w * k, (w + 1) * k));
            expect(Math.abs(fa - fb)).toBeLessThan(TOL.parityExponents);
          }
        }
      });
    }
  },
);

// Keep the activation ids above honest: they are the table's.
it("28 the fixtures' activation ids are the table's", () => {
  expect([ActivationId.tanh, ActivationId.sigmoid, ActivationId.elu, ActivationId.gelu, ActivationId.sin]).toEqual([
    1, 2, 5, 8, 9,
  ]);
  expect([ActivationId.relu, ActivationId["leaky-relu"]]).toEqual([3, 4]);
});
