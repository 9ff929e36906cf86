// The export list: the mirror of native/addon.cc (and of the methods of native/bind_network.cc). WebAssembly cannot
// export classes, so a network is a handle (the address of its Network block) passed to flat functions. The module
// raises no JavaScript exceptions: the host (src/backend/wasm.ts) validates every argument first, with the guards
// shared with the native binding's wording (src/backend/guards.ts).
import { activation as activationKernel } from "./activations";
import { heap_alloc, heap_free, heap_top } from "./heap";
import { hessian_explicit, hvp_batch } from "./hessian";
import { chunk_qrs, chunk_steps, train_chunk } from "./lyapunov";
import { mlp_forward, mlp_gradient } from "./mlp";
import {
  Network,
  network_create as createNetwork,
  network_free as freeNetwork,
  network_reserve_factored as reserveFactored,
  network_reserve_hessian as reserveHessian,
} from "./network";
import { qr_positive as qrKernel } from "./qr";
import { tangent_apply, tangent_choose_route } from "./tangent";

// ---- Memory --------------------------------------------------------------------------------------------------------

/** n doubles (16-byte aligned, contents undefined); 0 when memory cannot grow. */
export function alloc_f64(n: i32): usize {
  return n < 0 ? 0 : heap_alloc(<u64>n << 3);
}

export function free(ptr: usize): void {
  heap_free(ptr);
}

export { heap_top };

// ---- Stateless kernels (native/bind_kernels.cc) ----------------------------------------------------------------------

/** f, f', f'' of activation `id` at the n values at z. */
export function activation(id: i32, param: f64, z: usize, f: usize, d1: usize, d2: usize, n: i32): void {
  activationKernel(id, param, z, f, d1, d2, n);
}

/** Householder QR with positive diag(R) of A (D x k); R may be 0; tau is scratch of length k. */
export function qr_positive(A: usize, D: i32, k: i32, R: usize, logRDiag: usize, tau: usize): void {
  qrKernel(A, D, k, R, logRDiag, tau);
}

// ---- Networks (native/bind_network.cc) -------------------------------------------------------------------------------

/** A network with zeroed data, w and Q; 0 on failure (size limits or out of memory). */
export function network_create(
  nIn: i32,
  nHid: i32,
  nOut: i32,
  act: i32,
  actParam: f64,
  outAct: i32,
  N: i32,
  maxK: i32,
): usize {
  return createNetwork(nIn, nHid, nOut, act, actParam, outAct, N, maxK);
}

export function network_free(net: usize): void {
  freeNetwork(changetype<Network>(net));
}

/** Allocates the explicit route's H and G now; 0 when memory cannot grow (then the explicit route must not run). */
export function network_reserve_hessian(net: usize): i32 {
  return reserveHessian(changetype<Network>(net)) ? 1 : 0;
}

/** Allocates the factored route's G, S and P now; 0 when memory cannot grow (then that route must not run). */
export function network_reserve_factored(net: usize): i32 {
  return reserveFactored(changetype<Network>(net)) ? 1 : 0;
}

export function network_dimension(net: usize): i32 {
  return changetype<Network>(net).D;
}
export function network_x(net: usize): usize {
  return changetype<Network>(net).X;
}
export function network_y(net: usize): usize {
  return changetype<Network>(net).Y;
}
export function network_w(net: usize): usize {
  return changetype<Network>(net).w;
}
export function network_q(net: usize): usize {
  return changetype<Network>(net).Q;
}
export function network_grad(net: usize): usize {
  return changetype<Network>(net).grad;
}
/** The explicit Hessian workspace (0 until reserved). */
export function network_h(net: usize): usize {
  return changetype<Network>(net).H;
}

/** C(w) at the network's weights (fills the per-sample caches). */
export function network_loss(net: usize): f64 {
  const n = changetype<Network>(net);
  return mlp_forward(n, n.w);
}

/** C(w); grad C(w) to grad (D doubles; may be network_grad(net)). */
export function network_loss_grad(net: usize, grad: usize): f64 {
  const n = changetype<Network>(net);
  const loss = mlp_forward(n, n.w);
  mlp_gradient(n, n.w, grad);
  return loss;
}

/** The Hessian at w to H (D x D; may be network_h(net) after network_reserve_hessian). */
export function network_hessian(net: usize, H: usize): void {
  const n = changetype<Network>(net);
  mlp_forward(n, n.w);
  hessian_explicit(n, n.w, H);
}

/** HV = H(w) V for k columns; with forward = 0 the caches of the previous call at the same w are reused. */
export function network_hvp(net: usize, V: usize, k: i32, HV: usize, forward: i32): void {
  const n = changetype<Network>(net);
  if (forward != 0) mlp_forward(n, n.w);
  hvp_batch(n, n.w, V, k, HV);
}

/** Q[:, :k] <- (I - eta H(w)) Q[:, :k] on the network's own Q. */
export function network_tangent_apply(net: usize, eta: f64, k: i32, route: i32): void {
  const n = changetype<Network>(net);
  mlp_forward(n, n.w);
  tangent_apply(n, n.w, eta, n.Q, k, route);
}

/**
 * nSteps steps on the network's own w and Q. Returns the reason (0 ok, 1 loss, 2 weights, 3 tangent non-finite);
 * the number of steps completed and of QRs written are then read with chunk_steps() and chunk_qrs(). rOut may be 0.
 */
export function network_train_chunk(
  net: usize,
  eta: f64,
  k: i32,
  nSteps: i32,
  qrEvery: i32,
  route: i32,
  lossOut: usize,
  logRDiag: usize,
  rOut: usize,
): i32 {
  const n = changetype<Network>(net);
  return train_chunk(n, n.w, eta, n.Q, k, nSteps, qrEvery, route, lossOut, logRDiag, rOut);
}

export function network_chunk_steps(): i32 {
  return chunk_steps;
}
export function network_chunk_qrs(): i32 {
  return chunk_qrs;
}

export function network_choose_route(net: usize, k: i32): i32 {
  return tangent_choose_route(changetype<Network>(net), k);
}
