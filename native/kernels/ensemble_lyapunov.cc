#include "ensemble_lyapunov.h"

#include <cmath>
#include <cstring>

#include "ensemble_hessian.h"
#include "ensemble_mlp.h"
#include "ensemble_qr.h"

namespace wd {

namespace {
constexpr int L = LANES;
// Run b stops at `steps` for `reason`: its state and tangent block are kept as they are (ensemble_freeze).
void stop_run(Ensemble& e, int b, int reason, int steps, int* stepsOut) {
  e.status[b] = reason;
  stepsOut[b] = steps;
  ensemble_freeze(e, b);
}

}  // namespace

void ensemble_tangent_apply(Ensemble& e, long long t, int k, int route) {
  if (k <= 0) return;
  const int D = e.D, S = e.S;
  double* HQ = e.HQ.data();
  if (S == D) {
    ensemble_hessian_apply(e, e.Q.data(), k, HQ, route);
  } else {
    double* V = e.Vw.data();
    for (int c = 0; c < k; ++c)
      std::memcpy(V + static_cast<size_t>(c) * D * L, e.Q.data() + static_cast<size_t>(c) * S * L, sizeof(double) * D * L);
    ensemble_hessian_apply(e, V, k, HQ, route);
  }
  // The rules are elementwise in each state block, so the lanes of the structure of arrays are just more elements:
  // D LANES parameters (rule.h).
  rule_tangent(e.rule, D * L, e.state.data(), e.grad.data(), t, e.Q.data(), k, HQ);
}

void ensemble_loss(Ensemble& e, double* lossOut) {
  ensemble_forward(e);
  for (int b = 0; b < e.runs; ++b) lossOut[b] = e.loss[b];
}

void ensemble_train_chunk(Ensemble& e, const ChunkArgs& a, int* stepsOut) {
  const int S = e.S, k = a.k, n = a.nSteps;
  const bool batched = a.batchIdx != nullptr;
  const size_t nQr = k > 0 ? static_cast<size_t>(n / a.qrEvery) : 0;
  double* logr = e.logr.data();
  int running = 0;
  for (int b = 0; b < e.runs; ++b) {
    stepsOut[b] = 0;
    if (e.status[b] == CHUNK_OK) ++running;
  }
  int q = 0;
  for (int t = 0; t < n && running > 0; ++t) {
    if (batched) ensemble_use_all(e);
    ensemble_forward(e);
    for (int b = 0; b < e.runs; ++b) {
      if (e.status[b] != CHUNK_OK) continue;
      a.lossOut[static_cast<size_t>(b) * n + t] = e.loss[b];
      if (!std::isfinite(e.loss[b])) {
        stop_run(e, b, CHUNK_LOSS_NONFINITE, t, stepsOut);
        --running;
      }
    }
    if (batched) {
      ensemble_use_batch(e, a.batchIdx + a.batchOff[t], a.batchOff[t + 1] - a.batchOff[t]);
      ensemble_forward(e);
    }
    ensemble_gradient(e);
    // J_t is taken at the state before the update.
    ensemble_tangent_apply(e, a.t0 + t, k, a.route);
    rule_step(e.rule, e.D * L, e.state.data(), e.grad.data(), a.t0 + t);
    for (int b = 0; b < e.runs; ++b) {
      if (e.status[b] != CHUNK_OK) continue;
      bool finite = true;
      for (int p = 0; p < S; ++p) finite = finite && std::isfinite(e.state[lane_at(p, b)]);
      if (!finite) {
        stop_run(e, b, CHUNK_WEIGHTS_NONFINITE, t + 1, stepsOut);
        --running;
      }
    }
    if (k > 0 && (t + 1) % a.qrEvery == 0) {
      qr_positive_lanes(e.Q.data(), S, k, logr, e.tau.data());
      for (int b = 0; b < e.runs; ++b) {
        if (e.status[b] != CHUNK_OK) continue;
        double* out = a.logRDiag + (static_cast<size_t>(b) * nQr + q) * k;
        bool bad = false;
        for (int j = 0; j < k; ++j) {
          out[j] = logr[static_cast<size_t>(j) * L + b];
          bad = bad || std::isnan(out[j]) || out[j] == INFINITY;
        }
        if (bad) {
          stop_run(e, b, CHUNK_TANGENT_NONFINITE, t + 1, stepsOut);
          --running;
        }
      }
      ++q;
    }
    for (int b = 0; b < e.runs; ++b)
      if (e.status[b] == CHUNK_OK) stepsOut[b] = t + 1;
  }
  if (batched) ensemble_use_all(e);
}

}  // namespace wd
