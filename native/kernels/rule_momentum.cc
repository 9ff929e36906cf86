// Heavy-ball momentum, the PyTorch convention: v' = beta v + g, w' = w - eta v'. State (w, v).
// Twin: assembly/rule_momentum.ts.
//
// Tangent (docs/optimizers.md): dv' = beta dv + H dw, dw' = dw - eta dv'. Its determinant is beta^D at every step:
// J = [[I - eta H, -eta beta I], [H, beta I]], and subtracting eta times the second block row from the first gives
// [[I, 0], [H, beta I]].
#include "rule.h"

namespace wd {

void momentum_step(const Rule& rule, int D, double* state, const double* g) {
  const double eta = rule.eta, beta = rule.p[0];
  double* w = state;
  double* v = state + D;
  for (int p = 0; p < D; ++p) {
    v[p] = beta * v[p] + g[p];
    w[p] -= eta * v[p];
  }
}

void momentum_tangent(const Rule& rule, int D, double* Q, int k, const double* HQ) {
  const double eta = rule.eta, beta = rule.p[0];
  const size_t S = 2 * static_cast<size_t>(D);
  for (int c = 0; c < k; ++c) {
    double* dw = Q + c * S;
    double* dv = dw + D;
    const double* hq = HQ + static_cast<size_t>(c) * D;
    for (int p = 0; p < D; ++p) {
      dv[p] = beta * dv[p] + hq[p];
      dw[p] -= eta * dv[p];
    }
  }
}

}  // namespace wd
