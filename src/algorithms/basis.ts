/**
 * Initial tangent bases: the first k columns of the identity (default), or a random orthonormal basis (the Q factor,
 * with positive diag R, of a matrix of independent standard normals: Haar-distributed, Mezzadri 2007).
 */
import type { Backend } from "../backend/types.js";
import { createRng } from "../system/rng.js";

/** Writes the first k columns of the D x D identity into Q (D x k, column-major). */
export function identityBasis(Q: Float64Array, D: number, k: number): void {
  Q.fill(0, 0, D * k);
  for (let j = 0; j < k; j++) Q[j * D + j] = 1;
}

/** Writes a random orthonormal D x k basis drawn from `seed` into Q. */
export function randomBasis(backend: Backend, Q: Float64Array, D: number, k: number, seed: number): void {
  if (k === 0) return;
  const rng = createRng(seed);
  const A = new Float64Array(D * k);
  for (let i = 0; i < A.length; i++) A[i] = rng.normal();
  backend.qrPositive(A, D, k, new Float64Array(k * k), new Float64Array(k));
  Q.set(A);
}
