#include "lyapunov.h"

#include <cmath>

#include "mlp.h"
#include "qr.h"
#include "tangent.h"

namespace wd {

ChunkStatus train_chunk(Network& net, double* w, double eta, double* Q, int k, int nSteps, int qrEvery, int route,
                        double* lossOut, double* logRDiag, double* rOut) {
  const int D = net.D;
  if (k > 0 && route == ROUTE_AUTO) route = tangent_choose_route(net, k);
  double* grad = net.grad.data();
  int q = 0;
  for (int t = 0; t < nSteps; ++t) {
    const double loss = mlp_forward(net, w);
    lossOut[t] = loss;
    if (!std::isfinite(loss)) return {t, CHUNK_LOSS_NONFINITE};
    // J_t is taken at w_t, before the update.
    tangent_apply(net, w, eta, Q, k, route);
    mlp_gradient(net, w, grad);
    bool finite = true;
    for (int p = 0; p < D; ++p) {
      w[p] -= eta * grad[p];
      finite = finite && std::isfinite(w[p]);
    }
    if (!finite) return {t + 1, CHUNK_WEIGHTS_NONFINITE};
    if (k > 0 && (t + 1) % qrEvery == 0) {
      double* logr = logRDiag + static_cast<size_t>(q) * k;
      qr_positive(Q, D, k, rOut ? rOut + static_cast<size_t>(q) * k * k : nullptr, logr, net.tau.data());
      for (int j = 0; j < k; ++j)
        if (std::isnan(logr[j]) || logr[j] == INFINITY) return {t + 1, CHUNK_TANGENT_NONFINITE};
      ++q;
    }
  }
  return {nSteps, CHUNK_OK};
}

}  // namespace wd
