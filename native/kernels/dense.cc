#include "dense.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <new>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#ifdef WEIGHTDYN_HAVE_EIGEN
// Eigen's own OpenMP parallelisation would use every core from any thread; the column split below is ours.
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Dense>
#endif

namespace wd {

#ifdef WEIGHTDYN_HAVE_EIGEN
bool dense_use_eigen = true;
bool dense_have_eigen() { return true; }
#else
bool dense_use_eigen = false;
bool dense_have_eigen() { return false; }
#endif

namespace {

// Blocking of the built-in gemm (GotoBLAS layout, Goto & van de Geijn 2008): a KC x NC panel of op(B) packed in
// NR-column slivers (L2), an MC x KC block of op(A) in MR-row slivers, an MR x NR register tile. The same constants as
// assembly/dense.ts; only GEMM_KC changes the rounding (the kk sum is split into panels of that length).
constexpr int MR = 4, NR = DENSE_NR, MC = 64, GEMM_KC = 256, NC = 256;
constexpr int SYRK_BLOCK = 64;

// Per thread: the addon may be loaded by several worker threads of one process (the ensemble runner's pool).
thread_local std::vector<double> g_scratch[3];
thread_local int t_threads = 1;

// Packs op(A)[i0 : i0+mc, p0 : p0+kc] into MR-row slivers: element (i, p) of sliver s at s*MR*kc + p*MR + (i mod MR);
// rows past mc are zero.
void pack_a(bool t, const double* A, int lda, int i0, int mc, int p0, int kc, double* out) {
  for (int s = 0; s < mc; s += MR) {
    const int rows = std::min(MR, mc - s);
    double* o = out + static_cast<size_t>(s) * kc;
    for (int p = 0; p < kc; ++p) {
      for (int i = 0; i < rows; ++i) {
        const int r = i0 + s + i, c = p0 + p;
        o[p * MR + i] = t ? A[static_cast<size_t>(r) * lda + c] : A[static_cast<size_t>(c) * lda + r];
      }
      for (int i = rows; i < MR; ++i) o[p * MR + i] = 0.0;
    }
  }
}

// Packs op(B)[p0 : p0+kc, j0 : j0+nc] into NR-column slivers: element (p, j) of sliver s at s*NR*kc + p*NR + (j mod NR).
void pack_b(bool t, const double* B, int ldb, int p0, int kc, int j0, int nc, double* out) {
  for (int s = 0; s < nc; s += NR) {
    const int cols = std::min(NR, nc - s);
    double* o = out + static_cast<size_t>(s) * kc;
    for (int j = 0; j < cols; ++j) {
      const int c = j0 + s + j;
      for (int p = 0; p < kc; ++p) {
        const int r = p0 + p;
        o[p * NR + j] = t ? B[static_cast<size_t>(r) * ldb + c] : B[static_cast<size_t>(c) * ldb + r];
      }
    }
    for (int j = cols; j < NR; ++j)
      for (int p = 0; p < kc; ++p) o[p * NR + j] = 0.0;
  }
}

// acc (MR x NR, column-major) = sum_p a_p b_p^T, left to right from zero (no fused multiply-add: this file is built
// with -ffp-contract=off, and the compiler vectorises the i loop as four lanes, like the f64x2 pairs of the twin).
inline void micro_kernel(int kc, const double* a, const double* b, double* acc) {
  double c[NR][MR] = {};
  for (int p = 0; p < kc; ++p) {
    const double* ap = a + p * MR;
    const double* bp = b + p * NR;
    for (int j = 0; j < NR; ++j)
      for (int i = 0; i < MR; ++i) c[j][i] += ap[i] * bp[j];
  }
  for (int j = 0; j < NR; ++j)
    for (int i = 0; i < MR; ++i) acc[j * MR + i] = c[j][i];
}

void gemm_builtin(bool transA, bool transB, int m, int n, int kk, double alpha, const double* A, int lda,
                  const double* B, int ldb, double* C, int ldc) {
  double* bpack = dense_scratch(2, static_cast<size_t>(GEMM_KC) * NC + static_cast<size_t>(MC) * GEMM_KC);
  double* apack = bpack + static_cast<size_t>(GEMM_KC) * NC;
  double acc[MR * NR];
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = std::min(NC, n - jc);
    for (int pc = 0; pc < kk; pc += GEMM_KC) {
      const int kc = std::min(GEMM_KC, kk - pc);
      pack_b(transB, B, ldb, pc, kc, jc, nc, bpack);
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = std::min(MC, m - ic);
        pack_a(transA, A, lda, ic, mc, pc, kc, apack);
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = std::min(NR, nc - jr);
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = std::min(MR, mc - ir);
            micro_kernel(kc, apack + static_cast<size_t>(ir) * kc, bpack + static_cast<size_t>(jr) * kc, acc);
            for (int j = 0; j < nr; ++j) {
              double* cc = C + static_cast<size_t>(jc + jr + j) * ldc + ic + ir;
              for (int i = 0; i < mr; ++i) cc[i] += alpha * acc[j * MR + i];
            }
          }
        }
      }
    }
  }
}

}  // namespace

void dense_init() {
#ifdef WEIGHTDYN_HAVE_EIGEN
  // Once per process (every worker thread that loads the addon calls this; Eigen's sizes are process-wide).
  static std::once_flag once;
  std::call_once(once, [] {
    std::ptrdiff_t l1 = 0, l2 = 0, l3 = 0;
    Eigen::internal::manage_caching_sizes(Eigen::GetAction, &l1, &l2, &l3);
    Eigen::setCpuCacheSizes(2 * l1, 2 * l2, l3);
  });
#endif
}

double* dense_scratch(int slot, size_t n) {
  std::vector<double>& v = g_scratch[slot];
  if (v.size() < n) v.resize(n);
  return v.data();
}

double dot_lanes(double init, const double* a, const double* b, int n) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  if (i + 2 <= n) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    i += 2;
  }
  double s = init + ((s0 + s2) + (s1 + s3));
  if (i < n) s += a[i] * b[i];
  return s;
}

namespace {

// gemm on the calling thread alone.
void gemm_one(bool transA, bool transB, int m, int n, int kk, double alpha, const double* A, int lda, const double* B,
              int ldb, double beta, double* C, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (beta != 1.0) {
    for (int j = 0; j < n; ++j) {
      double* c = C + static_cast<size_t>(j) * ldc;
      if (beta == 0.0) std::fill(c, c + m, 0.0);
      else for (int i = 0; i < m; ++i) c[i] *= beta;
    }
  }
  if (kk <= 0 || alpha == 0.0) return;
#ifdef WEIGHTDYN_HAVE_EIGEN
  // Eigen only where it runs its packed GEMM kernel, whose sums do not depend on where the arrays lie. Below its
  // coefficient-based threshold (m + n + k < 20) and for one row or column of C, Eigen evaluates inner products and
  // matrix-vector products whose vectorised sums start at the first aligned element: their rounding then depends on
  // the heap addresses, which differ from process to process (a deep run with minibatches gave other last bits in one
  // process of four). The built-in kernel is exact in the same sense and fast enough at those sizes.
  if (dense_use_eigen && m > 1 && n > 1 && m + n + kk >= 20) {
    using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
    using Map = Eigen::Map<const Mat, 0, Eigen::OuterStride<>>;
    Map a(A, transA ? kk : m, transA ? m : kk, Eigen::OuterStride<>(lda));
    Map b(B, transB ? n : kk, transB ? kk : n, Eigen::OuterStride<>(ldb));
    Eigen::Map<Mat, 0, Eigen::OuterStride<>> c(C, m, n, Eigen::OuterStride<>(ldc));
    if (!transA && !transB) c.noalias() += alpha * (a * b);
    else if (transA && !transB) c.noalias() += alpha * (a.transpose() * b);
    else if (!transA && transB) c.noalias() += alpha * (a * b.transpose());
    else c.noalias() += alpha * (a.transpose() * b.transpose());
    return;
  }
#endif
  gemm_builtin(transA, transB, m, n, kk, alpha, A, lda, B, ldb, C, ldc);
}

}  // namespace

void dense_set_threads(int threads) { t_threads = std::max(1, threads); }
int dense_threads() { return t_threads; }
int dense_max_threads() {
#ifdef _OPENMP
  return std::max(1, omp_get_num_procs());
#else
  return 1;
#endif
}

bool dense_parallel_run(int parts, int n, bool triangle, void (*body)(void*, int, int), void* ctx) {
#ifdef _OPENMP
  if (omp_in_parallel()) return false;
  const int slivers = (n + NR - 1) / NR;
  // Part t ends at sliver slivers * f(t / parts): f(x) = x for equal widths, sqrt(x) for equal areas of a triangle.
  const auto edge = [&](int t) {
    const double x = static_cast<double>(t) / parts;
    const int s = static_cast<int>(std::lround(slivers * (triangle ? std::sqrt(x) : x)));
    return std::min(n, s * NR);
  };
  bool failed = false;
#pragma omp parallel for num_threads(parts) schedule(static, 1)
  for (int t = 0; t < parts; ++t) {
    const int j0 = edge(t), j1 = edge(t + 1);
    try {
      body(ctx, j0, j1);
    } catch (...) {
#pragma omp atomic write
      failed = true;
    }
  }
  if (failed) throw std::bad_alloc();
  return true;
#else
  (void)parts, (void)n, (void)triangle, (void)body, (void)ctx;
  return false;
#endif
}

void gemm(bool transA, bool transB, int m, int n, int kk, double alpha, const double* A, int lda, const double* B,
          int ldb, double beta, double* C, int ldc) {
  // A part of the columns of C is the product of the same columns of op(B): each element's sum is unchanged.
  dense_for_columns(n, static_cast<double>(m) * n * std::max(kk, 1), [&](int j0, int j1) {
    gemm_one(transA, transB, m, j1 - j0, kk, alpha, A, lda,
             B + static_cast<size_t>(j0) * (transB ? 1 : static_cast<size_t>(ldb)), ldb, beta,
             C + static_cast<size_t>(j0) * ldc, ldc);
  });
}

namespace {

// sum_q a[q] b[q] as assembly/dense.ts's f64x2 loop: lane 0 the even q, lane 1 the odd q, then lane0 + lane1, then
// + a[n-1] b[n-1] when n is odd.
inline void symm_dot2x2(const double* a0, const double* a1, const double* b0, const double* b1, int n, double* out) {
  double e00 = 0, o00 = 0, e01 = 0, o01 = 0, e10 = 0, o10 = 0, e11 = 0, o11 = 0;
  int q = 0;
  for (; q + 2 <= n; q += 2) {
    e00 += a0[q] * b0[q]; o00 += a0[q + 1] * b0[q + 1];
    e01 += a0[q] * b1[q]; o01 += a0[q + 1] * b1[q + 1];
    e10 += a1[q] * b0[q]; o10 += a1[q + 1] * b0[q + 1];
    e11 += a1[q] * b1[q]; o11 += a1[q + 1] * b1[q + 1];
  }
  double s00 = e00 + o00, s01 = e01 + o01, s10 = e10 + o10, s11 = e11 + o11;
  if (q < n) {
    s00 += a0[q] * b0[q]; s01 += a0[q] * b1[q];
    s10 += a1[q] * b0[q]; s11 += a1[q] * b1[q];
  }
  out[0] = s00; out[1] = s01; out[2] = s10; out[3] = s11;
}

// The same order for one dot product (assembly/dense.ts: dot_simd as used by symm_times).
inline double symm_dot(const double* a, const double* b, int n) {
  double e = 0, o = 0;
  int q = 0;
  for (; q + 2 <= n; q += 2) { e += a[q] * b[q]; o += a[q + 1] * b[q + 1]; }
  double s = e + o;
  if (q < n) s += a[q] * b[q];
  return s;
}

}  // namespace

void symm_times(const double* A, int n, const double* B, int k, double* C) {
  if (dense_use_eigen) {
    gemm(false, false, n, k, n, 1.0, A, n, B, n, 0.0, C, n);
    return;
  }
  int j = 0;
  double s[4];
  for (; j + 2 <= k; j += 2) {
    const double* b0 = B + static_cast<size_t>(j) * n;
    const double* b1 = b0 + n;
    double* c0 = C + static_cast<size_t>(j) * n;
    double* c1 = c0 + n;
    int p = 0;
    for (; p + 2 <= n; p += 2) {
      const double* a0 = A + static_cast<size_t>(p) * n;
      symm_dot2x2(a0, a0 + n, b0, b1, n, s);
      c0[p] = s[0]; c1[p] = s[1]; c0[p + 1] = s[2]; c1[p + 1] = s[3];
    }
    for (; p < n; ++p) {
      const double* a0 = A + static_cast<size_t>(p) * n;
      c0[p] = symm_dot(a0, b0, n);
      c1[p] = symm_dot(a0, b1, n);
    }
  }
  for (; j < k; ++j) {
    const double* b0 = B + static_cast<size_t>(j) * n;
    double* c0 = C + static_cast<size_t>(j) * n;
    for (int p = 0; p < n; ++p) c0[p] = symm_dot(A + static_cast<size_t>(p) * n, b0, n);
  }
}

namespace {

// syrk_upper for n <= SYMM_TIMES_MAX_N, without packing: rank-4 updates of the upper triangle, column q of C taking
// ((e0 a0 + e1 a1) + e2 a2) + e3 a3 over rows p <= q, e_i = B[q, r+i], a_i = A[:, r+i] (then one rank-1 update per
// remaining r). The products are gemm's; the sum is grouped by fours. Twin: assembly/dense.ts syrk_upper_small,
// bit-identical.
void syrk_upper_small(int n, int kk, const double* A, int lda, const double* B, int ldb, double* C, int ldc) {
  for (int q = 0; q < n; ++q) std::fill(C + static_cast<size_t>(q) * ldc, C + static_cast<size_t>(q) * ldc + q + 1, 0.0);
  int r = 0;
  for (; r + 4 <= kk; r += 4) {
    const double* a0 = A + static_cast<size_t>(r) * lda;
    const double* a1 = a0 + lda;
    const double* a2 = a1 + lda;
    const double* a3 = a2 + lda;
    const double* b0 = B + static_cast<size_t>(r) * ldb;
    const double* b1 = b0 + ldb;
    const double* b2 = b1 + ldb;
    const double* b3 = b2 + ldb;
    for (int q = 0; q < n; ++q) {
      const double e0 = b0[q], e1 = b1[q], e2 = b2[q], e3 = b3[q];
      double* cq = C + static_cast<size_t>(q) * ldc;
      for (int p = 0; p <= q; ++p) {
        double t = e0 * a0[p];
        t += e1 * a1[p];
        t += e2 * a2[p];
        t += e3 * a3[p];
        cq[p] += t;
      }
    }
  }
  for (; r < kk; ++r) {
    const double* a0 = A + static_cast<size_t>(r) * lda;
    const double* b0 = B + static_cast<size_t>(r) * ldb;
    for (int q = 0; q < n; ++q) {
      const double e0 = b0[q];
      double* cq = C + static_cast<size_t>(q) * ldc;
      for (int p = 0; p <= q; ++p) cq[p] += e0 * a0[p];
    }
  }
}

}  // namespace

void syrk_upper(int n, int kk, const double* A, int lda, const double* B, int ldb, double* C, int ldc) {
  if (n <= SYMM_TIMES_MAX_N) {
    syrk_upper_small(n, kk, A, lda, B, ldb, C, ldc);
    return;
  }
#ifdef WEIGHTDYN_HAVE_EIGEN
  if (dense_use_eigen) {
    // Eigen's triangular product (only the blocks on and above the diagonal are computed, by the gebp kernel of its
    // gemm). With several threads, parts of the columns: the rectangle above a part by gemm, its own triangle by
    // the triangular product; their work grows with j1^2 - j0^2, so the parts are equal in area, not in width.
    using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
    using Map = Eigen::Map<const Mat, 0, Eigen::OuterStride<>>;
    dense_for_triangle(n, 0.5 * n * static_cast<double>(n) * kk, [&](int j0, int j1) {
      if (j0 > 0) gemm(false, true, j0, j1 - j0, kk, 1.0, A, lda, B + j0, ldb, 0.0, C + static_cast<size_t>(j0) * ldc, ldc);
      Map a(A + j0, j1 - j0, kk, Eigen::OuterStride<>(lda));
      Map b(B + j0, j1 - j0, kk, Eigen::OuterStride<>(ldb));
      Eigen::Map<Mat, 0, Eigen::OuterStride<>> c(C + static_cast<size_t>(j0) * ldc + j0, j1 - j0, j1 - j0,
                                                  Eigen::OuterStride<>(ldc));
      c.triangularView<Eigen::Upper>() = a * b.transpose();
    });
    return;
  }
#endif
  for (int j0 = 0; j0 < n; j0 += SYRK_BLOCK) {
    const int jb = std::min(SYRK_BLOCK, n - j0);
    // C[0 : j0+jb, j0 : j0+jb] = A[0 : j0+jb, :] B[j0 : j0+jb, :]^T
    gemm(false, true, j0 + jb, jb, kk, 1.0, A, lda, B + j0, ldb, 0.0, C + static_cast<size_t>(j0) * ldc, ldc);
  }
}

void symmetrize_upper(double* C, int n, int ldc) {
  constexpr int T = 32;
  for (int p0 = 0; p0 < n; p0 += T)
    for (int q0 = p0; q0 < n; q0 += T) {
      const int p1 = std::min(n, p0 + T), q1 = std::min(n, q0 + T);
      for (int q = q0; q < q1; ++q)
        for (int p = p0; p < std::min(p1, q); ++p) C[static_cast<size_t>(p) * ldc + q] = C[static_cast<size_t>(q) * ldc + p];
    }
}

}  // namespace wd
