// Gradient descent: w' = w - eta g, J = I - eta H. Twin: assembly/rule_gd.ts.
#include "rule.h"

namespace wd {

void gd_step(const Rule& rule, int D, double* state, const double* g) {
  const double eta = rule.eta;
  for (int p = 0; p < D; ++p) state[p] -= eta * g[p];
}

void gd_tangent(const Rule& rule, int D, double* Q, int k, const double* HQ) {
  const double eta = rule.eta;
  const size_t n = static_cast<size_t>(D) * k;
  for (size_t p = 0; p < n; ++p) Q[p] -= eta * HQ[p];
}

}  // namespace wd
