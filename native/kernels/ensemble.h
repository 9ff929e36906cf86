// Up to LANES runs of one three-layer network in lockstep: the runs share the data, the shape, the update rule, the
// route and the minibatches, and differ in their initial state. Every per-run quantity is stored with the runs
// innermost (structure of arrays): element i of run b of an array is at [i * LANES + b], so every inner loop runs over
// LANES contiguous lanes and vectorises (AVX2/AVX-512 here, f64x2 in the WASM twin) without a remainder; unused lanes
// compute on zeros and are never read. Larger ensembles are several of these. Twin: assembly/ensemble.ts.
//
// Independence: a lane's arithmetic never reads another lane, and every lane runs the same operations in the same
// order whatever the run count, so a run's results are bit for bit the same in any batch (test/26). A lane whose run
// diverged keeps computing (its numbers are no longer read) until the batch ends.
#pragma once
#include <cstddef>
#include <vector>

#include "rule.h"

namespace wd {

// Runs per lockstep batch: 4 doubles, one AVX2 register (two f64x2 in the WASM twin). 8 (two AVX2 registers per
// number) ran 3 times slower on this AVX2 machine (2026-11-30): the kernels' tiles no longer fit the 16 registers.
constexpr int LANES = 4;

struct Ensemble {
  int nIn = 0, nHid = 0, nOut = 0;
  int act = 0, outAct = 0;
  double actParam = 0.0;
  int N = 0, D = 0, S = 0, maxK = 0;
  int runs = 0;  // runs in use, 1 .. LANES
  int offB1 = 0, offW2 = 0, offB2 = 0;
  Rule rule;

  // Shared data (X: N x nIn, Y: N x nOut), and the samples the kernels work on (all, or the step's minibatch).
  std::vector<double> X, Y, Xb, Yb;
  const double* Xa = nullptr;
  const double* Ya = nullptr;
  int Na = 0;

  // Per-lane arrays ([i * LANES + b]).
  std::vector<double> state;                  // S
  std::vector<double> Q;                      // S x maxK, column c at [(c S + p) L + b]
  std::vector<double> a, s1, s2, da;          // N x h caches of the forward pass
  std::vector<double> du, cw;                 // N x o
  std::vector<double> fo, p1, p2;             // N x o: the output activation's phi, phi', phi'' (u before it)
  std::vector<double> grad;                   // D
  std::vector<double> loss;                   // 1
  std::vector<double> H;                      // D x D (explicit route), allocated on first use
  std::vector<double> G;                      // (N o) x D rows grad u_m(x_s) (explicit and factored routes)
  std::vector<double> Gs;                     // N o: the row weights cw / N (explicit route)
  std::vector<double> Sblk, Sx;               // h (i+1)^2 and o h (i+1): the summed second-order blocks
  std::vector<double> P;                      // (N o) x maxK: G V (factored route)
  std::vector<double> HQ, Vw;                 // D x maxK
  std::vector<double> rz, q;                  // h and o: per-sample scratch of the R-operator
  std::vector<double> tau, logr;              // QR scratch and its log R_jj: maxK each
  std::vector<int> status;                    // per run: 0 running, else its ChunkReason
  // The state and tangent block of a run when it stopped (its lane keeps computing on them, unread): what
  // ensemble_get_state / ensemble_get_tangent return for it, as a network that stopped keeps its last state.
  std::vector<double> frozenState, frozenQ;   // S and S x maxK per run, [i * LANES + b]
};

// Sizes the ensemble for `runs` (1 .. LANES) runs and copies the data; every lane starts at the zero state. False when
// a size overflows.
bool ensemble_create(Ensemble& e, int nIn, int nHid, int nOut, int act, double actParam, int outAct, const double* X,
                     const double* Y, int N, int maxK, const Rule& rule, int runs);

// The kernels work on all samples / on the n samples idx[0 .. n) from now on.
void ensemble_use_all(Ensemble& e);
void ensemble_use_batch(Ensemble& e, const int* idx, int n);

// Run b's state (S numbers, w first) in and out; its tangent block (S x maxK, column-major) in and out. A run that
// stopped reads as it was when it stopped; setting its state starts it again.
void ensemble_set_state(Ensemble& e, int b, const double* x);
void ensemble_get_state(const Ensemble& e, int b, double* x);
void ensemble_set_tangent(Ensemble& e, int b, const double* Q);
void ensemble_get_tangent(const Ensemble& e, int b, double* Q);

// Keeps run b's state and tangent block as they are now (it has just stopped).
void ensemble_freeze(Ensemble& e, int b);

// The i-th element of run b of a per-lane array.
inline size_t lane_at(size_t i, int b) { return i * LANES + b; }

}  // namespace wd
