// The hot loop: gradient-descent steps carrying a tangent block, with periodic QR. Twin: native/kernels/lyapunov.cc
// (same step order, same divergence reasons, same step counting).
import { at } from "./dense";
import { mlp_forward, mlp_gradient } from "./mlp";
import { Network } from "./network";
import { qr_positive } from "./qr";
import { ROUTE_AUTO, tangent_apply, tangent_choose_route } from "./tangent";

export const CHUNK_OK: i32 = 0;
export const CHUNK_LOSS_NONFINITE: i32 = 1;
export const CHUNK_WEIGHTS_NONFINITE: i32 = 2;
export const CHUNK_TANGENT_NONFINITE: i32 = 3;

// native returns ChunkStatus { steps, reason }; here the reason is the return value and the step count (and the
// number of QR factorizations written) are left in these globals, read by the host right after the call.
export let chunk_steps: i32 = 0;
export let chunk_qrs: i32 = 0;

// @ts-ignore: decorator
@inline function status(steps: i32, qrs: i32, reason: i32): i32 {
  chunk_steps = steps;
  chunk_qrs = qrs;
  return reason;
}

// nSteps steps from w (a multiple of qrEvery). Step t: lossOut[t] = C(w_t); Q <- (I - eta H(w_t)) Q; w <- w - eta
// grad C(w_t); after every qrEvery-th step, QR of Q with positive diagonal, log R_jj to logRDiag[q k + j] and R to
// rOut[q k k ...] (if rOut != 0). A non-finite loss stops before the update of that step (steps = t); non-finite
// weights or tangent stop after it (steps = t + 1).
export function train_chunk(
  net: Network,
  w: usize,
  eta: f64,
  Q: usize,
  k: i32,
  nSteps: i32,
  qrEvery: i32,
  route: i32,
  lossOut: usize,
  logRDiag: usize,
  rOut: usize,
): i32 {
  const D = net.D;
  if (k > 0 && route == ROUTE_AUTO) route = tangent_choose_route(net, k);
  const grad = net.grad;
  let q = 0;
  for (let t = 0; t < nSteps; ++t) {
    const loss = mlp_forward(net, w);
    store<f64>(at(lossOut, t), loss);
    if (!isFinite(loss)) return status(t, q, CHUNK_LOSS_NONFINITE);
    // J_t is taken at w_t, before the update.
    tangent_apply(net, w, eta, Q, k, route);
    mlp_gradient(net, w, grad);
    let finite = true;
    for (let p = 0; p < D; ++p) {
      const wp = load<f64>(at(w, p)) - eta * load<f64>(at(grad, p));
      store<f64>(at(w, p), wp);
      finite = finite && isFinite(wp);
    }
    if (!finite) return status(t + 1, q, CHUNK_WEIGHTS_NONFINITE);
    if (k > 0 && (t + 1) % qrEvery == 0) {
      const logr = logRDiag + ((<usize>q * <usize>k) << 3);
      qr_positive(Q, D, k, rOut != 0 ? rOut + ((<usize>q * <usize>k * <usize>k) << 3) : 0, logr, net.tau);
      ++q;
      for (let j = 0; j < k; ++j) {
        const l = load<f64>(at(logr, j));
        if (isNaN(l) || l == Infinity) return status(t + 1, q, CHUNK_TANGENT_NONFINITE);
      }
    }
  }
  return status(nSteps, q, CHUNK_OK);
}
