// Adam (Kingma & Ba 2015), as the issue fixes it: m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g^2, t' = t + 1,
// w' = w - eta mh / (sqrt(vh) + eps) with mh = m' / c1, vh = v' / c2, c1 = 1 - b1^t', c2 = 1 - b2^t'. State (w, m, v).
// Twin: assembly/rule_adam.ts.
//
// Tangent (docs/optimizers.md), elementwise, with hq = H dw:
//   dm' = b1 dm + (1-b1) hq
//   dv' = b2 dv + 2 (1-b2) g hq
//   dw' = dw - eta [ dm' / (c1 den) - mh dv' / (2 c2 sqrt(vh) den^2) ],   den = sqrt(vh) + eps.
// Where vh = 0 (then g = 0 and v = 0 for that parameter, so m' = b1 m with m = 0 too in any run started at m = v = 0),
// w' does not depend on v' to first order and the second term is 0.
#include <cmath>

#include "rule.h"

namespace wd {

void adam_step(const Rule& rule, int D, double* state, const double* g, long long t) {
  const double eta = rule.eta, b1 = rule.p[0], b2 = rule.p[1], eps = rule.p[2];
  const double c1 = 1.0 - pow_int(b1, t + 1), c2 = 1.0 - pow_int(b2, t + 1);
  double* w = state;
  double* m = state + D;
  double* v = state + 2 * static_cast<size_t>(D);
  for (int p = 0; p < D; ++p) {
    m[p] = b1 * m[p] + (1.0 - b1) * g[p];
    v[p] = b2 * v[p] + (1.0 - b2) * (g[p] * g[p]);
    const double mh = m[p] / c1, vh = v[p] / c2;
    w[p] -= eta * (mh / (std::sqrt(vh) + eps));
  }
}

void adam_tangent(const Rule& rule, int D, const double* state, const double* g, long long t, double* Q, int k,
                  const double* HQ) {
  const double eta = rule.eta, b1 = rule.p[0], b2 = rule.p[1], eps = rule.p[2];
  const double c1 = 1.0 - pow_int(b1, t + 1), c2 = 1.0 - pow_int(b2, t + 1);
  const double* m = state + D;
  const double* v = state + 2 * static_cast<size_t>(D);
  const size_t S = 3 * static_cast<size_t>(D);
  for (int p = 0; p < D; ++p) {
    // The new moments at this parameter (the same expressions as adam_step).
    const double mNew = b1 * m[p] + (1.0 - b1) * g[p];
    const double vNew = b2 * v[p] + (1.0 - b2) * (g[p] * g[p]);
    const double mh = mNew / c1, vh = vNew / c2;
    const double root = std::sqrt(vh), den = root + eps;
    const double am = eta / (c1 * den);                                    // d w' / d m'
    const double av = vh > 0.0 ? -eta * mh / (2.0 * c2 * root * den * den) : 0.0;  // -(d w' / d v')
    for (int c = 0; c < k; ++c) {
      double* col = Q + c * S;
      const double hq = HQ[static_cast<size_t>(c) * D + p];
      const double dm = b1 * col[D + p] + (1.0 - b1) * hq;
      const double dv = b2 * col[2 * static_cast<size_t>(D) + p] + 2.0 * (1.0 - b2) * g[p] * hq;
      col[D + p] = dm;
      col[2 * static_cast<size_t>(D) + p] = dv;
      col[p] -= am * dm + av * dv;
    }
  }
}

}  // namespace wd
