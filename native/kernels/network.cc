#include "network.h"

#include <climits>

namespace wd {

bool network_create(Network& net, int nIn, int nHid, int nOut, int act, double actParam, int outAct,
                    const double* X, const double* Y, int N, int maxK, const Rule& rule) {
  const long long D = static_cast<long long>(nHid) * (nIn + 1) + static_cast<long long>(nOut) * (nHid + 1);
  const long long S = D * RULE_STATE_BLOCKS[rule.id];
  if (S > INT_MAX / 4 || static_cast<long long>(N) * nHid > INT_MAX || S * maxK > INT_MAX) return false;
  net.nIn = nIn; net.nHid = nHid; net.nOut = nOut;
  net.act = act; net.actParam = actParam; net.outAct = outAct;
  net.N = N; net.D = static_cast<int>(D); net.S = static_cast<int>(S); net.maxK = maxK;
  net.rule = rule;
  net.offB1 = nHid * nIn;
  net.offW2 = net.offB1 + nHid;
  net.offB2 = net.offW2 + nOut * nHid;
  net.X.assign(X, X + static_cast<size_t>(N) * nIn);
  net.Y.assign(Y, Y + static_cast<size_t>(N) * nOut);
  network_use_all(net);
  const size_t nh = static_cast<size_t>(N) * nHid, no = static_cast<size_t>(N) * nOut;
  net.a.assign(nh, 0.0); net.s1.assign(nh, 0.0); net.s2.assign(nh, 0.0); net.da.assign(nh, 0.0);
  net.du.assign(no, 0.0); net.cw.assign(no, 0.0);
  net.grad.assign(net.D, 0.0);
  net.HQ.assign(static_cast<size_t>(net.D) * (maxK > 0 ? maxK : 1), 0.0);
  if (net.S > net.D) net.Vw.assign(static_cast<size_t>(net.D) * (maxK > 0 ? maxK : 1), 0.0);
  net.tau.assign(maxK > 0 ? maxK : 1, 0.0);
  net.rz.assign(nHid, 0.0);
  net.q.assign(nOut, 0.0);
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
