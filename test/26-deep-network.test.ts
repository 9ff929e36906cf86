/**
 * Networks of L >= 2 hidden layers (issue 16), on every backend: the tangent map of a training step against a
 * finite-difference Jacobian of the step (L = 2 and 3, every activation in some layer next to others, several inputs
 * and outputs, every route; once with Adam on a minibatch), the explicit Hessian against the R-operator on the
 * identity and its symmetry, and the Hessian of a deep linear network against its closed form (test/support/
 * linear-net.ts) and a finite difference of that closed form's gradient.
 */
import { expect, it } from "vitest";
import { parameterCount, stateDimension } from "../src/backend/layers.js";
import { RESOLVED_ROUTE_IDS } from "../src/backend/tables.js";
import {
  ACTIVATION_NAMES,
  ActivationId,
  type ActivationName,
  type Backend,
  type NetworkShape,
  OUTPUT_ACTIVATION_NAMES,
  RuleId,
  type TrainingRule,
} from "../src/backend/types.js";
import { describeEachBackend } from "./support/backends.js";
import { fdJacobian, maxAbs, relErr } from "./support/fd.js";
import { fixtureRng } from "./support/linalg.js";
import { linearClosedForm, linearLayout } from "./support/linear-net.js";
import { gd, stepMap, tangentOfIdentity } from "./support/networks.js";
import { TOL } from "./support/tolerances.js";

const paramOf = (a: ActivationName) => (a === "leaky-relu" ? 0.05 : a === "elu" ? 1.3 : 0);

/** A network of the given widths and hidden activations on N random samples, with random weights (and, for rules
 *  with more state, a random rest of the state: v or m in [-0.1, 0.1), Adam's v in [0.01, 0.11)). */
function fixture(widths: number[], acts: ActivationName[], out: string, seed: number, rule: TrainingRule = gd(0.3)) {
  const rand = fixtureRng(seed);
  const L = widths.length - 2;
  const shape: NetworkShape = {
    inputs: widths[0],
    hidden: widths.slice(1, L + 1),
    outputs: widths[L + 1],
    activation: acts.map((a) => ActivationId[a]),
    activationParam: acts.map(paramOf),
    outputActivation: ActivationId[out as ActivationName],
  };
  const N = 9;
  const D = parameterCount(shape);
  const S = stateDimension(D, rule.rule);
  const X = Float64Array.from({ length: N * widths[0] }, () => 2 * rand() - 1);
  const Y = Float64Array.from({ length: N * widths[L + 1] }, () => rand() - 0.5);
  const x0 = Float64Array.from({ length: S }, (_, i) => {
    if (i < D) return 1.6 * rand() - 0.8;
    if (rule.rule === RuleId.adam && i >= 2 * D) return 0.01 + 0.1 * rand();
    return 0.2 * rand() - 0.1;
  });
  return { shape, X, Y, D, S, x0, rule };
}

type Fixture = ReturnType<typeof fixture>;

/** The step's tangent map by every route against a five-point (or central) finite-difference Jacobian of the step. */
function expectTangentsMatch(backend: Backend, fx: Fixture, batch: Int32Array | null, t: number, points: 3 | 5) {
  const net = backend.createNetwork({ shape: fx.shape, X: fx.X, Y: fx.Y, maxK: fx.S, rule: fx.rule });
  const Jfd = fdJacobian(stepMap(net, batch, t), fx.x0, points === 5 ? 1e-4 : 1e-5, points);
  for (const route of RESOLVED_ROUTE_IDS) {
    expect(relErr(tangentOfIdentity(net, fx.x0, route, t, batch), Jfd), `route ${route}`).toBeLessThan(TOL.tangentFd);
  }
  net.dispose();
}

/** Three hidden activations starting at entry n of the table: every activation appears, each next to others. */
const actsFrom = (n: number, L: number) =>
  [0, 3, 7].slice(0, L).map((d) => ACTIVATION_NAMES[(n + d) % ACTIVATION_NAMES.length]);

describeEachBackend("26 deep networks: exact tangent maps and Hessians", (backend) => {
  ACTIVATION_NAMES.forEach((_, n) => {
    for (const widths of [
      [2, 3, 4, 2],
      [3, 2, 4, 3, 2],
    ]) {
      const L = widths.length - 2;
      const acts = actsFrom(n, L);
      const out = OUTPUT_ACTIVATION_NAMES[n % OUTPUT_ACTIVATION_NAMES.length];
      it(`tangent map = FD Jacobian of the gd step, ${widths.join("-")} ${acts.join("/")} -> ${out}, every route`, () => {
        const fx = fixture(widths, acts, out, 40 + 3 * n + L);
        expectTangentsMatch(backend, fx, null, 0, 3);
      });
    }
  });

  it("adam on a minibatch, 3-2-4-3-2 softplus/gelu/tanh -> sigmoid: tangent = FD Jacobian of the state map at t = 0 and 5, every route", () => {
    const adam: TrainingRule = { rule: RuleId.adam, learningRate: 0.05, params: [0.85, 0.95, 1e-3] };
    const fx = fixture([3, 2, 4, 3, 2], ["softplus", "gelu", "tanh"], "sigmoid", 71, adam);
    const batch = Int32Array.of(4, 0, 7, 2);
    // Five-point differences: Adam's 1 / sqrt(v) has large third derivatives.
    for (const t of [0, 5]) expectTangentsMatch(backend, fx, batch, t, 5);
  });

  for (const [widths, acts, out] of [
    [[2, 5, 4, 2], ["tanh", "sin"], "tanh"],
    [[3, 4, 3, 5, 2], ["gelu", "sigmoid", "elu"], "identity"],
    [[1, 6, 6, 1], ["silu", "softplus"], "sigmoid"],
  ] as [number[], ActivationName[], string][]) {
    it(`explicit Hessian is symmetric and equals the R-operator on the identity (${TOL.deepHessianHvp}), ${widths.join("-")} ${acts.join("/")}`, () => {
      const fx = fixture(widths, acts, out, 90 + widths.length);
      const D = fx.D;
      const net = backend.createNetwork({ shape: fx.shape, X: fx.X, Y: fx.Y, maxK: D, rule: fx.rule });
      net.weights.set(fx.x0);
      const H = new Float64Array(D * D);
      net.hessian(H);
      const scale = maxAbs(H);
      for (let p = 0; p < D; p++)
        for (let q = 0; q < p; q++)
          expect(Math.abs(H[p * D + q] - H[q * D + p])).toBeLessThanOrEqual(TOL.hessianSymmetry * scale);
      const I = new Float64Array(D * D);
      for (let j = 0; j < D; j++) I[j * D + j] = 1;
      const HV = new Float64Array(D * D);
      net.hvp(I, D, HV);
      expect(relErr(HV, H)).toBeLessThan(TOL.deepHessianHvp);
      // The factored route too: (I - J) / eta = H on the identity.
      net.tangent.set(I);
      net.tangentApply(D, 3, 0);
      expect(
        relErr(
          net.tangent.map((v, i) => (I[i] - v) / 0.3),
          H,
        ),
      ).toBeLessThan(TOL.deepHessianHvp * 10);
      net.dispose();
    });
  }

  for (const widths of [
    [2, 3, 4, 2],
    [3, 2, 3, 2, 2],
  ]) {
    it(`a deep linear network ${widths.join("-")} (identity activations): gradient and Hessian = the closed form, which = FD of its gradient`, () => {
      const rand = fixtureRng(widths.length * 17);
      const L = widths.length - 2;
      const { D } = linearLayout(widths);
      const N = 7;
      const X = Float64Array.from({ length: N * widths[0] }, () => 2 * rand() - 1);
      const Y = Float64Array.from({ length: N * widths[L + 1] }, () => rand() - 0.5);
      const w = Float64Array.from({ length: D }, () => 1.6 * rand() - 0.8);
      const shape: NetworkShape = {
        inputs: widths[0],
        hidden: widths.slice(1, L + 1),
        outputs: widths[L + 1],
        activation: ActivationId.identity,
        activationParam: 0,
        outputActivation: ActivationId.identity,
      };
      const net = backend.createNetwork({ shape, X, Y, maxK: 0, rule: gd(0.1) });
      net.weights.set(w);
      const g = new Float64Array(D);
      net.lossGrad(g);
      const H = new Float64Array(D * D);
      net.hessian(H);
      net.dispose();
      const truth = linearClosedForm(widths, w, X, Y);
      expect(relErr(g, truth.grad)).toBeLessThan(TOL.linearClosedForm);
      expect(relErr(H, truth.H)).toBeLessThan(TOL.linearClosedForm);
      // The second truth: the closed form's own gradient, differentiated numerically.
      const Hfd = fdJacobian((x) => linearClosedForm(widths, x, X, Y).grad, w, 1e-4, 5);
      expect(relErr(truth.H, Hfd)).toBeLessThan(TOL.linearClosedFormFd);
      // Off the minimum the bilinear terms matter: the Gauss-Newton part alone is far from H.
      const J = fdJacobian((x) => linearResiduals(widths, x, X, Y), w, 1e-4, 5);
      expect(relErr(gaussNewton(J, widths[L + 1] * N, D, N), truth.H)).toBeGreaterThan(1e-3);
    });
  }
});

/** The residuals u_s - y_s of the linear network, stacked (N o), by a plain forward pass. */
function linearResiduals(widths: number[], w: Float64Array, X: Float64Array, Y: Float64Array): Float64Array {
  const { offW, offB } = linearLayout(widths);
  const n0 = widths[0];
  const N = X.length / n0;
  const o = widths[widths.length - 1];
  const out = new Float64Array(N * o);
  for (let s = 0; s < N; s++) {
    let a = Array.from(X.subarray(s * n0, (s + 1) * n0));
    for (let l = 1; l < widths.length; l++)
      a = Array.from({ length: widths[l] }, (_, r) =>
        a.reduce((t, v, i) => t + w[offW[l] + r * widths[l - 1] + i] * v, w[offB[l] + r]),
      );
    for (let m = 0; m < o; m++) out[s * o + m] = a[m] - Y[s * o + m];
  }
  return out;
}

/** 1/N J^T J for a Jacobian J (rows x D, column-major as fdJacobian writes it: column p = d r / d w_p). */
function gaussNewton(J: Float64Array, rows: number, D: number, N: number): Float64Array {
  const H = new Float64Array(D * D);
  for (let p = 0; p < D; p++)
    for (let q = 0; q < D; q++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += J[p * rows + r] * J[q * rows + r];
      H[p * D + q] = s / N;
    }
  return H;
}
