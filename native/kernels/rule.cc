// The dispatchers of the update rules. Twin: assembly/rule.ts.
#include "rule.h"

namespace wd {

void rule_step(const Rule& rule, int D, double* state, const double* g, long long t) {
  switch (rule.id) {
    case RULE_GD: gd_step(rule, D, state, g); return;
    case RULE_MOMENTUM: momentum_step(rule, D, state, g); return;
    case RULE_NESTEROV: nesterov_step(rule, D, state, g); return;
    case RULE_ADAM: adam_step(rule, D, state, g, t); return;
    default: return;
  }
}

void rule_tangent(const Rule& rule, int D, const double* state, const double* g, long long t, double* Q, int k,
                  const double* HQ) {
  switch (rule.id) {
    case RULE_GD: gd_tangent(rule, D, Q, k, HQ); return;
    case RULE_MOMENTUM: momentum_tangent(rule, D, Q, k, HQ); return;
    case RULE_NESTEROV: nesterov_tangent(rule, D, Q, k, HQ); return;
    case RULE_ADAM: adam_tangent(rule, D, state, g, t, Q, k, HQ); return;
    default: return;
  }
}

double pow_int(double b, long long n) {
  double result = 1.0;
  while (n > 0) {
    if (n & 1) result *= b;
    b *= b;
    n >>= 1;
  }
  return result;
}

}  // namespace wd
