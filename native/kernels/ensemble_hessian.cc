// The Hessian of every run of an ensemble (docs/derivations.md), the twin of hessian.cc with the runs on the lanes:
// H = G^T C G + S with G the rows grad u_m(x_s), C = diag(cw / N), S the second-order blocks; or H V by the
// R-operator. Small dense products are written as lane loops with the lanes innermost, in register tiles that keep
// several sums in flight (each sum in its own order); every lane runs the same operations in the same order.
#include "ensemble_hessian.h"

#include <algorithm>

#include "ensemble_dense.h"
#include "lanes.h"
#include "tables.h"

namespace wd {

namespace {

constexpr int L = LANES;

inline int w1_index(const Ensemble& e, int j, int i) { return i < e.nIn ? j * e.nIn + i : e.offB1 + j; }

// Row r = s o + m of G, grad u_m(x_s), of every lane into g (D lane-vectors): the W1 and b1 entries
// W2[m,j] s'(z_j) x~, the W2 block of output m holding a, b2[m] = 1, zeros for the other outputs.
void g_row(const Ensemble& e, int s, int m, double* g) {
  const int nIn = e.nIn, h = e.nHid, o = e.nOut;
  const double* x = e.Xa + static_cast<size_t>(s) * nIn;
  const double* W2 = e.state.data() + static_cast<size_t>(e.offW2) * L;
  const lanes zero = splat(0.0), one = splat(1.0);
  for (int j = 0; j < h; ++j) {
    const lanes c = ld(W2 + (static_cast<size_t>(m) * h + j) * L) * ld(&e.s1[(static_cast<size_t>(s) * h + j) * L]);
    for (int i = 0; i < nIn; ++i) st(g + static_cast<size_t>(j * nIn + i) * L, c * x[i]);
    st(g + static_cast<size_t>(e.offB1 + j) * L, c);
  }
  for (int m2 = 0; m2 < o; ++m2) {
    for (int j = 0; j < h; ++j)
      st(g + static_cast<size_t>(e.offW2 + m2 * h + j) * L,
         m2 == m ? ld(&e.a[(static_cast<size_t>(s) * h + j) * L]) : zero);
    st(g + static_cast<size_t>(e.offB2 + m2) * L, m2 == m ? one : zero);
  }
}

// All rows of G (the factored route and, for larger D, the explicit one).
void ensemble_rows(Ensemble& e) {
  const int o = e.nOut, N = e.Na, D = e.D;
  const size_t rows = static_cast<size_t>(N) * o;
  if (e.G.size() < rows * D * L) e.G.assign(static_cast<size_t>(e.N) * o * D * L, 0.0);
  for (int s = 0; s < N; ++s)
    for (int m = 0; m < o; ++m) g_row(e, s, m, &e.G[(static_cast<size_t>(s) * o + m) * D * L]);
}

// The summed second-order blocks Sblk, Sx of every lane (docs/derivations.md), each entry summed over the samples in
// a register (samples innermost, in order). Sblk[j][a][c] = sum_s cdiag_sj x~_sa x~_sc with cdiag = da s'' / N;
// Sx[m][j][a] = sum_s du_sm (s'_sj x~_sa / N).
void ensemble_second_order(Ensemble& e) {
  const int nIn = e.nIn, h = e.nHid, o = e.nOut, N = e.Na, i1 = nIn + 1;
  // Every Sx entry and every upper Sblk entry (c >= a) is written below; the lower triangle of Sblk is never read.
  const size_t nB = static_cast<size_t>(h) * i1 * i1 * L, nX = static_cast<size_t>(o) * h * i1 * L;
  if (e.Sblk.size() != nB) e.Sblk.assign(nB, 0.0);
  if (e.Sx.size() != nX) e.Sx.assign(nX, 0.0);
  const double inv = 1.0 / N;
  const double* X = e.Xa;
  const double* da = e.da.data();
  const double* s1 = e.s1.data();
  const double* s2 = e.s2.data();
  const double* du = e.du.data();
  double* Sblk = e.Sblk.data();
  double* Sx = e.Sx.data();
  const auto xt = [&](int s, int a) { return a < nIn ? X[static_cast<size_t>(s) * nIn + a] : 1.0; };
  for (int j = 0; j < h; ++j) {
    for (int a = 0; a < i1; ++a) {
      for (int c = a; c < i1; ++c) {
        lanes acc = splat(0.0);
        for (int s = 0; s < N; ++s) {
          const size_t sj = (static_cast<size_t>(s) * h + j) * L;
          acc += ((ld(da + sj) * ld(s2 + sj) * inv) * xt(s, a)) * xt(s, c);
        }
        st(Sblk + (static_cast<size_t>(j) * i1 * i1 + a * i1 + c) * L, acc);
      }
      for (int m = 0; m < o; ++m) {
        lanes acc = splat(0.0);
        for (int s = 0; s < N; ++s) {
          const size_t sj = (static_cast<size_t>(s) * h + j) * L;
          acc += ld(du + (static_cast<size_t>(s) * o + m) * L) * (ld(s1 + sj) * xt(s, a) * inv);
        }
        st(Sx + ((static_cast<size_t>(m) * h + j) * i1 + a) * L, acc);
      }
    }
  }
}

// + S V from the summed blocks (the second-order part of the explicit and factored routes).
void add_s_times(const Ensemble& e, const double* V, int k, double* HV) {
  const int nIn = e.nIn, h = e.nHid, o = e.nOut, D = e.D, i1 = nIn + 1;
  const double* Sblk = e.Sblk.data();
  const double* Sx = e.Sx.data();
  for (int c = 0; c < k; ++c) {
    const double* v = V + static_cast<size_t>(c) * D * L;
    double* hv = HV + static_cast<size_t>(c) * D * L;
    for (int j = 0; j < h; ++j) {
      const double* B = Sblk + static_cast<size_t>(j) * i1 * i1 * L;
      for (int a = 0; a < i1; ++a) {
        double t[L] = {};
        for (int c2 = 0; c2 < i1; ++c2) {
          const double* bac = B + static_cast<size_t>(a <= c2 ? a * i1 + c2 : c2 * i1 + a) * L;
          const double* vb = v + static_cast<size_t>(w1_index(e, j, c2)) * L;
          for (int b = 0; b < L; ++b) t[b] += bac[b] * vb[b];
        }
        for (int m = 0; m < o; ++m) {
          const size_t mj = static_cast<size_t>(m) * h + j;
          const double* sx = Sx + (mj * i1 + a) * L;
          const double* vm = v + (e.offW2 + mj) * L;
          for (int b = 0; b < L; ++b) t[b] += sx[b] * vm[b];
        }
        double* out = hv + static_cast<size_t>(w1_index(e, j, a)) * L;
        for (int b = 0; b < L; ++b) out[b] += t[b];
      }
      for (int m = 0; m < o; ++m) {
        const size_t mj = static_cast<size_t>(m) * h + j;
        double t[L] = {};
        for (int a = 0; a < i1; ++a) {
          const double* sx = Sx + (mj * i1 + a) * L;
          const double* va = v + static_cast<size_t>(w1_index(e, j, a)) * L;
          for (int b = 0; b < L; ++b) t[b] += sx[b] * va[b];
        }
        double* out = hv + (e.offW2 + mj) * L;
        for (int b = 0; b < L; ++b) out[b] += t[b];
      }
    }
  }
}

void factored_apply(Ensemble& e, const double* V, int k, double* HV) {
  const int D = e.D;
  const size_t rows = static_cast<size_t>(e.Na) * e.nOut;
  ensemble_rows(e);
  ensemble_second_order(e);
  const size_t need = static_cast<size_t>(e.N) * e.nOut * (e.maxK > k ? e.maxK : k) * L;
  if (e.P.size() < need) e.P.assign(need, 0.0);
  double* P = e.P.data();
  const double inv = 1.0 / e.Na;
  // P = G V, scaled row-wise by cw / N; then HV = G^T P.
  for (int c = 0; c < k; ++c) {
    const double* v = V + static_cast<size_t>(c) * D * L;
    for (size_t r = 0; r < rows; ++r) {
      const double* g = &e.G[r * D * L];
      double acc[L] = {};
      for (int p = 0; p < D; ++p)
        for (int b = 0; b < L; ++b) acc[b] += g[static_cast<size_t>(p) * L + b] * v[static_cast<size_t>(p) * L + b];
      const double* cw = &e.cw[r * L];
      double* pr = P + (static_cast<size_t>(c) * rows + r) * L;
      for (int b = 0; b < L; ++b) pr[b] = acc[b] * (cw[b] * inv);
    }
    double* hv = HV + static_cast<size_t>(c) * D * L;
    std::fill(hv, hv + static_cast<size_t>(D) * L, 0.0);
    for (size_t r = 0; r < rows; ++r) {
      const double* g = &e.G[r * D * L];
      const double* pr = P + (static_cast<size_t>(c) * rows + r) * L;
      for (int p = 0; p < D; ++p)
        for (int b = 0; b < L; ++b) hv[static_cast<size_t>(p) * L + b] += g[static_cast<size_t>(p) * L + b] * pr[b];
    }
  }
  add_s_times(e, V, k, HV);
}

void hvp_lanes(Ensemble& e, const double* V, int k, double* HV) {
  const int nIn = e.nIn, h = e.nHid, o = e.nOut, N = e.Na, D = e.D;
  const double* W2 = e.state.data() + static_cast<size_t>(e.offW2) * L;
  const double inv = 1.0 / N;
  double* rz = e.rz.data();
  double* q = e.q.data();
  for (int c = 0; c < k; ++c) {
    const double* v = V + static_cast<size_t>(c) * D * L;
    double* hv = HV + static_cast<size_t>(c) * D * L;
    std::fill(hv, hv + static_cast<size_t>(D) * L, 0.0);
    const double* vb1 = v + static_cast<size_t>(e.offB1) * L;
    const double* V2 = v + static_cast<size_t>(e.offW2) * L;
    const double* vb2 = v + static_cast<size_t>(e.offB2) * L;
    double* hb1 = hv + static_cast<size_t>(e.offB1) * L;
    double* hW2 = hv + static_cast<size_t>(e.offW2) * L;
    double* hb2 = hv + static_cast<size_t>(e.offB2) * L;
    for (int s = 0; s < N; ++s) {
      const double* x = e.Xa + static_cast<size_t>(s) * nIn;
      for (int j = 0; j < h; ++j) {
        double* rj = rz + static_cast<size_t>(j) * L;
        for (int b = 0; b < L; ++b) rj[b] = vb1[static_cast<size_t>(j) * L + b];
        for (int i = 0; i < nIn; ++i) {
          const double* vji = v + (static_cast<size_t>(j) * nIn + i) * L;
          for (int b = 0; b < L; ++b) rj[b] += vji[b] * x[i];
        }
      }
      for (int m = 0; m < o; ++m) {
        double ru[L];
        for (int b = 0; b < L; ++b) ru[b] = vb2[static_cast<size_t>(m) * L + b];
        for (int j = 0; j < h; ++j) {
          const size_t mj = (static_cast<size_t>(m) * h + j) * L, sj = (static_cast<size_t>(s) * h + j) * L;
          for (int b = 0; b < L; ++b) ru[b] += V2[mj + b] * e.a[sj + b] + W2[mj + b] * e.s1[sj + b] * rz[static_cast<size_t>(j) * L + b];
        }
        const size_t sm = (static_cast<size_t>(s) * o + m) * L;
        double* qm = q + static_cast<size_t>(m) * L;
        double dm[L];
        for (int b = 0; b < L; ++b) { qm[b] = e.cw[sm + b] * ru[b] * inv; dm[b] = e.du[sm + b] * inv; }
        for (int j = 0; j < h; ++j) {
          const size_t mj = (static_cast<size_t>(m) * h + j) * L, sj = (static_cast<size_t>(s) * h + j) * L;
          for (int b = 0; b < L; ++b) hW2[mj + b] += qm[b] * e.a[sj + b] + dm[b] * e.s1[sj + b] * rz[static_cast<size_t>(j) * L + b];
        }
        for (int b = 0; b < L; ++b) hb2[static_cast<size_t>(m) * L + b] += qm[b];
      }
      for (int j = 0; j < h; ++j) {
        const size_t sj = (static_cast<size_t>(s) * h + j) * L;
        double back[L] = {};
        for (int m = 0; m < o; ++m) {
          const size_t mj = (static_cast<size_t>(m) * h + j) * L, sm = (static_cast<size_t>(s) * o + m) * L;
          for (int b = 0; b < L; ++b) back[b] += W2[mj + b] * q[static_cast<size_t>(m) * L + b] + e.du[sm + b] * inv * V2[mj + b];
        }
        double beta[L];
        for (int b = 0; b < L; ++b)
          beta[b] = e.s1[sj + b] * back[b] + e.da[sj + b] * e.s2[sj + b] * rz[static_cast<size_t>(j) * L + b] * inv;
        for (int i = 0; i < nIn; ++i) {
          double* hji = hv + (static_cast<size_t>(j) * nIn + i) * L;
          for (int b = 0; b < L; ++b) hji[b] += beta[b] * x[i];
        }
        for (int b = 0; b < L; ++b) hb1[static_cast<size_t>(j) * L + b] += beta[b];
      }
    }
  }
}

}  // namespace

void ensemble_hessian_explicit(Ensemble& e) {
  const int D = e.D;
  const size_t DD = static_cast<size_t>(D) * D * L;
  if (e.H.size() != DD) e.H.assign(DD, 0.0);
  double* H = e.H.data();
  // The Gauss-Newton part with the row weights cw / N.
  ensemble_rows(e);
  const size_t rows = static_cast<size_t>(e.Na) * e.nOut;
  if (e.Gs.size() < rows * L) e.Gs.assign(static_cast<size_t>(e.N) * e.nOut * L, 0.0);
  const double inv = 1.0 / e.Na;
  for (size_t i = 0; i < rows * L; ++i) e.Gs[i] = e.cw[i] * inv;
  syrk_upper_lanes(D, rows, e.G.data(), e.Gs.data(), H);
  ensemble_second_order(e);
  const int nIn = e.nIn, h = e.nHid, o = e.nOut, i1 = nIn + 1;
  for (int j = 0; j < h; ++j) {
    const double* B = &e.Sblk[static_cast<size_t>(j) * i1 * i1 * L];
    for (int a = 0; a < i1; ++a) {
      const int p = w1_index(e, j, a);
      for (int c2 = a; c2 < i1; ++c2) {
        double* hpq = H + (static_cast<size_t>(w1_index(e, j, c2)) * D + p) * L;
        const double* bac = B + static_cast<size_t>(a * i1 + c2) * L;
        for (int b = 0; b < L; ++b) hpq[b] += bac[b];
      }
      for (int m = 0; m < o; ++m) {
        const size_t mj = static_cast<size_t>(m) * h + j;
        double* hpq = H + ((e.offW2 + mj) * D + p) * L;
        const double* sx = &e.Sx[(mj * i1 + a) * L];
        for (int b = 0; b < L; ++b) hpq[b] += sx[b];
      }
    }
  }
  // Mirror the upper triangle (column q, rows p < q) into the lower.
  for (int q = 0; q < D; ++q)
    for (int p = 0; p < q; ++p)
      for (int b = 0; b < L; ++b) H[(static_cast<size_t>(p) * D + q) * L + b] = H[(static_cast<size_t>(q) * D + p) * L + b];
}

void ensemble_hessian_apply(Ensemble& e, const double* V, int k, double* HV, int route) {
  if (route == ROUTE_HESSIAN) {
    ensemble_hessian_explicit(e);
    symm_times_lanes(e.H.data(), e.D, V, k, HV);
  } else if (route == ROUTE_FACTORED) {
    factored_apply(e, V, k, HV);
  } else {
    hvp_lanes(e, V, k, HV);
  }
}

}  // namespace wd
