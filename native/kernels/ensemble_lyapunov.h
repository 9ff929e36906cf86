// The hot loop of an ensemble: every run's training step, tangent map and QR in lockstep. Twin:
// assembly/ensemble_lyapunov.ts.
#pragma once
#include "ensemble.h"
#include "lyapunov.h"

namespace wd {

// The tangent map of every lane: Q <- J_t Q for k columns (the rule's tangent from H dw by the route, not auto), from
// the caches of the last ensemble_forward / ensemble_gradient.
void ensemble_tangent_apply(Ensemble& e, long long t, int k, int route);

// a.nSteps steps of every run still running (e.status[b] == 0), as train_chunk does for one run. Outputs per run b:
// a.lossOut[b nSteps + t], a.logRDiag[(b nQr + q) k + j] (rOut is not supported); stepsOut[b] = the steps it completed
// in this call (0 for a run that had stopped before); e.status[b] becomes its ChunkReason when it stops. Runs whose
// numbers stop being finite leave their lane at their step; the others are not disturbed.
void ensemble_train_chunk(Ensemble& e, const ChunkArgs& a, int* stepsOut);

// C(w) on all samples for every lane, to lossOut[b].
void ensemble_loss(Ensemble& e, double* lossOut);

}  // namespace wd
