// The tangent map of one gradient-descent step, J_t = I - eta H(w_t), applied to a block of k vectors.
// Twin: native/kernels/tangent.cc (same cost model, so both backends pick the same route).
import { axpy_sub, gemm, SYMM_TIMES_MAX_N, symm_times } from "./dense";
import { hessian_explicit, hessian_factored_apply, hvp_batch } from "./hessian";
import { Network, network_reserve_factored, network_reserve_hessian } from "./network";

// hessian: the explicit H (symmetric rank-(N o) update + S), then H Q; hvp: Hessian-vector products by the R-operator,
// sample by sample; factored: H Q = G^T (C (G Q)) + S Q as two thin products, without H.
export const ROUTE_AUTO: i32 = 0;
export const ROUTE_HESSIAN: i32 = 1;
export const ROUTE_HVP: i32 = 2;
export const ROUTE_FACTORED: i32 = 3;

// The route with the smallest modelled time for k vectors. Floating-point operations per step (a multiply-add is 2;
// bench/flops.ts has the same formulas), each route's weighted by how fast it runs: the explicit and factored routes
// are gemm-bound, the R-operator route runs at a fraction 1 / HVP_SLOWDOWN of their rate (measured with npm run
// bench). The G rows and the summed S are shared by the first two and cancel out of their comparison.
export function tangent_choose_route(net: Network, k: i32): i32 {
  const HVP_SLOWDOWN = 4.0;
  const N = <f64>net.N;
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

// Q <- Q - eta H(w) Q for Q (D x k, column-major), from the caches of the last mlp_forward at w.
export function tangent_apply(net: Network, w: usize, eta: f64, Q: usize, k: i32, route: i32): void {
  if (k <= 0) return;
  if (route == ROUTE_AUTO) route = tangent_choose_route(net, k);
  const D = net.D;
  const HQ = net.HQ;
  if (route == ROUTE_HESSIAN) {
    if (net.H == 0 && !network_reserve_hessian(net)) unreachable();
    hessian_explicit(net, w, net.H);
    // Small D: the unpacked loop (gemm's packing costs more than it saves there; measured at D = 31 and 61).
    if (D <= SYMM_TIMES_MAX_N) symm_times(net.H, D, Q, k, HQ);
    else gemm(false, false, D, k, D, 1.0, net.H, D, Q, D, 0.0, HQ, D);
  } else if (route == ROUTE_FACTORED) {
    if (net.P == 0 && !network_reserve_factored(net)) unreachable();
    hessian_factored_apply(net, w, Q, k, HQ);
  } else {
    hvp_batch(net, w, Q, k, HQ);
  }
  // Q[p] -= eta HQ[p] (f64x2, bit-identical to native).
  axpy_sub(eta, HQ, Q, D * k);
}
