// Forward pass, loss and gradient of the three-layer network (L = 1; depth.ts picks these or the general kernels of
// deep_mlp.ts). Twin: native/kernels/mlp.cc (same loops, same order of
// floating-point operations, so the two agree to the last bit up to the libm differences of the activations).
import { act_d1, act_d2, act_f, activation_eval } from "./activations";
import { Network } from "./network";

// @ts-ignore: decorator
@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 3);
}

// C(w) = 1/(2N) sum_s ||phi(W2 s(W1 x_s + b1) + b2) - y_s||^2; fills the per-sample caches of `net`.
export function mlp_forward(net: Network, w: usize): f64 {
  const nIn = net.nIn;
  const h = net.nHid;
  const o = net.nOut;
  const N = net.Na;
  const W1 = w;
  const b1 = at(w, net.offB1);
  const W2 = at(w, net.offW2);
  const b2 = at(w, net.offB2);
  const act = net.act;
  const actParam = net.actParam;
  const outAct = net.outAct;
  let loss = 0.0;
  for (let s = 0; s < N; ++s) {
    const x = at(net.Xa, s * nIn);
    const y = at(net.Ya, s * o);
    const a = at(net.a, s * h);
    const s1 = at(net.s1, s * h);
    const s2 = at(net.s2, s * h);
    const du = at(net.du, s * o);
    const cw = at(net.cw, s * o);
    const da = at(net.da, s * h);
    for (let j = 0; j < h; ++j) {
      let z = load<f64>(at(b1, j));
      const row = at(W1, j * nIn);
      for (let i = 0; i < nIn; ++i) z += load<f64>(at(row, i)) * load<f64>(at(x, i));
      activation_eval(act, actParam, z);
      store<f64>(at(a, j), act_f);
      store<f64>(at(s1, j), act_d1);
      store<f64>(at(s2, j), act_d2);
      store<f64>(at(da, j), 0.0);
    }
    for (let m = 0; m < o; ++m) {
      let u = load<f64>(at(b2, m));
      const row = at(W2, m * h);
      for (let j = 0; j < h; ++j) u += load<f64>(at(row, j)) * load<f64>(at(a, j));
      activation_eval(outAct, 0.0, u);
      const p1 = act_d1;
      const p2 = act_d2;
      const r = act_f - load<f64>(at(y, m));
      loss += r * r;
      const dum = r * p1;
      store<f64>(at(du, m), dum);
      // Gauss-Newton weight of grad u_m grad u_m^T in the Hessian of 0.5 r^2: phi'^2 + r phi''.
      store<f64>(at(cw, m), p1 * p1 + r * p2);
      for (let j = 0; j < h; ++j) store<f64>(at(da, j), load<f64>(at(da, j)) + load<f64>(at(row, j)) * dum);
    }
  }
  return (0.5 * loss) / N;
}

// grad C(w) from the caches of the last mlp_forward at the same w (backpropagation).
export function mlp_gradient(net: Network, w: usize, grad: usize): void {
  const nIn = net.nIn;
  const h = net.nHid;
  const o = net.nOut;
  const N = net.Na;
  const D = net.D;
  memory.fill(grad, 0, <usize>D << 3);
  const gW1 = grad;
  const gb1 = at(grad, net.offB1);
  const gW2 = at(grad, net.offW2);
  const gb2 = at(grad, net.offB2);
  for (let s = 0; s < N; ++s) {
    const x = at(net.Xa, s * nIn);
    const a = at(net.a, s * h);
    const s1 = at(net.s1, s * h);
    const du = at(net.du, s * o);
    const da = at(net.da, s * h);
    for (let m = 0; m < o; ++m) {
      const dum = load<f64>(at(du, m));
      const row = at(gW2, m * h);
      for (let j = 0; j < h; ++j) store<f64>(at(row, j), load<f64>(at(row, j)) + dum * load<f64>(at(a, j)));
      store<f64>(at(gb2, m), load<f64>(at(gb2, m)) + dum);
    }
    for (let j = 0; j < h; ++j) {
      const dz = load<f64>(at(da, j)) * load<f64>(at(s1, j));
      const row = at(gW1, j * nIn);
      for (let i = 0; i < nIn; ++i) store<f64>(at(row, i), load<f64>(at(row, i)) + dz * load<f64>(at(x, i)));
      store<f64>(at(gb1, j), load<f64>(at(gb1, j)) + dz);
    }
  }
  const inv = 1.0 / N;
  for (let p = 0; p < D; ++p) store<f64>(at(grad, p), load<f64>(at(grad, p)) * inv);
}
