#include "tangent.h"

#include "dense.h"
#include "depth.h"

namespace wd {

namespace {

// Flops per step of the three routes of a network of any depth (docs/derivations.md, "L hidden layers"; bench/flops.ts
// has the same formulas), n samples, k vectors. S_all = sum_{l=1}^{L+1} n_l n_{l-1}, S_2 = the same sum from l = 2.
struct DeepCosts {
  double explicitBuild, explicitProduct, factoredCost, hvpCost;
};

DeepCosts deep_costs(const Network& net, int k, int n) {
  const int L = net.L;
  const double N = n, kk = k, D = net.D;
  double E = 0.0, sAll = 0.0, s2 = 0.0;
  for (int q = L + 1; q >= 1; --q) {
    const double nq = net.width[q], nq1 = net.width[q - 1], c = nq + nq1, Dq = nq * (nq1 + 1);
    sAll += nq * nq1;
    if (q >= 2) s2 += nq * nq1;
    // Diagonal block (upper part, by units) and its sample rows.
    E += 2 * N * (nq1 + 1) * (nq * Dq - nq1 * nq * (nq - 1) / 2) + N * nq * Dq;
    for (int p = q - 1; p >= 1; --p) {
      const double np = net.width[p], npp = net.width[p - 1], nn = net.width[p + 1];
      // The K, M recursion, the block's product and its sample rows.
      E += 2 * N * c * np * nn + 2 * N * (npp + 1) * np * Dq + 3 * N * np * Dq;
    }
    if (q >= 2) E += 2 * N * nq1 * nq1 * nq;
  }
  DeepCosts costs;
  costs.explicitBuild = E;
  costs.explicitProduct = 2 * D * D * kk;
  costs.factoredCost = N * kk * (4 * sAll + 8 * s2);
  costs.hvpCost = N * kk * (4 * sAll + 11 * s2);
  return costs;
}

}  // namespace

int tangent_choose_route(const Network& net, int k, int n) {
  if (network_deep(net)) {
    // Each route's flops weighted by how fast it runs relative to the product H Q (one large gemm), measured on
    // 2-32-32-1 (N = 256), 1-16-16-16-1 (N = 100), 3-20-10-2 (N = 64) and 1-8-8-1 (N = 40) for k = 1, 8, 32 and D
    // (native, 2026-11-30, a loaded machine: the ratios, not the rates): the explicit H's block products (inner
    // dimension N, n_{p-1} + 1 rows) and its sample rows ran at about a third of that rate, the factored route's thin
    // products at about half, the R-operator's per-sample loops at about a quarter.
    constexpr double DEEP_BUILD_SLOWDOWN = 3.0, DEEP_FACTORED_SLOWDOWN = 2.0, DEEP_HVP_SLOWDOWN = 4.0;
    const DeepCosts c = deep_costs(net, k, n);
    const double explicitCost = DEEP_BUILD_SLOWDOWN * c.explicitBuild + c.explicitProduct;
    const double factoredCost = DEEP_FACTORED_SLOWDOWN * c.factoredCost;
    const double hvpCost = DEEP_HVP_SLOWDOWN * c.hvpCost;
    if (explicitCost <= factoredCost && explicitCost <= hvpCost) return ROUTE_HESSIAN;
    return factoredCost <= hvpCost ? ROUTE_FACTORED : ROUTE_HVP;
  }
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
    net_hessian(net, w, net.H.data());
    // Small D: the unpacked loop (gemm's packing costs more than it saves there; measured at D = 31 and 61).
    if (D <= SYMM_TIMES_MAX_N) symm_times(net.H.data(), D, V, k, HV);
    else gemm(false, false, D, k, D, 1.0, net.H.data(), D, V, D, 0.0, HV, D);
  } else if (route == ROUTE_FACTORED) {
    net_factored(net, w, V, k, HV);
  } else {
    net_hvp(net, w, V, k, HV);
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
