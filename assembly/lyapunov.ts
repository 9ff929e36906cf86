// The hot loop: training steps of the update rule carrying a tangent block, with periodic QR.
// Twin: native/kernels/lyapunov.cc (same step order, same divergence reasons, same step counting).
import { at } from "./dense";
import { net_forward, net_gradient } from "./depth";
import { Network, network_use_all, network_use_batch } from "./network";
import { qr_positive } from "./qr";
import { Rule, rule_step } from "./rule";
import { ROUTE_AUTO } from "./tables";
import { tangent_apply, tangent_choose_route } from "./tangent";

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

// nSteps steps of the rule from `state` (S numbers, w first). Step t: lossOut[t] = C(w_t) on all samples; on the
// step's samples (batchIdx[batchOff[t] .. batchOff[t+1]), i32, when batchIdx != 0), g = grad C_B(w_t) and Q <- J_t Q
// (J_t at the state before the update); state <- f(state, g); after every qrEvery-th step, QR of Q with positive
// diagonal, log R_jj to logRDiag[q k + j] and R to rOut[q k k ...] (if rOut != 0). A non-finite loss stops before the
// update of that step (steps = t); a non-finite state or tangent stops after it (steps = t + 1). native passes these
// as a ChunkArgs struct.
function run_steps(
  net: Network,
  state: usize,
  Q: usize,
  k: i32,
  nSteps: i32,
  qrEvery: i32,
  route: i32,
  t0: i64,
  batchIdx: usize,
  batchOff: usize,
  lossOut: usize,
  logRDiag: usize,
  rOut: usize,
): i32 {
  const S = net.S;
  const batched = batchIdx != 0;
  if (k > 0 && route == ROUTE_AUTO) route = tangent_choose_route(net, k, net.Na);
  const g = net.grad;
  const rule = changetype<Rule>(net.rule);
  let q = 0;
  for (let t = 0; t < nSteps; ++t) {
    if (batched) network_use_all(net);
    const loss = net_forward(net, state);
    store<f64>(at(lossOut, t), loss);
    if (!isFinite(loss)) return status(t, q, CHUNK_LOSS_NONFINITE);
    if (batched) {
      const from = load<i32>(batchOff + ((<usize>t) << 2));
      const to = load<i32>(batchOff + ((<usize>(t + 1)) << 2));
      network_use_batch(net, batchIdx + ((<usize>from) << 2), to - from);
      net_forward(net, state);
    }
    net_gradient(net, state, g);
    // J_t is taken at the state before the update.
    tangent_apply(net, state, g, t0 + t, Q, k, route);
    rule_step(rule, net.D, state, g, t0 + t);
    let finite = true;
    for (let p = 0; p < S; ++p) finite = finite && isFinite(load<f64>(at(state, p)));
    if (!finite) return status(t + 1, q, CHUNK_WEIGHTS_NONFINITE);
    if (k > 0 && (t + 1) % qrEvery == 0) {
      const logr = logRDiag + ((<usize>q * <usize>k) << 3);
      qr_positive(Q, S, k, rOut != 0 ? rOut + ((<usize>q * <usize>k * <usize>k) << 3) : 0, logr, net.tau);
      ++q;
      for (let j = 0; j < k; ++j) {
        const l = load<f64>(at(logr, j));
        if (isNaN(l) || l == Infinity) return status(t + 1, q, CHUNK_TANGENT_NONFINITE);
      }
    }
  }
  return status(nSteps, q, CHUNK_OK);
}

export function train_chunk(
  net: Network,
  state: usize,
  Q: usize,
  k: i32,
  nSteps: i32,
  qrEvery: i32,
  route: i32,
  t0: i64,
  batchIdx: usize,
  batchOff: usize,
  lossOut: usize,
  logRDiag: usize,
  rOut: usize,
): i32 {
  const reason = run_steps(net, state, Q, k, nSteps, qrEvery, route, t0, batchIdx, batchOff, lossOut, logRDiag, rOut);
  if (batchIdx != 0) network_use_all(net);
  return reason;
}
