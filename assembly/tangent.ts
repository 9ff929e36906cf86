// The tangent map of one training step, J_t, applied to a block of k vectors: the Hessian products of the network
// (three routes) composed with the update rule's tangent (rule.ts). Twin: native/kernels/tangent.cc (same cost model,
// so both backends pick the same route).
import { gemm, SYMM_TIMES_MAX_N, symm_times } from "./dense";
import { net_factored, net_hessian, net_hvp } from "./depth";
import { i32At, Network, network_deep, network_reserve_factored, network_reserve_hessian } from "./network";
import { Rule, rule_tangent } from "./rule";
import { ROUTE_AUTO, ROUTE_FACTORED, ROUTE_HESSIAN, ROUTE_HVP } from "./tables";

// Routes (tables.ts): hessian, the explicit H (symmetric rank-(N o) update + S; for L >= 2 by blocks of layers), then
// H V; hvp, Hessian-vector products by the R-operator, sample by sample; factored, H V = G^T (C (G V)) + S V by thin
// products without H (for L >= 2 through the layers' factors, the R-operator on all samples at once). depth.ts picks
// the three-layer or the general kernels of each route.

// Flops per step of the three routes of a network of any depth (docs/derivations.md, "L hidden layers"; bench/flops.ts
// has the same formulas), n samples, k vectors: native's deep_costs. S_all = sum_{l=1}^{L+1} n_l n_{l-1}, S_2 the same
// sum from l = 2. Returned through these globals (the explicit route's H and its product H Q, factored, hvp).
let deepBuild: f64 = 0;
let deepProduct: f64 = 0;
let deepFactored: f64 = 0;
let deepHvp: f64 = 0;

function deep_costs(net: Network, k: i32, n: i32): void {
  const L = net.L;
  const N = <f64>n;
  const kk = <f64>k;
  const D = <f64>net.D;
  let E = 0.0;
  let sAll = 0.0;
  let s2 = 0.0;
  for (let q = L + 1; q >= 1; --q) {
    const nq = <f64>i32At(net.width, q);
    const nq1 = <f64>i32At(net.width, q - 1);
    const c = nq + nq1;
    const Dq = nq * (nq1 + 1);
    sAll += nq * nq1;
    if (q >= 2) s2 += nq * nq1;
    // Diagonal block (upper part, by units) and its sample rows.
    E += 2 * N * (nq1 + 1) * (nq * Dq - (nq1 * nq * (nq - 1)) / 2) + N * nq * Dq;
    for (let p = q - 1; p >= 1; --p) {
      const np = <f64>i32At(net.width, p);
      const npp = <f64>i32At(net.width, p - 1);
      const nn = <f64>i32At(net.width, p + 1);
      // The K, M recursion, the block's product and its sample rows.
      E += 2 * N * c * np * nn + 2 * N * (npp + 1) * np * Dq + 3 * N * np * Dq;
    }
    if (q >= 2) E += 2 * N * nq1 * nq1 * nq;
  }
  deepBuild = E;
  deepProduct = 2 * D * D * kk;
  deepFactored = N * kk * (4 * sAll + 8 * s2);
  deepHvp = N * kk * (4 * sAll + 11 * s2);
}

// The route with the smallest modelled time for k vectors on n samples per step. Floating-point operations per step (a
// multiply-add is 2; bench/flops.ts has the same formulas), each route's weighted by how fast it runs: the explicit and
// factored routes are gemm-bound, the R-operator route runs at a fraction 1 / HVP_SLOWDOWN of their rate (measured
// with npm run bench). The G rows and the summed S are shared by the first two and cancel out of their comparison.
// A network of L >= 2 hidden layers: the general routes' counts (deep_costs), weighted by their rates relative to the
// product H Q as measured natively (native/kernels/tangent.cc: the same weights, so both backends pick the same route).
export function tangent_choose_route(net: Network, k: i32, n: i32): i32 {
  if (network_deep(net)) {
    const DEEP_BUILD_SLOWDOWN = 3.0;
    const DEEP_FACTORED_SLOWDOWN = 2.0;
    const DEEP_HVP_SLOWDOWN = 4.0;
    deep_costs(net, k, n);
    const explicitCost = DEEP_BUILD_SLOWDOWN * deepBuild + deepProduct;
    const factoredCost = DEEP_FACTORED_SLOWDOWN * deepFactored;
    const hvpCost = DEEP_HVP_SLOWDOWN * deepHvp;
    if (explicitCost <= factoredCost && explicitCost <= hvpCost) return ROUTE_HESSIAN;
    return factoredCost <= hvpCost ? ROUTE_FACTORED : ROUTE_HVP;
  }
  const HVP_SLOWDOWN = 4.0;
  const N = <f64>n;
  const D = <f64>net.D;
  const h = <f64>net.nHid;
  const o = <f64>net.nOut;
  const i1 = <f64>(net.nIn + 1);
  const kk = <f64>k;
  const explicitCost = N * o * D * (D + 1) + 2 * D * D * kk;
  const factoredCost = 4 * N * o * D * kk + kk * (2 * h * i1 * i1 + 4 * o * h * i1);
  const hvpCost = HVP_SLOWDOWN * 2 * N * kk * (2 * h * i1 + 4 * o * h + 2 * h);
  if (explicitCost <= factoredCost && explicitCost <= hvpCost) return ROUTE_HESSIAN;
  return factoredCost <= hvpCost ? ROUTE_FACTORED : ROUTE_HVP;
}

// HV = H(w) V for k vectors (D x k, column-major) by the given route (not auto), from the caches of the last
// net_forward at w.
export function hessian_apply(net: Network, w: usize, V: usize, k: i32, HV: usize, route: i32): void {
  const D = net.D;
  if (route == ROUTE_HESSIAN) {
    if (net.H == 0 && !network_reserve_hessian(net)) unreachable();
    net_hessian(net, w, net.H);
    // Small D: the unpacked loop (gemm's packing costs more than it saves there; measured at D = 31 and 61).
    if (D <= SYMM_TIMES_MAX_N) symm_times(net.H, D, V, k, HV);
    else gemm(false, false, D, k, D, 1.0, net.H, D, V, D, 0.0, HV, D);
  } else if (route == ROUTE_FACTORED) {
    if (!network_reserve_factored(net)) unreachable();
    net_factored(net, w, V, k, HV);
  } else {
    net_hvp(net, w, V, k, HV);
  }
}

// Q <- J_t Q for the first k columns of Q (S x k, column-major): the rule's tangent at (state, t), with g = grad C_B(w)
// and the caches of the last net_forward at w = state[0 .. D) on the step's samples. route may be auto.
export function tangent_apply(net: Network, state: usize, g: usize, t: i64, Q: usize, k: i32, route: i32): void {
  if (k <= 0) return;
  if (route == ROUTE_AUTO) route = tangent_choose_route(net, k, net.Na);
  const D = net.D;
  const S = net.S;
  const HQ = net.HQ;
  if (S == D) {
    hessian_apply(net, state, Q, k, HQ, route);
  } else {
    // The w-rows of each column, contiguous, as the routes take them.
    const V = net.Vw;
    for (let c = 0; c < k; ++c) {
      memory.copy(V + ((<usize>c * <usize>D) << 3), Q + ((<usize>c * <usize>S) << 3), (<usize>D) << 3);
    }
    hessian_apply(net, state, V, k, HQ, route);
  }
  rule_tangent(changetype<Rule>(net.rule), D, state, g, t, Q, k, HQ);
}
