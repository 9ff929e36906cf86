// The two dense products of the explicit route for every run of an ensemble, with the runs on the lanes (lanes.h):
// the Gauss-Newton part C = G^T diag(w) G (upper triangle) and H V. Twin: assembly/ensemble_dense.ts (other register
// tiles there, for V8's 16 vector registers; every element the same sum in the same order).
#include "ensemble_dense.h"

#include <algorithm>
#include <cstddef>

#include "lanes.h"

namespace wd {

namespace {

constexpr int L = LANES;

// One register tile of syrk_upper_lanes: rows p .. p+NP-1 by columns q .. q+NQ-1 of C, each element summed over the
// rows of G in a register (r ascending), the scaled entries w_r G[r, p+i] formed once per row of G.
template <int NP, int NQ>
inline void syrk_tile(int n, size_t rows, const double* G, const double* w, double* C, int p, int q) {
  lanes acc[NP][NQ];
  for (int i = 0; i < NP; ++i)
    for (int j = 0; j < NQ; ++j) acc[i][j] = splat(0.0);
  for (size_t r = 0; r < rows; ++r) {
    const double* gr = G + r * n * L;
    const lanes wr = ld(w + r * L);
    lanes sp[NP], gq[NQ];
    for (int i = 0; i < NP; ++i) sp[i] = wr * ld(gr + static_cast<size_t>(p + i) * L);
    for (int j = 0; j < NQ; ++j) gq[j] = ld(gr + static_cast<size_t>(q + j) * L);
    for (int i = 0; i < NP; ++i)
      for (int j = 0; j < NQ; ++j) acc[i][j] += sp[i] * gq[j];
  }
  for (int i = 0; i < NP; ++i)
    for (int j = 0; j < NQ; ++j) st(C + (static_cast<size_t>(q + j) * n + p + i) * L, acc[i][j]);
}

template <int NP>
inline void syrk_tile_cols(int n, size_t rows, const double* G, const double* w, double* C, int p, int q, int nq) {
  switch (nq) {
    case 1: syrk_tile<NP, 1>(n, rows, G, w, C, p, q); return;
    case 2: syrk_tile<NP, 2>(n, rows, G, w, C, p, q); return;
    case 3: syrk_tile<NP, 3>(n, rows, G, w, C, p, q); return;
    default: syrk_tile<NP, 4>(n, rows, G, w, C, p, q); return;
  }
}

// Rows p .. p+NR-1 of one column of HV = H v, each row's sum over q ascending in a register.
template <int NR>
inline void symm_rows(const double* H, int n, const double* v, double* hv, int p) {
  lanes acc[NR];
  for (int i = 0; i < NR; ++i) acc[i] = splat(0.0);
  for (int q = 0; q < n; ++q) {
    const double* hq = H + (static_cast<size_t>(q) * n + p) * L;  // H(p .. p+NR-1, q): column q, rows p ..
    const lanes vq = ld(v + static_cast<size_t>(q) * L);
    for (int i = 0; i < NR; ++i) acc[i] += ld(hq + static_cast<size_t>(i) * L) * vq;
  }
  for (int i = 0; i < NR; ++i) st(hv + static_cast<size_t>(p + i) * L, acc[i]);
}

}  // namespace

// C (n x n per lane, upper triangle) = sum_r (w_r G[r]) G[r]^T over `rows` rows of G (rows x n per lane) with the
// row weights w (rows per lane), in register tiles of two rows p, p+1 by up to four columns q >= p: eight independent
// sums in flight, so the adds do not wait on one another (one sum at a time was bound by the add latency, 40 % of
// the explicit Hessian at D = 7). A tile's element C[p+1, p] lies below the diagonal; it is computed and left to be
// overwritten by the caller's mirror. Every element is sum_r (w_r G[r, p]) G[r, q], r ascending.
void syrk_upper_lanes(int n, size_t rows, const double* G, const double* w, double* C) {
  int p = 0;
  for (; p + 2 <= n; p += 2)
    for (int q = p; q < n; q += 4) syrk_tile_cols<2>(n, rows, G, w, C, p, q, std::min(4, n - q));
  if (p < n) syrk_tile_cols<1>(n, rows, G, w, C, p, p, 1);
}

// HV = H V (H: n x n per lane, column-major, both triangles; V, HV: n x k per lane), four rows at a time and the last
// one to three rows together, so that several sums are in flight. Every element is sum_q H[p, q] V[q, c], q ascending.
void symm_times_lanes(const double* H, int n, const double* V, int k, double* HV) {
  for (int c = 0; c < k; ++c) {
    const double* v = V + static_cast<size_t>(c) * n * L;
    double* hv = HV + static_cast<size_t>(c) * n * L;
    int p = 0;
    for (; p + 4 <= n; p += 4) symm_rows<4>(H, n, v, hv, p);
    switch (n - p) {
      case 1: symm_rows<1>(H, n, v, hv, p); break;
      case 2: symm_rows<2>(H, n, v, hv, p); break;
      case 3: symm_rows<3>(H, n, v, hv, p); break;
      default: break;
    }
  }
}

}  // namespace wd
