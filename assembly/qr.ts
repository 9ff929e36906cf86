// Householder QR with a positive diagonal of R, blocked (compact WY). Twin: native/kernels/qr.cc (same panels, same
// order of operations; the reductions use dot_lanes, which rounds like native's, and the block updates go through
// gemm).
import { at, axpy_sub, dense_scratch, dot_lanes, gemm, scale } from "./dense";

/** Columns per block of the blocked QR; k <= 2 QR_BLOCK runs the unblocked algorithm (one panel). */
export const QR_BLOCK: i32 = 32;

// Applies H_j = I - tau v v^T (v[0] = 1, v[1:] below the diagonal of column j) to rows j .. D-1 of columns [c0, c1).
// @ts-ignore: decorator
@inline function reflect_columns(A: usize, D: i32, j: i32, tauj: f64, c0: i32, c1: i32): void {
  const colBytes = <usize>D << 3;
  const len = D - j;
  const v = A + <usize>j * colBytes + (<usize>(j + 1) << 3);
  for (let c = c0; c < c1; ++c) {
    const t = A + <usize>c * colBytes + (<usize>j << 3);
    let s = dot_lanes(load<f64>(t), v, t + 8, len - 1);
    s *= tauj;
    store<f64>(t, load<f64>(t) - s);
    axpy_sub(s, v, t + 8, len - 1);
  }
}

// The reflectors j0 .. j0+jb-1 as an explicit unit lower trapezoidal V (len x jb, len = D - j0).
function explicit_v(A: usize, D: i32, j0: i32, jb: i32, V: usize): void {
  const len = D - j0;
  for (let l = 0; l < jb; ++l) {
    const col = at(A, (j0 + l) * D + j0);
    const v = at(V, l * len);
    memory.fill(v, 0, <usize>l << 3);
    store<f64>(at(v, l), 1.0);
    memory.copy(at(v, l + 1), at(col, l + 1), <usize>(len - l - 1) << 3);
  }
}

// T (jb x jb, upper, ld QR_BLOCK, zero below) of H_j0 ... H_{j0+jb-1} = I - V T V^T (LAPACK dlarft, forward,
// columnwise): T_ii = tau_i, T[0:i, i] = -tau_i T[0:i, 0:i] (V[:, 0:i]^T v_i). S is jb x jb scratch for V^T V.
function block_t(V: usize, len: i32, jb: i32, tau: usize, S: usize, T: usize): void {
  gemm(true, false, jb, jb, len, 1.0, V, len, V, len, 0.0, S, jb);
  for (let i = 0; i < jb; ++i) {
    const ti = at(T, i * QR_BLOCK);
    const taui = load<f64>(at(tau, i));
    for (let l = 0; l < i; ++l) {
      let t = 0.0;
      for (let m = l; m < i; ++m) t += load<f64>(at(T, m * QR_BLOCK + l)) * (-taui * load<f64>(at(S, i * jb + m)));
      store<f64>(at(ti, l), t);
    }
    store<f64>(at(ti, i), taui);
    for (let l = i + 1; l < jb; ++l) store<f64>(at(ti, l), 0.0);
  }
}

// C (len x n2, ld D) <- (I - V T V^T) C, or with T^T when `transposed` (compact WY, Schreiber & Van Loan 1989; LAPACK
// dlarfb): W = V^T C, W2 = T W (or T^T W), C -= V W2.
function apply_block(
  V: usize,
  len: i32,
  jb: i32,
  T: usize,
  transposed: bool,
  C: usize,
  D: i32,
  n2: i32,
  W: usize,
  W2: usize,
): void {
  gemm(true, false, jb, n2, len, 1.0, V, len, C, D, 0.0, W, jb);
  gemm(transposed, false, jb, n2, jb, 1.0, T, QR_BLOCK, W, jb, 0.0, W2, jb);
  gemm(false, false, len, n2, jb, -1.0, V, len, W2, jb, 1.0, C, D);
}

// A (D x k, column-major, k <= D) = Q R; A is overwritten by the thin Q, R (k x k, column-major, upper) is written to
// R when R is not 0, log|R_jj| to logRDiag. Signs are fixed so that R_jj >= 0 (A = (Q S)(S R), S = diag(+-1)).
// tau is scratch of length k; the block workspaces come from dense_scratch. A zero column gives R_jj = 0 and
// log R_jj = -inf.
export function qr_positive(A: usize, D: i32, k: i32, R: usize, logRDiag: usize, tau: usize): void {
  const colBytes = <usize>D << 3;
  // Householder reflections H_j = I - tau_j v_j v_j^T with v_j[0] = 1 (Golub & Van Loan, Alg. 5.1.1 and 5.2.1; LAPACK
  // dgeqrf/dorgqr conventions), v_j[1:] kept below the diagonal of A. Panels of QR_BLOCK columns: inside a panel one
  // reflector at a time (dgeqr2), then the panel's reflectors applied to the trailing columns as I - V T^T V^T.
  // Two panels or fewer run faster unblocked on both backends (measured at k = 61 and 80); blocking pays from three.
  // Unblocked, the one panel is the whole matrix.
  const blocked = k > 2 * QR_BLOCK;
  const nb = blocked ? QR_BLOCK : k > 0 ? k : 1;
  let Tall: usize = 0;
  let V: usize = 0;
  let W: usize = 0;
  let W2: usize = 0;
  let S: usize = 0;
  if (blocked) {
    Tall = dense_scratch(0, <usize>nb * k + <usize>D * nb + 2 * <usize>nb * k + <usize>nb * nb);
    if (Tall == 0) unreachable();
    V = at(Tall, nb * k);
    W = at(V, D * nb);
    W2 = at(W, nb * k);
    S = at(W2, nb * k);
  }
  for (let j0 = 0; j0 < k; j0 += nb) {
    const jend = min(k, j0 + nb);
    const jb = jend - j0;
    for (let j = j0; j < jend; ++j) {
      const col = A + <usize>j * colBytes;
      const len = D - j;
      const below = at(col, j + 1);
      const sigma = dot_lanes(0.0, below, below, len - 1);
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
      reflect_columns(A, D, j, tauj, j + 1, jend);
    }
    if (blocked && jend < k) {
      const T = at(Tall, j0 * nb);
      explicit_v(A, D, j0, jb, V);
      block_t(V, D - j0, jb, at(tau, j0), S, T);
      apply_block(V, D - j0, jb, T, true, at(A, jend * D + j0), D, k - jend, W, W2);
    }
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
  // Q = H_0 ... H_{k-1} [I; 0], in place and backwards (dorgqr): the panels from the last, each first applying its
  // block reflector I - V T V^T to the columns to its right, then building its own columns one reflector at a time
  // (dorg2r). A[j, j] (the unsigned R_jj) is read before column j is rebuilt, and gives the sign of column j of Q.
  for (let j0 = ((k - 1) / nb) * nb; j0 >= 0; j0 -= nb) {
    const jend = min(k, j0 + nb);
    const jb = jend - j0;
    if (blocked && jend < k) {
      explicit_v(A, D, j0, jb, V);
      apply_block(V, D - j0, jb, at(Tall, j0 * nb), false, at(A, jend * D + j0), D, k - jend, W, W2);
    }
    for (let j = jend - 1; j >= j0; --j) {
      const col = A + <usize>j * colBytes;
      const d = load<f64>(at(col, j));
      const sgn = d < 0.0 ? -1.0 : 1.0;
      const len = D - j;
      const tauj = load<f64>(at(tau, j));
      const below = at(col, j + 1);
      if (tauj != 0.0) {
        // H_j on the panel's columns j+1 .. jend-1 (rows j .. D-1), which hold the product of the later reflectors.
        reflect_columns(A, D, j, tauj, j + 1, jend);
        // Column j of Q before the sign fix: H_j e_j = e_j - tau v.
        store<f64>(at(col, j), 1.0 - tauj);
        scale(-tauj, below, len - 1);
      } else {
        store<f64>(at(col, j), 1.0);
        memory.fill(below, 0, <usize>(len - 1) << 3);
      }
      memory.fill(col, 0, <usize>j << 3);
      // Sign fix of column j: it multiplies the finished column only, because the remaining reflectors act on rows
      // and commute with a column scaling.
      if (sgn < 0.0) scale(-1.0, at(col, j), len);
    }
  }
}
