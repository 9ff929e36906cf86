/**
 * Geometry of covariant Lyapunov vectors: angles between vectors and between subspaces, and how a CLV of a
 * network is spread over its layers.
 *
 *   vectorAngle(V, rows, i, j)            angle in [0, pi/2] between columns i and j
 *   minimalSubspaceAngle(V, rows, k, p)   smallest principal angle between span(V[:, :p]) and span(V[:, p:k])
 *   triangularSplitAngle(C, k, p)         the same for an upper-triangular C, in O(p q^2) (q = k - p)
 *   layerComposition(V, shape, k, out)    share of |v_j|^2 in W1, b1, W2, b2
 *   topComponents(v, n), parameterName(index, shape)
 *
 * Angles are basis-free: for V = Q C with orthonormal Q they are the same for V and C, so the backward iteration
 * (clv.ts) measures them on the k x k coefficients C. Near-tangencies between the expanding and the contracting
 * CLVs (small angles) are the signature of non-hyperbolic dynamics (Ginelli et al., PRL 99, 130601 (2007);
 * Kuptsov & Parlitz, J Nonlinear Sci 22, 727 (2012), section 8). Small angles are computed from sines, not from
 * arccos of a cosine near 1, so they keep full relative precision.
 */
import type { ParameterBlock } from "../backend/layers.js";
import { jacobiOrthogonalize, largestSingularValue, orthonormalColumns } from "./small-linalg.js";

/** Angle in [0, pi/2] between the lines spanned by columns i and j of V (rows x k, column-major). */
export function vectorAngle(V: Float64Array, rows: number, i: number, j: number): number {
  const a = i * rows;
  const b = j * rows;
  let ab = 0;
  let bb = 0;
  for (let r = 0; r < rows; r++) {
    ab += V[a + r] * V[b + r];
    bb += V[b + r] * V[b + r];
  }
  // atan2(|a - proj_b a|, |proj_b a|): the rejection keeps small angles exact where acos(|cos|) would not.
  const f = ab / bb;
  let rej = 0;
  let par = 0;
  for (let r = 0; r < rows; r++) {
    const p = f * V[b + r];
    const d = V[a + r] - p;
    rej += d * d;
    par += p * p;
  }
  return Math.atan2(Math.sqrt(rej), Math.sqrt(par));
}

/**
 * minimalSubspaceAngle(V, rows, k, p) -> the smallest principal angle (radians, [0, pi/2]) between
 * span(V[:, 0:p]) and span(V[:, p:k]), for 1 <= p < k.
 *
 * Q1, Q2: orthonormal bases of the two blocks; M = Q1^T Q2 (p x q) has the cosines of the principal angles as
 * singular values (Bjorck & Golub, Math Comp 27, 579 (1973)). With w the right singular vector of the largest one
 * and f = Q2 w, theta = atan2(|f - Q1 Q1^T f|, |Q1^T f|): the sine is measured directly, so a small angle keeps
 * its relative precision (Knyazev & Argentati, SIAM J Sci Comput 23, 2008 (2002)).
 */
export function minimalSubspaceAngle(V: Float64Array, rows: number, k: number, p: number): number {
  const q = k - p;
  if (!(p >= 1 && q >= 1)) throw new RangeError(`weightdyn: expected a split p in [1, ${k - 1}] but received ${p}`);
  const Q1 = orthonormalColumns(V, rows, 0, p);
  const Q2 = orthonormalColumns(V, rows, p, k);
  const M = new Float64Array(p * q);
  for (let c = 0; c < q; c++)
    for (let r = 0; r < p; r++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += Q1[r * rows + i] * Q2[c * rows + i];
      M[c * p + r] = s;
    }
  const W = new Float64Array(q * q);
  for (let c = 0; c < q; c++) W[c * q + c] = 1;
  const A = M.slice();
  jacobiOrthogonalize(A, p, q, W);
  let best = 0;
  let bestNorm = -1;
  for (let c = 0; c < q; c++) {
    let s = 0;
    for (let r = 0; r < p; r++) s += A[c * p + r] ** 2;
    if (s > bestNorm) {
      bestNorm = s;
      best = c;
    }
  }
  const f = new Float64Array(rows);
  for (let c = 0; c < q; c++) {
    const w = W[best * q + c];
    for (let i = 0; i < rows; i++) f[i] += w * Q2[c * rows + i];
  }
  const y = new Float64Array(p);
  for (let r = 0; r < p; r++) for (let i = 0; i < rows; i++) y[r] += Q1[r * rows + i] * f[i];
  let sin2 = 0;
  for (let i = 0; i < rows; i++) {
    let proj = 0;
    for (let r = 0; r < p; r++) proj += Q1[r * rows + i] * y[r];
    sin2 += (f[i] - proj) ** 2;
  }
  let cos2 = 0;
  for (let r = 0; r < p; r++) cos2 += y[r] * y[r];
  return Math.atan2(Math.sqrt(sin2), Math.sqrt(cos2));
}

/**
 * triangularSplitAngle(C, k, p) -> minimalSubspaceAngle(C, k, k, p) for an upper-triangular C with a non-zero
 * diagonal (the CLV coefficients), in O(p q^2 + min(p, q)^2 max(p, q)) instead of O(k^3).
 *
 * span(C[:, :p]) = span(e_1 .. e_p). For f = C2 y in the other span (C2 = [C12; C22], C22 q x q triangular),
 * sin^2 = |C22 y|^2 / |C2 y|^2 = 1 / (1 + |G z|^2 / |z|^2) with z = C22 y and G = C12 C22^{-1}, so the smallest
 * angle is theta = atan2(1, sigma_max(G)).
 */
export function triangularSplitAngle(C: Float64Array, k: number, p: number): number {
  const q = k - p;
  if (!(p >= 1 && q >= 1)) throw new RangeError(`weightdyn: expected a split p in [1, ${k - 1}] but received ${p}`);
  // G (p x q, column-major) solves G C22 = C12 column by column from the left: G[:, c] = (C12[:, c] -
  // sum_{l < c} G[:, l] C22[l, c]) / C22[c, c].
  const G = new Float64Array(p * q);
  for (let c = 0; c < q; c++) {
    const col = (p + c) * k;
    const diag = C[col + p + c];
    for (let r = 0; r < p; r++) {
      let s = C[col + r];
      for (let l = 0; l < c; l++) s -= G[l * p + r] * C[col + p + l];
      G[c * p + r] = s / diag;
    }
  }
  return Math.atan2(1, largestSingularValue(G, p, q));
}

/**
 * out[j*B + b] = share of |V[:, j]|^2 in block b for the k columns of V (S x k, column-major), B = blocks.length:
 * the weight matrices and bias vectors of every layer (src/backend/layers.ts parameterBlocks), and with an optimizer's
 * state (stateBlocks) those of v or of m and v too.
 */
export function layerComposition(
  V: Float64Array,
  blocks: readonly ParameterBlock[],
  k: number,
  out: Float64Array,
): void {
  const B = blocks.length;
  const last = blocks[B - 1];
  const S = last.offset + last.size;
  for (let j = 0; j < k; j++) {
    let total = 0;
    for (let b = 0; b < B; b++) {
      let s = 0;
      const { offset, size } = blocks[b];
      for (let r = offset; r < offset + size; r++) s += V[j * S + r] ** 2;
      out[j * B + b] = s;
      total += s;
    }
    for (let b = 0; b < B; b++) out[j * B + b] /= total;
  }
}

/** The n components of v with the largest magnitudes, largest first (ties: lower index first). */
export function topComponents(v: ArrayLike<number>, n: number): { indices: number[]; values: number[] } {
  const order = Array.from({ length: v.length }, (_, i) => i);
  order.sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]) || a - b);
  const indices = order.slice(0, Math.min(n, v.length));
  return { indices, values: indices.map((i) => v[i]) };
}
