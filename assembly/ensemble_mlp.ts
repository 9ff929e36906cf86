// Forward pass, loss and gradient of every run of an ensemble (ensemble.ts), lane by lane in the order of mlp.ts, so
// each lane computes what mlp_forward / mlp_gradient compute for that run alone (up to the few ulps by which the
// vectorised exp and tanh of vecmath.ts differ from the libm). Twin: native/kernels/ensemble_mlp.{h,cc}; each native
// `lanes` value is the pair (x0, x1) of f64x2 halves here (lanes.ts).
import { act_d1, act_d2, act_f, activation_eval } from "./activations";
import { Ensemble } from "./ensemble";
import { f64At, ld0, ld1, lv, splat, st0, st1, st2, vadd, vmul, vsel, vsub, zero_lanes } from "./lanes";
import {
  ACT_ELU,
  ACT_GELU,
  ACT_IDENTITY,
  ACT_LEAKY_RELU,
  ACT_RELU,
  ACT_SIGMOID,
  ACT_SILU,
  ACT_TANH,
} from "./tables";
import { exp_lanes, logistic_lanes, tanh_lanes } from "./vecmath";

// f, f', f'' of one lane-vector at z, to f, d1, d2 (each activation's formulas of activations.ts with the functions of
// vecmath.ts, which leave their result in memory: f itself, or d1 / d2 as scratch before their final values; f may
// be z, so z is read first).
// @ts-ignore: decorator
@inline function tanh_lv(z: usize, f: usize, d1: usize, d2: usize): void {
  tanh_lanes(z, f);
  const t0 = ld0(f);
  const t1 = ld1(f);
  const s0 = vsub(splat(1.0), vmul(t0, t0));
  const s1 = vsub(splat(1.0), vmul(t1, t1));
  st2(d1, s0, s1);
  st2(d2, vmul(vmul(splat(-2.0), t0), s0), vmul(vmul(splat(-2.0), t1), s1));
}

// @ts-ignore: decorator
@inline function sigmoid_lv(z: usize, f: usize, d1: usize, d2: usize): void {
  logistic_lanes(z, f);
  const one = splat(1.0);
  const s0 = ld0(f);
  const s1 = ld1(f);
  const ds0 = vmul(s0, vsub(one, s0));
  const ds1 = vmul(s1, vsub(one, s1));
  st2(d1, ds0, ds1);
  st2(d2, vmul(ds0, vsub(one, vmul(splat(2.0), s0))), vmul(ds1, vsub(one, vmul(splat(2.0), s1))));
}

// @ts-ignore: decorator
@inline function elu_lv(alpha: v128, z: usize, f: usize, d1: usize, d2: usize): void {
  const zero = splat(0.0);
  const one = splat(1.0);
  const x0 = ld0(z);
  const x1 = ld1(z);
  const on0 = f64x2.gt(x0, zero);
  const on1 = f64x2.gt(x1, zero);
  st2(d2, vsel(on0, zero, x0), vsel(on1, zero, x1));
  exp_lanes(d2, d2);
  const e0 = vmul(alpha, ld0(d2));
  const e1 = vmul(alpha, ld1(d2));
  st2(f, vsel(on0, x0, vsub(e0, alpha)), vsel(on1, x1, vsub(e1, alpha)));
  st2(d1, vsel(on0, one, e0), vsel(on1, one, e1));
  st2(d2, vsel(on0, zero, e0), vsel(on1, zero, e1));
}

// @ts-ignore: decorator
@inline function silu_lv(z: usize, f: usize, d1: usize, d2: usize): void {
  const one = splat(1.0);
  const two = splat(2.0);
  const x0 = ld0(z);
  const x1 = ld1(z);
  logistic_lanes(z, d1);
  const s0 = ld0(d1);
  const s1 = ld1(d1);
  const o0 = vsub(one, s0);
  const o1 = vsub(one, s1);
  st2(f, vmul(x0, s0), vmul(x1, s1));
  st2(d1, vmul(s0, vadd(one, vmul(x0, o0))), vmul(s1, vadd(one, vmul(x1, o1))));
  const c0 = vadd(two, vmul(x0, vsub(one, vmul(two, s0))));
  const c1 = vadd(two, vmul(x1, vsub(one, vmul(two, s1))));
  st2(d2, vmul(vmul(s0, o0), c0), vmul(vmul(s1, o1), c1));
}

// gelu of one half given x, its t = tanh(u) and du, ddu: f, f', f'' to f, d1, d2 (half addresses).
// @ts-ignore: decorator
@inline function gelu_finish(x: v128, t: v128, du: v128, ddu: v128, f: usize, d1: usize, d2: usize): void {
  const one = splat(1.0);
  const s = vsub(one, vmul(t, t));
  const hx = vmul(splat(0.5), x);
  v128.store(f, vmul(hx, vadd(one, t)));
  v128.store(d1, vadd(vmul(splat(0.5), vadd(one, t)), vmul(vmul(hx, s), du)));
  const dd = vsub(ddu, vmul(vmul(vmul(splat(2.0), t), du), du));
  v128.store(d2, vadd(vmul(s, du), vmul(vmul(hx, s), dd)));
}

// @ts-ignore: decorator
@inline function gelu_lv(z: usize, f: usize, d1: usize, d2: usize): void {
  const c = 0.7978845608028654;
  const a = 0.044715;
  const one = splat(1.0);
  const x0 = ld0(z);
  const x1 = ld1(z);
  const u0 = vmul(splat(c), vadd(x0, vmul(vmul(vmul(splat(a), x0), x0), x0)));
  const u1 = vmul(splat(c), vadd(x1, vmul(vmul(vmul(splat(a), x1), x1), x1)));
  const du0 = vmul(splat(c), vadd(one, vmul(vmul(splat(3.0 * a), x0), x0)));
  const du1 = vmul(splat(c), vadd(one, vmul(vmul(splat(3.0 * a), x1), x1)));
  st2(d2, u0, u1);
  tanh_lanes(d2, d2);
  const t0 = ld0(d2);
  const t1 = ld1(d2);
  gelu_finish(x0, t0, du0, vmul(splat(c * 6.0 * a), x0), f, d1, d2);
  gelu_finish(x1, t1, du1, vmul(splat(c * 6.0 * a), x1), f + 16, d1 + 16, d2 + 16);
}

/**
 * f, f', f'' of activation `id` at `count` lane-vectors of z (f may be z itself), with the formulas of
 * activations.ts and the vectorised exp, tanh and logistic function of vecmath.ts: one switch, then one loop over the
 * block (one lane-vector per iteration).
 */
export function activation_block(id: i32, param: f64, z: usize, f: usize, d1: usize, d2: usize, count: i32): void {
  const zero = splat(0.0);
  const one = splat(1.0);
  const n = (<usize>count) << 5;
  if (id == ACT_IDENTITY) {
    for (let i: usize = 0; i < n; i += 16) {
      v128.store(f + i, v128.load(z + i));
      v128.store(d1 + i, one);
      v128.store(d2 + i, zero);
    }
  } else if (id == ACT_RELU || id == ACT_LEAKY_RELU) {
    const slope = splat(id == ACT_RELU ? 0.0 : param);
    const relu = id == ACT_RELU;
    for (let i: usize = 0; i < n; i += 16) {
      const x = v128.load(z + i);
      const on = f64x2.gt(x, zero);
      v128.store(f + i, vsel(on, x, relu ? zero : vmul(slope, x)));
      v128.store(d1 + i, vsel(on, one, slope));
      v128.store(d2 + i, zero);
    }
  } else if (id == ACT_TANH) {
    for (let i: usize = 0; i < n; i += 32) tanh_lv(z + i, f + i, d1 + i, d2 + i);
  } else if (id == ACT_SIGMOID) {
    for (let i: usize = 0; i < n; i += 32) sigmoid_lv(z + i, f + i, d1 + i, d2 + i);
  } else if (id == ACT_ELU) {
    const alpha = splat(param);
    for (let i: usize = 0; i < n; i += 32) elu_lv(alpha, z + i, f + i, d1 + i, d2 + i);
  } else if (id == ACT_SILU) {
    for (let i: usize = 0; i < n; i += 32) silu_lv(z + i, f + i, d1 + i, d2 + i);
  } else if (id == ACT_GELU) {
    for (let i: usize = 0; i < n; i += 32) gelu_lv(z + i, f + i, d1 + i, d2 + i);
  } else {
    // softplus and sin: the libm's log1p and sin (activations.ts), one lane at a time.
    const m = count * 4;
    for (let i = 0; i < m; ++i) {
      activation_eval(id, param, load<f64>(f64At(z, i)));
      store<f64>(f64At(f, i), act_f);
      store<f64>(f64At(d1, i), act_d1);
      store<f64>(f64At(d2, i), act_d2);
    }
  }
}

/** e.loss[b] = C(w_b) on the current samples; fills the per-sample caches of every lane. */
export function ensemble_forward(e: Ensemble): void {
  const nIn = e.nIn;
  const h = e.nHid;
  const o = e.nOut;
  const N = e.Na;
  const W1 = e.state;
  const b1 = lv(e.state, e.offB1);
  const W2 = lv(e.state, e.offW2);
  const b2 = lv(e.state, e.offB2);
  // z = W1 x + b1 of every sample into a, then a, s', s'' of the whole block in one call.
  for (let s = 0; s < N; ++s) {
    const x = f64At(e.Xa, s * nIn);
    for (let j = 0; j < h; ++j) {
      const bj = lv(b1, j);
      let z0 = ld0(bj);
      let z1 = ld1(bj);
      const row = lv(W1, j * nIn);
      for (let i = 0; i < nIn; ++i) {
        const xi = splat(load<f64>(f64At(x, i)));
        const wji = lv(row, i);
        z0 = vadd(z0, vmul(ld0(wji), xi));
        z1 = vadd(z1, vmul(ld1(wji), xi));
      }
      st2(lv(e.a, s * h + j), z0, z1);
    }
  }
  activation_block(e.act, e.actParam, e.a, e.a, e.s1, e.s2, N * h);
  // u = W2 a + b2 into fo, then phi, phi', phi''.
  for (let s = 0; s < N; ++s) {
    const as = lv(e.a, s * h);
    for (let m = 0; m < o; ++m) {
      const bm = lv(b2, m);
      let u0 = ld0(bm);
      let u1 = ld1(bm);
      const row = lv(W2, m * h);
      for (let j = 0; j < h; ++j) {
        const wmj = lv(row, j);
        const aj = lv(as, j);
        u0 = vadd(u0, vmul(ld0(wmj), ld0(aj)));
        u1 = vadd(u1, vmul(ld1(wmj), ld1(aj)));
      }
      st2(lv(e.fo, s * o + m), u0, u1);
    }
  }
  activation_block(e.outAct, 0.0, e.fo, e.fo, e.p1, e.p2, N * o);
  let l0 = splat(0.0);
  let l1 = l0;
  for (let s = 0; s < N; ++s) {
    const y = f64At(e.Ya, s * o);
    const das = lv(e.da, s * h);
    zero_lanes(das, h);
    for (let m = 0; m < o; ++m) {
      const sm = s * o + m;
      const ym = splat(load<f64>(f64At(y, m)));
      const fo = lv(e.fo, sm);
      const p1 = lv(e.p1, sm);
      const p2 = lv(e.p2, sm);
      const r0 = vsub(ld0(fo), ym);
      const r1 = vsub(ld1(fo), ym);
      const d10 = ld0(p1);
      const d11 = ld1(p1);
      l0 = vadd(l0, vmul(r0, r0));
      l1 = vadd(l1, vmul(r1, r1));
      const du0 = vmul(r0, d10);
      const du1 = vmul(r1, d11);
      st2(lv(e.du, sm), du0, du1);
      // Gauss-Newton weight of grad u_m grad u_m^T in the Hessian of 0.5 r^2: phi'^2 + r phi''.
      st2(lv(e.cw, sm), vadd(vmul(d10, d10), vmul(r0, ld0(p2))), vadd(vmul(d11, d11), vmul(r1, ld1(p2))));
      const row = lv(W2, m * h);
      for (let j = 0; j < h; ++j) {
        const daj = lv(das, j);
        const wmj = lv(row, j);
        st0(daj, vadd(ld0(daj), vmul(ld0(wmj), du0)));
        st1(daj, vadd(ld1(daj), vmul(ld1(wmj), du1)));
      }
    }
  }
  const n = splat(<f64>N);
  st2(e.loss, f64x2.div(vmul(splat(0.5), l0), n), f64x2.div(vmul(splat(0.5), l1), n));
}

/** e.grad = grad C(w) of every lane, from the caches of the last ensemble_forward. */
export function ensemble_gradient(e: Ensemble): void {
  const nIn = e.nIn;
  const h = e.nHid;
  const o = e.nOut;
  const N = e.Na;
  const D = e.D;
  const g = e.grad;
  zero_lanes(g, D);
  const gb1 = lv(g, e.offB1);
  const gW2 = lv(g, e.offW2);
  const gb2 = lv(g, e.offB2);
  for (let s = 0; s < N; ++s) {
    const x = f64At(e.Xa, s * nIn);
    const as = lv(e.a, s * h);
    for (let m = 0; m < o; ++m) {
      const dup = lv(e.du, s * o + m);
      const du0 = ld0(dup);
      const du1 = ld1(dup);
      const row = lv(gW2, m * h);
      for (let j = 0; j < h; ++j) {
        const gmj = lv(row, j);
        const aj = lv(as, j);
        st0(gmj, vadd(ld0(gmj), vmul(du0, ld0(aj))));
        st1(gmj, vadd(ld1(gmj), vmul(du1, ld1(aj))));
      }
      const gm = lv(gb2, m);
      st2(gm, vadd(ld0(gm), du0), vadd(ld1(gm), du1));
    }
    for (let j = 0; j < h; ++j) {
      const sj = s * h + j;
      const dap = lv(e.da, sj);
      const s1p = lv(e.s1, sj);
      const dz0 = vmul(ld0(dap), ld0(s1p));
      const dz1 = vmul(ld1(dap), ld1(s1p));
      const row = lv(g, j * nIn);
      for (let i = 0; i < nIn; ++i) {
        const xi = splat(load<f64>(f64At(x, i)));
        const gji = lv(row, i);
        st0(gji, vadd(ld0(gji), vmul(dz0, xi)));
        st1(gji, vadd(ld1(gji), vmul(dz1, xi)));
      }
      const gj = lv(gb1, j);
      st2(gj, vadd(ld0(gj), dz0), vadd(ld1(gj), dz1));
    }
  }
  const inv = splat(1.0 / N);
  for (let p = 0; p < D; ++p) {
    const gp = lv(g, p);
    st2(gp, vmul(ld0(gp), inv), vmul(ld1(gp), inv));
  }
}
