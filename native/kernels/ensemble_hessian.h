// The three tangent routes of hessian.h for every run of an ensemble, lane by lane: H V for k vectors per run
// (V, HV: D x k per lane, column c of run b at [(c D + p) LANES + b]). Twin: assembly/ensemble_hessian.ts.
#pragma once
#include "ensemble.h"

namespace wd {

// The explicit H (D x D per lane, both triangles) from the caches of the last ensemble_forward.
void ensemble_hessian_explicit(Ensemble& e);

// HV = H V by the route (ROUTE_HESSIAN, ROUTE_HVP or ROUTE_FACTORED; not auto), from the caches of the last
// ensemble_forward.
void ensemble_hessian_apply(Ensemble& e, const double* V, int k, double* HV, int route);

}  // namespace wd
