// The export list: the mirror of native/addon.cc (and of the methods of native/bind_network.cc and
// native/bind_ensemble.cc). WebAssembly cannot export classes, so a network or an ensemble is a handle (the address of
// its block) passed to flat functions. The module
// raises no JavaScript exceptions: the host (src/backend/wasm.ts) validates every argument first, with the guards
// shared with the native binding's wording (src/backend/guards.ts).
import { activation as activationKernel } from "./activations";
import {
  Ensemble,
  ensemble_create as createEnsemble,
  ensemble_free as freeEnsemble,
  ensemble_get_state as getState,
  ensemble_get_tangent as getTangent,
  ensemble_reserve_batches as reserveEnsembleBatches,
  ensemble_reserve_factored as reserveEnsembleFactored,
  ensemble_reserve_hessian as reserveEnsembleHessian,
  ensemble_set_state as setState,
  ensemble_set_status,
  ensemble_set_tangent as setTangent,
  ensemble_status,
} from "./ensemble";
import { ensemble_loss as ensembleLoss, ensemble_train_chunk as trainEnsemble } from "./ensemble_lyapunov";
import { LANES } from "./lanes";
import { heap_alloc, heap_free, heap_top } from "./heap";
import { net_forward, net_gradient, net_hessian, net_hvp } from "./depth";
import { chunk_qrs, chunk_steps, train_chunk } from "./lyapunov";
import {
  Network,
  network_create as createNetwork,
  network_free as freeNetwork,
  network_reserve_batches as reserveBatches,
  network_reserve_factored as reserveFactored,
  network_reserve_hessian as reserveHessian,
  network_use_all,
  set_deep_force,
  deep_force,
  network_use_batch,
} from "./network";
import { qr_positive as qrKernel } from "./qr";
import { Rule, RULE_BYTES, rule_set as ruleSet, rule_step as ruleStep, rule_tangent as ruleTangent } from "./rule";
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
// Times t are f64 at the boundary (an i64 would be a BigInt in JavaScript); every integer up to 2^53 is exact.

/** Bytes of a rule block (rule_set fills one the host allocated). */
export function rule_bytes(): i32 {
  return <i32>RULE_BYTES;
}

export function rule_set(rule: usize, id: i32, eta: f64, p0: f64, p1: f64, p2: f64): void {
  ruleSet(changetype<Rule>(rule), id, eta, p0, p1, p2);
}

/** state <- f(state) for step t, given g = grad C_B(w) (native: ruleStep). */
export function rule_step(rule: usize, D: i32, state: usize, g: usize, t: f64): void {
  ruleStep(changetype<Rule>(rule), D, state, g, <i64>t);
}

/** Q <- J_t Q for k columns given HQ = H dw (native: ruleTangent). */
export function rule_tangent(rule: usize, D: i32, state: usize, g: usize, t: f64, Q: usize, k: i32, HQ: usize): void {
  ruleTangent(changetype<Rule>(rule), D, state, g, <i64>t, Q, k, HQ);
}

/** f, f', f'' of activation `id` at the n values at z. */
export function activation(id: i32, param: f64, z: usize, f: usize, d1: usize, d2: usize, n: i32): void {
  activationKernel(id, param, z, f, d1, d2, n);
}

/** Householder QR with positive diag(R) of A (D x k); R may be 0; tau is scratch of length k. */
export function qr_positive(A: usize, D: i32, k: i32, R: usize, logRDiag: usize, tau: usize): void {
  qrKernel(A, D, k, R, logRDiag, tau);
}

// ---- Networks (native/bind_network.cc) -------------------------------------------------------------------------------

/**
 * A network with zeroed data, state and Q and the given update rule; 0 on failure (size limits or out of memory).
 * The shape is read from linear memory (native passes it as typed arrays): widths, L + 2 i32 (inputs, the hidden
 * widths, outputs); acts, L + 1 i32 (the hidden activations, then the output activation); actParams, L f64.
 */
export function network_create(
  L: i32,
  widths: usize,
  acts: usize,
  actParams: usize,
  N: i32,
  maxK: i32,
  ruleId: i32,
  eta: f64,
  p0: f64,
  p1: f64,
  p2: f64,
): usize {
  return createNetwork(L, widths, acts, actParams, N, maxK, ruleId, eta, p0, p1, p2);
}

/** With on != 0, networks of one hidden layer run the general-depth kernels (depth.ts); returns the setting. For the
 *  tests that hold the two kernel families against each other (native: _deepKernels). */
export function deep_kernels(on: i32): i32 {
  if (on >= 0) set_deep_force(on != 0 ? 1 : 0);
  return deep_force;
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

/** Allocates the minibatch buffers now; 0 when memory cannot grow (then no batched call may run). */
export function network_reserve_batches(net: usize): i32 {
  return reserveBatches(changetype<Network>(net)) ? 1 : 0;
}

export function network_dimension(net: usize): i32 {
  return changetype<Network>(net).D;
}
export function network_state_dimension(net: usize): i32 {
  return changetype<Network>(net).S;
}
export function network_x(net: usize): usize {
  return changetype<Network>(net).X;
}
export function network_y(net: usize): usize {
  return changetype<Network>(net).Y;
}
export function network_state(net: usize): usize {
  return changetype<Network>(net).state;
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
  return net_forward(n, n.state);
}

/** C(w); grad C(w) to grad (D doubles; may be network_grad(net)). */
export function network_loss_grad(net: usize, grad: usize): f64 {
  const n = changetype<Network>(net);
  const loss = net_forward(n, n.state);
  net_gradient(n, n.state, grad);
  return loss;
}

/** The Hessian at w to H (D x D; may be network_h(net) after network_reserve_hessian). */
export function network_hessian(net: usize, H: usize): void {
  const n = changetype<Network>(net);
  net_forward(n, n.state);
  net_hessian(n, n.state, H);
}

/** HV = H(w) V for k columns; with forward = 0 the caches of the previous call at the same w are reused. */
export function network_hvp(net: usize, V: usize, k: i32, HV: usize, forward: i32): void {
  const n = changetype<Network>(net);
  if (forward != 0) net_forward(n, n.state);
  net_hvp(n, n.state, V, k, HV);
}

/** Q[:, :k] <- J_t Q[:, :k] on the network's own state and Q, on the nBatch samples at batch (i32; all when 0). */
export function network_tangent_apply(net: usize, k: i32, route: i32, t: f64, batch: usize, nBatch: i32): void {
  const n = changetype<Network>(net);
  if (batch != 0) network_use_batch(n, batch, nBatch);
  net_forward(n, n.state);
  net_gradient(n, n.state, n.grad);
  tangent_apply(n, n.state, n.grad, <i64>t, n.Q, k, route);
  network_use_all(n);
}

/**
 * nSteps steps on the network's own state and Q (lyapunov.ts: train_chunk). Returns the reason (0 ok, 1 loss,
 * 2 state, 3 tangent non-finite); the number of steps completed and of QRs written are then read with chunk_steps()
 * and chunk_qrs(). batchIdx, batchOff (i32) and rOut may be 0.
 */
export function network_train_chunk(
  net: usize,
  k: i32,
  nSteps: i32,
  qrEvery: i32,
  route: i32,
  t0: f64,
  batchIdx: usize,
  batchOff: usize,
  lossOut: usize,
  logRDiag: usize,
  rOut: usize,
): i32 {
  const n = changetype<Network>(net);
  return train_chunk(n, n.state, n.Q, k, nSteps, qrEvery, route, <i64>t0, batchIdx, batchOff, lossOut, logRDiag, rOut);
}

export function network_chunk_steps(): i32 {
  return chunk_steps;
}
export function network_chunk_qrs(): i32 {
  return chunk_qrs;
}

export function network_choose_route(net: usize, k: i32, n: i32): i32 {
  return tangent_choose_route(changetype<Network>(net), k, n);
}

// ---- Ensembles (native/bind_ensemble.cc) ------------------------------------------------------------------------------

/** Runs per ensemble (native: ensembleLanes). */
export function ensemble_lanes(): i32 {
  return LANES;
}

/**
 * An ensemble of `runs` runs of the three-layer network nIn-nHid-nOut with zeroed data, states and tangent blocks and
 * the given update rule; 0 on failure (size limits or out of memory). The host then copies X and Y in (ensemble_x,
 * ensemble_y).
 */
export function ensemble_create(
  nIn: i32,
  nHid: i32,
  nOut: i32,
  act: i32,
  actParam: f64,
  outAct: i32,
  N: i32,
  maxK: i32,
  ruleId: i32,
  eta: f64,
  p0: f64,
  p1: f64,
  p2: f64,
  runs: i32,
): usize {
  return createEnsemble(nIn, nHid, nOut, act, actParam, outAct, N, maxK, ruleId, eta, p0, p1, p2, runs);
}

export function ensemble_free(e: usize): void {
  freeEnsemble(changetype<Ensemble>(e));
}

/** Allocates the explicit route's workspaces now; 0 when memory cannot grow (then that route must not run). */
export function ensemble_reserve_hessian(e: usize): i32 {
  return reserveEnsembleHessian(changetype<Ensemble>(e)) ? 1 : 0;
}

/** Allocates the factored route's workspaces now; 0 when memory cannot grow (then that route must not run). */
export function ensemble_reserve_factored(e: usize): i32 {
  return reserveEnsembleFactored(changetype<Ensemble>(e)) ? 1 : 0;
}

/** Allocates the minibatch buffers now; 0 when memory cannot grow (then no batched call may run). */
export function ensemble_reserve_batches(e: usize): i32 {
  return reserveEnsembleBatches(changetype<Ensemble>(e)) ? 1 : 0;
}

export function ensemble_x(e: usize): usize {
  return changetype<Ensemble>(e).X;
}
export function ensemble_y(e: usize): usize {
  return changetype<Ensemble>(e).Y;
}
export function ensemble_dimension(e: usize): i32 {
  return changetype<Ensemble>(e).D;
}
export function ensemble_state_dimension(e: usize): i32 {
  return changetype<Ensemble>(e).S;
}

/** Run `run`'s state from x (S doubles); a run that had stopped is running again (native: setState). */
export function ensemble_set_state(e: usize, run: i32, x: usize): void {
  const ens = changetype<Ensemble>(e);
  setState(ens, run, x);
  ensemble_set_status(ens, run, 0);
}
export function ensemble_get_state(e: usize, run: i32, out: usize): void {
  getState(changetype<Ensemble>(e), run, out);
}
export function ensemble_set_tangent(e: usize, run: i32, Q: usize): void {
  setTangent(changetype<Ensemble>(e), run, Q);
}
export function ensemble_get_tangent(e: usize, run: i32, out: usize): void {
  getTangent(changetype<Ensemble>(e), run, out);
}

/** C(w) on all samples for every run, to out (runs doubles). */
export function ensemble_loss(e: usize, out: usize): void {
  ensembleLoss(changetype<Ensemble>(e), out);
}

/**
 * nSteps steps of every running run (ensemble_lyapunov.ts: ensemble_train_chunk): lossOut (runs x nSteps),
 * logRDiag (runs x nSteps / qrEvery x k), stepsOut (runs i32); batchIdx and batchOff (i32) may be 0. Each run's
 * reason is then read with ensemble_reason.
 */
export function ensemble_train_chunk(
  e: usize,
  k: i32,
  nSteps: i32,
  qrEvery: i32,
  route: i32,
  t0: f64,
  batchIdx: usize,
  batchOff: usize,
  lossOut: usize,
  logRDiag: usize,
  stepsOut: usize,
): void {
  const ens = changetype<Ensemble>(e);
  trainEnsemble(ens, k, nSteps, qrEvery, route, <i64>t0, batchIdx, batchOff, lossOut, logRDiag, stepsOut);
}

/** Run `run`'s ChunkReason (0 while it runs). */
export function ensemble_reason(e: usize, run: i32): i32 {
  return ensemble_status(changetype<Ensemble>(e), run);
}
