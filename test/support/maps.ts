/** Maps with known answers, shared by the spectrum, CLV and parity suites. */
import type { MapDefinition } from "../../src/system/map.js";

/** Henon map (x, y) -> (1 - a x^2 + y, b x). */
export const henon = (a: number, b: number): MapDefinition => ({
  dimension: 2,
  step(x, next) {
    next[0] = 1 - a * x[0] * x[0] + x[1];
    next[1] = b * x[0];
  },
  jacobian(x, J) {
    J[0] = -2 * a * x[0];
    J[1] = 1;
    J[2] = b;
    J[3] = 0;
  },
});

/** Lozi map (x, y) -> (1 - a |x| + y, b x). */
export const lozi = (a: number, b: number): MapDefinition => ({
  dimension: 2,
  step(x, next) {
    next[0] = 1 - a * Math.abs(x[0]) + x[1];
    next[1] = b * x[0];
  },
  jacobian(x, J) {
    J[0] = -a * Math.sign(x[0]);
    J[1] = 1;
    J[2] = b;
    J[3] = 0;
  },
});

/** x -> M x for a constant row-major D x D matrix M. */
export function linearMap(M: Float64Array, D: number): MapDefinition {
  return {
    dimension: D,
    step(x, next) {
      for (let i = 0; i < D; i++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += M[i * D + j] * x[j];
        next[i] = s;
      }
    },
    jacobian(_x, J) {
      J.set(M);
    },
  };
}
