// Householder QR with a positive diagonal of R. Twin: native/kernels/qr.cc.
//
// The column updates are f64x2: the scalings and the rank-one updates t -= s v are bit-identical to native; the
// reductions (sigma = |v|^2 and s = t_j + v . t) are pairwise-lane sums (see dense.ts), which differ from native's
// left-to-right sums by rounding only.
import { at, axpy_sub, dot_simd, scale } from "./dense";

// Applies H_j = I - tau v v^T (v[0] = 1, v[1:] = col[j+1 .. j+len)) to rows j .. j+len of the columns j+1 .. k-1.
// @ts-ignore: decorator
@inline function reflect_trailing(A: usize, D: i32, k: i32, j: i32, len: i32, tauj: f64): void {
  const colBytes = <usize>D << 3;
  const v = A + <usize>j * colBytes + (<usize>(j + 1) << 3);
  for (let c = j + 1; c < k; ++c) {
    const t = A + <usize>c * colBytes + (<usize>j << 3);
    let s = dot_simd(load<f64>(t), v, t + 8, len - 1);
    s *= tauj;
    store<f64>(t, load<f64>(t) - s);
    axpy_sub(s, v, t + 8, len - 1);
  }
}

// A (D x k, column-major, k <= D) = Q R; A is overwritten by the thin Q, R (k x k, column-major, upper) is written to
// R when R is not 0, log|R_jj| to logRDiag. Signs are fixed so that R_jj >= 0 (A = (Q S)(S R), S = diag(+-1)).
// tau is scratch of length k. A zero column gives R_jj = 0 and log R_jj = -inf.
export function qr_positive(A: usize, D: i32, k: i32, R: usize, logRDiag: usize, tau: usize): void {
  const colBytes = <usize>D << 3;
  // Householder reflections H_j = I - tau_j v_j v_j^T with v_j[0] = 1 (Golub & Van Loan, Alg. 5.1.1 and 5.2.1;
  // LAPACK dgeqr2/dorg2r conventions). v_j[1:] is kept below the diagonal of A.
  for (let j = 0; j < k; ++j) {
    const col = A + <usize>j * colBytes;
    const len = D - j;
    const below = at(col, j + 1);
    const sigma = dot_simd(0.0, below, below, len - 1);
    const alpha = load<f64>(at(col, j));
    if (sigma == 0.0) {
      store<f64>(at(tau, j), 0.0); // already upper triangular in this column; R_jj = alpha
      continue;
    }
    const norm = Math.sqrt(alpha * alpha + sigma);
    const beta = alpha <= 0.0 ? norm : -norm;
    const tauj = (beta - alpha) / beta;
    store<f64>(at(tau, j), tauj);
    scale(1.0 / (alpha - beta), below, len - 1);
    store<f64>(at(col, j), beta);
    // Apply H_j to the trailing columns.
    reflect_trailing(A, D, k, j, len, tauj);
  }
  // R, with the sign of each row chosen so that its diagonal is non-negative.
  for (let j = 0; j < k; ++j) {
    const d = load<f64>(at(A, j * D + j));
    store<f64>(at(logRDiag, j), Math.log(Math.abs(d)));
    if (R != 0) {
      const sgn = d < 0.0 ? -1.0 : 1.0;
      for (let c = 0; c < k; ++c) store<f64>(at(R, c * k + j), c < j ? 0.0 : sgn * load<f64>(at(A, c * D + j)));
    }
  }
  // Accumulate Q = H_0 ... H_{k-1} [I; 0] backwards, in place (dorg2r). A[j, j] (the unsigned R_jj) is read before
  // column j is rebuilt, and gives the sign of column j of Q.
  for (let j = k - 1; j >= 0; --j) {
    const col = A + <usize>j * colBytes;
    const d = load<f64>(at(col, j));
    const sgn = d < 0.0 ? -1.0 : 1.0;
    const len = D - j;
    const tauj = load<f64>(at(tau, j));
    const below = at(col, j + 1);
    // Apply H_j to columns j+1..k-1 (rows j..D-1), which already hold the product of the later reflections.
    if (tauj != 0.0) {
      reflect_trailing(A, D, k, j, len, tauj);
      // Column j of Q before the sign fix: H_j e_j = e_j - tau v.
      store<f64>(at(col, j), 1.0 - tauj);
      scale(-tauj, below, len - 1);
    } else {
      store<f64>(at(col, j), 1.0);
      memory.fill(below, 0, <usize>(len - 1) << 3);
    }
    memory.fill(col, 0, <usize>j << 3);
    // Sign fix of column j: it multiplies the finished column only, because later reflections (applied above while
    // building columns < j) act on rows and commute with a column scaling.
    if (sgn < 0.0) scale(-1.0, at(col, j), len);
  }
}
