// The exact Hessian of the loss of the three-layer network (L = 1; depth.h picks these or the general kernels of
// deep_hessian.h and deep_rop.h), assembled from its structure, and exact Hessian-vector products.
// Twin: assembly/hessian.ts.
//
// Derivation (see docs/derivations.md): with u = W2 a + b2, a = s(z), z = W1 x + b1, r = phi(u) - y,
//   H = 1/N sum_s [ sum_m cw_m g_m g_m^T + sum_m du_m Hess(u_m) ],   g_m = grad_w u_m,
//   cw_m = phi'(u_m)^2 + r_m phi''(u_m),  du_m = r_m phi'(u_m),
// and the second-order terms of the hidden layer are, with x~ = (x, 1) and da = W2^T du,
//   (W1~[j,.], W1~[j,.]) : da_j s''(z_j) x~ x~^T       (one (i+1) x (i+1) block per hidden unit)
//   (W2[m,j], W1~[j,.])  : du_m s'(z_j) x~             (and its transpose).
#pragma once
#include "network.h"

namespace wd {

// H = G^T C G + S written as its two factors: the rows of G (grad u_m(x_s)) to net.G, scaled by cw / N to net.Gs when
// `scaled`, and the summed second-order blocks S to net.Sblk and net.Sx. Allocates them on first use only.
void hessian_factors(Network& net, const double* w, bool scaled);

// H (D x D, symmetric, both triangles written) at the weights of the last mlp_forward: the Gauss-Newton part as a
// symmetric rank-(N o) update of the upper triangle (syrk_upper), the blocks of S, then the mirror.
void hessian_explicit(Network& net, const double* w, double* H);

// HV = H V for k vectors (D x k, column-major) in factored form, without H: HV = G^T (C (G V)) + S V, two thin
// products (gemm) and the structured S. O(N o D k) work, no D x D storage. Exact, like hvp_batch.
void hessian_factored_apply(Network& net, const double* w, const double* V, int k, double* HV);

// HV = H V for k vectors (D x k, column-major), exactly, by the R-operator (Pearlmutter 1994) on every sample,
// from the caches of the last mlp_forward. O(N k D) work, no D x D storage.
void hvp_batch(Network& net, const double* w, const double* V, int k, double* HV);

}  // namespace wd
