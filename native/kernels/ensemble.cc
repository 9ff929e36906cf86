#include "ensemble.h"

#include <climits>

#include "network.h"

namespace wd {

bool ensemble_create(Ensemble& e, int nIn, int nHid, int nOut, int act, double actParam, int outAct, const double* X,
                     const double* Y, int N, int maxK, const Rule& rule, int runs) {
  const int widths[3] = {nIn, nHid, nOut};
  const long long D = network_dimension(1, widths);
  const long long S = D * RULE_STATE_BLOCKS[rule.id];
  const long long L = LANES;
  if (runs < 1 || runs > LANES || S > INT_MAX / 4 || S * (maxK > 0 ? maxK : 1) * L > INT_MAX || static_cast<long long>(N) * nHid * L > INT_MAX ||
      static_cast<long long>(N) * nOut * D * L > INT_MAX)
    return false;
  e.nIn = nIn; e.nHid = nHid; e.nOut = nOut;
  e.act = act; e.actParam = actParam; e.outAct = outAct;
  e.N = N; e.D = static_cast<int>(D); e.S = static_cast<int>(S); e.maxK = maxK;
  e.runs = runs;
  e.offB1 = nHid * nIn;
  e.offW2 = e.offB1 + nHid;
  e.offB2 = e.offW2 + nOut * nHid;
  e.rule = rule;
  e.X.assign(X, X + static_cast<size_t>(N) * nIn);
  e.Y.assign(Y, Y + static_cast<size_t>(N) * nOut);
  ensemble_use_all(e);
  const size_t l = LANES, k1 = maxK > 0 ? maxK : 1;
  e.state.assign(S * l, 0.0);
  e.Q.assign(S * k1 * l, 0.0);
  const size_t nh = static_cast<size_t>(N) * nHid * l, no = static_cast<size_t>(N) * nOut * l;
  e.a.assign(nh, 0.0); e.s1.assign(nh, 0.0); e.s2.assign(nh, 0.0); e.da.assign(nh, 0.0);
  e.du.assign(no, 0.0); e.cw.assign(no, 0.0);
  e.fo.assign(no, 0.0); e.p1.assign(no, 0.0); e.p2.assign(no, 0.0);
  e.grad.assign(D * l, 0.0);
  e.loss.assign(l, 0.0);
  e.HQ.assign(D * k1 * l, 0.0);
  if (S > D) e.Vw.assign(D * k1 * l, 0.0);
  e.rz.assign(static_cast<size_t>(nHid) * l, 0.0);
  e.q.assign(static_cast<size_t>(nOut) * l, 0.0);
  e.tau.assign(k1 * l, 0.0);
  e.logr.assign(k1 * l, 0.0);
  e.status.assign(runs, 0);
  e.frozenState.assign(S * l, 0.0);
  e.frozenQ.assign(S * k1 * l, 0.0);
  return true;
}

void ensemble_use_all(Ensemble& e) {
  e.Xa = e.X.data();
  e.Ya = e.Y.data();
  e.Na = e.N;
}

void ensemble_use_batch(Ensemble& e, const int* idx, int n) {
  const int nIn = e.nIn, o = e.nOut;
  if (e.Xb.empty()) {
    e.Xb.assign(static_cast<size_t>(e.N) * nIn, 0.0);
    e.Yb.assign(static_cast<size_t>(e.N) * o, 0.0);
  }
  for (int b = 0; b < n; ++b) {
    const size_t s = static_cast<size_t>(idx[b]);
    for (int i = 0; i < nIn; ++i) e.Xb[static_cast<size_t>(b) * nIn + i] = e.X[s * nIn + i];
    for (int m = 0; m < o; ++m) e.Yb[static_cast<size_t>(b) * o + m] = e.Y[s * o + m];
  }
  e.Xa = e.Xb.data();
  e.Ya = e.Yb.data();
  e.Na = n;
}

void ensemble_set_state(Ensemble& e, int b, const double* x) {
  for (int p = 0; p < e.S; ++p) e.state[lane_at(p, b)] = x[p];
}

void ensemble_get_state(const Ensemble& e, int b, double* x) {
  const std::vector<double>& src = e.status[b] == 0 ? e.state : e.frozenState;
  for (int p = 0; p < e.S; ++p) x[p] = src[lane_at(p, b)];
}

void ensemble_set_tangent(Ensemble& e, int b, const double* Q) {
  const size_t n = static_cast<size_t>(e.S) * e.maxK;
  for (size_t i = 0; i < n; ++i) e.Q[lane_at(i, b)] = Q[i];
}

void ensemble_get_tangent(const Ensemble& e, int b, double* Q) {
  const std::vector<double>& src = e.status[b] == 0 ? e.Q : e.frozenQ;
  const size_t n = static_cast<size_t>(e.S) * e.maxK;
  for (size_t i = 0; i < n; ++i) Q[i] = src[lane_at(i, b)];
}

void ensemble_freeze(Ensemble& e, int b) {
  for (int p = 0; p < e.S; ++p) e.frozenState[lane_at(p, b)] = e.state[lane_at(p, b)];
  const size_t n = static_cast<size_t>(e.S) * e.maxK;
  for (size_t i = 0; i < n; ++i) e.frozenQ[lane_at(i, b)] = e.Q[lane_at(i, b)];
}

}  // namespace wd
