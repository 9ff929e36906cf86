/** Small dense linear algebra for the tests' independent truths (no shared code with the kernels). */

/** ln|det A| of an n x n row-major matrix by LU with partial pivoting. */
export function logAbsDet(A: Float64Array, n: number): number {
  const a = Float64Array.from(A);
  let s = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[p * n + c])) p = r;
    if (p !== c) for (let j = 0; j < n; j++) [a[c * n + j], a[p * n + j]] = [a[p * n + j], a[c * n + j]];
    const d = a[c * n + c];
    s += Math.log(Math.abs(d));
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c] / d;
      for (let j = c; j < n; j++) a[r * n + j] -= f * a[c * n + j];
    }
  }
  return s;
}

/** C = A B, row-major, A n x m, B m x p. */
export function matmul(A: Float64Array, B: Float64Array, n: number, m: number, p: number): Float64Array {
  const C = new Float64Array(n * p);
  for (let i = 0; i < n; i++)
    for (let l = 0; l < m; l++) {
      const a = A[i * m + l];
      for (let j = 0; j < p; j++) C[i * p + j] += a * B[l * p + j];
    }
  return C;
}

/** Inverse of an n x n row-major matrix by Gauss-Jordan with partial pivoting. */
export function inverse(A: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(A);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[p * n + c])) p = r;
    for (let j = 0; j < n; j++) {
      [a[c * n + j], a[p * n + j]] = [a[p * n + j], a[c * n + j]];
      [inv[c * n + j], inv[p * n + j]] = [inv[p * n + j], inv[c * n + j]];
    }
    const d = a[c * n + c];
    for (let j = 0; j < n; j++) {
      a[c * n + j] /= d;
      inv[c * n + j] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c];
      for (let j = 0; j < n; j++) {
        a[r * n + j] -= f * a[c * n + j];
        inv[r * n + j] -= f * inv[c * n + j];
      }
    }
  }
  return inv;
}

/** A random orthogonal n x n matrix (row-major) by Gram-Schmidt on a seeded matrix. */
export function randomOrthogonal(n: number, rand: () => number): Float64Array {
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) Q[i] = rand() - 0.5;
  for (let c = 0; c < n; c++) {
    for (let pass = 0; pass < 2; pass++)
      for (let d = 0; d < c; d++) {
        let dot = 0;
        for (let r = 0; r < n; r++) dot += Q[r * n + c] * Q[r * n + d];
        for (let r = 0; r < n; r++) Q[r * n + c] -= dot * Q[r * n + d];
      }
    let nrm = 0;
    for (let r = 0; r < n; r++) nrm += Q[r * n + c] ** 2;
    nrm = Math.sqrt(nrm);
    for (let r = 0; r < n; r++) Q[r * n + c] /= nrm;
  }
  return Q;
}

/** A tiny seeded generator for test fixtures (mulberry32). */
export function fixtureRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
