/**
 * The seed of every run of an ensemble, with no Node built-in (the playground's ensemble draws its runs with it;
 * seeds.ts re-exports it beside the study id).
 *
 *   runSeed(studySeed, index) -> an integer in [0, 2^53)
 *
 * A run's seed depends on the study seed and on the run's index alone, never on the number of workers or on the
 * order in which runs finish, so an ensemble gives the same runs however it is scheduled, interrupted and resumed.
 *
 * Construction (system/rng.ts substreamSeed): the (index + 1)-th output of splitmix64 seeded with `studySeed`
 * (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014; the finaliser constants are
 * those of Java's SplittableRandom), shifted right by 11 bits to 53 bits so that every seed is exact in a float64 and a
 * valid createRng / init.seed value (the formula is in rng.ts).
 *
 * seededConfig(config, seed) gives a run its seed: init.seed = seed (random init only; a weights file is used as it
 * is), and, for a random tangent basis (lyapunov.basis = "random"), basisSeed = runSeed(seed, 0), a second stream,
 * so that the basis is not drawn from the same numbers as the weights.
 */
import type { RunConfig } from "../config/schema.js";
import { substreamSeed } from "../system/rng.js";

/** Largest study seed and run index accepted: 2^53 (exact in a float64). */
export const MAX_STUDY_SEED = 2 ** 53;

function requireSafeInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_STUDY_SEED) {
    throw new RangeError(`runSeed: ${name}: expected an integer between 0 and 2^53 but received ${String(value)}`);
  }
}

/**
 * runSeed(studySeed, index)
 *
 * The seed of run `index` of a study seeded with `studySeed` (see the module comment for the formula). Both
 * arguments are integers in [0, 2^53]; anything else throws a RangeError naming the argument.
 */
export function runSeed(studySeed: number, index: number): number {
  requireSafeInt("studySeed", studySeed);
  requireSafeInt("index", index);
  return substreamSeed(studySeed, index);
}

/** The config of a run with seed `seed` (module comment). */
export function seededConfig(config: RunConfig, seed: number): RunConfig {
  const init = "seed" in config.init ? { ...config.init, seed } : config.init;
  const lyapunov =
    config.lyapunov.basis === "random" ? { ...config.lyapunov, basisSeed: runSeed(seed, 0) } : config.lyapunov;
  return { ...config, init, lyapunov };
}
