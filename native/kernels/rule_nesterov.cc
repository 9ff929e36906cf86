// Nesterov momentum, the PyTorch convention: v' = beta v + g, w' = w - eta (g + beta v'). State (w, v).
// Twin: assembly/rule_nesterov.ts.
//
// Tangent (docs/optimizers.md): dv' = beta dv + H dw, dw' = dw - eta (H dw + beta dv').
#include "rule.h"

namespace wd {

void nesterov_step(const Rule& rule, int D, double* state, const double* g) {
  const double eta = rule.eta, beta = rule.p[0];
  double* w = state;
  double* v = state + D;
  for (int p = 0; p < D; ++p) {
    v[p] = beta * v[p] + g[p];
    w[p] -= eta * (g[p] + beta * v[p]);
  }
}

void nesterov_tangent(const Rule& rule, int D, double* Q, int k, const double* HQ) {
  const double eta = rule.eta, beta = rule.p[0];
  const size_t S = 2 * static_cast<size_t>(D);
  for (int c = 0; c < k; ++c) {
    double* dw = Q + c * S;
    double* dv = dw + D;
    const double* hq = HQ + static_cast<size_t>(c) * D;
    for (int p = 0; p < D; ++p) {
      dv[p] = beta * dv[p] + hq[p];
      dw[p] -= eta * (hq[p] + beta * dv[p]);
    }
  }
}

}  // namespace wd
