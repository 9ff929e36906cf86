/**
 * The update rules (issue 12): each rule's tangent map against a central finite-difference Jacobian of its whole
 * state map, on networks and minibatches, at several times t for Adam; momentum and Nesterov on a quadratic against
 * the roots of their companion polynomials; momentum's det J = beta^D on a network.
 */
import { expect, it } from "vitest";
import { lyapunovSpectrum } from "../src/algorithms/spectrum.js";
import { parameterCount, stateDimension } from "../src/backend/layers.js";
import { RESOLVED_ROUTE_IDS } from "../src/backend/tables.js";
import { ActivationId, type Backend, type NetworkShape, RuleId, type TrainingRule } from "../src/backend/types.js";
import { ruleMap } from "../src/system/loss-map.js";
import { MapSystem } from "../src/system/map.js";
import { NetworkSystem } from "../src/system/network.js";
import { describeEachBackend } from "./support/backends.js";
import { fdJacobian, relErr } from "./support/fd.js";
import { fixtureRng, randomOrthogonal } from "./support/linalg.js";
import { sineNetwork141, stepMap, tangentOfIdentity } from "./support/networks.js";
import { TOL } from "./support/tolerances.js";

const RULES: [string, TrainingRule][] = [
  ["gd", { rule: RuleId.gd, learningRate: 0.3, params: [] }],
  ["momentum", { rule: RuleId.momentum, learningRate: 0.2, params: [0.8] }],
  ["nesterov", { rule: RuleId.nesterov, learningRate: 0.2, params: [0.7] }],
  ["adam", { rule: RuleId.adam, learningRate: 0.05, params: [0.85, 0.95, 1e-3] }],
];

/** A 2-4-2 network on 11 random samples, with a random state: w in [-0.8, 0.8), v or m in [-0.1, 0.1), Adam's v in
 *  [0.01, 0.11) (a second moment is positive). */
function fixture(act: string, rule: TrainingRule, seed: number) {
  const rand = fixtureRng(seed);
  const shape: NetworkShape = {
    inputs: 2,
    hidden: 4,
    outputs: 2,
    activation: ActivationId[act as keyof typeof ActivationId],
    activationParam: act === "elu" ? 0.9 : 0,
    outputActivation: ActivationId.tanh,
  };
  const N = 11;
  const D = parameterCount(shape);
  const S = stateDimension(D, rule.rule);
  const X = Float64Array.from({ length: N * 2 }, () => 2 * rand() - 1);
  const Y = Float64Array.from({ length: N * 2 }, () => rand() - 0.5);
  const x0 = Float64Array.from({ length: S }, (_, i) => {
    if (i < D) return 1.6 * rand() - 0.8;
    if (rule.rule === RuleId.adam && i >= 2 * D) return 0.01 + 0.1 * rand();
    return 0.2 * rand() - 0.1;
  });
  return { shape, X, Y, D, S, x0 };
}

describeEachBackend("22 update rules: exact tangent maps", (backend: Backend) => {
  const batch = Int32Array.of(3, 0, 7, 5, 9);
  for (const [name, rule] of RULES) {
    for (const act of ["tanh", "sigmoid", "elu", "softplus"]) {
      for (const minibatch of [false, true]) {
        const times = rule.rule === RuleId.adam ? [0, 1, 7, 300] : [0];
        it(`${name}, ${act}${minibatch ? ", minibatch" : ""}: tangent = FD Jacobian of the state map at t = ${times.join(", ")}, every route`, () => {
          const fx = fixture(act, rule, 31 + name.length + act.length + (minibatch ? 1 : 0));
          const net = backend.createNetwork({ shape: fx.shape, X: fx.X, Y: fx.Y, maxK: fx.S, rule });
          const b = minibatch ? batch : null;
          for (const t of times) {
            // Five-point central differences, O(h^4): Adam's 1 / sqrt(v) has large third derivatives.
            const Jfd = fdJacobian(stepMap(net, b, t), fx.x0, 1e-4, 5);
            for (const route of RESOLVED_ROUTE_IDS) {
              const J = tangentOfIdentity(net, fx.x0, route, t, b);
              expect(relErr(J, Jfd), `t = ${t}, route ${route}`).toBeLessThan(TOL.tangentFd);
            }
          }
          net.dispose();
        });
      }
    }
  }

  it("momentum on a network: det J_t = beta^D, so the 2D local exponents sum to D ln beta at every step (1e-10)", () => {
    const { shape, X, Y, w0, D } = sineNetwork141();
    const beta = 0.85;
    const sys = new NetworkSystem(backend, {
      shape,
      X,
      Y,
      w0,
      rule: { rule: RuleId.momentum, learningRate: 0.3, params: [beta] },
    });
    const steps = 80;
    const res = lyapunovSpectrum(sys, { steps, ftleWindow: 1 });
    expect(res.diverged).toBe(false);
    expect(res.k).toBe(2 * D);
    for (let t = 0; t < steps; t++) {
      const sum = res.ftle.values.subarray(t * 2 * D, (t + 1) * 2 * D).reduce((s, v) => s + v, 0);
      expect(Math.abs(sum - D * Math.log(beta))).toBeLessThan(TOL.quadratic);
    }
    sys.dispose();
  });

  // On L(w) = 0.5 w^T A w each eigenvalue a of A gives a 2 x 2 block of the (constant) tangent map, whose eigenvalues
  // are the roots z of (docs/optimizers.md):
  //   momentum  z^2 - (1 + beta - eta a) z + beta = 0
  //   nesterov  z^2 - (1 + beta - eta a (1 + beta)) z + beta (1 - eta a) = 0
  // With beta = 0.25 and eta a in (0, 0.25) every root is real, so the exponents are ln|z| and converge
  // exponentially fast (complex pairs would share one modulus and converge only like 1/T).
  // The eigenvalues a are chosen so that the moduli are separated (adjacent ratios <= 0.966), so that the basis aligns
  // to rounding within the transient.
  const companion: [string, number, number[], (ea: number, beta: number) => [number, number]][] = [
    ["momentum", RuleId.momentum, [2, 5, 10, 15, 21], (ea, beta) => [1 + beta - ea, beta]],
    ["nesterov", RuleId.nesterov, [2, 12, 20, 24], (ea, beta) => [1 + beta - ea * (1 + beta), beta * (1 - ea)]],
  ];
  for (const [name, id, a, coefficients] of companion) {
    it(`${name} on the quadratic 0.5 w^T A w: exponents ln|z| of the companion roots (1e-10)`, () => {
      const eta = 0.01;
      const beta = 0.25;
      const D = a.length;
      const U = randomOrthogonal(D, fixtureRng(8));
      const A = new Float64Array(D * D);
      for (let i = 0; i < D; i++)
        for (let j = 0; j < D; j++) for (let l = 0; l < D; l++) A[i * D + j] += U[i * D + l] * a[l] * U[j * D + l];
      const times = (v: Float64Array, out: Float64Array, off: number) => {
        for (let i = 0; i < D; i++) {
          let s = 0;
          for (let j = 0; j < D; j++) s += A[i * D + j] * v[off + j];
          out[off + i] = s;
        }
      };
      const loss = {
        dimension: D,
        gradient: (w: Float64Array, g: Float64Array) => times(w, g, 0),
        hessianTimes: (_w: Float64Array, V: Float64Array, k: number, HV: Float64Array) => {
          for (let c = 0; c < k; c++) times(V, HV, c * D);
        },
      };
      const rule: TrainingRule = { rule: id, learningRate: eta, params: [beta] };
      const x0 = [...new Array(D).fill(1), ...new Array(D).fill(0)];
      const sys = new MapSystem(ruleMap(loss, rule, backend), backend, { initialState: x0 });
      const res = lyapunovSpectrum(sys, { steps: 2000, transient: 1000, ftleWindow: 100 });
      const expected = a
        .flatMap((ai) => {
          const [b, c] = coefficients(eta * ai, beta);
          const disc = b * b - 4 * c;
          expect(disc).toBeGreaterThan(0);
          return [(b + Math.sqrt(disc)) / 2, (b - Math.sqrt(disc)) / 2].map((z) => Math.log(Math.abs(z)));
        })
        .sort((x, y) => y - x);
      for (let j = 0; j < 2 * D; j++) expect(Math.abs(res.exponents[j] - expected[j])).toBeLessThan(TOL.quadratic);
    });
  }
});
