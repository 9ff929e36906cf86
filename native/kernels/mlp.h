// Forward pass, loss and gradient of the three-layer network (L = 1; depth.h picks these or the general kernels of
// deep_mlp.h). Twin: assembly/mlp.ts.
#pragma once
#include "network.h"

namespace wd {

// C(w) = 1/(2N) sum_s ||phi(W2 s(W1 x_s + b1) + b2) - y_s||^2; fills the per-sample caches of `net`.
double mlp_forward(Network& net, const double* w);

// grad C(w) from the caches of the last mlp_forward at the same w (backpropagation).
void mlp_gradient(const Network& net, const double* w, double* grad);

}  // namespace wd
