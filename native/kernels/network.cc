#include "network.h"

#include <climits>

namespace wd {

bool network_create(Network& net, int nIn, int nHid, int nOut, int act, double actParam, int outAct,
                    const double* X, const double* Y, int N, int maxK) {
  const long long D = static_cast<long long>(nHid) * (nIn + 1) + static_cast<long long>(nOut) * (nHid + 1);
  if (D > INT_MAX / 4 || static_cast<long long>(N) * nHid > INT_MAX || D * maxK > INT_MAX) return false;
  net.nIn = nIn; net.nHid = nHid; net.nOut = nOut;
  net.act = act; net.actParam = actParam; net.outAct = outAct;
  net.N = N; net.D = static_cast<int>(D); net.maxK = maxK;
  net.offB1 = nHid * nIn;
  net.offW2 = net.offB1 + nHid;
  net.offB2 = net.offW2 + nOut * nHid;
  net.X.assign(X, X + static_cast<size_t>(N) * nIn);
  net.Y.assign(Y, Y + static_cast<size_t>(N) * nOut);
  const size_t nh = static_cast<size_t>(N) * nHid, no = static_cast<size_t>(N) * nOut;
  net.a.assign(nh, 0.0); net.s1.assign(nh, 0.0); net.s2.assign(nh, 0.0); net.da.assign(nh, 0.0);
  net.du.assign(no, 0.0); net.cw.assign(no, 0.0);
  net.grad.assign(net.D, 0.0);
  net.HQ.assign(static_cast<size_t>(net.D) * (maxK > 0 ? maxK : 1), 0.0);
  net.tau.assign(maxK > 0 ? maxK : 1, 0.0);
  net.rz.assign(nHid, 0.0);
  net.q.assign(nOut, 0.0);
  return true;
}

}  // namespace wd
