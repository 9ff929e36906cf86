// Dense kernels on column-major matrices. Twin: assembly/dense.ts (the built-in branch). With WEIGHTDYN_HAVE_EIGEN the
// native build routes gemm to Eigen (FMA, its own blocking; rounding differs at the last bits), unless
// dense_use_eigen is switched off at run time (the tests compare the two).
#pragma once
#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace wd {

// Once, at module load: with Eigen, its gemm blocking is derived from twice the L1 and L2 sizes it detects. Eigen picks
// its panel depth from the L1 size; on the reference machine (AMD EPYC, 32 KiB L1d, 1 MiB L2, detected as 512 KiB)
// the doubled sizes run gemm at n = 301 at 30 GFLOP/s instead of 24 (measured, best of 40). Blocking only: results
// change at rounding level.
void dense_init();

// True when the addon was built with Eigen; then gemm uses it while dense_use_eigen is true.
bool dense_have_eigen();
extern bool dense_use_eigen;

// Threads of the dense kernels on the calling thread (1 by default; every thread that calls them keeps its own count).
// With more than one, a large gemm (at least GEMM_PAR_MIN multiply-adds and 2 NR columns per thread) splits its
// columns into that many contiguous parts whose widths are multiples of NR, one per OpenMP thread, each computed by
// the one-thread gemm: every element of C is the same sum in the same order as with one thread, so results do not
// depend on the thread count (test/32). Without OpenMP in the build the count is accepted and ignored
// (dense_max_threads() is 1).
void dense_set_threads(int threads);
int dense_threads();
int dense_max_threads();
constexpr double GEMM_PAR_MIN = 131072.0;

// fn(j0, j1) over columns [0, n): once on the calling thread, or, with dense_threads() > 1, work (multiply-adds) at
// least GEMM_PAR_MIN and at least 2 NR columns per part, over contiguous parts of NR-multiple widths, one per OpenMP
// thread, in one parallel region. fn must touch only its own columns' outputs; a dense call inside runs on its part's
// thread alone. An exception inside (out of memory) is caught per part and std::bad_alloc thrown after the region.
constexpr int DENSE_NR = 4;
// dense_for_triangle: the same for the columns of an upper triangle, parts of equal area (column j costs j).
bool dense_parallel_run(int parts, int n, bool triangle, void (*body)(void*, int, int), void* ctx);
template <typename F>
void dense_for_parts(int n, double work, bool triangle, F&& fn) {
  const int parts = std::min(dense_threads(), n / (2 * DENSE_NR));
  if (parts > 1 && work >= GEMM_PAR_MIN &&
      dense_parallel_run(parts, n, triangle,
                         [](void* c, int j0, int j1) { (*static_cast<std::remove_reference_t<F>*>(c))(j0, j1); }, &fn))
    return;
  fn(0, n);
}
template <typename F>
void dense_for_columns(int n, double work, F&& fn) {
  dense_for_parts(n, work, false, fn);
}
template <typename F>
void dense_for_triangle(int n, double work, F&& fn) {
  dense_for_parts(n, work, true, fn);
}

// C (m x n, ldc) = beta C + alpha op(A) op(B), op(A) m x kk, op(B) kk x n; op(X) = X^T when transX. beta == 0
// overwrites C (NaN in C does not propagate). The built-in branch blocks the kk sum in panels of GEMM_KC and sums
// each panel left to right, so it is bit-identical to assembly/dense.ts: gemm.
void gemm(bool transA, bool transB, int m, int n, int kk, double alpha, const double* A, int lda, const double* B,
          int ldb, double beta, double* C, int ldc);

// C (n x k) = A B for a symmetric A (n x n) and B (n x k), all with leading dimension n, without packing: each
// element is a dot product of a (contiguous) column of A, used as the row it equals, with a column of B, two by two
// for register reuse. For small n, where gemm's packing costs more than it saves (the tangent product H Q at
// D <= SYMM_TIMES_MAX_N). With Eigen in use it is gemm; the built-in loop sums in the lane order of assembly/dense.ts:
// symm_times (even and odd q apart, then their sum, then the last term when n is odd), so the twins agree to the bit.
constexpr int SYMM_TIMES_MAX_N = 64;
void symm_times(const double* A, int n, const double* B, int k, double* C);

// The upper triangle (diagonal included) of C (n x n) = A B^T for A, B (n x kk, lda, ldb), by blocks of columns of
// width SYRK_BLOCK through gemm; the strictly lower part of the diagonal blocks is written too (and is garbage for
// the caller: symmetrize_upper overwrites it). For n <= SYMM_TIMES_MAX_N, unpacked rank-4 updates instead
// (syrk_upper_small; same products, summed in groups of four).
void syrk_upper(int n, int kk, const double* A, int lda, const double* B, int ldb, double* C, int ldc);

// C[q, p] = C[p, q] for q > p (lower triangle from the upper), by square tiles.
void symmetrize_upper(double* C, int n, int ldc);

// init + sum_{i<n} a[i] b[i] in the lane order of assembly/dense.ts: dot_simd (four partial sums s_(i mod 4),
// combined as init + ((s0 + s2) + (s1 + s3)), then + a[n-1] b[n-1] when n is odd), so both sides round alike and
// the compiler can vectorise it without reassociating.
double dot_lanes(double init, const double* a, const double* b, int n);

// Scratch of at least n doubles, kept between calls (grown, never shrunk; one set per thread): the hot loop allocates
// nothing once the largest size has been seen. Slot 0: the QR's block workspaces, 2: gemm's packing (1: free).
double* dense_scratch(int slot, size_t n);

}  // namespace wd
