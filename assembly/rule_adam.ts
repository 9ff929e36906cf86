// Adam as the issue fixes it (state (w, m, v), bias correction with t' = t + 1). Twin: native/kernels/rule_adam.cc,
// where the tangent is derived; the same expressions in the same order here.
import { at } from "./dense";
import { pow_int, Rule } from "./rule";

export function rule_adam_step(rule: Rule, D: i32, state: usize, g: usize, t: i64): void {
  const eta = rule.eta;
  const b1 = rule.p0;
  const b2 = rule.p1;
  const eps = rule.p2;
  const c1 = 1.0 - pow_int(b1, t + 1);
  const c2 = 1.0 - pow_int(b2, t + 1);
  const m = at(state, D);
  const v = at(state, 2 * D);
  for (let p = 0; p < D; ++p) {
    const gp = load<f64>(at(g, p));
    const mp = b1 * load<f64>(at(m, p)) + (1.0 - b1) * gp;
    const vp = b2 * load<f64>(at(v, p)) + (1.0 - b2) * (gp * gp);
    store<f64>(at(m, p), mp);
    store<f64>(at(v, p), vp);
    const mh = mp / c1;
    const vh = vp / c2;
    store<f64>(at(state, p), load<f64>(at(state, p)) - eta * (mh / (Math.sqrt(vh) + eps)));
  }
}

export function rule_adam_tangent(rule: Rule, D: i32, state: usize, g: usize, t: i64, Q: usize, k: i32, HQ: usize): void {
  const eta = rule.eta;
  const b1 = rule.p0;
  const b2 = rule.p1;
  const eps = rule.p2;
  const c1 = 1.0 - pow_int(b1, t + 1);
  const c2 = 1.0 - pow_int(b2, t + 1);
  const m = at(state, D);
  const v = at(state, 2 * D);
  const S = 3 * D;
  for (let p = 0; p < D; ++p) {
    const gp = load<f64>(at(g, p));
    const mNew = b1 * load<f64>(at(m, p)) + (1.0 - b1) * gp;
    const vNew = b2 * load<f64>(at(v, p)) + (1.0 - b2) * (gp * gp);
    const mh = mNew / c1;
    const vh = vNew / c2;
    const root = Math.sqrt(vh);
    const den = root + eps;
    const am = eta / (c1 * den);
    const av = vh > 0.0 ? (-eta * mh) / (2.0 * c2 * root * den * den) : 0.0;
    for (let c = 0; c < k; ++c) {
      const col = Q + ((<usize>c * <usize>S) << 3);
      const hq = load<f64>(at(HQ, c * D + p));
      const dm = b1 * load<f64>(at(col, D + p)) + (1.0 - b1) * hq;
      const dv = b2 * load<f64>(at(col, 2 * D + p)) + 2.0 * (1.0 - b2) * gp * hq;
      store<f64>(at(col, D + p), dm);
      store<f64>(at(col, 2 * D + p), dv);
      store<f64>(at(col, p), load<f64>(at(col, p)) - (am * dm + av * dv));
    }
  }
}
