#include "deep_hessian.h"

#include <algorithm>
#include <utility>

#include "deep_mlp.h"
#include "dense.h"

namespace wd {

namespace {

// Sizes the workspaces for all N samples (so minibatches of any size reuse them).
void reserve(Network& net) {
  const int L = net.L, N = net.N;
  int cMax = 0, dqMax = 0, inMax = 0;
  for (int q = 1; q <= L + 1; ++q) {
    cMax = std::max(cMax, net.width[q] + net.width[q - 1]);
    dqMax = std::max(dqMax, net.width[q] * (net.width[q - 1] + 1));
    inMax = std::max(inMax, net.width[q - 1]);
  }
  const size_t level = static_cast<size_t>(N) * cMax * net.nMax;
  if (net.Kp.size() < level) {
    net.Kp.assign(level, 0.0);
    net.Kq.assign(level, 0.0);
    net.Kn.assign(level, 0.0);
  }
  if (net.T.size() < static_cast<size_t>(N) * dqMax) net.T.assign(static_cast<size_t>(N) * dqMax, 0.0);
  if (net.At.size() < static_cast<size_t>(N) * (inMax + 1)) net.At.assign(static_cast<size_t>(N) * (inMax + 1), 0.0);
  if (net.Cb.size() < static_cast<size_t>(inMax + 1) * dqMax) net.Cb.assign(static_cast<size_t>(inMax + 1) * dqMax, 0.0);
}

// The block (W~_p, W~_q), p <= q, of H (upper part; column-major H, leading dimension D). B holds, for each unit r of
// layer p, the rows [K^{(p,q)}_s[r, :] | M^{(p,q)}_s[r, :]] of every sample s at B[r N c + s c ...] (c = n_q + n_{q-1};
// the M part only when withM). Per unit r, the sample rows T_s (the q-block of the parameter vector: K[r,k] a~_{q-1}
// (+ M[r,j] delta_{q,k})) are summed against a~_{p-1,s} by one product with inner dimension N, and the result goes to
// H's rows W_p[r, .] and b_p[r].
void block(Network& net, double* H, int p, int q, const double* B, int c, bool withM, double inv) {
  const int N = net.Na, D = net.D, L = net.L, o = net.nOut;
  const int np = net.width[p], npp = net.width[p - 1], nq = net.width[q], nq1 = net.width[q - 1];
  const int Dq = nq * (nq1 + 1), i1 = npp + 1;
  const size_t Nc = static_cast<size_t>(N) * c;
  double* At = net.At.data();
  double* T = net.T.data();
  double* Cb = net.Cb.data();
  for (int s = 0; s < N; ++s) {
    const double* x = layer_input(net, p, s);
    double* as = At + static_cast<size_t>(s) * i1;
    for (int i = 0; i < npp; ++i) as[i] = x[i];
    as[npp] = 1.0;
  }
  const size_t hq = static_cast<size_t>(net.offW[q - 1]) * D;
  for (int r = 0; r < np; ++r) {
    const double* Br = B + r * Nc;
    for (int s = 0; s < N; ++s) {
      const double* K = Br + static_cast<size_t>(s) * c;
      const double* M = K + nq;
      const double* aq = layer_input(net, q, s);
      double* t = T + static_cast<size_t>(s) * Dq;
      const double* dq = q == L + 1 ? &net.du[static_cast<size_t>(s) * o] : layer_row(net.da, net, q, s);
      const double* sq = q == L + 1 ? nullptr : layer_row(net.s1, net, q, s);
      for (int k = 0; k < nq; ++k) {
        const double Kk = K[k];
        double* tk = t + static_cast<size_t>(k) * nq1;
        if (withM) {
          const double dk = sq ? dq[k] * sq[k] : dq[k];
          for (int j = 0; j < nq1; ++j) tk[j] = Kk * aq[j] + M[j] * dk;
        } else {
          for (int j = 0; j < nq1; ++j) tk[j] = Kk * aq[j];
        }
        t[nq * nq1 + k] = Kk;
      }
    }
    // On the diagonal block only the columns from unit r on reach the upper triangle of rows W_p[r, .].
    const int col0 = p == q ? r * nq1 : 0;
    const int n = Dq - col0;
    gemm(false, true, i1, n, N, inv, At, i1, T + col0, Dq, 0.0, Cb, i1);
    const int rowW = net.offW[p - 1] + r * npp, rowB = net.offB[p - 1] + r;
    for (int col = 0; col < n; ++col) {
      double* h = H + hq + static_cast<size_t>(col0 + col) * D;
      const double* cc = Cb + static_cast<size_t>(col) * i1;
      for (int i = 0; i < npp; ++i) h[rowW + i] = cc[i];
      h[rowB] = cc[npp];
    }
  }
}

}  // namespace

void deep_hessian_explicit(Network& net, const double* w, double* H) {
  reserve(net);
  const int L = net.L, N = net.Na, D = net.D, o = net.nOut;
  const double inv = 1.0 / N;
  double* P = net.Kp.data();
  double* Pn = net.Kq.data();
  double* Kn = net.Kn.data();
  for (int q = L + 1; q >= 1; --q) {
    const int nq = net.width[q], nq1 = net.width[q - 1], c = nq + nq1;
    const size_t Nc = static_cast<size_t>(N) * c;
    if (q == L + 1) {
      // K^{(L+1,L+1)} = diag(cw): the Gauss-Newton weights.
      for (int r = 0; r < o; ++r)
        for (int s = 0; s < N; ++s) {
          double* x = P + r * Nc + static_cast<size_t>(s) * c;
          std::fill(x, x + c, 0.0);
          x[r] = net.cw[static_cast<size_t>(s) * o + r];
        }
    } else {
      std::swap(P, Kn);  // K^{(q,q)}, built while the previous q ran
    }
    block(net, H, q, q, P, c, false, inv);
    for (int p = q - 1; p >= 1; --p) {
      const int np = net.width[p], nn = net.width[p + 1];
      // [K | M]^{(p,q)} = diag(s_p') W_{p+1}^T [K | M]^{(p+1,q)}, every sample at once: Pn (N c x n_p) = P W_{p+1}.
      gemm(false, true, static_cast<int>(Nc), np, nn, 1.0, P, static_cast<int>(Nc), w + net.offW[p], np, 0.0, Pn,
           static_cast<int>(Nc));
      for (int r = 0; r < np; ++r)
        for (int s = 0; s < N; ++s) {
          const double sr = layer_row(net.s1, net, p, s)[r];
          double* x = Pn + r * Nc + static_cast<size_t>(s) * c;
          for (int col = 0; col < c; ++col) x[col] *= sr;
          // M^{(q-1,q)} = diag(s_{q-1}').
          if (p == q - 1)
            for (int j = 0; j < nq1; ++j) x[nq + j] = j == r ? sr : 0.0;
        }
      block(net, H, p, q, Pn, c, true, inv);
      if (p == q - 1) {
        // K^{(q-1,q-1)} = diag(ga_{q-1} . s_{q-1}'') + K^{(q-1,q)} W_q diag(s_{q-1}'), for the next q; one product per
        // row r: (K^{(q-1,q)}[r, :] W_q)_s for every sample.
        const int n1 = nq1, c1 = nq1 + net.width[q - 2];
        const size_t Nc1 = static_cast<size_t>(N) * c1;
        for (int r = 0; r < n1; ++r)
          gemm(false, false, n1, N, nq, 1.0, w + net.offW[q - 1], n1, Pn + r * Nc, c, 0.0, Kn + r * Nc1, c1);
        for (int r = 0; r < n1; ++r)
          for (int s = 0; s < N; ++s) {
            const double* s1 = layer_row(net.s1, net, q - 1, s);
            double* x = Kn + r * Nc1 + static_cast<size_t>(s) * c1;
            for (int k = 0; k < n1; ++k) x[k] *= s1[k];
            x[r] += layer_row(net.da, net, q - 1, s)[r] * layer_row(net.s2, net, q - 1, s)[r];
            std::fill(x + n1, x + c1, 0.0);
          }
      }
      std::swap(P, Pn);
    }
  }
  symmetrize_upper(H, D, D);
}

}  // namespace wd
