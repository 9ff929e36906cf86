/**
 * The seeded random numbers of weightdyn: initial weights, random sample points, random tangent bases, ensembles.
 *
 * createRng(seed) -> { uniform(), normal() }
 *
 * Generator: xoroshiro128+ from pure-rand. Seeds are integers in [0, 2^53]: the seed is split into
 * hi = floor(seed / 2^32) and lo = seed mod 2^32, the four 32-bit words of the 128-bit state are
 *   w0 = fmix32(lo ^ 0x9e3779b9), w1 = fmix32(hi ^ 0x7f4a7c15),
 *   w2 = fmix32((w0 + 0x6a09e667) ^ w1), w3 = fmix32((w1 + 0xbb67ae85) ^ w0)
 * (fmix32: the MurmurHash3 32-bit finalizer, a bijection, so distinct seeds give distinct states), and the first
 * 16 outputs are discarded. This matters because xoroshiro128+ seeded with small raw words (pure-rand's own
 * `xoroshiro128plus(seed)`) starts with nearly the same numbers for every seed.
 *
 * uniform(): a double in [0, 1), a multiple of 2^-53 built from 53 random bits (26 + 27 bits of two outputs;
 * pure-rand's uniformFloat64).
 * normal(): a standard normal by the Box-Muller transform of two uniforms, z0 = sqrt(-2 ln(1 - u1)) cos(2 pi u2),
 * z1 = sqrt(-2 ln(1 - u1)) sin(2 pi u2); z0 is returned and z1 kept for the next call (so each pair of normal()
 * calls consumes two uniforms). The sequence is a pure function of the seed and of the order of the calls.
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";

/** A seeded stream of random numbers. */
export interface Rng {
  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Standard normal (mean 0, variance 1). */
  normal(): number;
}

/** Largest seed createRng accepts: 2^53. */
export const MAX_RNG_SEED = 2 ** 53;

const WARMUP_OUTPUTS = 16;

/** MurmurHash3's 32-bit finalizer: a bijection of 32-bit words with good avalanche. */
function fmix32(h: number): number {
  let x = h | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** The 128-bit xoroshiro128+ state (four 32-bit words, pure-rand's order) of a seed in [0, 2^53]. */
export function seedState(seed: number): [number, number, number, number] {
  const hi = Math.floor(seed / 2 ** 32) | 0;
  const lo = (seed % 2 ** 32) | 0;
  const w0 = fmix32(lo ^ 0x9e3779b9);
  const w1 = fmix32(hi ^ 0x7f4a7c15);
  const w2 = fmix32(((w0 + 0x6a09e667) | 0) ^ w1);
  const w3 = fmix32(((w1 + 0xbb67ae85) | 0) ^ w0);
  // The all-zero state is a fixed point of xoroshiro; it cannot arise from two bijections of distinct constants
  // in practice, but guard anyway.
  return w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 ? [-1, 0, 0, 0] : [w0, w1, w2, w3];
}

/**
 * createRng(seed)
 *
 * A seeded generator (see the module comment for the exact construction). `seed` must be an integer in
 * [0, 2^53]; anything else throws a RangeError naming `seed`.
 */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_RNG_SEED) {
    throw new RangeError(`createRng: seed: expected an integer between 0 and 2^53 but received ${String(seed)}`);
  }
  const generator = xoroshiro128plusFromState(seedState(seed));
  for (let i = 0; i < WARMUP_OUTPUTS; i++) generator.next();
  let spare = Number.NaN;
  let hasSpare = false;
  return {
    uniform: () => uniformFloat64(generator),
    normal: () => {
      if (hasSpare) {
        hasSpare = false;
        return spare;
      }
      const u1 = 1 - uniformFloat64(generator); // in (0, 1]: log is finite
      const u2 = uniformFloat64(generator);
      const r = Math.sqrt(-2 * Math.log(u1));
      const theta = 2 * Math.PI * u2;
      spare = r * Math.sin(theta);
      hasSpare = true;
      return r * Math.cos(theta);
    },
  };
}

const MASK64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;
const MIX1 = 0xbf58476d1ce4e5b9n;
const MIX2 = 0x94d049bb133111ebn;

/** The splitmix64 finaliser (a bijection of 64-bit words). */
function mix64(x: bigint): bigint {
  let z = x & MASK64;
  z = ((z ^ (z >> 30n)) * MIX1) & MASK64;
  z = ((z ^ (z >> 27n)) * MIX2) & MASK64;
  return z ^ (z >> 31n);
}

/**
 * substreamSeed(seed, index) -> an integer in [0, 2^53)
 *
 * The seed of substream `index` of `seed`: the (index + 1)-th output of splitmix64 seeded with `seed` (Steele, Lea &
 * Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014; the finaliser constants of Java's
 * SplittableRandom), shifted right by 11 bits so that it is exact in a float64 and a valid createRng seed:
 *
 *   z = (seed + (index + 1) * 0x9e3779b97f4a7c15) mod 2^64, z = mix64(z), result = z >> 11.
 *
 * The mixing is a bijection of 64-bit words, so distinct indices give distinct 64-bit values (and distinct 53-bit
 * seeds except with probability ~ n^2 / 2^54). The runs of an ensemble (ensemble/seeds.ts) and the epochs of a
 * minibatch schedule (batches.ts) draw their seeds this way. Both arguments must be integers in [0, 2^53] (checked
 * by the callers, which name them).
 */
export function substreamSeed(seed: number, index: number): number {
  const z = mix64(BigInt(seed) + (BigInt(index) + 1n) * GOLDEN_GAMMA);
  return Number(z >> 11n);
}
