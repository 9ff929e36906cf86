/**
 * The built-in regression targets of `data.function`. The formulas are a public contract: a config names a target
 * and gets exactly these values, on every platform and in every version.
 *
 * Scalar targets (`sin`, `polynomial`, `gauss`, `abs`) are functions g(u) of one number. On a network with
 * i = network.inputs > 1 inputs they are applied to the mean of the coordinates, u = (x_1 + ... + x_i) / i, so they
 * become ridge functions along the diagonal; with one input u = x.
 *
 * Planar targets (`sin2d`, `ripple`) take exactly two inputs (x_1, x_2) and require network.inputs = 2.
 *
 * Several outputs (see `evaluateTarget`): output m (0-based, m = 0 .. outputs-1) is the target evaluated at the
 * shifted point x + m * MULTI_OUTPUT_SHIFT * (1, ..., 1), MULTI_OUTPUT_SHIFT = 0.5; output 0 is the target itself.
 */

/** The shift between successive outputs, in input units: y_m(x) = target(x + m * 0.5 * (1, ..., 1)). */
export const MULTI_OUTPUT_SHIFT = 0.5;

/** Width of the `gauss` bump. */
export const GAUSS_SIGMA = 0.25;

/** A built-in target: a scalar function of the input vector. */
export interface Target {
  readonly name: string;
  /** Number of inputs the target needs, or "any" for scalar targets applied to the mean of the coordinates. */
  readonly inputs: number | "any";
  /** The formula, as printed in docs and error messages. */
  readonly formula: string;
  /** The value at the input point x (length network.inputs). */
  evaluate(x: ArrayLike<number>): number;
}

/** Mean of the coordinates: the argument u of a scalar target. */
function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) s += x[j];
  return s / x.length;
}

/** Wraps a scalar function g(u) as a target of any number of inputs, u = mean(x). */
function scalar(name: string, formula: string, g: (u: number) => number): Target {
  return { name, inputs: "any", formula, evaluate: (x) => g(x.length === 1 ? x[0] : mean(x)) };
}

/** sin: y = sin(pi u). Zero at u = 0, +-1; y(0.5) = 1, y(-0.5) = -1. */
const sin = scalar("sin", "sin(pi*u)", (u) => Math.sin(Math.PI * u));

/** polynomial: the fixed cubic y = u^3 - u/2. y(0) = 0, y(1) = 0.5, y(-1) = -0.5, y(0.5) = -0.125. */
const polynomial = scalar("polynomial", "u^3 - u/2", (u) => u * u * u - 0.5 * u);

/** gauss: the Gaussian bump y = exp(-u^2 / (2 sigma^2)), sigma = 0.25, i.e. exp(-8 u^2). y(0) = 1. */
const gauss = scalar("gauss", "exp(-u^2/(2*0.25^2))", (u) => Math.exp(-(u * u) / (2 * GAUSS_SIGMA * GAUSS_SIGMA)));

/** abs: y = |u|. */
const abs = scalar("abs", "|u|", (u) => Math.abs(u));

/** sin2d (two inputs): y = sin(pi x1) cos(pi x2). y(0.5, 0) = 1, y(0.5, 1) = -1, y(0, x2) = 0. */
const sin2d: Target = {
  name: "sin2d",
  inputs: 2,
  formula: "sin(pi*x1)*cos(pi*x2)",
  evaluate: (x) => Math.sin(Math.PI * x[0]) * Math.cos(Math.PI * x[1]),
};

/**
 * ripple (two inputs): a damped radial wave y = cos(2 pi r) exp(-r^2), r = sqrt(x1^2 + x2^2). Smooth everywhere
 * (cos is even in r); y(0, 0) = 1, y at r = 0.5 is -exp(-0.25), at r = 1 it is exp(-1).
 */
const ripple: Target = {
  name: "ripple",
  inputs: 2,
  formula: "cos(2*pi*r)*exp(-r^2), r = sqrt(x1^2 + x2^2)",
  evaluate: (x) => {
    const r2 = x[0] * x[0] + x[1] * x[1];
    return Math.cos(2 * Math.PI * Math.sqrt(r2)) * Math.exp(-r2);
  },
};

/** Names accepted by `data.function`. */
export const TARGET_NAMES = ["sin", "polynomial", "gauss", "abs", "sin2d", "ripple"] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** The built-in targets by name. */
export const TARGETS: Readonly<Record<TargetName, Target>> = { sin, polynomial, gauss, abs, sin2d, ripple };

/** True when `target` can be used with a network of `inputs` inputs. */
export function targetAccepts(target: Target, inputs: number): boolean {
  return target.inputs === "any" || target.inputs === inputs;
}

/**
 * evaluateTarget(target, x, outputs, out, offset?)
 *
 * Writes the `outputs` target values at input point x to out[offset .. offset+outputs): output m is
 * target(x + m * MULTI_OUTPUT_SHIFT * (1, ..., 1)). `scratch` (length x.length) avoids an allocation per call.
 */
export function evaluateTarget(
  target: Target,
  x: ArrayLike<number>,
  outputs: number,
  out: Float64Array,
  offset = 0,
  scratch: Float64Array = new Float64Array(x.length),
): void {
  out[offset] = target.evaluate(x);
  for (let m = 1; m < outputs; m++) {
    const shift = m * MULTI_OUTPUT_SHIFT;
    for (let j = 0; j < x.length; j++) scratch[j] = x[j] + shift;
    out[offset + m] = target.evaluate(scratch);
  }
}
