// The hot loop of an ensemble: every run's training step, tangent map and QR in lockstep. Twin:
// native/kernels/ensemble_lyapunov.{h,cc} (same step order, same per-run divergence reasons and step counting).
import {
  Ensemble,
  ensemble_freeze,
  ensemble_set_status,
  ensemble_status,
  ensemble_use_all,
  ensemble_use_batch,
} from "./ensemble";
import { ensemble_hessian_apply } from "./ensemble_hessian";
import { ensemble_forward, ensemble_gradient } from "./ensemble_mlp";
import { qr_positive_lanes } from "./ensemble_qr";
import { LANES, f64At, lv } from "./lanes";
import { CHUNK_LOSS_NONFINITE, CHUNK_OK, CHUNK_TANGENT_NONFINITE, CHUNK_WEIGHTS_NONFINITE } from "./lyapunov";
import { Rule, rule_step, rule_tangent } from "./rule";

/** The tangent map of every lane: Q <- J_t Q for k columns (the rule's tangent from H dw by the route, not auto), from
 *  the caches of the last ensemble_forward / ensemble_gradient. */
export function ensemble_tangent_apply(e: Ensemble, t: i64, k: i32, route: i32): void {
  if (k <= 0) return;
  const D = e.D;
  const S = e.S;
  if (S == D) {
    ensemble_hessian_apply(e, e.Q, k, e.HQ, route);
  } else {
    for (let c = 0; c < k; ++c) memory.copy(lv(e.Vw, c * D), lv(e.Q, c * S), (<usize>D) << 5);
    ensemble_hessian_apply(e, e.Vw, k, e.HQ, route);
  }
  // The rules are elementwise in each state block, so the lanes of the structure of arrays are just more elements:
  // D LANES parameters (rule.ts).
  rule_tangent(changetype<Rule>(e.rule), D * LANES, e.state, e.grad, t, e.Q, k, e.HQ);
}

/** C(w) on all samples for every lane, to lossOut[b] for the runs in use. */
export function ensemble_loss(e: Ensemble, lossOut: usize): void {
  ensemble_forward(e);
  for (let b = 0; b < e.runs; ++b) store<f64>(f64At(lossOut, b), load<f64>(f64At(e.loss, b)));
}

// Run b stops at `steps` for `reason`: its state and tangent block are kept as they are (ensemble_freeze).
function stop_run(e: Ensemble, b: i32, reason: i32, steps: i32, stepsOut: usize): void {
  ensemble_set_status(e, b, reason);
  ensemble_freeze(e, b);
  store<i32>(stepsOut + ((<usize>b) << 2), steps);
}

/**
 * nSteps steps of every run still running (status 0), as train_chunk does for one run. Outputs per run b:
 * lossOut[b nSteps + t], logRDiag[(b nQr + q) k + j] (nQr = nSteps / qrEvery when k > 0); stepsOut[b] (i32) = the
 * steps it completed in this call (0 for a run that had stopped before); its status becomes its ChunkReason when it
 * stops. Runs whose numbers stop being finite leave their lane at their step; the others are not disturbed. Step t
 * uses the samples batchIdx[batchOff[t] .. batchOff[t+1]) (i32) when batchIdx != 0 (the batch buffers reserved).
 * native passes these as a ChunkArgs struct.
 */
export function ensemble_train_chunk(
  e: Ensemble,
  k: i32,
  n: i32,
  qrEvery: i32,
  route: i32,
  t0: i64,
  batchIdx: usize,
  batchOff: usize,
  lossOut: usize,
  logRDiag: usize,
  stepsOut: usize,
): void {
  const S = e.S;
  const runs = e.runs;
  const batched = batchIdx != 0;
  const nQr = k > 0 ? n / qrEvery : 0;
  const rule = changetype<Rule>(e.rule);
  let running = 0;
  for (let b = 0; b < runs; ++b) {
    store<i32>(stepsOut + ((<usize>b) << 2), 0);
    if (ensemble_status(e, b) == CHUNK_OK) ++running;
  }
  let q = 0;
  for (let t = 0; t < n && running > 0; ++t) {
    if (batched) ensemble_use_all(e);
    ensemble_forward(e);
    for (let b = 0; b < runs; ++b) {
      if (ensemble_status(e, b) != CHUNK_OK) continue;
      const loss = load<f64>(f64At(e.loss, b));
      store<f64>(f64At(lossOut, b * n + t), loss);
      if (!isFinite(loss)) {
        stop_run(e, b, CHUNK_LOSS_NONFINITE, t, stepsOut);
        --running;
      }
    }
    if (batched) {
      const from = load<i32>(batchOff + ((<usize>t) << 2));
      const to = load<i32>(batchOff + ((<usize>(t + 1)) << 2));
      ensemble_use_batch(e, batchIdx + ((<usize>from) << 2), to - from);
      ensemble_forward(e);
    }
    ensemble_gradient(e);
    // J_t is taken at the state before the update.
    ensemble_tangent_apply(e, t0 + t, k, route);
    rule_step(rule, e.D * LANES, e.state, e.grad, t0 + t);
    for (let b = 0; b < runs; ++b) {
      if (ensemble_status(e, b) != CHUNK_OK) continue;
      let finite = true;
      for (let p = 0; p < S; ++p) finite = finite && isFinite(load<f64>(f64At(e.state, p * LANES + b)));
      if (!finite) {
        stop_run(e, b, CHUNK_WEIGHTS_NONFINITE, t + 1, stepsOut);
        --running;
      }
    }
    if (k > 0 && (t + 1) % qrEvery == 0) {
      qr_positive_lanes(e.Q, S, k, e.logr, e.tau);
      for (let b = 0; b < runs; ++b) {
        if (ensemble_status(e, b) != CHUNK_OK) continue;
        const out = f64At(logRDiag, (b * nQr + q) * k);
        let bad = false;
        for (let j = 0; j < k; ++j) {
          const l = load<f64>(f64At(e.logr, j * LANES + b));
          store<f64>(f64At(out, j), l);
          bad = bad || isNaN(l) || l == Infinity;
        }
        if (bad) {
          stop_run(e, b, CHUNK_TANGENT_NONFINITE, t + 1, stepsOut);
          --running;
        }
      }
      ++q;
    }
    for (let b = 0; b < runs; ++b) {
      if (ensemble_status(e, b) == CHUNK_OK) store<i32>(stepsOut + ((<usize>b) << 2), t + 1);
    }
  }
  if (batched) ensemble_use_all(e);
}
