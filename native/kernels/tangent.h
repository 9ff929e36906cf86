// The tangent map of one gradient-descent step, J_t = I - eta H(w_t), applied to a block of k vectors.
// Twin: assembly/tangent.ts.
#pragma once
#include "network.h"

namespace wd {

// hessian: the explicit H (symmetric rank-(N o) update + S), then H Q; hvp: Hessian-vector products by the
// R-operator, sample by sample; factored: H Q = G^T (C (G Q)) + S Q as two thin products, without H.
enum TangentRoute : int { ROUTE_AUTO = 0, ROUTE_HESSIAN = 1, ROUTE_HVP = 2, ROUTE_FACTORED = 3 };

// The route with the smallest modelled time for k vectors (see the cost model in tangent.cc).
int tangent_choose_route(const Network& net, int k);

// Q <- Q - eta H(w) Q for Q (D x k, column-major), from the caches of the last mlp_forward at w.
void tangent_apply(Network& net, const double* w, double eta, double* Q, int k, int route);

}  // namespace wd
