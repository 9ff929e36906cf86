// Update rules (optimizers): the map of the training state and its tangent block. Twin: native/kernels/rule.{h,cc}.
//
// The state is rule_state_blocks(id) vectors of length D concatenated: (w) for gd, (w, v) for momentum and nesterov,
// (w, m, v) for adam (docs/optimizers.md). A rule sees the network only through g = grad C_B(w) and the Hessian
// products H dw of the tangent routes. native's Rule struct is a block of memory here (Rule below), written by
// rule_set; a network keeps its own.
import { rule_adam_step, rule_adam_tangent } from "./rule_adam";
import { rule_gd_step, rule_gd_tangent } from "./rule_gd";
import { rule_momentum_step, rule_momentum_tangent } from "./rule_momentum";
import { rule_nesterov_step, rule_nesterov_tangent } from "./rule_nesterov";
import { RULE_ADAM, RULE_GD, RULE_MOMENTUM, RULE_NESTEROV } from "./tables";

@unmanaged
export class Rule {
  id: i32;
  pad: i32;
  eta: f64; // learning rate
  // The rule's parameters in table order (beta; beta1, beta2, epsilon).
  p0: f64;
  p1: f64;
  p2: f64;
}

/** Bytes of a Rule block. */
export const RULE_BYTES: usize = 40;

export function rule_set(rule: Rule, id: i32, eta: f64, p0: f64, p1: f64, p2: f64): void {
  rule.id = id;
  rule.pad = 0;
  rule.eta = eta;
  rule.p0 = p0;
  rule.p1 = p1;
  rule.p2 = p2;
}

// state <- f(state) for step t (t = steps taken before this one), given g = grad C_B(w) at w = state[0 .. D).
export function rule_step(rule: Rule, D: i32, state: usize, g: usize, t: i64): void {
  const id = rule.id;
  if (id == RULE_GD) rule_gd_step(rule, D, state, g);
  else if (id == RULE_MOMENTUM) rule_momentum_step(rule, D, state, g);
  else if (id == RULE_NESTEROV) rule_nesterov_step(rule, D, state, g);
  else if (id == RULE_ADAM) rule_adam_step(rule, D, state, g, t);
}

// Q <- J_t Q for the k columns of Q (S x k, column-major), with HQ (D x k) = H dw for the w-rows dw of each column;
// state is the state before the step.
export function rule_tangent(rule: Rule, D: i32, state: usize, g: usize, t: i64, Q: usize, k: i32, HQ: usize): void {
  const id = rule.id;
  if (id == RULE_GD) rule_gd_tangent(rule, D, Q, k, HQ);
  else if (id == RULE_MOMENTUM) rule_momentum_tangent(rule, D, Q, k, HQ);
  else if (id == RULE_NESTEROV) rule_nesterov_tangent(rule, D, Q, k, HQ);
  else if (id == RULE_ADAM) rule_adam_tangent(rule, D, state, g, t, Q, k, HQ);
}

// b^n by repeated squaring: the same multiplications as native's pow_int.
export function pow_int(b: f64, n: i64): f64 {
  let result = 1.0;
  while (n > 0) {
    if ((n & 1) != 0) result *= b;
    b *= b;
    n >>= 1;
  }
  return result;
}
