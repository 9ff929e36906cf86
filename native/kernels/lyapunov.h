// The hot loop: gradient-descent steps carrying a tangent block, with periodic QR. Twin: assembly/lyapunov.ts.
#pragma once
#include "network.h"

namespace wd {

enum ChunkReason : int { CHUNK_OK = 0, CHUNK_LOSS_NONFINITE = 1, CHUNK_WEIGHTS_NONFINITE = 2, CHUNK_TANGENT_NONFINITE = 3 };

struct ChunkStatus {
  int steps;   // steps completed
  int reason;  // ChunkReason
};

// nSteps steps from w (a multiple of qrEvery). Step t: lossOut[t] = C(w_t); Q <- (I - eta H(w_t)) Q; w <- w - eta
// grad C(w_t); after every qrEvery-th step, QR of Q with positive diagonal, log R_jj to logRDiag[q k + j] and R to
// rOut[q k k ...] (if rOut). A non-finite loss stops before the update of that step (steps = t); non-finite weights
// or tangent stop after it (steps = t + 1).
ChunkStatus train_chunk(Network& net, double* w, double eta, double* Q, int k, int nSteps, int qrEvery, int route,
                        double* lossOut, double* logRDiag, double* rOut);

}  // namespace wd
