// Update rules (optimizers): the map of the training state and its tangent block. Twin: assembly/rule.ts.
//
// The state is RULE_STATE_BLOCKS[id] vectors of length D concatenated: (w) for gd, (w, v) for momentum and nesterov,
// (w, m, v) for adam (docs/optimizers.md). A rule sees the network only through g = grad C_B(w) and the Hessian
// products H dw of the tangent routes, so every rule works with every network and every route, and a new rule is one
// file per twin (rule_<name>.cc / rule_<name>.ts), its case in the two dispatchers below and its table entry
// (src/backend/tables.ts).
#pragma once
#include "tables.h"

namespace wd {

struct Rule {
  int id = RULE_GD;
  double eta = 0.0;                    // learning rate
  double p[RULE_MAX_PARAMS] = {0.0};   // the rule's parameters in table order (beta; beta1, beta2, epsilon)
};

// state <- f(state) for step t (t = steps taken before this one; Adam's bias correction uses t + 1), given the
// gradient g of the step's batch loss at w = state[0 .. D).
void rule_step(const Rule& rule, int D, double* state, const double* g, long long t);

// Q <- J_t Q for the k columns of Q (S x k, column-major, S = RULE_STATE_BLOCKS[id] D), the exact Jacobian of
// rule_step at (state, t), where HQ (D x k, column-major) = H dw for the w-rows dw of each column. state is the
// state before the step; g as in rule_step.
void rule_tangent(const Rule& rule, int D, const double* state, const double* g, long long t, double* Q, int k,
                  const double* HQ);

// One file per rule (rule_<name>.cc).
void gd_step(const Rule& rule, int D, double* state, const double* g);
void gd_tangent(const Rule& rule, int D, double* Q, int k, const double* HQ);
void momentum_step(const Rule& rule, int D, double* state, const double* g);
void momentum_tangent(const Rule& rule, int D, double* Q, int k, const double* HQ);
void nesterov_step(const Rule& rule, int D, double* state, const double* g);
void nesterov_tangent(const Rule& rule, int D, double* Q, int k, const double* HQ);
void adam_step(const Rule& rule, int D, double* state, const double* g, long long t);
void adam_tangent(const Rule& rule, int D, const double* state, const double* g, long long t, double* Q, int k,
                  const double* HQ);

// b^n by repeated squaring: the same multiplications in both twins, so both round alike (Adam's bias correction).
double pow_int(double b, long long n);

}  // namespace wd
