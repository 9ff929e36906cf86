#include "deep_rop.h"

#include <algorithm>
#include <utility>

#include "deep_mlp.h"
#include "dense.h"

namespace wd {

void deep_hvp_batch(Network& net, const double* w, const double* V, int k, double* HV) {
  const int L = net.L, o = net.nOut, N = net.Na, D = net.D;
  const int h = net.width[L];
  const double inv = 1.0 / N;
  double* rz = net.rd.data();  // R z of every hidden layer, at hidOff
  double* rdA = rz + net.hidSum;
  double* rdB = rdA + net.nMax;
  const double* WL = w + net.offW[L];
  for (int c = 0; c < k; ++c) {
    const double* v = V + static_cast<size_t>(c) * D;
    double* hv = HV + static_cast<size_t>(c) * D;
    std::fill(hv, hv + D, 0.0);
    const double* VL = v + net.offW[L];
    const double* vbL = v + net.offB[L];
    for (int s = 0; s < N; ++s) {
      // Forward: R z_l = vb_l + V_l a_{l-1} + W_l (s'_{l-1} . R z_{l-1}).
      for (int l = 1; l <= L; ++l) {
        const int n = net.width[l], np = net.width[l - 1];
        const double* Vl = v + net.offW[l - 1];
        const double* vb = v + net.offB[l - 1];
        const double* Wl = w + net.offW[l - 1];
        const double* x = layer_input(net, l, s);
        double* rzl = rz + net.hidOff[l - 1];
        const double* rzp = l > 1 ? rz + net.hidOff[l - 2] : nullptr;
        const double* s1p = l > 1 ? layer_row(net.s1, net, l - 1, s) : nullptr;
        for (int j = 0; j < n; ++j) {
          double t = vb[j];
          const double* vrow = Vl + static_cast<size_t>(j) * np;
          for (int i = 0; i < np; ++i) t += vrow[i] * x[i];
          if (l > 1) {
            const double* wrow = Wl + static_cast<size_t>(j) * np;
            for (int i = 0; i < np; ++i) t += wrow[i] * s1p[i] * rzp[i];
          }
          rzl[j] = t;
        }
      }
      // Output: R u, the source R delta_{L+1} = cw . R u / N, and the gradient of layer L+1.
      const double* aL = layer_row(net.a, net, L, s);
      const double* s1L = layer_row(net.s1, net, L, s);
      const double* rzL = rz + net.hidOff[L - 1];
      const double* du = &net.du[static_cast<size_t>(s) * o];
      const double* cw = &net.cw[static_cast<size_t>(s) * o];
      double* rdn = rdA;
      double* rdc = rdB;
      for (int m = 0; m < o; ++m) {
        const double* wrow = WL + static_cast<size_t>(m) * h;
        const double* vrow = VL + static_cast<size_t>(m) * h;
        double ru = vbL[m];
        for (int j = 0; j < h; ++j) ru += vrow[j] * aL[j] + wrow[j] * s1L[j] * rzL[j];
        const double qm = cw[m] * ru * inv;
        rdn[m] = qm;
        const double dm = du[m] * inv;
        double* hrow = hv + net.offW[L] + static_cast<size_t>(m) * h;
        for (int j = 0; j < h; ++j) hrow[j] += qm * aL[j] + dm * s1L[j] * rzL[j];
        hv[net.offB[L] + m] += qm;
      }
      // Backward: R delta_l from R delta_{l+1}, then the gradient of layer l.
      for (int l = L; l >= 1; --l) {
        const int n = net.width[l], np = net.width[l - 1], nn = net.width[l + 1];
        const double* Wn = w + net.offW[l];
        const double* Vn = v + net.offW[l];
        const double* ga = layer_row(net.da, net, l, s);
        const double* s1 = layer_row(net.s1, net, l, s);
        const double* s2 = layer_row(net.s2, net, l, s);
        const double* rzl = rz + net.hidOff[l - 1];
        const double* gn = l < L ? layer_row(net.da, net, l + 1, s) : du;
        const double* s1n = l < L ? layer_row(net.s1, net, l + 1, s) : nullptr;
        for (int j = 0; j < n; ++j) {
          double back = 0.0;
          for (int kk = 0; kk < nn; ++kk) {
            const size_t kj = static_cast<size_t>(kk) * n + j;
            const double dk = s1n ? gn[kk] * s1n[kk] : gn[kk];
            back += Wn[kj] * rdn[kk] + dk * inv * Vn[kj];
          }
          rdc[j] = s1[j] * back + ga[j] * s2[j] * rzl[j] * inv;
        }
        const double* x = layer_input(net, l, s);
        const double* rzp = l > 1 ? rz + net.hidOff[l - 2] : nullptr;
        const double* s1p = l > 1 ? layer_row(net.s1, net, l - 1, s) : nullptr;
        double* hW = hv + net.offW[l - 1];
        double* hb = hv + net.offB[l - 1];
        for (int j = 0; j < n; ++j) {
          const double beta = rdc[j];
          double* row = hW + static_cast<size_t>(j) * np;
          if (l > 1) {
            const double dj = ga[j] * s1[j] * inv;
            for (int i = 0; i < np; ++i) row[i] += beta * x[i] + dj * s1p[i] * rzp[i];
          } else {
            for (int i = 0; i < np; ++i) row[i] += beta * x[i];
          }
          hb[j] += beta;
        }
        std::swap(rdn, rdc);
      }
    }
  }
}

int deep_factored_block(const Network& net) {
  const long long perVector =
      static_cast<long long>(net.N) * (2LL * net.hidSum + net.nOut + 2LL * net.nMax);
  const long long kb = DEEP_FACTORED_DOUBLES / perVector;
  const int cap = net.maxK > 0 ? net.maxK : 1;
  return static_cast<int>(std::max(1LL, std::min<long long>(kb, cap)));
}

namespace {

// A hidden layer's (1 <= l <= L) block of a cache, sample-major (= n_l x N column-major); the input X for l = 0.
const double* layer_block(const Network& net, const std::vector<double>& cache, int l) {
  return l == 0 ? net.Xa : cache.data() + net.cacheOff[l - 1];
}

}  // namespace

void deep_factored_apply(Network& net, const double* w, const double* V, int k, double* HV) {
  const int L = net.L, o = net.nOut, N = net.Na, D = net.D;
  const int kbMax = deep_factored_block(net);
  const size_t NH = static_cast<size_t>(net.N) * (net.hidSum + o);
  const size_t blockZ = static_cast<size_t>(net.N) * kbMax * (net.hidSum + o);
  const size_t blockA = static_cast<size_t>(net.N) * kbMax * std::max(net.hidSum, 1);
  const size_t blockD = static_cast<size_t>(net.N) * kbMax * net.nMax;
  if (net.RZ.size() < blockZ) net.RZ.assign(blockZ, 0.0);
  if (net.RA.size() < blockA) net.RA.assign(blockA, 0.0);
  if (net.RD.size() < blockD) net.RD.assign(blockD, 0.0);
  if (net.RG.size() < blockD) net.RG.assign(blockD, 0.0);
  if (net.Del.size() < NH) net.Del.assign(NH, 0.0);
  const double inv = 1.0 / N;
  // delta_l (n_l x N, column-major) of every layer: ga_l . s_l' (hidden), du (output); at offset N hidOff[l-1] (l <= L),
  // N hidSum for the output.
  double* Del = net.Del.data();
  for (int l = 1; l <= L; ++l) {
    const size_t n = static_cast<size_t>(N) * net.width[l];
    const double* ga = net.da.data() + net.cacheOff[l - 1];
    const double* s1 = net.s1.data() + net.cacheOff[l - 1];
    double* d = Del + static_cast<size_t>(N) * net.hidOff[l - 1];
    for (size_t e = 0; e < n; ++e) d[e] = ga[e] * s1[e];
  }
  std::copy(net.du.begin(), net.du.begin() + static_cast<size_t>(N) * o, Del + static_cast<size_t>(N) * net.hidSum);
  auto delta = [&](int l) { return Del + static_cast<size_t>(N) * (l <= L ? net.hidOff[l - 1] : net.hidSum); };
  for (int c0 = 0; c0 < k; c0 += kbMax) {
    const int kb = std::min(kbMax, k - c0);
    const int Nk = N * kb;
    // R z_l (n_l x N kb, vector c in columns c N .. c N + N - 1) at RZ + Nk hidOff[l-1] (the output at Nk hidSum);
    // R a_l = s_l' . R z_l at RA + Nk hidOff[l-1].
    auto RZ = [&](int l) { return net.RZ.data() + static_cast<size_t>(Nk) * (l <= L ? net.hidOff[l - 1] : net.hidSum); };
    auto RA = [&](int l) { return net.RA.data() + static_cast<size_t>(Nk) * net.hidOff[l - 1]; };
    for (int l = 1; l <= L + 1; ++l) {
      const int n = net.width[l], np = net.width[l - 1];
      double* Z = RZ(l);
      const double* Ap = layer_block(net, net.a, l - 1);
      for (int c = 0; c < kb; ++c) {
        const double* v = V + static_cast<size_t>(c0 + c) * D;
        double* Zc = Z + static_cast<size_t>(c) * N * n;
        gemm(true, false, n, N, np, 1.0, v + net.offW[l - 1], np, Ap, np, 0.0, Zc, n);
        const double* vb = v + net.offB[l - 1];
        for (int s = 0; s < N; ++s)
          for (int j = 0; j < n; ++j) Zc[static_cast<size_t>(s) * n + j] += vb[j];
      }
      if (l > 1) gemm(true, false, n, Nk, np, 1.0, w + net.offW[l - 1], np, RA(l - 1), np, 1.0, Z, n);
      if (l <= L) {
        const double* s1 = net.s1.data() + net.cacheOff[l - 1];
        double* A = RA(l);
        const size_t Nn = static_cast<size_t>(N) * n;
        for (int c = 0; c < kb; ++c)
          for (size_t e = 0; e < Nn; ++e) A[c * Nn + e] = s1[e] * Z[c * Nn + e];
      }
    }
    // The source of the backward pass: R delta_{L+1} = cw . R u.
    double* Rd = net.RD.data();
    double* Rg = net.RG.data();
    {
      const double* Zo = RZ(L + 1);
      const size_t No = static_cast<size_t>(N) * o;
      for (int c = 0; c < kb; ++c)
        for (size_t e = 0; e < No; ++e) Rd[c * No + e] = net.cw[e] * Zo[c * No + e];
    }
    for (int l = L + 1; l >= 1; --l) {
      const int n = net.width[l], np = net.width[l - 1];
      const double* Ap = layer_block(net, net.a, l - 1);
      const double* Dl = delta(l);
      const size_t Nn = static_cast<size_t>(N) * n;
      for (int c = 0; c < kb; ++c) {
        double* hv = HV + static_cast<size_t>(c0 + c) * D;
        const double* Rdc = Rd + c * Nn;
        // (H v)_{W_l} (n_l x n_{l-1} row-major = n_{l-1} x n_l column-major) = 1/N (a_{l-1} R delta_l^T + R a_{l-1} delta_l^T).
        gemm(false, true, np, n, N, inv, Ap, np, Rdc, n, 0.0, hv + net.offW[l - 1], np);
        if (l > 1)
          gemm(false, true, np, n, N, inv, RA(l - 1) + static_cast<size_t>(c) * N * np, np, Dl, n, 1.0,
               hv + net.offW[l - 1], np);
        double* hb = hv + net.offB[l - 1];
        std::fill(hb, hb + n, 0.0);
        for (int s = 0; s < N; ++s)
          for (int j = 0; j < n; ++j) hb[j] += Rdc[static_cast<size_t>(s) * n + j];
        for (int j = 0; j < n; ++j) hb[j] *= inv;
      }
      if (l == 1) break;
      // R ga_{l-1} = W_l^T R delta_l + V_l^T delta_l, then R delta_{l-1} = R ga_{l-1} . s' + ga . s'' . R z_{l-1}.
      gemm(false, false, np, Nk, n, 1.0, w + net.offW[l - 1], np, Rd, n, 0.0, Rg, np);
      for (int c = 0; c < kb; ++c) {
        const double* v = V + static_cast<size_t>(c0 + c) * D;
        gemm(false, false, np, N, n, 1.0, v + net.offW[l - 1], np, Dl, n, 1.0, Rg + static_cast<size_t>(c) * N * np, np);
      }
      const double* s1 = net.s1.data() + net.cacheOff[l - 2];
      const double* s2 = net.s2.data() + net.cacheOff[l - 2];
      const double* ga = net.da.data() + net.cacheOff[l - 2];
      const double* Zp = RZ(l - 1);
      const size_t Np = static_cast<size_t>(N) * np;
      for (int c = 0; c < kb; ++c)
        for (size_t e = 0; e < Np; ++e) {
          const size_t ce = c * Np + e;
          Rg[ce] = Rg[ce] * s1[e] + ga[e] * s2[e] * Zp[ce];
        }
      std::swap(Rd, Rg);
    }
  }
}

}  // namespace wd
