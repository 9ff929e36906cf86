/**
 * The seed of every run of an ensemble, and the id of a study.
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
 *
 *   studyIdOf(canonical) -> 16 hex digits: the first 64 bits of SHA-256 of canonicalJson(value).
 */
import { createHash } from "node:crypto";
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

/**
 * canonicalJson(value)
 *
 * JSON with the keys of every object sorted (so that two equal studies written with their keys in another order
 * have one text), no whitespace, and undefined members dropped as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** 16 hex digits: the first 64 bits of the SHA-256 of canonicalJson(value). */
export function studyIdOf(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 16);
}
