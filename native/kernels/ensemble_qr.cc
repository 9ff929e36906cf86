#include "ensemble_qr.h"

#include <cmath>
#include <cstddef>

#include "lanes.h"

namespace wd {

namespace {

constexpr int L = LANES;

// H_j (rows j .. n-1; v_j[0] = 1 and v_j below the diagonal of column j) on NC columns from c of every lane: each
// column's dot product with v_j in its own register, each entry of v_j loaded once for the NC columns.
template <int NC>
inline void reflect_tile(double* A, int n, int j, const double* v, lanes tau, int c) {
  const int len = n - j;
  double* t[NC];
  lanes s[NC];
  for (int x = 0; x < NC; ++x) {
    t[x] = A + (static_cast<size_t>(c + x) * n + j) * L;
    s[x] = ld(t[x]);
  }
  for (int i = 1; i < len; ++i) {
    const lanes vi = ld(v + static_cast<size_t>(i) * L);
    for (int x = 0; x < NC; ++x) s[x] += vi * ld(t[x] + static_cast<size_t>(i) * L);
  }
  for (int x = 0; x < NC; ++x) {
    s[x] *= tau;
    st(t[x], ld(t[x]) - s[x]);
  }
  for (int i = 1; i < len; ++i) {
    const lanes vi = ld(v + static_cast<size_t>(i) * L);
    for (int x = 0; x < NC; ++x) {
      double* ti = t[x] + static_cast<size_t>(i) * L;
      st(ti, ld(ti) - s[x] * vi);
    }
  }
}

// H_j on the columns [c0, c1) of every lane, four columns at a time and the last one to three together.
void reflect_columns_lanes(double* A, int n, int j, const double* tauj, int c0, int c1) {
  const double* v = A + (static_cast<size_t>(j) * n + j) * L;
  const lanes tau = ld(tauj);
  int c = c0;
  for (; c + 4 <= c1; c += 4) reflect_tile<4>(A, n, j, v, tau, c);
  switch (c1 - c) {
    case 1: reflect_tile<1>(A, n, j, v, tau, c); break;
    case 2: reflect_tile<2>(A, n, j, v, tau, c); break;
    case 3: reflect_tile<3>(A, n, j, v, tau, c); break;
    default: break;
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
