// A three-layer network bound to its data: shape, parameter layout, per-sample caches and workspaces.
// Twin: assembly/network.ts. Everything is allocated once, in network_create; the hot loop allocates nothing.
//
// Parameter vector order (fixed convention): W1 (h x i, row-major), b1 (h), W2 (o x h, row-major), b2 (o),
// so D = h (i + 1) + o (h + 1).
#pragma once
#include <cstddef>
#include <vector>

#include "rule.h"

namespace wd {

struct Network {
  // Shape and activations.
  int nIn = 0, nHid = 0, nOut = 0;
  int act = 0, outAct = 0;
  double actParam = 0.0;
  int N = 0;       // samples
  int D = 0;       // parameters
  int S = 0;       // state dimension: D times the rule's state blocks
  int maxK = 0;    // most tangent vectors a call may carry
  Rule rule;       // the update rule of the training map
  // Offsets of the four parameter blocks in w.
  int offB1 = 0, offW2 = 0, offB2 = 0;

  // Data, copied in at creation: X (N x nIn), Y (N x nOut), row-major.
  std::vector<double> X, Y;
  // The samples the kernels work on: all of X, Y (Na = N), or the step's minibatch gathered into Xb, Yb
  // (network_use_batch). Every kernel reads its data through these.
  const double* Xa = nullptr;
  const double* Ya = nullptr;
  int Na = 0;
  std::vector<double> Xb, Yb;  // allocated on the first minibatch

  // Per-sample caches filled by mlp_forward at the current weights (row-major, sample-major):
  // a = s(z), s1 = s'(z), s2 = s''(z) (N x h); du = r * phi'(u) (N x o), the output error;
  // cw = phi'(u)^2 + r phi''(u) (N x o), the Gauss-Newton weight; da = W2^T du (N x h).
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
};

// Sizes the network and copies the data. Returns false when a size overflows (the binding reports it).
bool network_create(Network& net, int nIn, int nHid, int nOut, int act, double actParam, int outAct,
                    const double* X, const double* Y, int N, int maxK, const Rule& rule);

// The kernels work on all samples from now on.
void network_use_all(Network& net);

// The kernels work on the n samples idx[0 .. n) (each in [0, N), checked by the caller) from now on.
void network_use_batch(Network& net, const int* idx, int n);

inline int network_dimension(int nIn, int nHid, int nOut) { return nHid * (nIn + 1) + nOut * (nHid + 1); }

}  // namespace wd
