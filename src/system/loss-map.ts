/**
 * An update rule (gd, momentum, Nesterov, Adam; src/backend/tables.ts) on any differentiable loss you bring, as a
 * MapDefinition for MapSystem: the state x = (w), (w, v) or (w, m, v), the step x' = f(x, grad L(w)) and its exact
 * tangent map, both computed by the backend's rule kernels (Backend.ruleStep, Backend.ruleTangent) from your gradient
 * and Hessian-vector products. The same kernels train the networks, so a rule's dynamics can be studied on a loss
 * with a known answer (a quadratic, test/22) or on one of your own (Rosenbrock, a matrix factorisation, ...).
 *
 *   const sys = new MapSystem(ruleMap(loss, rule, backend), backend, { initialState: [...w0, ...zeros] });
 *   lyapunovSpectrum(sys, { steps: 1000 });
 */
import { stateDimension } from "../backend/layers.js";
import type { Backend, TrainingRule } from "../backend/types.js";
import type { MapDefinition } from "./map.js";

/** A loss L(w) on R^D through its gradient and Hessian-vector products. */
export interface DifferentiableLoss {
  /** D. */
  dimension: number;
  /** Writes grad L(w) to g (length D). */
  gradient(w: Float64Array, g: Float64Array): void;
  /** Writes H(w) V to HV for k vectors (D x k, column-major). */
  hessianTimes(w: Float64Array, V: Float64Array, k: number, HV: Float64Array): void;
}

/** The map of `rule` on `loss` (module comment); its dimension is the rule's state dimension S. */
export function ruleMap(loss: DifferentiableLoss, rule: TrainingRule, backend: Backend): MapDefinition {
  const D = loss.dimension;
  const S = stateDimension(D, rule.rule);
  const g = new Float64Array(D);
  let V = new Float64Array(0);
  let HV = new Float64Array(0);
  return {
    dimension: S,
    step(x, next, t) {
      next.set(x);
      loss.gradient(x.subarray(0, D), g);
      backend.ruleStep(rule, D, next, g, t);
    },
    tangent(x, Q, k, out, t) {
      if (V.length < D * k) {
        V = new Float64Array(D * k);
        HV = new Float64Array(D * k);
      }
      const w = x.subarray(0, D);
      loss.gradient(w, g);
      for (let c = 0; c < k; c++) V.set(Q.subarray(c * S, c * S + D), c * D);
      loss.hessianTimes(w, V.subarray(0, D * k), k, HV.subarray(0, D * k));
      out.set(Q.subarray(0, S * k));
      backend.ruleTangent(rule, D, x, g, t, out.subarray(0, S * k), k, HV.subarray(0, D * k));
    },
  };
}
