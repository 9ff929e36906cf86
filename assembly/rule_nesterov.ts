// Nesterov momentum, the PyTorch convention: v' = beta v + g, w' = w - eta (g + beta v'). State (w, v).
// Twin: native/kernels/rule_nesterov.cc (tangent: dv' = beta dv + H dw, dw' = dw - eta (H dw + beta dv')).
import { at } from "./dense";
import { Rule } from "./rule";

export function rule_nesterov_step(rule: Rule, D: i32, state: usize, g: usize): void {
  const eta = rule.eta;
  const beta = rule.p0;
  const v = at(state, D);
  for (let p = 0; p < D; ++p) {
    const gp = load<f64>(at(g, p));
    const vp = beta * load<f64>(at(v, p)) + gp;
    store<f64>(at(v, p), vp);
    store<f64>(at(state, p), load<f64>(at(state, p)) - eta * (gp + beta * vp));
  }
}

export function rule_nesterov_tangent(rule: Rule, D: i32, Q: usize, k: i32, HQ: usize): void {
  const eta = rule.eta;
  const beta = rule.p0;
  for (let c = 0; c < k; ++c) {
    const dw = Q + ((<usize>c * <usize>(2 * D)) << 3);
    const dv = at(dw, D);
    const hq = HQ + ((<usize>c * <usize>D) << 3);
    for (let p = 0; p < D; ++p) {
      const h = load<f64>(at(hq, p));
      const t = beta * load<f64>(at(dv, p)) + h;
      store<f64>(at(dv, p), t);
      store<f64>(at(dw, p), load<f64>(at(dw, p)) - eta * (h + beta * t));
    }
  }
}
