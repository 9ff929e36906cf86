#include "ensemble_qr.h"

#include <cmath>
#include <cstddef>

#include "lanes.h"

namespace wd {

namespace {

constexpr int L = LANES;

// H_j (rows j .. n-1; v_j[0] = 1 and v_j below the diagonal of column j) on the columns [c0, c1) of every lane, two
// columns at a time so that each entry of v_j is loaded once per pair.
void reflect_columns_lanes(double* A, int n, int j, const double* tauj, int c0, int c1) {
  const double* v = A + (static_cast<size_t>(j) * n + j) * L;
  const lanes tau = ld(tauj);
  const int len = n - j;
  int c = c0;
  for (; c + 2 <= c1; c += 2) {
    double* t0 = A + (static_cast<size_t>(c) * n + j) * L;
    double* t1 = t0 + static_cast<size_t>(n) * L;
    lanes s0 = ld(t0), s1 = ld(t1);
    for (int i = 1; i < len; ++i) {
      const lanes vi = ld(v + static_cast<size_t>(i) * L);
      s0 += vi * ld(t0 + static_cast<size_t>(i) * L);
      s1 += vi * ld(t1 + static_cast<size_t>(i) * L);
    }
    s0 *= tau;
    s1 *= tau;
    st(t0, ld(t0) - s0);
    st(t1, ld(t1) - s1);
    for (int i = 1; i < len; ++i) {
      const lanes vi = ld(v + static_cast<size_t>(i) * L);
      st(t0 + static_cast<size_t>(i) * L, ld(t0 + static_cast<size_t>(i) * L) - s0 * vi);
      st(t1 + static_cast<size_t>(i) * L, ld(t1 + static_cast<size_t>(i) * L) - s1 * vi);
    }
  }
  for (; c < c1; ++c) {
    double* t = A + (static_cast<size_t>(c) * n + j) * L;
    lanes s = ld(t);
    for (int i = 1; i < len; ++i) s += ld(v + static_cast<size_t>(i) * L) * ld(t + static_cast<size_t>(i) * L);
    s *= tau;
    st(t, ld(t) - s);
    for (int i = 1; i < len; ++i)
      st(t + static_cast<size_t>(i) * L, ld(t + static_cast<size_t>(i) * L) - s * ld(v + static_cast<size_t>(i) * L));
  }
}

}  // namespace

void qr_positive_lanes(double* A, int n, int k, double* logRDiag, double* tau) {
  for (int j = 0; j < k; ++j) {
    double* col = A + static_cast<size_t>(j) * n * L;
    double sigma[L] = {};
    for (int i = j + 1; i < n; ++i)
      for (int b = 0; b < L; ++b) sigma[b] += col[static_cast<size_t>(i) * L + b] * col[static_cast<size_t>(i) * L + b];
    double* cj = col + static_cast<size_t>(j) * L;
    double* tj = tau + static_cast<size_t>(j) * L;
    double scale[L];
    for (int b = 0; b < L; ++b) {
      const double alpha = cj[b];
      const bool done = sigma[b] == 0.0;  // already upper triangular in this column: R_jj = alpha
      const double norm = std::sqrt(alpha * alpha + sigma[b]);
      const double beta = alpha <= 0.0 ? norm : -norm;
      tj[b] = done ? 0.0 : (beta - alpha) / beta;
      scale[b] = done ? 1.0 : 1.0 / (alpha - beta);
      cj[b] = done ? alpha : beta;
    }
    for (int i = j + 1; i < n; ++i)
      for (int b = 0; b < L; ++b) col[static_cast<size_t>(i) * L + b] *= scale[b];
    reflect_columns_lanes(A, n, j, tj, j + 1, k);
  }
  for (int j = 0; j < k; ++j)
    for (int b = 0; b < L; ++b) logRDiag[static_cast<size_t>(j) * L + b] = std::log(std::fabs(A[(static_cast<size_t>(j) * n + j) * L + b]));
  for (int j = k - 1; j >= 0; --j) {
    double* col = A + static_cast<size_t>(j) * n * L;
    const double* tj = tau + static_cast<size_t>(j) * L;
    double sgn[L];
    for (int b = 0; b < L; ++b) sgn[b] = col[static_cast<size_t>(j) * L + b] < 0.0 ? -1.0 : 1.0;
    reflect_columns_lanes(A, n, j, tj, j + 1, k);
    for (int b = 0; b < L; ++b) {
      const bool id = tj[b] == 0.0;
      col[static_cast<size_t>(j) * L + b] = (id ? 1.0 : 1.0 - tj[b]) * sgn[b];
    }
    for (int i = j + 1; i < n; ++i)
      for (int b = 0; b < L; ++b) {
        const double x = col[static_cast<size_t>(i) * L + b];
        col[static_cast<size_t>(i) * L + b] = tj[b] == 0.0 ? 0.0 : -tj[b] * x * sgn[b];
      }
    for (int i = 0; i < j; ++i)
      for (int b = 0; b < L; ++b) col[static_cast<size_t>(i) * L + b] = 0.0;
  }
}

}  // namespace wd
