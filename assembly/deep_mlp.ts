// Forward pass, loss and gradient of a network of any depth L (docs/derivations.md, "L hidden layers").
// Twin: native/kernels/deep_mlp.{h,cc} (same loops, same order of floating-point operations). For L = 1 the same sums in
// the same order as mlp.ts; depth.ts runs mlp.ts for L = 1 and these for L >= 2.
//
// Per sample: a_0 = x, z_l = W_l a_{l-1} + b_l, a_l = s_l(z_l) (l <= L), u = z_{L+1}, r = phi(u) - y;
// du = r phi'(u), cw = phi'(u)^2 + r phi''(u); backpropagation delta_{L+1} = du, ga_l = W_{l+1}^T delta_{l+1},
// delta_l = ga_l . s_l'(z_l); grad W_l = 1/N sum_s delta_l a_{l-1}^T, grad b_l = 1/N sum_s delta_l.
import { act_d1, act_d2, act_f, activation_eval } from "./activations";
import { at } from "./dense";
import { i32At, Network } from "./network";

/** Hidden layer l's (1-based) row of sample s in a cache (a, s1, s2 or da). */
// @ts-ignore: decorator
@inline export function layer_row(cache: usize, net: Network, l: i32, s: i32): usize {
  return at(cache, i32At(net.cacheOff, l - 1) + s * i32At(net.width, l));
}

/** The input of layer l (1-based) for sample s: x_s for l = 1, a_{l-1}(x_s) otherwise. */
// @ts-ignore: decorator
@inline export function layer_input(net: Network, l: i32, s: i32): usize {
  return l == 1 ? at(net.Xa, s * net.nIn) : layer_row(net.a, net, l - 1, s);
}

/** Offset (elements) of W_l / b_l (1-based l) in the parameter vector. */
// @ts-ignore: decorator
@inline export function offW(net: Network, l: i32): i32 {
  return i32At(net.offW, l - 1);
}
// @ts-ignore: decorator
@inline export function offB(net: Network, l: i32): i32 {
  return i32At(net.offB, l - 1);
}

// C(w) = 1/(2N) sum_s ||phi(u_s) - y_s||^2; fills the caches a, s1, s2 and da (= ga_l) of every hidden layer, du, cw.
export function deep_forward(net: Network, w: usize): f64 {
  const L = net.L;
  const o = net.nOut;
  const N = net.Na;
  const h = i32At(net.width, L);
  const WL = at(w, offW(net, L + 1));
  const bL = at(w, offB(net, L + 1));
  let loss = 0.0;
  for (let s = 0; s < N; ++s) {
    for (let l = 1; l <= L; ++l) {
      const n = i32At(net.width, l);
      const np = i32At(net.width, l - 1);
      const W = at(w, offW(net, l));
      const b = at(w, offB(net, l));
      const x = layer_input(net, l, s);
      const a = layer_row(net.a, net, l, s);
      const s1 = layer_row(net.s1, net, l, s);
      const s2 = layer_row(net.s2, net, l, s);
      const ga = layer_row(net.da, net, l, s);
      const act = i32At(net.acts, l - 1);
      const param = load<f64>(at(net.actParams, l - 1));
      for (let j = 0; j < n; ++j) {
        let z = load<f64>(at(b, j));
        const row = at(W, j * np);
        for (let i = 0; i < np; ++i) z += load<f64>(at(row, i)) * load<f64>(at(x, i));
        activation_eval(act, param, z);
        store<f64>(at(a, j), act_f);
        store<f64>(at(s1, j), act_d1);
        store<f64>(at(s2, j), act_d2);
        store<f64>(at(ga, j), 0.0);
      }
    }
    const y = at(net.Ya, s * o);
    const aL = layer_row(net.a, net, L, s);
    const gaL = layer_row(net.da, net, L, s);
    const du = at(net.du, s * o);
    const cw = at(net.cw, s * o);
    for (let m = 0; m < o; ++m) {
      let u = load<f64>(at(bL, m));
      const row = at(WL, m * h);
      for (let j = 0; j < h; ++j) u += load<f64>(at(row, j)) * load<f64>(at(aL, j));
      activation_eval(net.outAct, 0.0, u);
      const p1 = act_d1;
      const p2 = act_d2;
      const r = act_f - load<f64>(at(y, m));
      loss += r * r;
      const dum = r * p1;
      store<f64>(at(du, m), dum);
      // Gauss-Newton weight of grad u_m grad u_m^T in the Hessian of 0.5 r^2: phi'^2 + r phi''.
      store<f64>(at(cw, m), p1 * p1 + r * p2);
      for (let j = 0; j < h; ++j) store<f64>(at(gaL, j), load<f64>(at(gaL, j)) + load<f64>(at(row, j)) * dum);
    }
    // ga_l = W_{l+1}^T (ga_{l+1} . s'_{l+1}), in the order of the output layer's loop above.
    for (let l = L - 1; l >= 1; --l) {
      const n = i32At(net.width, l);
      const nn = i32At(net.width, l + 1);
      const W = at(w, offW(net, l + 1));
      const gn = layer_row(net.da, net, l + 1, s);
      const s1n = layer_row(net.s1, net, l + 1, s);
      const ga = layer_row(net.da, net, l, s);
      for (let k = 0; k < nn; ++k) {
        const d = load<f64>(at(gn, k)) * load<f64>(at(s1n, k));
        const row = at(W, k * n);
        for (let j = 0; j < n; ++j) store<f64>(at(ga, j), load<f64>(at(ga, j)) + load<f64>(at(row, j)) * d);
      }
    }
  }
  return (0.5 * loss) / N;
}

// grad C(w) from the caches of the last deep_forward at the same w.
export function deep_gradient(net: Network, w: usize, grad: usize): void {
  const L = net.L;
  const o = net.nOut;
  const N = net.Na;
  const D = net.D;
  const h = i32At(net.width, L);
  memory.fill(grad, 0, (<usize>D) << 3);
  const gWL = at(grad, offW(net, L + 1));
  const gbL = at(grad, offB(net, L + 1));
  for (let s = 0; s < N; ++s) {
    const aL = layer_row(net.a, net, L, s);
    const du = at(net.du, s * o);
    for (let m = 0; m < o; ++m) {
      const dum = load<f64>(at(du, m));
      const row = at(gWL, m * h);
      for (let j = 0; j < h; ++j) store<f64>(at(row, j), load<f64>(at(row, j)) + dum * load<f64>(at(aL, j)));
      store<f64>(at(gbL, m), load<f64>(at(gbL, m)) + dum);
    }
    for (let l = L; l >= 1; --l) {
      const n = i32At(net.width, l);
      const np = i32At(net.width, l - 1);
      const x = layer_input(net, l, s);
      const ga = layer_row(net.da, net, l, s);
      const s1 = layer_row(net.s1, net, l, s);
      const gW = at(grad, offW(net, l));
      const gb = at(grad, offB(net, l));
      for (let j = 0; j < n; ++j) {
        const dz = load<f64>(at(ga, j)) * load<f64>(at(s1, j));
        const row = at(gW, j * np);
        for (let i = 0; i < np; ++i) store<f64>(at(row, i), load<f64>(at(row, i)) + dz * load<f64>(at(x, i)));
        store<f64>(at(gb, j), load<f64>(at(gb, j)) + dz);
      }
    }
  }
  const inv = 1.0 / N;
  for (let p = 0; p < D; ++p) store<f64>(at(grad, p), load<f64>(at(grad, p)) * inv);
}
