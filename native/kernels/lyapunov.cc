#include "lyapunov.h"

#include <cmath>

#include "depth.h"
#include "qr.h"
#include "tangent.h"

namespace wd {

namespace {

// The steps of a minibatched chunk; the caller then makes the kernels work on all samples again.
ChunkStatus run_steps(Network& net, double* state, double* Q, const ChunkArgs& a) {
  const int S = net.S, k = a.k;
  const bool batched = a.batchIdx != nullptr;
  int route = a.route;
  if (k > 0 && route == ROUTE_AUTO) route = tangent_choose_route(net, k, net.Na);
  double* g = net.grad.data();
  double* w = state;
  int q = 0;
  for (int t = 0; t < a.nSteps; ++t) {
    if (batched) network_use_all(net);
    const double loss = net_forward(net, w);
    a.lossOut[t] = loss;
    if (!std::isfinite(loss)) return {t, CHUNK_LOSS_NONFINITE};
    if (batched) {
      network_use_batch(net, a.batchIdx + a.batchOff[t], a.batchOff[t + 1] - a.batchOff[t]);
      net_forward(net, w);
    }
    net_gradient(net, w, g);
    // J_t is taken at the state before the update.
    tangent_apply(net, state, g, a.t0 + t, Q, k, route);
    rule_step(net.rule, net.D, state, g, a.t0 + t);
    bool finite = true;
    for (int p = 0; p < S; ++p) finite = finite && std::isfinite(state[p]);
    if (!finite) return {t + 1, CHUNK_WEIGHTS_NONFINITE};
    if (k > 0 && (t + 1) % a.qrEvery == 0) {
      double* logr = a.logRDiag + static_cast<size_t>(q) * k;
      qr_positive(Q, S, k, a.rOut ? a.rOut + static_cast<size_t>(q) * k * k : nullptr, logr, net.tau.data());
      for (int j = 0; j < k; ++j)
        if (std::isnan(logr[j]) || logr[j] == INFINITY) return {t + 1, CHUNK_TANGENT_NONFINITE};
      ++q;
    }
  }
  return {a.nSteps, CHUNK_OK};
}

}  // namespace

ChunkStatus train_chunk(Network& net, double* state, double* Q, const ChunkArgs& a) {
  const ChunkStatus st = run_steps(net, state, Q, a);
  if (a.batchIdx != nullptr) network_use_all(net);
  return st;
}

}  // namespace wd
