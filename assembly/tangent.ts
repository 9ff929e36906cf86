// The tangent map of one gradient-descent step, J_t = I - eta H(w_t), applied to a block of k vectors.
// Twin: native/kernels/tangent.cc (same cost model, so both backends pick the same route).
import { axpy_sub, symm_times } from "./dense";
import { hessian_explicit, hvp_batch } from "./hessian";
import { Network, network_reserve_hessian } from "./network";

export const ROUTE_AUTO: i32 = 0;
export const ROUTE_HESSIAN: i32 = 1;
export const ROUTE_HVP: i32 = 2;

// The route with fewer multiply-adds per step for k vectors. Explicit: the Gauss-Newton triangle N o D^2 / 2, the
// hidden blocks N h (i+1)^2 and the product H Q, D^2 k. Products: per sample and vector, Rz (h (i+1)), Ru and its
// transpose (4 o h), the first-layer update (h (i+1)).
export function tangent_choose_route(net: Network, k: i32): i32 {
  const N = <f64>net.N;
  const D = <f64>net.D;
  const h = <f64>net.nHid;
  const o = <f64>net.nOut;
  const i1 = <f64>(net.nIn + 1);
  const explicitCost = (N * o * D * D) / 2 + N * h * i1 * i1 + D * D * <f64>k;
  const hvpCost = N * <f64>k * (2 * h * i1 + 4 * o * h + 2 * h);
  return explicitCost <= hvpCost ? ROUTE_HESSIAN : ROUTE_HVP;
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
    symm_times(net.H, D, Q, k, HQ);
  } else {
    hvp_batch(net, w, Q, k, HQ);
  }
  // Q[p] -= eta HQ[p] (f64x2, bit-identical to native).
  axpy_sub(eta, HQ, Q, D * k);
}
