// The tangent map of one training step, J_t, applied to a block of k vectors: the Hessian products of the network
// (three routes) composed with the update rule's tangent (rule.h). Twin: assembly/tangent.ts.
#pragma once
#include "network.h"

namespace wd {

// The route with the smallest modelled time for k vectors on n samples per step (see the cost model in tangent.cc).
// Routes (tables.h): hessian, the explicit H (symmetric rank-(N o) update + S; for L >= 2 by blocks of layers), then
// H V; hvp, Hessian-vector products by the R-operator, sample by sample; factored, H V = G^T (C (G V)) + S V by thin
// products without H (for L >= 2 through the layers' factors, the R-operator on all samples at once). depth.h picks
// the three-layer or the general kernels of each route.
int tangent_choose_route(const Network& net, int k, int n);

// HV = H(w) V for k vectors (D x k, column-major) by the given route (not auto), from the caches of the last
// net_forward at w.
void hessian_apply(Network& net, const double* w, const double* V, int k, double* HV, int route);

// Q <- J_t Q for the first k columns of Q (S x k, column-major): the rule's tangent at (state, t), with g = grad C_B(w)
// and the caches of the last net_forward at w = state[0 .. D) on the step's samples. route may be auto.
void tangent_apply(Network& net, const double* state, const double* g, long long t, double* Q, int k, int route);

}  // namespace wd
