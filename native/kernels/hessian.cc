#include "hessian.h"

#include <algorithm>

namespace wd {

namespace {

// Index of W1~[j, i] in w, where column i == nIn is the bias b1[j].
inline int w1_index(const Network& net, int j, int i) { return i < net.nIn ? j * net.nIn + i : net.offB1 + j; }

// Row r = s o + m of G: grad_w u_m(x_s).
void fill_g_row(const Network& net, const double* w, int s, int m, double* g) {
  const int nIn = net.nIn, h = net.nHid, D = net.D;
  const double* W2 = w + net.offW2;
  const double* x = &net.X[static_cast<size_t>(s) * nIn];
  const double* a = &net.a[static_cast<size_t>(s) * h];
  const double* s1 = &net.s1[static_cast<size_t>(s) * h];
  std::fill(g, g + D, 0.0);
  for (int j = 0; j < h; ++j) {
    const double c = W2[static_cast<size_t>(m) * h + j] * s1[j];
    double* row = g + static_cast<size_t>(j) * nIn;
    for (int i = 0; i < nIn; ++i) row[i] = c * x[i];
    g[net.offB1 + j] = c;
    g[net.offW2 + m * h + j] = a[j];
  }
  g[net.offB2 + m] = 1.0;
}

}  // namespace

void hessian_explicit(Network& net, const double* w, double* H) {
  const int nIn = net.nIn, h = net.nHid, o = net.nOut, N = net.N, D = net.D;
  const int rows = N * o;
  if (net.G.size() != static_cast<size_t>(rows) * D) net.G.assign(static_cast<size_t>(rows) * D, 0.0);
  double* G = net.G.data();
  for (int s = 0; s < N; ++s)
    for (int m = 0; m < o; ++m) fill_g_row(net, w, s, m, G + static_cast<size_t>(s * o + m) * D);
  std::fill(H, H + static_cast<size_t>(D) * D, 0.0);
  const double inv = 1.0 / N;

  // Gauss-Newton part, upper triangle: H[p, q] += sum_r cw_r G[r, p] G[r, q], four rows of G at a time so that
  // each element of H is loaded and stored once per four rank-one updates.
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    const double* g0 = G + static_cast<size_t>(r) * D;
    const double* g1 = g0 + D;
    const double* g2 = g1 + D;
    const double* g3 = g2 + D;
    const double c0 = net.cw[r] * inv, c1 = net.cw[r + 1] * inv, c2 = net.cw[r + 2] * inv, c3 = net.cw[r + 3] * inv;
    for (int p = 0; p < D; ++p) {
      const double e0 = c0 * g0[p], e1 = c1 * g1[p], e2 = c2 * g2[p], e3 = c3 * g3[p];
      if (e0 == 0.0 && e1 == 0.0 && e2 == 0.0 && e3 == 0.0) continue;
      double* Hp = H + static_cast<size_t>(p) * D;
      for (int q = p; q < D; ++q) Hp[q] += e0 * g0[q] + e1 * g1[q] + e2 * g2[q] + e3 * g3[q];
    }
  }
  for (; r < rows; ++r) {
    const double* g0 = G + static_cast<size_t>(r) * D;
    const double c0 = net.cw[r] * inv;
    for (int p = 0; p < D; ++p) {
      const double e0 = c0 * g0[p];
      if (e0 == 0.0) continue;
      double* Hp = H + static_cast<size_t>(p) * D;
      for (int q = p; q < D; ++q) Hp[q] += e0 * g0[q];
    }
  }

  // Second-order terms of the hidden layer (upper triangle: W1~ indices precede W2 indices).
  for (int s = 0; s < N; ++s) {
    const double* x = &net.X[static_cast<size_t>(s) * nIn];
    const double* s1 = &net.s1[static_cast<size_t>(s) * h];
    const double* s2 = &net.s2[static_cast<size_t>(s) * h];
    const double* da = &net.da[static_cast<size_t>(s) * h];
    const double* du = &net.du[static_cast<size_t>(s) * o];
    for (int j = 0; j < h; ++j) {
      const double cdiag = da[j] * s2[j] * inv;
      for (int i = 0; i <= nIn; ++i) {
        const double xi = i < nIn ? x[i] : 1.0;
        const int p = w1_index(net, j, i);
        double* Hp = H + static_cast<size_t>(p) * D;
        if (cdiag != 0.0) {
          for (int i2 = 0; i2 <= nIn; ++i2) {
            const int q = w1_index(net, j, i2);
            if (q >= p) Hp[q] += cdiag * xi * (i2 < nIn ? x[i2] : 1.0);
          }
        }
        const double cx = s1[j] * xi * inv;
        for (int m = 0; m < o; ++m) Hp[net.offW2 + m * h + j] += du[m] * cx;
      }
    }
  }
  for (int p = 0; p < D; ++p)
    for (int q = p + 1; q < D; ++q) H[static_cast<size_t>(q) * D + p] = H[static_cast<size_t>(p) * D + q];
}

void hvp_batch(Network& net, const double* w, const double* V, int k, double* HV) {
  const int nIn = net.nIn, h = net.nHid, o = net.nOut, N = net.N, D = net.D;
  const double* W2 = w + net.offW2;
  const double inv = 1.0 / N;
  double* rz = net.rz.data();
  double* q = net.q.data();
  // R-operator per sample: Rz = V1 x + vb1, Ru = V2 a + W2 (s' . Rz) + vb2 (= G v), then
  // H v = G^T (cw . Ru) + (second-order terms) v, accumulated over samples and scaled by 1/N.
  for (int c = 0; c < k; ++c) {
    const double* v = V + static_cast<size_t>(c) * D;
    double* hv = HV + static_cast<size_t>(c) * D;
    std::fill(hv, hv + D, 0.0);
    const double* V1 = v;
    const double* vb1 = v + net.offB1;
    const double* V2 = v + net.offW2;
    const double* vb2 = v + net.offB2;
    double* hW1 = hv;
    double* hb1 = hv + net.offB1;
    double* hW2 = hv + net.offW2;
    double* hb2 = hv + net.offB2;
    for (int s = 0; s < N; ++s) {
      const double* x = &net.X[static_cast<size_t>(s) * nIn];
      const double* a = &net.a[static_cast<size_t>(s) * h];
      const double* s1 = &net.s1[static_cast<size_t>(s) * h];
      const double* s2 = &net.s2[static_cast<size_t>(s) * h];
      const double* da = &net.da[static_cast<size_t>(s) * h];
      const double* du = &net.du[static_cast<size_t>(s) * o];
      const double* cw = &net.cw[static_cast<size_t>(s) * o];
      for (int j = 0; j < h; ++j) {
        double t = vb1[j];
        const double* v1row = V1 + static_cast<size_t>(j) * nIn;
        for (int i = 0; i < nIn; ++i) t += v1row[i] * x[i];
        rz[j] = t;
      }
      for (int m = 0; m < o; ++m) {
        const double* w2row = W2 + static_cast<size_t>(m) * h;
        const double* v2row = V2 + static_cast<size_t>(m) * h;
        double ru = vb2[m];
        for (int j = 0; j < h; ++j) ru += v2row[j] * a[j] + w2row[j] * s1[j] * rz[j];
        q[m] = cw[m] * ru * inv;
        const double dm = du[m] * inv;
        double* h2row = hW2 + static_cast<size_t>(m) * h;
        for (int j = 0; j < h; ++j) h2row[j] += q[m] * a[j] + dm * s1[j] * rz[j];
        hb2[m] += q[m];
      }
      for (int j = 0; j < h; ++j) {
        double back = 0.0;
        for (int m = 0; m < o; ++m) {
          const size_t mj = static_cast<size_t>(m) * h + j;
          back += W2[mj] * q[m] + du[m] * inv * V2[mj];
        }
        const double beta = s1[j] * back + da[j] * s2[j] * rz[j] * inv;
        double* h1row = hW1 + static_cast<size_t>(j) * nIn;
        for (int i = 0; i < nIn; ++i) h1row[i] += beta * x[i];
        hb1[j] += beta;
      }
    }
  }
}

}  // namespace wd
