// The exact Hessian of the loss of a network of any depth, assembled by blocks of layers. Twin: assembly/deep_hessian.ts.
//
// Derivation (docs/derivations.md, "L hidden layers"): per sample, with a~_{l-1} = (a_{l-1}, 1) and
// E_p^{(l)} = (dz_l / dz_p)^T (E_p^{(p+1)} = diag(s_p') W_{p+1}^T), the block of H between the parameters W~_p of layer
// p and W~_q of layer q (p <= q) is
//   K^{(p,q)} (x) a~_{p-1} a~_{q-1}^T  +  [p < q] the bilinear term: (W~_p[r,i], W_q[k,j]) += M^{(p,q)}[r,j] a~_{p-1,i} delta_{q,k}
// with K^{(L+1,L+1)} = diag(cw), K^{(q,q)} = diag(ga_q . s_q'') + E_q^{(q+1)} K^{(q+1,q+1)} E_q^{(q+1)T},
// K^{(p,q)} = E_p^{(p+1)} K^{(p+1,q)}, M^{(q-1,q)} = diag(s_{q-1}'), M^{(p,q)} = E_p^{(p+1)} M^{(p+1,q)}.
// The recursions run on all samples at once (one gemm per step), and each block is summed over the samples by thin
// products with inner dimension N (one per unit of layer p), so H costs O(N D^2) like the three-layer Gauss-Newton
// update, not the O(N (n_1 + ... + n_L) D^2) of summing the outer products of every grad z_{l,j}.
#pragma once
#include "network.h"

namespace wd {

// H (D x D, symmetric, both triangles written) at the weights of the last deep_forward. Allocates the workspaces
// (Network::Kp, Kq, Kn, T, At, Cb) on first use.
void deep_hessian_explicit(Network& net, const double* w, double* H);

}  // namespace wd
