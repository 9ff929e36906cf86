/**
 * The small dense steps of Ginelli's backward iteration for covariant Lyapunov vectors (CLVs).
 *
 * Forward (src/algorithms/spectrum.ts): after the n-th QR, Q_n R_n = J^{(n)} Q_{n-1}, with J^{(n)} the product of
 * the Jacobians between QRs n-1 and n, Q_n orthonormal (D x k) and R_n upper triangular with a positive diagonal.
 * The CLVs at QR time n are V_n = Q_n C_n with C_n upper triangular (the span of the first j CLVs is the span of
 * the first j columns of Q_n). Covariance, J^{(n+1)} V_n ∥ V_{n+1}, gives
 *
 *   J^{(n+1)} Q_n C_n = Q_{n+1} R_{n+1} C_n   =>   C_n ∝ R_{n+1}^{-1} C_{n+1}   (column by column),
 *
 * and iterating this backwards from any upper-triangular C with a non-zero diagonal converges to the CLV
 * coefficients at the rate exp(-(lambda_j - lambda_{j+1})) per step, because R^{-1} amplifies the directions of
 * the slow exponents (Ginelli et al., PRL 99, 130601 (2007); Kuptsov & Parlitz, J Nonlinear Sci 22, 727 (2012),
 * section 6). Columns are normalised after every step, so |V_n e_j| = 1.
 *
 * Storage: R factors are kept packed, the upper triangle of a k x k column-major matrix with (i, j), i <= j, at
 * j (j + 1) / 2 + i: k (k + 1) / 2 numbers instead of k^2.
 */
import { createRng } from "../system/rng.js";

/** Numbers in a packed upper-triangular k x k matrix. */
export function packedSize(k: number): number {
  return (k * (k + 1)) / 2;
}

/** Packs the upper triangle of R (k x k, column-major) into out (packedSize(k)). */
export function packUpper(R: Float64Array, k: number, out: Float64Array): void {
  let p = 0;
  for (let j = 0; j < k; j++) {
    const col = j * k;
    for (let i = 0; i <= j; i++) out[p++] = R[col + i];
  }
}

/**
 * backwardStep(Rp, C, k): C <- R^{-1} C with every column normalised to unit length.
 *
 * Rp: packed upper-triangular R (positive diagonal); C: k x k column-major, upper triangular, overwritten. Column c
 * of R^{-1} C solves R x = C e_c by back substitution over rows c .. 0 (rows below c stay zero): k^3 / 6 flops.
 */
export function backwardStep(Rp: Float64Array, C: Float64Array, k: number): void {
  for (let c = 0; c < k; c++) {
    const col = c * k;
    // Column-oriented back substitution: x_l = C_l / R_ll, then C[0..l) -= x_l R[0..l, l]; column l of the
    // packed R starts at l (l + 1) / 2 and is contiguous.
    let big = 0;
    for (let l = c; l >= 0; l--) {
      const off = (l * (l + 1)) >> 1;
      const x = C[col + l] / Rp[off + l];
      C[col + l] = x;
      if (Math.abs(x) > big) big = Math.abs(x);
      if (x !== 0) for (let i = 0; i < l; i++) C[col + i] -= x * Rp[off + i];
    }
    // Norm scaled by the largest entry: a tiny R_jj (strong contraction over a QR interval) makes x huge, and
    // x^2 must not overflow.
    let norm2 = 0;
    for (let i = 0; i <= c; i++) norm2 += (C[col + i] / big) ** 2;
    const norm = big * Math.sqrt(norm2);
    for (let i = 0; i <= c; i++) C[col + i] /= norm;
  }
}

/** V = Q C (D x k, column-major) for upper-triangular C (k x k, column-major): D k^2 / 2 multiply-adds. */
export function combineBasis(Q: Float64Array, C: Float64Array, D: number, k: number, V: Float64Array): void {
  for (let c = 0; c < k; c++) {
    const out = c * D;
    V.fill(0, out, out + D);
    for (let l = 0; l <= c; l++) {
      const a = C[c * k + l];
      if (a === 0) continue;
      const q = l * D;
      for (let i = 0; i < D; i++) V[out + i] += a * Q[q + i];
    }
  }
}

/**
 * initialCoefficients(k, kind, seed) -> C (k x k, column-major)
 *
 * The start of the backward iteration at the end of the backward transient: the identity, or (default in
 * covariantLyapunovVectors) an upper-triangular matrix with entries uniform in [-1, 1), a diagonal in [0.5, 1.5)
 * and unit columns, drawn from createRng(seed). A random start avoids the special alignments an identity can have
 * with structured systems (Ginelli et al. 2007 start from a random upper-triangular matrix).
 */
export function initialCoefficients(k: number, kind: "identity" | "random", seed: number): Float64Array {
  const C = new Float64Array(k * k);
  if (kind === "identity") {
    for (let j = 0; j < k; j++) C[j * k + j] = 1;
    return C;
  }
  const rng = createRng(seed);
  for (let c = 0; c < k; c++) {
    let norm2 = 0;
    for (let i = 0; i <= c; i++) {
      const v = i === c ? 0.5 + rng.uniform() : 2 * rng.uniform() - 1;
      C[c * k + i] = v;
      norm2 += v * v;
    }
    const norm = Math.sqrt(norm2);
    for (let i = 0; i <= c; i++) C[c * k + i] /= norm;
  }
  return C;
}

/**
 * Fixed-size slots (e.g. one packed R per QR time, or one Q per output time) in blocks of at most ~8 MiB that are
 * allocated only when first written, so nothing large is allocated before the memory check and no typed array
 * exceeds the engine's length limit.
 */
export class SlotStore {
  private readonly blocks: (Float64Array | undefined)[];
  private readonly perBlock: number;
  private allocated = 0;

  constructor(
    readonly slotLength: number,
    readonly slots: number,
  ) {
    this.perBlock = Math.max(1, Math.floor((1 << 20) / Math.max(1, slotLength)));
    this.blocks = new Array(Math.ceil(slots / this.perBlock));
  }

  /** A view of slot i (allocating its block on first use). */
  slot(i: number): Float64Array {
    if (!(i >= 0 && i < this.slots)) throw new RangeError(`weightdyn: slot ${i} outside [0, ${this.slots})`);
    const b = Math.floor(i / this.perBlock);
    let block = this.blocks[b];
    if (!block) {
      const n = Math.min(this.perBlock, this.slots - b * this.perBlock);
      block = new Float64Array(n * this.slotLength);
      this.blocks[b] = block;
      this.allocated += block.byteLength;
    }
    const o = (i - b * this.perBlock) * this.slotLength;
    return block.subarray(o, o + this.slotLength);
  }

  /** Bytes allocated so far. */
  get bytes(): number {
    return this.allocated;
  }
}
