#include "tangent.h"

#include "dense.h"
#include "hessian.h"

namespace wd {

int tangent_choose_route(const Network& net, int k) {
  // Multiply-adds per step. Explicit: the Gauss-Newton triangle N o D^2 / 2, the hidden blocks N h (i+1)^2 and
  // the product H Q, D^2 k. Products: per sample and vector, Rz (h (i+1)), Ru and its transpose (4 o h),
  // the first-layer update (h (i+1)).
  const double N = net.N, D = net.D, h = net.nHid, o = net.nOut, i1 = net.nIn + 1;
  const double explicitCost = N * o * D * D / 2 + N * h * i1 * i1 + D * D * k;
  const double hvpCost = N * k * (2 * h * i1 + 4 * o * h + 2 * h);
  return explicitCost <= hvpCost ? ROUTE_HESSIAN : ROUTE_HVP;
}

void tangent_apply(Network& net, const double* w, double eta, double* Q, int k, int route) {
  if (k <= 0) return;
  if (route == ROUTE_AUTO) route = tangent_choose_route(net, k);
  const int D = net.D;
  double* HQ = net.HQ.data();
  if (route == ROUTE_HESSIAN) {
    if (net.H.size() != static_cast<size_t>(D) * D) net.H.assign(static_cast<size_t>(D) * D, 0.0);
    hessian_explicit(net, w, net.H.data());
    symm_times(net.H.data(), D, Q, k, HQ);
  } else {
    hvp_batch(net, w, Q, k, HQ);
  }
  const size_t n = static_cast<size_t>(D) * k;
  for (size_t p = 0; p < n; ++p) Q[p] -= eta * HQ[p];
}

}  // namespace wd
