// The one place where the depth of a network picks its kernels. Twin: assembly/depth.ts.
//
// One hidden layer (L = 1) runs the three-layer kernels (mlp.cc, hessian.cc), which every result recorded before the
// general ones existed was computed with (test/25 holds them to those results bit for bit); L >= 2 runs the general
// kernels (deep_mlp.cc, deep_hessian.cc, deep_rop.cc). With deep_force set, L = 1 runs the general kernels too, so the
// tests can hold the two families against each other (the binding's _deepKernels, the WASM export deep_kernels).
#pragma once
#include "network.h"

namespace wd {

extern bool deep_force;

inline bool network_deep(const Network& net) { return net.L > 1 || deep_force; }

// C(w) on the network's current samples; fills the per-sample caches (mlp_forward or deep_forward).
double net_forward(Network& net, const double* w);

// grad C(w) from the caches of the last net_forward at w.
void net_gradient(const Network& net, const double* w, double* grad);

// The explicit Hessian (D x D, both triangles) from the caches of the last net_forward at w.
void net_hessian(Network& net, const double* w, double* H);

// HV = H V for k vectors by the R-operator, sample by sample (route hvp).
void net_hvp(Network& net, const double* w, const double* V, int k, double* HV);

// HV = H V for k vectors by thin products without H (route factored).
void net_factored(Network& net, const double* w, const double* V, int k, double* HV);

}  // namespace wd
