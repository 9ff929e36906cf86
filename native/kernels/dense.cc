#include "dense.h"

#include <cstddef>

#ifdef WEIGHTDYN_HAVE_EIGEN
#include <Eigen/Dense>
#endif

namespace wd {

void symm_times(const double* A, int n, const double* B, int k, double* C) {
#ifdef WEIGHTDYN_HAVE_EIGEN
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
  Eigen::Map<const Mat> a(A, n, n), b(B, n, k);
  Eigen::Map<Mat> c(C, n, k);
  c.noalias() = a * b;
#else
  // C[:, j] = A B[:, j] as dot products of the (contiguous) rows of the symmetric A with columns of B, two rows and
  // two columns at a time for register reuse.
  int j = 0;
  for (; j + 2 <= k; j += 2) {
    const double* b0 = B + static_cast<size_t>(j) * n;
    const double* b1 = b0 + n;
    double* c0 = C + static_cast<size_t>(j) * n;
    double* c1 = c0 + n;
    int p = 0;
    for (; p + 2 <= n; p += 2) {
      const double* a0 = A + static_cast<size_t>(p) * n;
      const double* a1 = a0 + n;
      double s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (int q = 0; q < n; ++q) {
        s00 += a0[q] * b0[q]; s01 += a0[q] * b1[q];
        s10 += a1[q] * b0[q]; s11 += a1[q] * b1[q];
      }
      c0[p] = s00; c1[p] = s01; c0[p + 1] = s10; c1[p + 1] = s11;
    }
    for (; p < n; ++p) {
      const double* a0 = A + static_cast<size_t>(p) * n;
      double s0 = 0, s1 = 0;
      for (int q = 0; q < n; ++q) { s0 += a0[q] * b0[q]; s1 += a0[q] * b1[q]; }
      c0[p] = s0; c1[p] = s1;
    }
  }
  for (; j < k; ++j) {
    const double* b0 = B + static_cast<size_t>(j) * n;
    double* c0 = C + static_cast<size_t>(j) * n;
    for (int p = 0; p < n; ++p) {
      const double* a0 = A + static_cast<size_t>(p) * n;
      double s0 = 0;
      for (int q = 0; q < n; ++q) s0 += a0[q] * b0[q];
      c0[p] = s0;
    }
  }
#endif
}

}  // namespace wd
