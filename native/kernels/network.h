// A network of L hidden layers bound to its data: shape, parameter layout, per-sample caches and workspaces.
// Twin: assembly/network.ts. Everything the hot loop touches is allocated in network_create or on the first use of a
// route; the hot loop allocates nothing.
//
// Widths n_0 = inputs, n_1 .. n_L (hidden), n_{L+1} = outputs. Parameter vector order (fixed convention): W1 (n_1 x n_0,
// row-major), b1, W2 (n_2 x n_1), b2, ..., W_{L+1} (n_{L+1} x n_L), b_{L+1}; D = sum_l n_l (n_{l-1} + 1). For L = 1
// this is W1 (h x i), b1, W2 (o x h), b2, D = h (i + 1) + o (h + 1), and the three-layer kernels (mlp.cc, hessian.cc)
// run; for L >= 2 the general ones (deep_mlp.cc, deep_hessian.cc, deep_factored.cc). depth.h picks one of the two.
#pragma once
#include <cstddef>
#include <vector>

#include "rule.h"

namespace wd {

struct Network {
  // Shape and activations. nIn = n_0, nHid = n_1, nOut = n_{L+1}; act, actParam: the first hidden layer's (the
  // three-layer kernels read these).
  int nIn = 0, nHid = 0, nOut = 0;
  int act = 0, outAct = 0;
  double actParam = 0.0;
  int L = 1;       // hidden layers
  int N = 0;       // samples
  int D = 0;       // parameters
  int S = 0;       // state dimension: D times the rule's state blocks
  int maxK = 0;    // most tangent vectors a call may carry
  Rule rule;       // the update rule of the training map
  // Offsets of b1, W2, b2 in w (read by the three-layer kernels).
  int offB1 = 0, offW2 = 0, offB2 = 0;
  // The general layout: width[l] = n_l (l = 0 .. L+1); acts[l-1], actParams[l-1] of hidden layer l; offW[l-1], offB[l-1]
  // the offsets of W_l, b_l (l = 1 .. L+1); cacheOff[l-1] the offset of hidden layer l's block (N x n_l) in the caches.
  std::vector<int> width, acts, offW, offB;
  std::vector<double> actParams;
  std::vector<size_t> cacheOff;
  std::vector<int> hidOff;  // hidOff[l-1] = n_1 + ... + n_{l-1}: hidden layer l's offset in per-sample scratch
  int hidSum = 0;  // n_1 + ... + n_L
  int nMax = 0;    // max(n_1, ..., n_{L+1})

  // Data, copied in at creation: X (N x nIn), Y (N x nOut), row-major.
  std::vector<double> X, Y;
  // The samples the kernels work on: all of X, Y (Na = N), or the step's minibatch gathered into Xb, Yb
  // (network_use_batch). Every kernel reads its data through these.
  const double* Xa = nullptr;
  const double* Ya = nullptr;
  int Na = 0;
  std::vector<double> Xb, Yb;  // allocated on the first minibatch

  // Per-sample caches filled by the forward pass at the current weights (sample-major within each hidden layer's
  // block, the blocks at cacheOff): a = s(z), s1 = s'(z), s2 = s''(z), da = dloss/da (for L = 1: W2^T du), N x n_l each;
  // du = r * phi'(u) (N x o), the output error; cw = phi'(u)^2 + r phi''(u) (N x o), the Gauss-Newton weight.
  std::vector<double> a, s1, s2, du, cw, da;

  // Workspaces.
  std::vector<double> grad;   // D
  std::vector<double> H;      // D x D, allocated on first use of the explicit route
  std::vector<double> G;      // (N o) x D, rows grad u_m(x_s) (= D x (N o) column-major), explicit and factored routes
  std::vector<double> Gs;     // (N o) x D, the rows of G scaled by cw / N, explicit route
  std::vector<double> P;      // (N o) x maxK column-major, G Q, factored route
  std::vector<double> Sblk;   // h x (i+1) x (i+1): sum_s da s'' x~ x~^T / N, the hidden second-order blocks
  std::vector<double> Sx;     // o x h x (i+1): sum_s du_m s'(z_j) x~ / N, the (W2[m,j], W1~[j,.]) blocks
  std::vector<double> HQ;     // D x maxK, H times the w-rows of the tangent block
  std::vector<double> Vw;     // D x maxK, the w-rows of the tangent block when S > D (allocated then)
  std::vector<double> tau;    // maxK, Householder scalars
  std::vector<double> rz, q;  // h and o, per-sample scratch of the Hessian-vector product
  // General-depth workspaces: rd, the per-sample R-operator's scratch (Rz of every hidden layer, then two R delta
  // vectors of nMax), allocated at creation; the explicit route's K blocks, sample rows and products (deep_hessian.cc)
  // and the factored route's layer products (deep_rop.cc) on first use.
  std::vector<double> rd;
  std::vector<double> Kp, Kq, Kn, T, At, Cb;
  std::vector<double> RZ, RA, RD, RG, Del;
};

// Sizes the network and copies the data: widths[0 .. L+1] (inputs, hidden widths, outputs), acts[0 .. L-1] and
// actParams[0 .. L-1] of the hidden layers. Returns false when a size overflows (the binding reports it).
bool network_create(Network& net, int L, const int* widths, const int* acts, const double* actParams, int outAct,
                    const double* X, const double* Y, int N, int maxK, const Rule& rule);

// The kernels work on all samples from now on.
void network_use_all(Network& net);

// The kernels work on the n samples idx[0 .. n) (each in [0, N), checked by the caller) from now on.
void network_use_batch(Network& net, const int* idx, int n);

// D = sum_l n_l (n_{l-1} + 1) for widths[0 .. L+1], in 64 bits (the caller checks it against its limits).
long long network_dimension(int L, const int* widths);

}  // namespace wd
