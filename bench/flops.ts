/**
 * Floating-point operation counts of one gradient-descent step with its tangent map and QR, per route, shared by the
 * JSON and the table of bench/run.ts (and by the NumPy peer's figures, which are counted with the route it ran).
 * The formulas live in one place, src/config/run-plan.ts (flopsPerStep, with the run's memory plan); this adapter
 * applies them to a bench case. A multiply-add is 2 flops; activations, comparisons and copies count 0. Effective
 * GFLOP/s = these counts x steps/s: it counts the flops of the algorithm the backend actually ran (the route `auto`
 * chose, or the peer's route), not of a reference algorithm.
 */
import { type FlopCounts, flopsPerStep as planFlops } from "../src/config/run-plan.js";
import type { BenchCase } from "./cases.js";
import { dimensionOf, kOf } from "./cases.js";

export type RouteName = "hessian" | "hvp" | "factored" | "none";
export const ROUTE_NAMES: Record<number, RouteName> = { 1: "hessian", 2: "hvp", 3: "factored" };

export type { FlopCounts } from "../src/config/run-plan.js";

export function flopsPerStep(c: BenchCase, route: RouteName): FlopCounts {
  const dims = {
    inputs: c.inputs,
    hidden: c.hidden,
    outputs: c.outputs,
    samples: c.samples,
    dimension: dimensionOf(c),
    k: kOf(c),
    qrEvery: c.qrEvery,
  };
  return planFlops(dims, route);
}
