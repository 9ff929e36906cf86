#include "qr.h"

#include <cmath>

namespace wd {

void qr_positive(double* A, int D, int k, double* R, double* logRDiag, double* tau) {
  // Householder reflections H_j = I - tau_j v_j v_j^T with v_j[0] = 1 (Golub & Van Loan, Alg. 5.1.1 and 5.2.1;
  // LAPACK dgeqr2/dorg2r conventions). v_j[1:] is kept below the diagonal of A.
  for (int j = 0; j < k; ++j) {
    double* col = A + static_cast<size_t>(j) * D;
    const int len = D - j;
    double sigma = 0.0;
    for (int i = 1; i < len; ++i) sigma += col[j + i] * col[j + i];
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
    // Apply H_j to the trailing columns.
    for (int c = j + 1; c < k; ++c) {
      double* t = A + static_cast<size_t>(c) * D;
      double s = t[j];
      for (int i = 1; i < len; ++i) s += col[j + i] * t[j + i];
      s *= tau[j];
      t[j] -= s;
      for (int i = 1; i < len; ++i) t[j + i] -= s * col[j + i];
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
  // Accumulate Q = H_0 ... H_{k-1} [I; 0] backwards, in place (dorg2r). A[j, j] (the unsigned R_jj) is read
  // before column j is rebuilt, and gives the sign of column j of Q.
  for (int j = k - 1; j >= 0; --j) {
    double* col = A + static_cast<size_t>(j) * D;
    const double d = col[j];
    const double sgn = d < 0.0 ? -1.0 : 1.0;
    const int len = D - j;
    // Apply H_j to columns j+1..k-1 (rows j..D-1), which already hold the product of the later reflections.
    if (tau[j] != 0.0) {
      for (int c = j + 1; c < k; ++c) {
        double* t = A + static_cast<size_t>(c) * D;
        double s = t[j];
        for (int i = 1; i < len; ++i) s += col[j + i] * t[j + i];
        s *= tau[j];
        t[j] -= s;
        for (int i = 1; i < len; ++i) t[j + i] -= s * col[j + i];
      }
      // Column j of Q before the sign fix: H_j e_j = e_j - tau v.
      col[j] = 1.0 - tau[j];
      for (int i = 1; i < len; ++i) col[j + i] *= -tau[j];
    } else {
      col[j] = 1.0;
      for (int i = 1; i < len; ++i) col[j + i] = 0.0;
    }
    for (int i = 0; i < j; ++i) col[i] = 0.0;
    // Sign fix of column j: it multiplies the finished column only, because later reflections (applied above
    // while building columns < j) act on rows and commute with a column scaling.
    if (sgn < 0.0) {
      for (int i = j; i < D; ++i) col[i] = -col[i];
    }
  }
}

}  // namespace wd
