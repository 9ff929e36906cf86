// The hot loop: training steps of the update rule carrying a tangent block, with periodic QR.
// Twin: assembly/lyapunov.ts.
#pragma once
#include "network.h"

namespace wd {

enum ChunkReason : int { CHUNK_OK = 0, CHUNK_LOSS_NONFINITE = 1, CHUNK_WEIGHTS_NONFINITE = 2, CHUNK_TANGENT_NONFINITE = 3 };

struct ChunkStatus {
  int steps;   // steps completed
  int reason;  // ChunkReason
};

// What one call does (options rather than a long positional list).
struct ChunkArgs {
  int k = 0;                  // tangent columns carried
  int nSteps = 0;             // steps (a multiple of qrEvery when k > 0)
  int qrEvery = 1;
  int route = ROUTE_AUTO;
  long long t0 = 0;           // steps taken before this call (the rule's time: Adam's bias correction)
  // Minibatches: step t uses the samples batchIdx[batchOff[t] .. batchOff[t+1]); nullptr: every step uses all.
  const int* batchIdx = nullptr;
  const int* batchOff = nullptr;
  double* lossOut = nullptr;  // nSteps: C(w_t) on all samples
  double* logRDiag = nullptr; // (nSteps / qrEvery) x k
  double* rOut = nullptr;     // (nSteps / qrEvery) x k x k, or nullptr
};

// nSteps steps of the rule from `state` (S numbers, w first). Step t: lossOut[t] = C(w_t) on all samples; on the
// step's samples, g = grad C_B(w_t) and Q <- J_t Q (J_t taken at the state before the update); state <- f(state, g);
// after every qrEvery-th step, QR of Q with positive diagonal, log R_jj to logRDiag[q k + j] and R to rOut[q k k ...].
// A non-finite loss stops before the update of that step (steps = t); a non-finite state or tangent stops after it
// (steps = t + 1).
ChunkStatus train_chunk(Network& net, double* state, double* Q, const ChunkArgs& a);

}  // namespace wd
