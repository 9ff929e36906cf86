#include "tangent.h"

#include "dense.h"
#include "hessian.h"

namespace wd {

int tangent_choose_route(const Network& net, int k, int n) {
  // Floating-point operations per step (a multiply-add is 2; bench/flops.ts has the same formulas), each route's
  // weighted by how fast it runs: the explicit and factored routes are gemm-bound, the R-operator route runs at a
  // fraction HVP_SLOWDOWN of their rate (its loops are short and per sample; measured with npm run bench). The G
  // rows and the summed S are shared by the first two and cancel out of their comparison.
  constexpr double HVP_SLOWDOWN = 4.0;
  const double N = n, D = net.D, h = net.nHid, o = net.nOut, i1 = net.nIn + 1, kk = k;
  const double explicitCost = N * o * D * (D + 1) + 2 * D * D * kk;
  const double factoredCost = 4 * N * o * D * kk + kk * (2 * h * i1 * i1 + 4 * o * h * i1);
  const double hvpCost = HVP_SLOWDOWN * 2 * N * kk * (2 * h * i1 + 4 * o * h + 2 * h);
  if (explicitCost <= factoredCost && explicitCost <= hvpCost) return ROUTE_HESSIAN;
  return factoredCost <= hvpCost ? ROUTE_FACTORED : ROUTE_HVP;
}

void hessian_apply(Network& net, const double* w, const double* V, int k, double* HV, int route) {
  const int D = net.D;
  if (route == ROUTE_HESSIAN) {
    if (net.H.size() != static_cast<size_t>(D) * D) net.H.assign(static_cast<size_t>(D) * D, 0.0);
    hessian_explicit(net, w, net.H.data());
    // Small D: the unpacked loop (gemm's packing costs more than it saves there; measured at D = 31 and 61).
    if (D <= SYMM_TIMES_MAX_N) symm_times(net.H.data(), D, V, k, HV);
    else gemm(false, false, D, k, D, 1.0, net.H.data(), D, V, D, 0.0, HV, D);
  } else if (route == ROUTE_FACTORED) {
    hessian_factored_apply(net, w, V, k, HV);
  } else {
    hvp_batch(net, w, V, k, HV);
  }
}

void tangent_apply(Network& net, const double* state, const double* g, long long t, double* Q, int k, int route) {
  if (k <= 0) return;
  if (route == ROUTE_AUTO) route = tangent_choose_route(net, k, net.Na);
  const int D = net.D, S = net.S;
  double* HQ = net.HQ.data();
  if (S == D) {
    hessian_apply(net, state, Q, k, HQ, route);
  } else {
    // The w-rows of each column, contiguous, as the routes take them.
    double* V = net.Vw.data();
    for (int c = 0; c < k; ++c)
      for (int p = 0; p < D; ++p) V[static_cast<size_t>(c) * D + p] = Q[static_cast<size_t>(c) * S + p];
    hessian_apply(net, state, V, k, HQ, route);
  }
  rule_tangent(net.rule, D, state, g, t, Q, k, HQ);
}

}  // namespace wd
