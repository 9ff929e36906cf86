// Gradient descent: w' = w - eta g, J = I - eta H. Twin: native/kernels/rule_gd.cc.
import { axpy_sub } from "./dense";
import { Rule } from "./rule";

export function rule_gd_step(rule: Rule, D: i32, state: usize, g: usize): void {
  axpy_sub(rule.eta, g, state, D);
}

export function rule_gd_tangent(rule: Rule, D: i32, Q: usize, k: i32, HQ: usize): void {
  axpy_sub(rule.eta, HQ, Q, D * k);
}
