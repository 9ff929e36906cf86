#include "qr.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "dense.h"

namespace wd {

namespace {

// Applies H_j = I - tau v v^T (v[0] = 1, v[1:] below the diagonal of column j) to rows j .. D-1 of columns
// [c0, c1).
inline void reflect_columns(double* A, int D, int j, double tauj, int c0, int c1) {
  const int len = D - j;
  const double* v = A + static_cast<size_t>(j) * D + j + 1;
  for (int c = c0; c < c1; ++c) {
    double* t = A + static_cast<size_t>(c) * D + j;
    double s = dot_lanes(t[0], v, t + 1, len - 1);
    s *= tauj;
    t[0] -= s;
    for (int i = 0; i < len - 1; ++i) t[1 + i] -= s * v[i];
  }
}

// The reflectors j0 .. j0+jb-1 as an explicit unit lower trapezoidal V (len x jb, len = D - j0): zeros above the
// diagonal, ones on it, the stored vectors below.
void explicit_v(const double* A, int D, int j0, int jb, double* V) {
  const int len = D - j0;
  for (int l = 0; l < jb; ++l) {
    const double* col = A + static_cast<size_t>(j0 + l) * D + j0;
    double* v = V + static_cast<size_t>(l) * len;
    for (int r = 0; r < l; ++r) v[r] = 0.0;
    v[l] = 1.0;
    for (int r = l + 1; r < len; ++r) v[r] = col[r];
  }
}

// T (jb x jb, upper, ld QR_BLOCK) of H_j0 ... H_{j0+jb-1} = I - V T V^T (LAPACK dlarft, forward, columnwise):
// T_ii = tau_i, T[0:i, i] = -tau_i T[0:i, 0:i] (V[:, 0:i]^T v_i). S is jb x jb scratch for V^T V.
void block_t(const double* V, int len, int jb, const double* tau, double* S, double* T) {
  gemm(true, false, jb, jb, len, 1.0, V, len, V, len, 0.0, S, jb);
  for (int i = 0; i < jb; ++i) {
    double* ti = T + static_cast<size_t>(i) * QR_BLOCK;
    for (int l = 0; l < i; ++l) {
      double t = 0.0;
      for (int m = l; m < i; ++m) t += T[static_cast<size_t>(m) * QR_BLOCK + l] * (-tau[i] * S[static_cast<size_t>(i) * jb + m]);
      ti[l] = t;
    }
    ti[i] = tau[i];
    for (int l = i + 1; l < jb; ++l) ti[l] = 0.0;  // T is upper triangular; apply_block multiplies it whole
  }
}

// C (len x n2, ld D) <- (I - V T V^T) C, or with T^T when `transposed` (compact WY, Schreiber & Van Loan 1989;
// LAPACK dlarfb): W = V^T C, W2 = T W (or T^T W), C -= V W2; three gemm calls. W and W2 are jb x n2 scratch. Each
// column of C is updated by its own columns of W and W2 alone, so with several threads the columns are split once
// for all three products (one parallel region; dense.h: dense_for_columns).
void apply_block(const double* V, int len, int jb, const double* T, bool transposed, double* C, int D, int n2,
                 double* W, double* W2) {
  dense_for_columns(n2, 2.0 * len * n2 * jb, [&](int c0, int c1) {
    const int n = c1 - c0;
    double* Cp = C + static_cast<size_t>(c0) * D;
    double* Wp = W + static_cast<size_t>(c0) * jb;
    double* W2p = W2 + static_cast<size_t>(c0) * jb;
    gemm(true, false, jb, n, len, 1.0, V, len, Cp, D, 0.0, Wp, jb);
    gemm(transposed, false, jb, n, jb, 1.0, T, QR_BLOCK, Wp, jb, 0.0, W2p, jb);
    gemm(false, false, len, n, jb, -1.0, V, len, W2p, jb, 1.0, Cp, D);
  });
}

}  // namespace

void qr_positive(double* A, int D, int k, double* R, double* logRDiag, double* tau) {
  // Householder reflections H_j = I - tau_j v_j v_j^T with v_j[0] = 1 (Golub & Van Loan, Alg. 5.1.1 and 5.2.1;
  // LAPACK dgeqrf/dorgqr conventions), v_j[1:] kept below the diagonal of A. Columns are factored in panels of
  // QR_BLOCK: inside a panel one reflector at a time (dgeqr2), then the panel's reflectors are applied to the
  // trailing columns at once as I - V T^T V^T (two gemm calls).
  // Two panels or fewer run faster unblocked on both backends (measured at k = 61 and 80); blocking pays from three.
  // Unblocked, the one panel is the whole matrix.
  const bool blocked = k > 2 * QR_BLOCK;
  const int nb = blocked ? QR_BLOCK : (k > 0 ? k : 1);
  double* Tall = nullptr;
  double* V = nullptr;
  double* W = nullptr;
  double* W2 = nullptr;
  double* S = nullptr;
  if (blocked) {
    Tall = dense_scratch(0, static_cast<size_t>(nb) * k + static_cast<size_t>(D) * nb + 2 * static_cast<size_t>(nb) * k +
                                static_cast<size_t>(nb) * nb);
    V = Tall + static_cast<size_t>(nb) * k;
    W = V + static_cast<size_t>(D) * nb;
    W2 = W + static_cast<size_t>(nb) * k;
    S = W2 + static_cast<size_t>(nb) * k;
  }
  for (int j0 = 0; j0 < k; j0 += nb) {
    const int jend = std::min(k, j0 + nb), jb = jend - j0;
    for (int j = j0; j < jend; ++j) {
      double* col = A + static_cast<size_t>(j) * D;
      const int len = D - j;
      const double sigma = dot_lanes(0.0, col + j + 1, col + j + 1, len - 1);
      const double alpha = col[j];
      if (sigma == 0.0) {
        tau[j] = 0.0;  // already upper triangular in this column; R_jj = alpha
        continue;
      }
      const double norm = std::sqrt(alpha * alpha + sigma);
      const double beta = alpha <= 0.0 ? norm : -norm;
      tau[j] = (beta - alpha) / beta;
      const double scale = 1.0 / (alpha - beta);
      for (int i = 1; i < len; ++i) col[j + i] *= scale;
      col[j] = beta;
      reflect_columns(A, D, j, tau[j], j + 1, jend);
    }
    if (blocked && jend < k) {
      double* T = Tall + static_cast<size_t>(j0) * nb;
      explicit_v(A, D, j0, jb, V);
      block_t(V, D - j0, jb, tau + j0, S, T);
      apply_block(V, D - j0, jb, T, true, A + static_cast<size_t>(jend) * D + j0, D, k - jend, W, W2);
    }
  }
  // R, with the sign of each row chosen so that its diagonal is non-negative.
  for (int j = 0; j < k; ++j) {
    const double d = A[static_cast<size_t>(j) * D + j];
    logRDiag[j] = std::log(std::fabs(d));
    if (R) {
      const double sgn = d < 0.0 ? -1.0 : 1.0;
      for (int c = 0; c < k; ++c) R[static_cast<size_t>(c) * k + j] = c < j ? 0.0 : sgn * A[static_cast<size_t>(c) * D + j];
    }
  }
  // Q = H_0 ... H_{k-1} [I; 0], in place and backwards (dorgqr): the panels from the last, each first applying its
  // block reflector I - V T V^T to the columns to its right (already final but for the earlier reflectors, and zero
  // in the panel's rows), then building its own columns one reflector at a time (dorg2r). A[j, j] (the unsigned
  // R_jj) is read before column j is rebuilt, and gives the sign of column j of Q.
  for (int j0 = ((k - 1) / nb) * nb; j0 >= 0; j0 -= nb) {
    const int jend = std::min(k, j0 + nb), jb = jend - j0;
    if (blocked && jend < k) {
      explicit_v(A, D, j0, jb, V);
      apply_block(V, D - j0, jb, Tall + static_cast<size_t>(j0) * nb, false, A + static_cast<size_t>(jend) * D + j0, D,
                  k - jend, W, W2);
    }
    for (int j = jend - 1; j >= j0; --j) {
      double* col = A + static_cast<size_t>(j) * D;
      const double d = col[j];
      const double sgn = d < 0.0 ? -1.0 : 1.0;
      const int len = D - j;
      if (tau[j] != 0.0) {
        // H_j on the panel's columns j+1 .. jend-1 (rows j .. D-1), which hold the product of the later reflectors.
        reflect_columns(A, D, j, tau[j], j + 1, jend);
        // Column j of Q before the sign fix: H_j e_j = e_j - tau v.
        col[j] = 1.0 - tau[j];
        for (int i = 1; i < len; ++i) col[j + i] *= -tau[j];
      } else {
        col[j] = 1.0;
        for (int i = 1; i < len; ++i) col[j + i] = 0.0;
      }
      for (int i = 0; i < j; ++i) col[i] = 0.0;
      // Sign fix of column j: it multiplies the finished column only, because the remaining reflectors act on rows
      // and commute with a column scaling.
      if (sgn < 0.0) {
        for (int i = j; i < D; ++i) col[i] = -col[i];
      }
    }
  }
}

}  // namespace wd
