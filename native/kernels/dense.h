// Small dense kernels. Twin: assembly/dense.ts. With WEIGHTDYN_HAVE_EIGEN the native build uses Eigen instead.
#pragma once

namespace wd {

// C = A B for A (n x n, symmetric, row- or column-major alike), B (n x k, column-major), C (n x k, column-major).
void symm_times(const double* A, int n, const double* B, int k, double* C);

}  // namespace wd
