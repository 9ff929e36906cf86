// Forward pass, loss and gradient of every run of an ensemble (ensemble.h), lane by lane in the order of mlp.cc, so
// each lane computes what mlp_forward / mlp_gradient compute for that run alone (up to the few ulps by which the
// vectorised exp and tanh of vecmath.h differ from glibc's). Twin: assembly/ensemble_mlp.ts.
#pragma once
#include "ensemble.h"

namespace wd {

// e.loss[b] = C(w_b) on the current samples; fills the per-sample caches of every lane.
void ensemble_forward(Ensemble& e);

// e.grad = grad C(w) of every lane, from the caches of the last ensemble_forward.
void ensemble_gradient(Ensemble& e);

// f, f', f'' of activation `id` at count LANES-vectors of z (f may be z itself), with the formulas of activations.h
// and the vectorised exp, tanh and logistic function of vecmath.h: one switch, then one loop over the block.
void activation_block(int id, double param, const double* z, double* f, double* d1, double* d2, size_t count);

}  // namespace wd
