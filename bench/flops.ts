/**
 * Floating-point operation counts of one step with its tangent map and QR, per route, shared by the JSON and the table
 * of bench/run.ts (and by the NumPy peer's figures, which are counted with the route it ran).
 *
 * The formulas live in one place, src/config/run-plan.ts (flopsPerStep, beside the run's memory plan, for any depth
 * and rule); this adapter applies them to a bench case. A multiply-add is 2 flops; activations, comparisons and copies
 * count 0. Effective GFLOP/s = these counts x steps/s: it counts the flops of the algorithm the backend actually ran
 * (the route `auto` chose, or the peer's route), not of a reference algorithm.
 */
import { TANGENT_ROUTES, type TangentRouteName } from "../src/backend/tables.js";
import { type FlopCounts, flopsPerStep as planFlops } from "../src/config/run-plan.js";
import type { BenchCase } from "./cases.js";
import { dimensionOf, kOf, stateDimensionOf } from "./cases.js";

export type RouteName = Exclude<TangentRouteName, "auto"> | "none";
export const ROUTE_NAMES: Record<number, RouteName> = Object.fromEntries(
  TANGENT_ROUTES.filter((r) => r.name !== "auto").map((r) => [r.id, r.name]),
);

export type { FlopCounts } from "../src/config/run-plan.js";

export function flopsPerStep(c: BenchCase, route: RouteName): FlopCounts {
  const rule = typeof c.optimizer === "object" ? c.optimizer.name : (c.optimizer ?? "gd");
  return planFlops(
    {
      inputs: c.inputs,
      hidden: c.hidden,
      outputs: c.outputs,
      samples: c.samples,
      dimension: dimensionOf(c),
      stateDimension: stateDimensionOf(c),
      rule,
      k: kOf(c),
      qrEvery: c.qrEvery,
    },
    route,
  );
}
