#include "network.h"

#include <algorithm>
#include <climits>

namespace wd {

long long network_dimension(int L, const int* widths) {
  long long D = 0;
  for (int l = 1; l <= L + 1; ++l) D += static_cast<long long>(widths[l]) * (widths[l - 1] + 1);
  return D;
}

bool network_create(Network& net, int L, const int* widths, const int* acts, const double* actParams, int outAct,
                    const double* X, const double* Y, int N, int maxK, const Rule& rule) {
  const long long D = network_dimension(L, widths);
  const long long S = D * RULE_STATE_BLOCKS[rule.id];
  long long hidSum = 0;
  for (int l = 1; l <= L; ++l) hidSum += widths[l];
  if (S > INT_MAX / 4 || static_cast<long long>(N) * hidSum > INT_MAX || S * maxK > INT_MAX) return false;
  const int nIn = widths[0], nHid = widths[1], nOut = widths[L + 1];
  net.nIn = nIn; net.nHid = nHid; net.nOut = nOut;
  net.act = acts[0]; net.actParam = actParams[0]; net.outAct = outAct;
  net.L = L;
  net.N = N; net.D = static_cast<int>(D); net.S = static_cast<int>(S); net.maxK = maxK;
  net.rule = rule;
  net.width.assign(widths, widths + L + 2);
  net.acts.assign(acts, acts + L);
  net.actParams.assign(actParams, actParams + L);
  net.offW.assign(L + 1, 0);
  net.offB.assign(L + 1, 0);
  net.cacheOff.assign(L, 0);
  net.hidOff.assign(L, 0);
  int off = 0;
  for (int l = 1; l <= L + 1; ++l) {
    net.offW[l - 1] = off;
    off += widths[l] * widths[l - 1];
    net.offB[l - 1] = off;
    off += widths[l];
  }
  size_t cache = 0;
  int hid = 0;
  net.nMax = nOut;
  for (int l = 1; l <= L; ++l) {
    net.cacheOff[l - 1] = cache;
    net.hidOff[l - 1] = hid;
    cache += static_cast<size_t>(N) * widths[l];
    hid += widths[l];
    net.nMax = std::max(net.nMax, widths[l]);
  }
  net.hidSum = static_cast<int>(hidSum);
  net.offB1 = net.offB[0];
  net.offW2 = net.offW[1];
  net.offB2 = net.offB[1];
  net.X.assign(X, X + static_cast<size_t>(N) * nIn);
  net.Y.assign(Y, Y + static_cast<size_t>(N) * nOut);
  network_use_all(net);
  const size_t no = static_cast<size_t>(N) * nOut;
  net.a.assign(cache, 0.0); net.s1.assign(cache, 0.0); net.s2.assign(cache, 0.0); net.da.assign(cache, 0.0);
  net.du.assign(no, 0.0); net.cw.assign(no, 0.0);
  net.grad.assign(net.D, 0.0);
  net.HQ.assign(static_cast<size_t>(net.D) * (maxK > 0 ? maxK : 1), 0.0);
  if (net.S > net.D) net.Vw.assign(static_cast<size_t>(net.D) * (maxK > 0 ? maxK : 1), 0.0);
  net.tau.assign(maxK > 0 ? maxK : 1, 0.0);
  net.rz.assign(nHid, 0.0);
  net.q.assign(nOut, 0.0);
  net.rd.assign(static_cast<size_t>(net.hidSum) + 2 * static_cast<size_t>(net.nMax), 0.0);
  return true;
}

void network_use_all(Network& net) {
  net.Xa = net.X.data();
  net.Ya = net.Y.data();
  net.Na = net.N;
}

void network_use_batch(Network& net, const int* idx, int n) {
  const int nIn = net.nIn, o = net.nOut;
  if (net.Xb.empty()) {
    net.Xb.assign(static_cast<size_t>(net.N) * nIn, 0.0);
    net.Yb.assign(static_cast<size_t>(net.N) * o, 0.0);
  }
  for (int b = 0; b < n; ++b) {
    const size_t s = static_cast<size_t>(idx[b]);
    for (int i = 0; i < nIn; ++i) net.Xb[static_cast<size_t>(b) * nIn + i] = net.X[s * nIn + i];
    for (int m = 0; m < o; ++m) net.Yb[static_cast<size_t>(b) * o + m] = net.Y[s * o + m];
  }
  net.Xa = net.Xb.data();
  net.Ya = net.Yb.data();
  net.Na = n;
}

}  // namespace wd
