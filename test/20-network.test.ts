import { expect, it } from "vitest";
import { RESOLVED_ROUTE_IDS } from "../src/backend/tables.js";
import { ACTIVATION_NAMES, ActivationId, type Backend, type NetworkShape } from "../src/backend/types.js";
import { describeEachBackend } from "./support/backends.js";
import { fdJacobian, maxAbs, relErr } from "./support/fd.js";
import { fixtureRng } from "./support/linalg.js";
import { createKernel, gd } from "./support/networks.js";
import { TOL } from "./support/tolerances.js";

interface Fixture {
  shape: NetworkShape;
  X: Float64Array;
  Y: Float64Array;
  w: Float64Array;
  D: number;
}

function fixture(inputs: number, hidden: number, outputs: number, act: string, outAct: string, seed: number): Fixture {
  const rand = fixtureRng(seed);
  const N = 13;
  const D = hidden * (inputs + 1) + outputs * (hidden + 1);
  const X = Float64Array.from({ length: N * inputs }, () => 2 * rand() - 1);
  const Y = Float64Array.from({ length: N * outputs }, () => rand() - 0.5);
  const w = Float64Array.from({ length: D }, () => 1.6 * rand() - 0.8);
  const shape: NetworkShape = {
    inputs,
    hidden,
    outputs,
    activation: ActivationId[act as keyof typeof ActivationId],
    activationParam: act === "leaky-relu" ? 0.05 : act === "elu" ? 1.3 : 0,
    outputActivation: ActivationId[outAct as keyof typeof ActivationId],
  };
  return { shape, X, Y, w, D };
}

/** The GD step F(w) = w - eta grad C(w), by the kernel's gradient. */
function gdStep(backend: Backend, fx: Fixture, eta: number) {
  const net = createKernel(backend, fx.shape, fx.X, fx.Y, 0, gd(eta));
  const grad = new Float64Array(fx.D);
  return {
    at(w: Float64Array): Float64Array {
      net.weights.set(w);
      net.lossGrad(grad);
      return w.map((v, p) => v - eta * grad[p]);
    },
    loss(w: Float64Array): number {
      net.weights.set(w);
      return net.loss();
    },
    grad(w: Float64Array): Float64Array {
      net.weights.set(w);
      net.lossGrad(grad);
      return grad.slice();
    },
    dispose: () => net.dispose(),
  };
}

const CASES: [number, number, number, string][] = [
  [1, 4, 1, "identity"],
  [3, 5, 2, "identity"],
  [3, 5, 2, "tanh"],
  [2, 4, 3, "sigmoid"],
];

describeEachBackend("20 network: gradient, Hessian and the tangent map of the GD step", (backend) => {
  const eta = 0.3;
  for (const act of ACTIVATION_NAMES) {
    for (const [i, h, o, outAct] of CASES) {
      it(`tangent map = FD Jacobian of the step, ${i}-${h}-${o} ${act} -> ${outAct}, every route`, () => {
        const fx = fixture(i, h, o, act, outAct, 11 + i * 7 + h + o);
        const step = gdStep(backend, fx, eta);
        const Jfd = fdJacobian((w) => step.at(w), fx.w, 1e-5);
        step.dispose();
        const net = createKernel(backend, fx.shape, fx.X, fx.Y, fx.D, gd(eta));
        for (const route of RESOLVED_ROUTE_IDS) {
          net.weights.set(fx.w);
          const Q = net.tangent;
          Q.fill(0);
          for (let j = 0; j < fx.D; j++) Q[j * fx.D + j] = 1;
          net.tangentApply(fx.D, route, 0);
          const err = relErr(net.tangent, Jfd);
          expect(err, `route ${route}`).toBeLessThan(TOL.tangentFd);
        }
        net.dispose();
      });
    }
  }

  it("gradient = central differences of the loss (3-5-2 tanh -> sigmoid)", () => {
    const fx = fixture(3, 5, 2, "tanh", "sigmoid", 5);
    const step = gdStep(backend, fx, eta);
    const g = step.grad(fx.w);
    const h = 1e-6;
    for (let p = 0; p < fx.D; p++) {
      const wp = fx.w.slice();
      const wm = fx.w.slice();
      wp[p] += h;
      wm[p] -= h;
      const fd = (step.loss(wp) - step.loss(wm)) / (2 * h);
      expect(Math.abs(g[p] - fd)).toBeLessThan(1e-8 * (1 + Math.abs(fd)));
    }
    step.dispose();
  });

  it("loss = 1/(2N) sum ||f(x) - y||^2 on a hand-computed 1-1-1 identity network", () => {
    // f(x) = w2 (w1 x + b1) + b2 with w = (2, 0.5, -1, 0.25): x = 1 -> -2.25, x = -1 -> 1.75.
    const shape: NetworkShape = {
      inputs: 1,
      hidden: 1,
      outputs: 1,
      activation: 0,
      activationParam: 0,
      outputActivation: 0,
    };
    const net = createKernel(backend, shape, Float64Array.from([1, -1]), Float64Array.from([0, 1]), 0);
    net.weights.set([2, 0.5, -1, 0.25]);
    expect(net.loss()).toBeCloseTo((2.25 ** 2 + 0.75 ** 2) / 4, 15);
    net.dispose();
  });

  for (const act of ["tanh", "sin", "gelu"]) {
    it(`explicit Hessian is symmetric and equals the HVP route, 3-5-2 ${act} -> tanh`, () => {
      const fx = fixture(3, 5, 2, act, "tanh", 3);
      const net = createKernel(backend, fx.shape, fx.X, fx.Y, fx.D);
      net.weights.set(fx.w);
      const H = new Float64Array(fx.D * fx.D);
      net.hessian(H);
      const scale = maxAbs(H);
      for (let p = 0; p < fx.D; p++)
        for (let q = 0; q < p; q++)
          expect(Math.abs(H[p * fx.D + q] - H[q * fx.D + p])).toBeLessThanOrEqual(TOL.hessianSymmetry * scale);
      const I = new Float64Array(fx.D * fx.D);
      for (let j = 0; j < fx.D; j++) I[j * fx.D + j] = 1;
      const HV = new Float64Array(fx.D * fx.D);
      net.hvp(I, fx.D, HV);
      expect(relErr(HV, H)).toBeLessThan(TOL.routes);
      net.dispose();
    });
  }
});
