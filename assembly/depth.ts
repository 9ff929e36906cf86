// The one place where the depth of a network picks its kernels. Twin: native/kernels/depth.{h,cc}.
//
// One hidden layer (L = 1) runs the three-layer kernels (mlp.ts, hessian.ts), which every result recorded before the
// general ones existed was computed with (test/25 holds them to those results bit for bit); L >= 2 runs the general
// kernels (deep_mlp.ts, deep_hessian.ts, deep_rop.ts). With network.ts's deep_force set (the export deep_kernels),
// L = 1 runs the general kernels too, so the tests can hold the two families against each other. (native keeps the
// flag here; in this twin it lives in network.ts, whose route reservations depend on it.)
import { deep_hessian_explicit } from "./deep_hessian";
import { deep_forward, deep_gradient } from "./deep_mlp";
import { deep_factored_apply, deep_hvp_batch } from "./deep_rop";
import { hessian_explicit, hessian_factored_apply, hvp_batch } from "./hessian";
import { mlp_forward, mlp_gradient } from "./mlp";
import { Network, network_deep } from "./network";

/** C(w) on the network's current samples; fills the per-sample caches (mlp_forward or deep_forward). */
export function net_forward(net: Network, w: usize): f64 {
  return network_deep(net) ? deep_forward(net, w) : mlp_forward(net, w);
}

/** grad C(w) from the caches of the last net_forward at w. */
export function net_gradient(net: Network, w: usize, grad: usize): void {
  if (network_deep(net)) deep_gradient(net, w, grad);
  else mlp_gradient(net, w, grad);
}

/** The explicit Hessian (D x D, both triangles) from the caches of the last net_forward at w. */
export function net_hessian(net: Network, w: usize, H: usize): void {
  if (network_deep(net)) deep_hessian_explicit(net, w, H);
  else hessian_explicit(net, w, H);
}

/** HV = H V for k vectors by the R-operator, sample by sample (route hvp). */
export function net_hvp(net: Network, w: usize, V: usize, k: i32, HV: usize): void {
  if (network_deep(net)) deep_hvp_batch(net, w, V, k, HV);
  else hvp_batch(net, w, V, k, HV);
}

/** HV = H V for k vectors by thin products without H (route factored). */
export function net_factored(net: Network, w: usize, V: usize, k: i32, HV: usize): void {
  if (network_deep(net)) deep_factored_apply(net, w, V, k, HV);
  else hessian_factored_apply(net, w, V, k, HV);
}
