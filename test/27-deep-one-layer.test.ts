/**
 * The general-depth kernels (deep_mlp, deep_hessian, deep_rop) run on one hidden layer, through the hidden switch
 * (test/support/deep.ts), against the three-layer kernels that one hidden layer normally runs (issue 16): the loss,
 * the gradient, the explicit Hessian, the R-operator, every route's tangent map and a whole chunk of training with the
 * full spectrum, for every hidden activation, on every backend. Two implementations of the same maths, derived
 * separately (docs/derivations.md), holding each other to TOL.deepVsThreeLayer.
 */
import { expect, it } from "vitest";
import { parameterCount } from "../src/backend/layers.js";
import { RESOLVED_ROUTE_IDS } from "../src/backend/tables.js";
import {
  ACTIVATION_NAMES,
  ActivationId,
  type Backend,
  type NetworkShape,
  OUTPUT_ACTIVATION_NAMES,
} from "../src/backend/types.js";
import { describeEachBackend } from "./support/backends.js";
import { deepKernels } from "./support/deep.js";
import { relErr } from "./support/fd.js";
import { fixtureRng } from "./support/linalg.js";
import { chunk, gd } from "./support/networks.js";
import { TOL } from "./support/tolerances.js";

const STEPS = 60;

/** Everything the kernels compute for one network, with the general kernels on or off. */
function outputs(
  backend: Backend,
  shape: NetworkShape,
  X: Float64Array,
  Y: Float64Array,
  w: Float64Array,
  deep: boolean,
) {
  const old = deepKernels(backend, deep);
  try {
    const D = parameterCount(shape);
    const net = backend.createNetwork({ shape, X, Y, maxK: D, rule: gd(0.2) });
    net.weights.set(w);
    const grad = new Float64Array(D);
    const loss = net.lossGrad(grad);
    const H = new Float64Array(D * D);
    net.hessian(H);
    const V = Float64Array.from({ length: 3 * D }, (_, i) => Math.sin(i + 1));
    const HV = new Float64Array(3 * D);
    net.hvp(V, 3, HV);
    const tangents = RESOLVED_ROUTE_IDS.map((route) => {
      net.weights.set(w);
      net.tangent.set(V.subarray(0, 3 * D));
      net.tangentApply(3, route, 0);
      return net.tangent.slice(0, 3 * D);
    });
    net.weights.set(w);
    net.tangent.fill(0);
    for (let j = 0; j < D; j++) net.tangent[j * D + j] = 1;
    const lossOut = new Float64Array(STEPS);
    const logR = new Float64Array(STEPS * D);
    const res = net.trainChunk(chunk(D, STEPS, 1, 0, lossOut, logR));
    const run = { res, lossOut, logR, w: net.weights.slice() };
    net.dispose();
    return { loss, grad, H, HV, tangents, run };
  } finally {
    deepKernels(backend, old);
  }
}

describeEachBackend("27 the general kernels on one hidden layer = the three-layer kernels", (backend) => {
  ACTIVATION_NAMES.forEach((act, n) => {
    const out = OUTPUT_ACTIVATION_NAMES[n % OUTPUT_ACTIVATION_NAMES.length];
    const [i, h, o] = n % 2 === 0 ? [3, 5, 2] : [1, 6, 1];
    it(`${i}-${h}-${o} ${act} -> ${out}: loss, gradient, Hessian, HVP, every route, ${STEPS} steps with k = D`, () => {
      const rand = fixtureRng(200 + n);
      const shape: NetworkShape = {
        inputs: i,
        hidden: h,
        outputs: o,
        activation: ActivationId[act],
        activationParam: act === "leaky-relu" ? 0.05 : act === "elu" ? 1.3 : 0,
        outputActivation: ActivationId[out],
      };
      const N = 11;
      const X = Float64Array.from({ length: N * i }, () => 2 * rand() - 1);
      const Y = Float64Array.from({ length: N * o }, () => rand() - 0.5);
      const w = Float64Array.from({ length: parameterCount(shape) }, () => 1.2 * rand() - 0.6);
      const a = outputs(backend, shape, X, Y, w, false);
      const b = outputs(backend, shape, X, Y, w, true);
      expect(Math.abs(b.loss - a.loss)).toBeLessThanOrEqual(TOL.deepVsThreeLayer * a.loss);
      expect(relErr(b.grad, a.grad)).toBeLessThan(TOL.deepVsThreeLayer);
      expect(relErr(b.H, a.H)).toBeLessThan(TOL.deepVsThreeLayer);
      expect(relErr(b.HV, a.HV)).toBeLessThan(TOL.deepVsThreeLayer);
      for (const [r, t] of a.tangents.entries()) {
        expect(relErr(b.tangents[r], t), `route ${RESOLVED_ROUTE_IDS[r]}`).toBeLessThan(TOL.deepVsThreeLayer);
      }
      expect(b.run.res).toEqual(a.run.res);
      expect(relErr(b.run.lossOut, a.run.lossOut)).toBeLessThan(TOL.deepVsThreeLayer);
      expect(relErr(b.run.w, a.run.w)).toBeLessThan(TOL.deepVsThreeLayer);
      expect(relErr(b.run.logR, a.run.logR)).toBeLessThan(TOL.deepVsThreeLayer);
      // The switch took effect: the explicit Hessian and the factored route are other algorithms there, which round
      // differently somewhere.
      const bits = (x: Float64Array, y: Float64Array) => x.some((v, j) => v !== y[j]);
      expect(bits(b.H, a.H) || bits(b.tangents[0], a.tangents[0]) || bits(b.tangents[2], a.tangents[2])).toBe(true);
    });
  });
});
