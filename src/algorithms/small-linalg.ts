/**
 * Small dense linear algebra for the CLV geometry (angles.ts), on matrices of at most k x k (k <= D): orthonormal
 * bases, one-sided Jacobi SVD, the largest singular value. Written for accuracy at small angles, not for size.
 */

/** Orthonormal basis of columns [c0, c1) of V by modified Gram-Schmidt, twice ("twice is enough", Giraud et al.). */
export function orthonormalColumns(V: Float64Array, rows: number, c0: number, c1: number): Float64Array {
  const n = c1 - c0;
  const Q = V.slice(c0 * rows, c1 * rows);
  for (let c = 0; c < n; c++) {
    const q = c * rows;
    for (let pass = 0; pass < 2; pass++) {
      for (let d = 0; d < c; d++) {
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += Q[d * rows + r] * Q[q + r];
        for (let r = 0; r < rows; r++) Q[q + r] -= dot * Q[d * rows + r];
      }
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += Q[q + r] * Q[q + r];
    norm = Math.sqrt(norm);
    for (let r = 0; r < rows; r++) Q[q + r] /= norm;
  }
  return Q;
}

/**
 * One-sided Jacobi (Hestenes) on the n columns of A (m x n, column-major, overwritten): rotates column pairs until
 * all are orthogonal; then the column norms are the singular values, and, when W (n x n, column-major, initially
 * the identity) is given, A_in W = A_out (so the columns of W are the right singular vectors).
 * Demmel & Veselic, SIAM J Matrix Anal Appl 13, 1204 (1992): high relative accuracy.
 */
export function jacobiOrthogonalize(A: Float64Array, m: number, n: number, W: Float64Array | null): void {
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let r = 0; r < m; r++) {
          const x = A[p * m + r];
          const y = A[q * m + r];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(A, m, p, q, c, s);
        if (W) rotate(W, n, p, q, c, s);
      }
    }
    if (!rotated) return;
  }
}

function rotate(A: Float64Array, m: number, p: number, q: number, c: number, s: number): void {
  for (let r = 0; r < m; r++) {
    const x = A[p * m + r];
    const y = A[q * m + r];
    A[p * m + r] = c * x - s * y;
    A[q * m + r] = s * x + c * y;
  }
}

/**
 * Largest singular value of A (m x n, column-major): sqrt of the largest eigenvalue of the smaller Gram matrix
 * (A A^T or A^T A). Squaring is harmless for the largest singular value (its relative accuracy stays ~ n eps);
 * the eigenvalue comes from a Householder tridiagonalisation and Sturm-sequence bisection (Golub & Van Loan,
 * Matrix Computations, 4th ed., 8.3.1 and 8.4.1): O(min(m, n)^2 max(m, n)), about 20x cheaper than Jacobi here.
 */
export function largestSingularValue(A: Float64Array, m: number, n: number): number {
  const r = Math.min(m, n);
  const G = new Float64Array(r * r);
  if (m <= n) {
    // A A^T: rows of A against each other.
    for (let a = 0; a < m; a++)
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let c = 0; c < n; c++) s += A[c * m + a] * A[c * m + b];
        G[a * r + b] = s;
        G[b * r + a] = s;
      }
  } else {
    for (let a = 0; a < n; a++)
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += A[a * m + i] * A[b * m + i];
        G[a * r + b] = s;
        G[b * r + a] = s;
      }
  }
  return Math.sqrt(Math.max(0, largestSymmetricEigenvalue(G, r)));
}

/** Largest eigenvalue of a symmetric n x n matrix (overwritten): tridiagonalise, then bisect. */
export function largestSymmetricEigenvalue(A: Float64Array, n: number): number {
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // Householder reflector H = I - 2 v v^T zeroing A[k+2.., k].
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += A[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const x0 = A[(k + 1) * n + k];
    const alpha = x0 > 0 ? -norm : norm;
    d[k] = A[k * n + k];
    e[k] = alpha;
    let vn = 0;
    for (let i = k + 1; i < n; i++) {
      v[i] = A[i * n + k] - (i === k + 1 ? alpha : 0);
      vn += v[i] * v[i];
    }
    if (vn === 0) {
      e[k] = x0;
      continue;
    }
    vn = Math.sqrt(vn);
    for (let i = k + 1; i < n; i++) v[i] /= vn;
    // A22 <- H A22 H = A22 - v q^T - q v^T with w = 2 A22 v, q = w - (v^T w) v.
    let K = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      for (let j = k + 1; j < n; j++) s += A[i * n + j] * v[j];
      w[i] = 2 * s;
      K += v[i] * w[i];
    }
    for (let i = k + 1; i < n; i++) w[i] -= K * v[i];
    for (let i = k + 1; i < n; i++) for (let j = k + 1; j < n; j++) A[i * n + j] -= v[i] * w[j] + w[i] * v[j];
  }
  if (n >= 2) {
    d[n - 2] = A[(n - 2) * n + n - 2];
    e[n - 2] = A[(n - 1) * n + n - 2];
  }
  d[n - 1] = A[(n - 1) * n + n - 1];
  // Gershgorin bounds, then bisection on the Sturm count of eigenvalues below x.
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0);
    lo = Math.min(lo, d[i] - r);
    hi = Math.max(hi, d[i] + r);
  }
  const below = (x: number): number => {
    let count = 0;
    let q = 1;
    for (let i = 0; i < n; i++) {
      q = d[i] - x - (i > 0 ? (e[i - 1] * e[i - 1]) / q : 0);
      if (q === 0) q = -Number.EPSILON * (Math.abs(x) + Number.MIN_VALUE);
      if (q < 0) count++;
    }
    return count;
  };
  for (let it = 0; it < 200 && hi - lo > 2 * Number.EPSILON * Math.max(Math.abs(lo), Math.abs(hi)); it++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (below(mid) === n) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}
