// Forward pass, loss and gradient of a network of any depth L (docs/derivations.md, "L hidden layers").
// Twin: assembly/deep_mlp.ts. For L = 1 the same sums in the same order as mlp.cc (the three-layer kernels), so the two
// agree to the last bit; depth.cc runs mlp.cc for L = 1 and these for L >= 2 (test/26 runs these for L = 1 too).
//
// Per sample: a_0 = x, z_l = W_l a_{l-1} + b_l, a_l = s_l(z_l) (l <= L), u = z_{L+1}, r = phi(u) - y;
// du = r phi'(u), cw = phi'(u)^2 + r phi''(u); backpropagation delta_{L+1} = du, ga_l = W_{l+1}^T delta_{l+1},
// delta_l = ga_l . s_l'(z_l); grad W_l = 1/N sum_s delta_l a_{l-1}^T, grad b_l = 1/N sum_s delta_l.
#pragma once
#include "network.h"

namespace wd {

// C(w) = 1/(2N) sum_s ||phi(u_s) - y_s||^2; fills the caches a, s1, s2 and da (= ga_l) of every hidden layer, du, cw.
double deep_forward(Network& net, const double* w);

// grad C(w) from the caches of the last deep_forward at the same w.
void deep_gradient(const Network& net, const double* w, double* grad);

// Pointer to hidden layer l's (1-based) row of sample s in a cache (a, s1, s2 or da).
inline double* layer_row(std::vector<double>& cache, const Network& net, int l, int s) {
  return cache.data() + net.cacheOff[l - 1] + static_cast<size_t>(s) * net.width[l];
}
inline const double* layer_row(const std::vector<double>& cache, const Network& net, int l, int s) {
  return cache.data() + net.cacheOff[l - 1] + static_cast<size_t>(s) * net.width[l];
}

// The input of layer l (1-based) for sample s: x_s for l = 1, a_{l-1}(x_s) otherwise.
inline const double* layer_input(const Network& net, int l, int s) {
  return l == 1 ? net.Xa + static_cast<size_t>(s) * net.nIn : layer_row(net.a, net, l - 1, s);
}

}  // namespace wd
