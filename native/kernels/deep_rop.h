// Hessian-vector products of a network of any depth by the R-operator (Pearlmutter 1994), exactly, without H.
// Twin: assembly/deep_rop.ts. Derivation: docs/derivations.md, "L hidden layers".
//
// For a direction v = (V_1, vb_1, ..., V_{L+1}, vb_{L+1}), per sample (R a_0 = 0):
//   forward   R z_l = V_l a_{l-1} + vb_l + W_l R a_{l-1},  R a_l = s_l' R z_l,  R u = R z_{L+1} (= G v)
//   backward  R delta_{L+1} = cw . R u,  R ga_l = W_{l+1}^T R delta_{l+1} + V_{l+1}^T delta_{l+1},
//             R delta_l = R ga_l . s_l' + ga_l . s_l'' . R z_l
//   (H v)_{W_l} = 1/N sum_s (R delta_l a_{l-1}^T + delta_l R a_{l-1}^T),  (H v)_{b_l} = 1/N sum_s R delta_l.
// The source cw . R u of the backward pass gives the Gauss-Newton part G^T C G v; the terms in delta and s'' the rest.
// Route factored is this R-operator on all samples at once rather than G^T (C (G V)) + S V with G stored: for L >= 2, S
// couples every pair of layers, so S V alone costs a whole R-operator pass, and that form would cost the hvp route
// plus two products with G; here one pass forms all of H V at the rate of thin gemms.
#pragma once
#include "network.h"

namespace wd {

// HV = H V for k vectors (D x k, column-major), sample by sample (route hvp), from the caches of the last deep_forward.
// O(N k D) work in short loops; no D x D storage.
void deep_hvp_batch(Network& net, const double* w, const double* V, int k, double* HV);

// The same product with every sample at once (route factored): each layer's step is a thin product (gemm) over the
// N samples of a block of vectors, so H V = G^T (C (G V)) + S V is formed through the layers' factors without G or H.
// The vectors are taken in blocks of deep_factored_block(net) columns. Allocates its workspaces on first use.
void deep_factored_apply(Network& net, const double* w, const double* V, int k, double* HV);

// Columns per block of deep_factored_apply: its workspace is about DEEP_FACTORED_DOUBLES doubles, whatever the size.
constexpr long long DEEP_FACTORED_DOUBLES = 1 << 21;
int deep_factored_block(const Network& net);

}  // namespace wd
