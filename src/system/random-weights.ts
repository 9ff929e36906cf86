/**
 * Seeded initial weights, with no Node built-in (init.ts adds the weights file; the playground draws with this).
 *
 * `init: {distribution, scale, seed}`: all D parameters, biases included, are drawn in parameter order from
 * createRng(seed): uniform on [-scale, scale) as scale (2u - 1), or normal with standard deviation scale as
 * scale z (Box-Muller, see rng.ts).
 */
import type { RandomInitConfig } from "../config/schema.js";
import { createRng } from "./rng.js";

/** D seeded draws: uniform on [-scale, scale) or normal with standard deviation scale. */
export function randomWeights(init: RandomInitConfig, D: number): Float64Array {
  const rng = createRng(init.seed);
  const w = new Float64Array(D);
  if (init.distribution === "uniform") {
    for (let p = 0; p < D; p++) w[p] = init.scale * (2 * rng.uniform() - 1);
  } else {
    for (let p = 0; p < D; p++) w[p] = init.scale * rng.normal();
  }
  return w;
}
