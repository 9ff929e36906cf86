#include "hessian.h"

#include <algorithm>

#include "dense.h"

namespace wd {

namespace {

// Index of W1~[j, i] in w, where column i == nIn is the bias b1[j].
inline int w1_index(const Network& net, int j, int i) { return i < net.nIn ? j * net.nIn + i : net.offB1 + j; }

// Row r = s o + m of G: grad_w u_m(x_s).
void fill_g_row(const Network& net, const double* w, int s, int m, double* g) {
  const int nIn = net.nIn, h = net.nHid, D = net.D;
  const double* W2 = w + net.offW2;
  const double* x = &net.Xa[static_cast<size_t>(s) * nIn];
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

void hessian_factors(Network& net, const double* w, bool scaled) {
  const int nIn = net.nIn, h = net.nHid, o = net.nOut, N = net.Na, D = net.D, i1 = nIn + 1;
  const size_t rows = static_cast<size_t>(N) * o;
  // Sized for all samples once, so that minibatches of any size reuse them.
  const size_t full = static_cast<size_t>(net.N) * o * D;
  if (net.G.size() < rows * D) net.G.assign(full, 0.0);
  if (scaled && net.Gs.size() < rows * D) net.Gs.assign(full, 0.0);
  if (net.Sblk.size() != static_cast<size_t>(h) * i1 * i1) net.Sblk.assign(static_cast<size_t>(h) * i1 * i1, 0.0);
  if (net.Sx.size() != static_cast<size_t>(o) * h * i1) net.Sx.assign(static_cast<size_t>(o) * h * i1, 0.0);
  const double inv = 1.0 / N;
  double* G = net.G.data();
  for (size_t r = 0; r < rows; ++r) {
    double* g = G + r * D;
    fill_g_row(net, w, static_cast<int>(r / o), static_cast<int>(r % o), g);
    if (scaled) {
      const double c = net.cw[r] * inv;
      double* gs = net.Gs.data() + r * D;
      for (int p = 0; p < D; ++p) gs[p] = c * g[p];
    }
  }
  // S summed over the samples (upper parts only: Sblk[j][a][b] for a <= b).
  double* Sblk = net.Sblk.data();
  double* Sx = net.Sx.data();
  std::fill(Sblk, Sblk + net.Sblk.size(), 0.0);
  std::fill(Sx, Sx + net.Sx.size(), 0.0);
  for (int s = 0; s < N; ++s) {
    const double* x = &net.Xa[static_cast<size_t>(s) * nIn];
    const double* s1 = &net.s1[static_cast<size_t>(s) * h];
    const double* s2 = &net.s2[static_cast<size_t>(s) * h];
    const double* da = &net.da[static_cast<size_t>(s) * h];
    const double* du = &net.du[static_cast<size_t>(s) * o];
    for (int j = 0; j < h; ++j) {
      const double cdiag = da[j] * s2[j] * inv;
      double* B = Sblk + static_cast<size_t>(j) * i1 * i1;
      for (int a = 0; a < i1; ++a) {
        const double xa = a < nIn ? x[a] : 1.0;
        if (cdiag != 0.0) {
          const double ca = cdiag * xa;
          for (int b = a; b < i1; ++b) B[a * i1 + b] += ca * (b < nIn ? x[b] : 1.0);
        }
        const double cx = s1[j] * xa * inv;
        for (int m = 0; m < o; ++m) Sx[(static_cast<size_t>(m) * h + j) * i1 + a] += du[m] * cx;
      }
    }
  }
}

void hessian_explicit(Network& net, const double* w, double* H) {
  const int nIn = net.nIn, h = net.nHid, o = net.nOut, D = net.D, i1 = nIn + 1;
  hessian_factors(net, w, true);
  // Gauss-Newton part: H = sum_r (cw_r / N) g_r g_r^T = Gs G^T with G, Gs as D x (N o) column-major.
  syrk_upper(D, net.Na * o, net.Gs.data(), D, net.G.data(), D, H, D);
  // Second-order terms (column-major upper triangle: H(p, q) at q D + p, p <= q; W1~ indices precede W2 indices).
  const double* Sblk = net.Sblk.data();
  const double* Sx = net.Sx.data();
  for (int j = 0; j < h; ++j) {
    const double* B = Sblk + static_cast<size_t>(j) * i1 * i1;
    for (int a = 0; a < i1; ++a) {
      const int p = w1_index(net, j, a);
      for (int b = a; b < i1; ++b) H[static_cast<size_t>(w1_index(net, j, b)) * D + p] += B[a * i1 + b];
      for (int m = 0; m < o; ++m)
        H[static_cast<size_t>(net.offW2 + m * h + j) * D + p] += Sx[(static_cast<size_t>(m) * h + j) * i1 + a];
    }
  }
  symmetrize_upper(H, D, D);
}

void hessian_factored_apply(Network& net, const double* w, const double* V, int k, double* HV) {
  const int nIn = net.nIn, h = net.nHid, o = net.nOut, D = net.D, i1 = nIn + 1;
  const int rows = net.Na * o;
  hessian_factors(net, w, false);
  if (net.P.size() < static_cast<size_t>(rows) * k)
    net.P.assign(static_cast<size_t>(net.N) * o * (net.maxK > k ? net.maxK : k), 0.0);
  double* P = net.P.data();
  const double* G = net.G.data();
  const double inv = 1.0 / net.Na;
  // P = G V ((N o) x k), scaled row-wise by cw / N, then HV = G^T P.
  gemm(true, false, rows, k, D, 1.0, G, D, V, D, 0.0, P, rows);
  for (int c = 0; c < k; ++c) {
    double* pc = P + static_cast<size_t>(c) * rows;
    for (int r = 0; r < rows; ++r) pc[r] *= net.cw[r] * inv;
  }
  gemm(false, false, D, k, rows, 1.0, G, D, P, rows, 0.0, HV, D);
  // + S V from the summed blocks: S is symmetric with the blocks Sblk (W1~[j,.], W1~[j,.]) and Sx (W2[m,j], W1~[j,.]).
  const double* Sblk = net.Sblk.data();
  const double* Sx = net.Sx.data();
  for (int c = 0; c < k; ++c) {
    const double* v = V + static_cast<size_t>(c) * D;
    double* hv = HV + static_cast<size_t>(c) * D;
    for (int j = 0; j < h; ++j) {
      const double* B = Sblk + static_cast<size_t>(j) * i1 * i1;
      for (int a = 0; a < i1; ++a) {
        double t = 0.0;
        for (int b = 0; b < i1; ++b) t += (a <= b ? B[a * i1 + b] : B[b * i1 + a]) * v[w1_index(net, j, b)];
        for (int m = 0; m < o; ++m) {
          const size_t mj = static_cast<size_t>(m) * h + j;
          t += Sx[mj * i1 + a] * v[net.offW2 + mj];
        }
        hv[w1_index(net, j, a)] += t;
      }
      for (int m = 0; m < o; ++m) {
        const size_t mj = static_cast<size_t>(m) * h + j;
        double t = 0.0;
        for (int a = 0; a < i1; ++a) t += Sx[mj * i1 + a] * v[w1_index(net, j, a)];
        hv[net.offW2 + mj] += t;
      }
    }
  }
}

void hvp_batch(Network& net, const double* w, const double* V, int k, double* HV) {
  const int nIn = net.nIn, h = net.nHid, o = net.nOut, N = net.Na, D = net.D;
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
      const double* x = &net.Xa[static_cast<size_t>(s) * nIn];
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
